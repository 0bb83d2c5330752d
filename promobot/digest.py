"""The digest of a folder of model files: what a receipt records as `artifact_digest`.

SHA-256 fed, for each regular file under the root in the order of its relative POSIX
path's UTF-8 bytes: the path's UTF-8 bytes, a NUL byte, the file's size as 8 bytes
big-endian, then its contents. Symbolic links to files are followed; folders are walked
(a link to a folder is not: no loops, and nothing outside the root by that way); nothing
else (sockets, devices) counts. The path and size framing make a renamed or a moved
byte change the digest. Contents are streamed, so a model of gigabytes needs 1 MiB.

The same digest can be fed while the files are still being written (by downloads running
in other threads: promobot/registry.py's fetch): `digest_as_written` takes the files in
the digest's order, each as far as its writer has announced it, so a large file is hashed
while it arrives instead of being read again once it is all there.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHUNK = 1 << 20
DIGEST_PREFIX = "sha256:"
# MLflow's client writes this file into every download of `models:/<name>/<version>` (the
# name and version it was downloaded as); it is not one of the stored files, and differs
# between a download by version and one by the version's source. Left out of the digest
# of a version's files, so every way of fetching them gives the same digest.
DOWNLOAD_ONLY_FILES = frozenset({"registered_model_meta"})
LARGEST_SIZE = 1 << 64  # a size is framed in 8 bytes


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


@dataclass
class Arriving:
    """A file being written by another thread, and how far it is."""

    name: bytes  # its relative path, as the digest frames and orders it (name_bytes)
    size: int | None  # what it is to hold, when known beforehand (a listing's size)
    path: Path
    written: int = 0
    done: bool = False


class Arrivals:
    """What the writers of some files have announced, for digest_as_written to follow,
    and the first failure: once there is one, a writer's next announcement raises
    Stopped, and the digest raises the failure."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.failure: BaseException | None = None

    def wrote(self, file: Arriving, count: int, *, done: bool = False) -> None:
        """`count` more bytes of `file` are written and readable (`done`: all of it)."""
        with self.changed:
            if self.failure is not None:
                raise Stopped
            file.written += count
            file.done = done
            self.changed.notify_all()

    def fail(self, exc: BaseException) -> None:
        with self.changed:
            if self.failure is None:
                self.failure = exc
            self.changed.notify_all()

    def wait(self, file: Arriving, seen: int) -> tuple[int, bool]:
        """(bytes written, finished) of `file`, once more than `seen` or finished."""
        with self.changed:
            self.changed.wait_for(
                lambda: file.written > seen or file.done or self.failure is not None
            )
            if self.failure is not None:
                raise self.failure
            return file.written, file.done


class Stopped(Exception):
    """Another file failed: the writer of this one stops."""


def digest_as_written(files: Collection[Arriving], arrivals: Arrivals) -> str | None:
    """The digest of `files`, fed in the digest's order as their writers announce their
    bytes. A file's size is framed before its contents: its `size` when given (else it
    is waited for whole, and its size recorded there). None when a file turns out to
    hold another number of bytes than was framed: the caller then takes artifact_digest
    of the folder. Raises the first failure announced."""
    digest = hashlib.sha256()
    for file in sorted(files, key=lambda f: f.name):
        if file.size is None or not 0 <= file.size < LARGEST_SIZE:
            file.size = _finished(file, arrivals)
        digest.update(frame(file.name, file.size))
        if _follow(file, arrivals, digest) != file.size:
            return None
    return DIGEST_PREFIX + digest.hexdigest()


def holds_exactly(root: Path, files: Collection[Arriving], *, exclude: Collection[str]) -> bool:
    """Whether artifact_digest(root, exclude=...) would take exactly `files`, at the
    sizes framed for them: then digest_as_written gave the folder's digest."""
    framed = {f.name: f.size for f in files}
    there = {name: path.stat().st_size for name, path in digest_order(root, exclude=exclude)}
    return there == framed


def _finished(file: Arriving, arrivals: Arrivals) -> int:
    written, done = arrivals.wait(file, 0)
    while not done:
        written, done = arrivals.wait(file, written)
    return written


def _follow(file: Arriving, arrivals: Arrivals, digest: Any) -> int:
    """Feed `digest` the file's bytes as they are announced; how many it fed."""
    fed = 0
    handle = None
    try:
        while True:
            written, done = arrivals.wait(file, fed)
            if written > fed:
                handle = handle or open(file.path, "rb")  # noqa: SIM115  (closed below)
                while fed < written:
                    chunk = handle.read(min(CHUNK, written - fed))
                    if not chunk:
                        raise OSError(f"{file.path} holds fewer bytes than were announced")
                    digest.update(chunk)
                    fed += len(chunk)
            elif done:
                return fed
    finally:
        if handle is not None:
            handle.close()
