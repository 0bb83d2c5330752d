"""The MLflow calls promobot/serving.py makes: find the version a URI names with its
tags and its model's, and fetch its files with their digest. MLflow's answers become
promobot's: what MLflow does not have is `no-model`; no answer, or MLflow refusing the
caller, is RegistryUnavailable. The tracking server is MLflow's usual (MLFLOW_TRACKING_URI).

From a server that proxies its artifacts, the files download in parallel as MLflow's
client downloads them (one listing per folder, each file streamed through the proxy with
the client's credentials), each started as soon as a listing names it, while one digest
follows them in its order (promobot/digest.py's digest_as_written): the largest file is
hashed as it arrives, not read again after. The digest fed is the folder's digest: when a
file holds other than the listed number of bytes, or the folder other files than fed,
the folder is hashed again (artifact_digest). Elsewhere (a local registry, a store the
client reaches itself, a server sending clients to its store) MLflow downloads the files
and the folder is hashed after.
"""

from __future__ import annotations

import os
import posixpath
import tempfile
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import mlflow.artifacts
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository
from mlflow.store.artifact.http_artifact_repo import HttpArtifactRepository
from mlflow.utils.credentials import get_default_host_creds
from mlflow.utils.request_utils import augmented_raise_for_status
from mlflow.utils.rest_utils import http_request
from mlflow.utils.yaml_utils import write_yaml

from promobot.digest import (
    DOWNLOAD_ONLY_FILES,
    Arrivals,
    Arriving,
    Stopped,
    artifact_digest,
    digest_as_written,
    holds_exactly,
    name_bytes,
)
from promobot.refusals import NO_MODEL, RegistryUnavailable, UnapprovedModel
from promobot.uri import Wanted

T = TypeVar("T")
# What MLflow answers when it does not have the model, alias or version asked for (an
# alias it does not know is INVALID_PARAMETER_VALUE, not RESOURCE_DOES_NOT_EXIST).
MISSING = ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE")
WORKERS = 8  # files downloading at once: a model is a handful of files, one of them large
PIECE = 1 << 18  # how far a file's hashing may fall behind its download (256 KiB)
EXCLUDED = frozenset(name_bytes(rel) for rel in DOWNLOAD_ONLY_FILES)


@dataclass(frozen=True)
class Found:
    """The version a URI names, its tags, and its registered model's tags."""

    model: str
    version: int
    version_tags: dict[str, str]
    model_tags: dict[str, str]


def find(wanted: Wanted, tracking_uri: str | None = None) -> Found:
    """The version `wanted` names. `tracking_uri`: the server (and registry) to ask;
    None: MLflow's own (MLFLOW_TRACKING_URI)."""
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    name = wanted.model
    registered = _ask(
        lambda: client.get_registered_model(name), f"MLflow has no registered model `{name}`"
    )
    if wanted.kind == "stage":
        # The registered model's answer carries the newest version of each stage with its
        # tags: no further call (two fewer than MLflow's own stage resolution).
        held = [
            v
            for v in registered.latest_versions or ()
            if str(v.current_stage).lower() == wanted.name.lower()
        ]
        if not held:
            with warnings.catch_warnings():
                # Stages are deprecated in MLflow 3, yet still what promobot moves.
                warnings.simplefilter("ignore", FutureWarning)
                held = _ask(lambda: client.get_latest_versions(name, stages=[wanted.name]), "")
        if not held:
            raise UnapprovedModel(
                NO_MODEL, f"no version of `{name}` is in {wanted.name}", model=name
            )
        newest = max(held, key=lambda v: int(v.version))
        if newest.tags:
            return Found(name, int(newest.version), dict(newest.tags), dict(registered.tags))
        number = str(newest.version)
    elif wanted.kind == "alias":
        holder = _ask(
            lambda: client.get_model_version_by_alias(name, wanted.name),
            f"`{name}` has no alias @{wanted.name}",
        )
        number = str(holder.version)
    else:
        number = wanted.name
    # Asked again by number: the answers above need not carry the version's tags.
    version = _ask(
        lambda: client.get_model_version(name, number), f"`{name}` has no version {number}"
    )
    return Found(name, int(version.version), dict(version.tags), dict(registered.tags))


@dataclass(frozen=True)
class Fetched:
    """A version's files, in a folder of their own, and their digest."""

    path: Path
    digest: str  # artifact_digest(path, exclude=DOWNLOAD_ONLY_FILES)


def fetch(
    model: str, version: int, dst_path: str | Path | None, tracking_uri: str | None = None
) -> Fetched:
    """The version's files in a new folder (inside `dst_path` when given) and their
    digest, hashed as they arrive from a server's artifact proxy (see above)."""
    where = tracking_uri or mlflow.get_tracking_uri()
    if urlparse(where).scheme not in ("http", "https"):
        local = download(model, version, dst_path, tracking_uri)
        return Fetched(local, artifact_digest(local, exclude=DOWNLOAD_ONLY_FILES))
    folder = _new_folder(version, dst_path)
    with _downloading(model, version, folder):
        repo = _repository(model, version, tracking_uri)
        try:
            if not isinstance(repo, HttpArtifactRepository):
                raise NotProxied
            digest = _streamed(repo, folder)
        except NotProxied:
            repo.download_artifacts("", str(folder))
            digest = artifact_digest(folder, exclude=DOWNLOAD_ONLY_FILES)
    if (folder / "MLmodel").is_file():
        # What MLflow's client writes into a download by version (not in the digest).
        meta = {"model_name": model, "model_version": str(version)}
        write_yaml(
            str(folder), "registered_model_meta", meta, overwrite=True, ensure_yaml_extension=False
        )
    return Fetched(folder, digest)


def _repository(model: str, version: int, tracking_uri: str | None) -> Any:
    """MLflow's client for where the version's files are, as `models:/<model>/<version>`
    resolves it: the version's download URI (a logged model's artifacts in MLflow 3)."""
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    # The registry's own client: MlflowClient's would ask for the registered model again
    # to refuse a prompt, which find() has already done (get_registered_model refuses it).
    registry = getattr(client, "_get_registry_client", lambda: client)()
    uri = registry.get_model_version_download_uri(model, str(version))
    return get_artifact_repository(uri, tracking_uri=tracking_uri, registry_uri=tracking_uri)


def download(
    model: str, version: int, dst_path: str | Path | None, tracking_uri: str | None = None
) -> Path:
    """The version's files in a new folder (inside `dst_path` when given), downloaded by
    MLflow's client: a fresh folder each time, so nothing left from before counts in the
    digest."""
    folder = _new_folder(version, dst_path)
    # The version's own URI: MLflow resolves it to where the files are, whether its
    # source is a logged model (`models:/m-…`, MLflow 3) or a run's artifacts.
    with _downloading(model, version, folder):
        where = mlflow.artifacts.download_artifacts(
            artifact_uri=f"models:/{model}/{version}",
            dst_path=str(folder),
            tracking_uri=tracking_uri,
            registry_uri=tracking_uri,
        )
    return Path(where)


def _new_folder(version: int, dst_path: str | Path | None) -> Path:
    parent = Path(dst_path) if dst_path is not None else None
    if parent is not None:
        parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"promobot-v{version}-", dir=parent))


@contextmanager
def _downloading(model: str, version: int, folder: Path) -> Iterator[None]:
    """MLflow's and the network's errors while the files download: RegistryUnavailable."""
    try:
        yield
    except MlflowException as exc:
        raise _unavailable(
            exc, f"the files of {model} v{version} could not be downloaded"
        ) from None
    except OSError as exc:
        raise RegistryUnavailable(
            f"the files of {model} v{version} could not be downloaded to {folder}: {exc}"
        ) from None


class NotProxied(Exception):
    """The files are not to come through the server's artifact proxy: MLflow's client
    downloads them its own way."""


@dataclass
class _Listed(Arriving):
    remote: str = ""  # its path under the repository's root


def _streamed(repo: HttpArtifactRepository, folder: Path) -> str:
    """Every file of `repo` downloaded into `folder` (empty) in parallel, and their digest
    fed as they arrive. NotProxied, before any download, when the server has clients
    download from its store (MLflow's multipart downloads)."""
    arrivals = Arrivals()
    with ThreadPoolExecutor(WORKERS, thread_name_prefix="promobot-fetch") as pool:
        # Asked beside the first listing, not before it: MLflow's own download asks it
        # (a `server-info` call, kept 60 s) and waits for the answer.
        multipart = pool.submit(getattr(repo, "_is_multipart_download_enabled", bool))

        def listed_root() -> None:
            if multipart.result():
                raise NotProxied

        try:
            files = _listing(repo, folder, listed_root)
            for file in files:
                pool.submit(_download, repo, file, arrivals)
            hashed = [f for f in files if f.name not in EXCLUDED]
            digest = digest_as_written(hashed, arrivals)
        except BaseException as exc:
            arrivals.fail(exc)  # the downloads still running stop at their next piece
            raise
    # Every download has finished (the pool waited for the files not hashed, and for
    # the rest when the digest gave up on a size).
    if arrivals.failure is not None:
        raise arrivals.failure
    if digest is None or not holds_exactly(folder, hashed, exclude=DOWNLOAD_ONLY_FILES):
        return artifact_digest(folder, exclude=DOWNLOAD_ONLY_FILES)
    return digest


def _listing(repo: Any, folder: Path, listed_root: Callable[[], object]) -> list[_Listed]:
    """The files under the repository's root, one listing per folder as MLflow's client
    lists them (checking each path); an empty folder is made. `listed_root` runs once
    the root is listed, before anything is downloaded."""
    files: dict[Path, _Listed] = {}
    folders = [""]
    while folders:
        where = folders.pop()
        infos = [i for i in repo.list_artifacts(where) if i.path not in (".", where)]
        if where == "":
            listed_root()
        elif not infos:
            _inside(folder, where).mkdir(parents=True, exist_ok=True)
        for info in infos:
            if info.is_dir:
                folders.append(info.path)
                continue
            path = _inside(folder, info.path)
            name = name_bytes(path.relative_to(folder).as_posix())
            # A path listed twice is downloaded once: two writers would race.
            files.setdefault(path, _Listed(name, info.file_size, path, remote=info.path))
    return list(files.values())


def _inside(folder: Path, rel: str) -> Path:
    """Where a listed path goes: inside `folder`, whatever the listing says."""
    path = Path(os.path.normpath(folder / rel))
    if path == folder or not path.is_relative_to(folder):
        raise OSError(f"the artifact listing names {rel!r}, outside the version's folder")
    return path


def _download(repo: Any, file: _Listed, arrivals: Arrivals) -> None:
    """One file streamed to disk through the proxy, each piece announced once written."""
    try:
        file.path.parent.mkdir(parents=True, exist_ok=True)
        # The request HttpArtifactRepository._download_file makes, with the credentials
        # MLflow's client sends (MLFLOW_TRACKING_USERNAME, MLFLOW_TRACKING_TOKEN, …).
        creds = get_default_host_creds(repo.artifact_uri)
        response = http_request(creds, posixpath.join("/", file.remote), "GET", stream=True)
        with response:
            augmented_raise_for_status(response)
            with open(file.path, "wb") as out:
                for piece in response.iter_content(chunk_size=PIECE):
                    out.write(piece)
                    out.flush()  # readable before it is announced
                    arrivals.wrote(file, len(piece))
        arrivals.wrote(file, 0, done=True)
    except Stopped:
        pass
    except BaseException as exc:  # raised by digest_as_written, in the caller's thread
        arrivals.fail(exc)


def _ask(call: Callable[[], T], missing: str) -> T:
    try:
        return call()
    except MlflowException as exc:
        if missing and exc.error_code in MISSING:
            raise UnapprovedModel(NO_MODEL, f"{missing} (MLflow: {_first_line(exc)})") from None
        raise _unavailable(exc) from None
    except OSError as exc:  # requests' errors are OSErrors
        raise RegistryUnavailable(f"MLflow could not be reached: {exc}") from None


def _unavailable(exc: MlflowException, what: str = "") -> RegistryUnavailable:
    lead = f"{what}: " if what else ""
    if 400 <= _status(exc) < 500:
        return RegistryUnavailable(
            f"{lead}MLflow refused: {exc.error_code}: {_first_line(exc)}", refused=True
        )
    return RegistryUnavailable(f"{lead}MLflow could not be reached or failed: {_first_line(exc)}")


def _status(exc: MlflowException) -> int:
    try:
        return int(exc.get_http_status_code())
    except (TypeError, ValueError):
        return 500


def _first_line(exc: Any) -> str:
    text = str(getattr(exc, "message", exc)).strip()
    return text.splitlines()[0] if text else type(exc).__name__
