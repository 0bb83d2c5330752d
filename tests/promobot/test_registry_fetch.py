"""promobot/registry.py's fetch: from a real `mlflow server` serving its artifacts (the
session's `mlflow_server`), the files hashed while they download give the digest of the
folder they land in, which is the digest of the files the server stores; on a local
registry (SQLite, the artifacts in a folder) MLflow downloads them and the folder is
hashed after. Either way the same checks hold.

The models are `mlflow.pyfunc` models whose artifact is a folder the test writes
(Registry.log_files): a nested folder, an empty file, a name not in ASCII and a file of
several download pieces.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from receipt_writer import TRUSTED, Logged, Registry, served_registry
from slow_proxy import ForwardingProxy

from promobot import registry
from promobot.digest import DOWNLOAD_ONLY_FILES, artifact_digest
from promobot.refusals import RegistryUnavailable
from promobot.serving import UnapprovedModel, verify

LARGE = 3 * registry.PIECE + 17  # several pieces, the last one short
FILES = {
    "deep/er/still/weights.bin": np.random.default_rng(7).bytes(LARGE),
    "deep/empty.txt": b"",
    "deep/ü name.txt": "nicht nur ASCII: ü".encode(),
    "top.txt": b"top",
}


SMALL = {"deep/er/weights.bin": b"\1" * 1000, "deep/empty.txt": b"", "top.txt": b"top"}


@pytest.fixture(scope="module")
def served(mlflow_server: Any) -> Iterator[Registry]:
    with served_registry(mlflow_server) as found:
        yield found


@pytest.fixture(scope="module")
def nested(served: Registry, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Logged]:
    logged = served.log_files(tmp_path_factory.mktemp("nested"), FILES)
    name = served.versions(logged)
    served.carry_out(name, 1, "Production", logged)
    return name, logged


@pytest.mark.server
def test_the_streamed_digest_is_the_folders_and_the_stored_files(
    served: Registry, nested: tuple[str, Logged], tmp_path: Path
) -> None:
    name, logged = nested
    repo = registry._repository(name, 1, served.url)
    digest = registry._streamed(repo, tmp_path)
    assert digest == artifact_digest(tmp_path, exclude=DOWNLOAD_ONLY_FILES)
    assert digest == artifact_digest(logged.files)
    for rel, content in FILES.items():
        assert (tmp_path / "artifacts" / "data" / rel).read_bytes() == content


@pytest.mark.server
def test_fetch_gives_the_folder_as_mlflow_downloads_it(
    served: Registry, nested: tuple[str, Logged], tmp_path: Path
) -> None:
    import mlflow.artifacts

    name, logged = nested
    fetched = registry.fetch(name, 1, tmp_path / "ours", served.url)
    theirs = Path(
        mlflow.artifacts.download_artifacts(
            f"models:/{name}/1", dst_path=str(tmp_path / "theirs"), tracking_uri=served.url
        )
    )
    assert fetched.path.parent == tmp_path / "ours"
    assert fetched.digest == artifact_digest(logged.files)
    assert _contents(fetched.path) == _contents(theirs)  # registered_model_meta too
    again = registry.fetch(name, 1, tmp_path / "ours", served.url)
    assert again.path != fetched.path  # a fresh folder each time
    assert verify(f"models:/{name}/Production", trusted_keys=TRUSTED).version == 1


def _contents(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


class ChangeOnDownload(ForwardingProxy):
    """Changes a stored file when its download is asked for: after the listing gave its
    size, as a write racing the load would."""

    def __init__(self, upstream: str, stored: Path) -> None:
        super().__init__(upstream)
        self.stored = stored

    def before(self, req: BaseHTTPRequestHandler) -> None:
        if req.command == "GET" and req.path.endswith(self.stored.name):
            self.stored.write_bytes(self.stored.read_bytes() + b"\0")


@pytest.mark.server
def test_bytes_not_as_listed_are_hashed_from_the_folder(served: Registry, tmp_path: Path) -> None:
    logged = served.log_files(tmp_path / "files", FILES)
    name = served.versions(logged)
    served.carry_out(name, 1, "Production", logged)
    [weights] = logged.files.rglob("weights.bin")
    with ChangeOnDownload(served.url, weights) as proxy:
        fetched = registry.fetch(name, 1, tmp_path / "dst", proxy.url)
        assert fetched.digest == artifact_digest(fetched.path, exclude=DOWNLOAD_ONLY_FILES)
        assert fetched.digest == artifact_digest(logged.files)  # the changed file's
        with pytest.raises(UnapprovedModel) as caught:
            verify(f"models:/{name}/Production", trusted_keys=TRUSTED, tracking_uri=proxy.url)
    assert caught.value.reason == "artifacts"


class RefuseOneFile(ForwardingProxy):
    """Refuses the download of one file (403), forwards the rest."""

    def __init__(self, upstream: str, name: str) -> None:
        super().__init__(upstream)
        self.file = name
        self.refused = threading.Event()

    def answer_here(self, req: BaseHTTPRequestHandler) -> bool:
        if not (req.command == "GET" and req.path.split("?")[0].endswith(self.file)):
            return False
        self.refused.set()
        self._answer(req, 403, "Forbidden", [("Content-Type", "text/plain")], b"no")
        return True


@pytest.mark.server
def test_a_download_refused_midway_is_registry_unavailable(
    served: Registry, nested: tuple[str, Logged], tmp_path: Path
) -> None:
    name, _ = nested
    with RefuseOneFile(served.url, "top.txt") as proxy:
        with pytest.raises(RegistryUnavailable) as caught:
            registry.fetch(name, 1, tmp_path, proxy.url)
        assert proxy.refused.is_set()
    assert f"the files of {name} v1 could not be downloaded" in str(caught.value)
    assert "403" in str(caught.value)


def test_an_unreachable_server_is_registry_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from servers import free_port

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    with pytest.raises(RegistryUnavailable) as caught:
        registry.fetch("any", 1, tmp_path, f"http://127.0.0.1:{free_port()}")
    assert "could not be downloaded" in str(caught.value)


# ---- a local registry: no proxy to stream from ------------------------------------------


@pytest.fixture
def local(tracking_uri: str, tmp_path: Path) -> Iterator[Registry]:
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(tracking_uri)
    try:
        client = MlflowClient()
        where = tmp_path / "artifacts"
        experiment = client.create_experiment("local", artifact_location=(where / "x").as_uri())
        yield Registry(client, tracking_uri, where, experiment)
    finally:
        mlflow.set_tracking_uri(None)  # type: ignore[arg-type]


def test_a_local_registry_is_fetched_and_checked(local: Registry, tmp_path: Path) -> None:
    logged = local.log_files(tmp_path / "files", SMALL)
    name = local.versions(logged)
    local.carry_out(name, 1, "Production", logged)
    fetched = registry.fetch(name, 1, tmp_path / "dst")  # MLFLOW_TRACKING_URI: SQLite
    assert fetched.path.parent == tmp_path / "dst"
    assert fetched.digest == artifact_digest(fetched.path, exclude=DOWNLOAD_ONLY_FILES)
    assert fetched.digest == artifact_digest(logged.files)
    assert (fetched.path / "artifacts" / "data" / "deep" / "empty.txt").read_bytes() == b""
    assert verify(f"models:/{name}/Production", trusted_keys=TRUSTED).version == 1
    (logged.files / "artifacts" / "data" / "top.txt").write_bytes(b"changed")
    with pytest.raises(UnapprovedModel) as caught:
        verify(f"models:/{name}/Production", trusted_keys=TRUSTED)
    assert caught.value.reason == "artifacts"
