"""A version's files downloaded through an MLflow server's artifact proxy and hashed as
they arrive (promobot/registry.py's `fetch`): the digest promobot/digest.py defines, in
the time of the download instead of after it.

The files download in parallel, as MLflow's client downloads them, each started as soon
as a listing names it. One SHA-256 stream takes them in the digest's order, each as far
as its bytes are on disk, so the largest file is hashed while it is still arriving and
nothing is read for the digest once the last byte is in. The stream takes a file's size
before its contents: the listing's size is fed, and when a download writes another
number of bytes (or the listing gives none), or the folder does not hold exactly the
files fed, the digest is taken again from the folder. Either way the answer is
`artifact_digest(folder, exclude=...)`: one format, whatever the way of fetching.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import threading
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlflow.utils.credentials import get_default_host_creds
from mlflow.utils.request_utils import augmented_raise_for_status
from mlflow.utils.rest_utils import http_request

from promobot.digest import (
    CHUNK,
    DIGEST_PREFIX,
    artifact_digest,
    digest_order,
    frame,
    name_bytes,
)

WORKERS = 8  # files downloading at once: a model is a handful of files, one of them large
PIECE = 1 << 18  # how far behind its download a file's hashing may fall (256 KiB)
LARGEST_SIZE = 1 << 64  # the digest frames a size in 8 bytes


class NotProxied(Exception):
    """The server sends its clients to the artifact store itself (multipart downloads):
    its files are to be downloaded MLflow's way, not through the proxy."""


@dataclass
class _File:
    remote: str  # its path under the repository's root, as listed
    name: bytes  # its relative path in the folder, as the digest frames and orders it
    size: int | None  # the listing's
    path: Path
    hashed: bool  # False: downloaded like every file, left out of the digest
    written: int = 0
    done: bool = False


class _Board:
    """How far each download has written, for the hashing to follow, and the first
    failure: once there is one, every download still running stops at its next piece."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.failure: BaseException | None = None

    def advance(self, file: _File, count: int, *, done: bool = False) -> None:
        with self.changed:
            if self.failure is not None:
                raise _Stopped
            file.written += count
            file.done = done
            self.changed.notify_all()

    def fail(self, exc: BaseException) -> None:
        with self.changed:
            if self.failure is None:
                self.failure = exc
            self.changed.notify_all()

    def wait(self, file: _File, fed: int) -> tuple[int, bool]:
        """(bytes written, finished) of `file` once it has more than `fed` or is done."""
        with self.changed:
            self.changed.wait_for(
                lambda: file.written > fed or file.done or self.failure is not None
            )
            if self.failure is not None:
                raise self.failure
            return file.written, file.done


class _Stopped(Exception):
    """Another file failed: this one's download stops."""


def fetch(repo: Any, folder: Path, exclude: Collection[str]) -> str:
    """Download every file of `repo` (an HttpArtifactRepository: MLflow's client for the
    server's artifact proxy) into `folder`, an empty folder; their digest, leaving out
    the relative paths in `exclude`. Raises NotProxied before any download when the
    server has its clients download from the store itself (MLflow's multipart
    downloads), MLflow's and the network's errors (MlflowException, OSError) as raised."""
    board = _Board()
    with ThreadPoolExecutor(WORKERS, thread_name_prefix="promobot-fetch") as pool:
        # Asked beside the first listing, not before it: the answer MLflow's own
        # download waits for (a `server-info` call), without the wait.
        proxied = pool.submit(_proxied, repo)
        try:
            files = _listed(repo, folder, exclude, proxied.result)
            for file in files:
                pool.submit(_download, repo, file, board)
            digest = _hash_in_order(files, board)
        except BaseException as exc:
            board.fail(exc)
            raise
    # Every download has finished: the hashing followed each to its end, or gave up on
    # the framing (digest None) and the pool waited for the rest.
    if board.failure is not None:
        raise board.failure
    if digest is None or not _holds_exactly(folder, files, exclude):
        return artifact_digest(folder, exclude=exclude)
    return digest


def _proxied(repo: Any) -> None:
    multipart = getattr(repo, "_is_multipart_download_enabled", None)
    if multipart is not None and multipart():
        raise NotProxied(repo.artifact_uri)


def _listed(
    repo: Any, folder: Path, exclude: Collection[str], check: Callable[[], object]
) -> list[_File]:
    """The files under the repository's root, as MLflow's own download lists them (one
    listing per folder, each path checked by MLflow's client); an empty folder is made.
    `check` is called once the root is listed, before anything is downloaded."""
    files: dict[Path, _File] = {}
    folders = [""]
    while folders:
        where = folders.pop()
        infos = [i for i in repo.list_artifacts(where) if i.path not in (".", where)]
        if where == "":
            check()
        if not infos and where:
            _inside(folder, where).mkdir(parents=True, exist_ok=True)
        for info in infos:
            if info.is_dir:
                folders.append(info.path)
                continue
            path = _inside(folder, info.path)
            rel = path.relative_to(folder).as_posix()
            size = info.file_size if _framable(info.file_size) else None
            # A path listed twice is downloaded once: two writers would race.
            files.setdefault(
                path, _File(info.path, name_bytes(rel), size, path, rel not in exclude)
            )
    return list(files.values())


def _inside(folder: Path, rel: str) -> Path:
    """Where a listed path goes: inside `folder`, whatever the listing says."""
    path = Path(os.path.normpath(folder / rel))
    if path == folder or not path.is_relative_to(folder):
        raise OSError(f"the artifact listing names {rel!r}, outside the version's folder")
    return path


def _framable(size: Any) -> bool:
    return isinstance(size, int) and 0 <= size < LARGEST_SIZE


def _download(repo: Any, file: _File, board: _Board) -> None:
    """One file, streamed to disk through the proxy as MLflow's client does it; each
    piece announced once written, so the hashing can read it."""
    try:
        file.path.parent.mkdir(parents=True, exist_ok=True)
        # The endpoint as HttpArtifactRepository._download_file builds it, with the
        # credentials MLflow's client would send (MLFLOW_TRACKING_USERNAME, its token).
        endpoint = posixpath.join("/", file.remote)
        response = http_request(
            get_default_host_creds(repo.artifact_uri), endpoint, "GET", stream=True
        )
        with response:
            augmented_raise_for_status(response)
            with open(file.path, "wb") as out:
                for piece in response.iter_content(chunk_size=PIECE):
                    out.write(piece)
                    out.flush()  # in the page cache before the hashing reads it
                    board.advance(file, len(piece))
        board.advance(file, 0, done=True)
    except _Stopped:
        pass
    except BaseException as exc:  # the hashing raises it, in the caller's thread
        board.fail(exc)


def _hash_in_order(files: list[_File], board: _Board) -> str | None:
    """The digest of `files` (those hashed) in the digest's order, each followed as it
    is written; None when a file's bytes are not as many as the size fed for it."""
    digest = hashlib.sha256()
    for file in sorted((f for f in files if f.hashed), key=lambda f: f.name):
        size = file.size
        if size is None:  # nothing to frame it with until it is all there
            size = file.size = _finished(file, board)
        digest.update(frame(file.name, size))
        if _follow(file, board, digest) != size:
            return None
    return DIGEST_PREFIX + digest.hexdigest()


def _finished(file: _File, board: _Board) -> int:
    """The bytes the file's download wrote, once it has finished."""
    written, done = board.wait(file, 0)
    while not done:
        written, done = board.wait(file, written)
    return written


def _follow(file: _File, board: _Board, digest: Any) -> int:
    """Feed `digest` the file's bytes as its download writes them; how many it fed."""
    fed = 0
    handle = None
    try:
        while True:
            written, done = board.wait(file, fed)
            if written > fed:
                handle = handle or open(file.path, "rb")  # noqa: SIM115  (closed below)
                while fed < written:
                    piece = handle.read(min(CHUNK, written - fed))
                    if not piece:
                        raise OSError(f"{file.path} holds fewer bytes than were written")
                    digest.update(piece)
                    fed += len(piece)
            elif done:
                return fed
    finally:
        if handle is not None:
            handle.close()


def _holds_exactly(folder: Path, files: list[_File], exclude: Collection[str]) -> bool:
    """Whether the folder's files, as the digest of the folder would take them, are the
    ones fed, at the sizes fed: then the streamed digest is the folder's."""
    fed = {f.name: f.size for f in files if f.hashed}
    there = {name: path.stat().st_size for name, path in digest_order(folder, exclude=exclude)}
    return there == fed
