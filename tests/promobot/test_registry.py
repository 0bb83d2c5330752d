"""promobot/registry.py's fetch on a local registry (SQLite, the artifacts in a folder):
no artifact proxy to stream from, so MLflow downloads the files and the folder is hashed
after; the same digest and the same checks as from a server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from receipt_writer import TRUSTED, Registry

from promobot import registry
from promobot.digest import DOWNLOAD_ONLY_FILES, artifact_digest
from promobot.serving import UnapprovedModel, verify

FILES = {"deep/er/weights.bin": b"\1" * 1000, "deep/empty.txt": b"", "top.txt": b"top"}


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
    logged = local.log_files(tmp_path / "files", FILES)
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
