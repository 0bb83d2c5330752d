"""promobot/transfer.py against a real `mlflow server` serving its artifacts (the
session's `mlflow_server`): the files hashed while they download give the digest of the
folder they land in, which is the digest of the files the server stores.

The models here are `mlflow.pyfunc` models whose artifact is a folder the test writes
(Registry.log_files): a nested folder, an empty file and a file of several download
pieces.
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

from promobot import registry as promobot_registry
from promobot import transfer
from promobot.digest import DOWNLOAD_ONLY_FILES, artifact_digest
from promobot.refusals import RegistryUnavailable
from promobot.serving import UnapprovedModel, verify

pytestmark = pytest.mark.server

LARGE = 3 * transfer.PIECE + 17  # several pieces, the last one short
FILES = {
    "deep/er/still/weights.bin": np.random.default_rng(7).bytes(LARGE),
    "deep/empty.txt": b"",
    "deep/ü name.txt": "nicht nur ASCII: ü".encode(),
    "top.txt": b"top",
}


@pytest.fixture(scope="module")
def registry(mlflow_server: Any) -> Iterator[Registry]:
    with served_registry(mlflow_server) as served:
        yield served


@pytest.fixture(scope="module")
def nested(registry: Registry, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Logged]:
    logged = registry.log_files(tmp_path_factory.mktemp("nested"), FILES)
    name = registry.versions(logged)
    registry.carry_out(name, 1, "Production", logged)
    return name, logged


def test_the_streamed_digest_is_the_folders_and_the_stored_files(
    registry: Registry, nested: tuple[str, Logged], tmp_path: Path
) -> None:
    name, logged = nested
    repo = promobot_registry._repository(name, 1, registry.url)
    digest = transfer.fetch(repo, tmp_path, DOWNLOAD_ONLY_FILES)
    assert digest == artifact_digest(tmp_path, exclude=DOWNLOAD_ONLY_FILES)
    assert digest == artifact_digest(logged.files)
    for rel, content in FILES.items():
        assert (tmp_path / "artifacts" / "data" / rel).read_bytes() == content


def test_fetch_gives_the_folder_as_mlflow_downloads_it(
    registry: Registry, nested: tuple[str, Logged], tmp_path: Path
) -> None:
    import mlflow.artifacts

    name, logged = nested
    fetched = promobot_registry.fetch(name, 1, tmp_path / "ours", registry.url)
    theirs = Path(
        mlflow.artifacts.download_artifacts(
            f"models:/{name}/1", dst_path=str(tmp_path / "theirs"), tracking_uri=registry.url
        )
    )
    assert fetched.path.parent == tmp_path / "ours"
    assert fetched.digest == artifact_digest(logged.files)
    assert _contents(fetched.path) == _contents(theirs)  # registered_model_meta too
    again = promobot_registry.fetch(name, 1, tmp_path / "ours", registry.url)
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


def test_bytes_not_as_listed_are_hashed_from_the_folder(registry: Registry, tmp_path: Path) -> None:
    logged = registry.log_files(tmp_path / "files", FILES)
    name = registry.versions(logged)
    registry.carry_out(name, 1, "Production", logged)
    [weights] = logged.files.rglob("weights.bin")
    with ChangeOnDownload(registry.url, weights) as proxy:
        fetched = promobot_registry.fetch(name, 1, tmp_path / "dst", proxy.url)
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


def test_a_download_refused_midway_is_registry_unavailable(
    registry: Registry, nested: tuple[str, Logged], tmp_path: Path
) -> None:
    name, _ = nested
    with RefuseOneFile(registry.url, "top.txt") as proxy:
        with pytest.raises(RegistryUnavailable) as caught:
            promobot_registry.fetch(name, 1, tmp_path, proxy.url)
        assert proxy.refused.is_set()
    assert f"the files of {name} v1 could not be downloaded" in str(caught.value)
    assert "403" in str(caught.value)


def test_an_unreachable_server_is_registry_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from servers import free_port

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    with pytest.raises(RegistryUnavailable) as caught:
        promobot_registry.fetch("any", 1, tmp_path, f"http://127.0.0.1:{free_port()}")
    assert "could not be downloaded" in str(caught.value)
