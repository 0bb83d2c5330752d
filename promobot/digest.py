"""The digest of a folder of model files: what a receipt records as `artifact_digest`.

SHA-256 fed, for each regular file under the root in the order of its relative POSIX
path's UTF-8 bytes: the path's UTF-8 bytes, a NUL byte, the file's size as 8 bytes
big-endian, then its contents. Symbolic links to files are followed; folders are walked
(a link to a folder is not: no loops, and nothing outside the root by that way); nothing
else (sockets, devices) counts. The path and size framing make a renamed or a moved
byte change the digest. Contents are streamed, so a model of gigabytes needs 1 MiB.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Collection, Iterator
from pathlib import Path

CHUNK = 1 << 20
DIGEST_PREFIX = "sha256:"
# MLflow's client writes this file into every download of `models:/<name>/<version>` (the
# name and version it was downloaded as); it is not one of the stored files, and differs
# between a download by version and one by the version's source. Left out of the digest
# of a version's files, so every way of fetching them gives the same digest.
DOWNLOAD_ONLY_FILES = frozenset({"registered_model_meta"})


def artifact_digest(root: Path, *, exclude: Collection[str] = ()) -> str:
    """`sha256:<64 hex>` of the files under `root` (a folder; an empty one gives the
    digest of nothing). `exclude`: relative POSIX paths to leave out (DOWNLOAD_ONLY_FILES
    for a version's download)."""
    digest = hashlib.sha256()
    for name, path in digest_order(root, exclude=exclude):
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            digest.update(frame(name, size))
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
    return DIGEST_PREFIX + digest.hexdigest()


def digest_order(root: Path, *, exclude: Collection[str] = ()) -> list[tuple[bytes, Path]]:
    """(name as the digest frames it, path) of each file the digest of `root` takes, in
    the order it takes them."""
    return sorted(
        (name_bytes(rel), path) for rel, path in _regular_files(Path(root)) if rel not in exclude
    )


def frame(name: bytes, size: int) -> bytes:
    """What the digest takes before a file's contents: its name, a NUL, its size."""
    return name + b"\0" + size.to_bytes(8, "big")


def name_bytes(rel: str) -> bytes:
    """A relative POSIX path as the digest frames and orders it."""
    return rel.encode("utf-8", "surrogateescape")


def _regular_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(relative POSIX path, path) of each regular file under root, links to files
    followed."""
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            try:
                mode = path.stat().st_mode  # follows a link
            except OSError:
                continue  # a dangling link: nothing there to digest
            if stat.S_ISREG(mode):
                yield path.relative_to(root).as_posix(), path
