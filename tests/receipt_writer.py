"""The test plays promobot's writer: it signs a history event and a receipt with a test key
through promobot.signatures.sign and writes them as tags on a real `mlflow server`, the
way promobot's execution does (tests/promobot/test_serving.py,
tests/doors/cli/test_verify_load_cli.py). The artifact digest is taken from the files
the server stores, not from a download: the loader's download must agree with them.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from promobot.keys import public_pem
from promobot.signatures import EVENT_PREFIX, artifact_digest, receipt_key, sign

KEY = Ed25519PrivateKey.generate()
TRUSTED = public_pem(KEY)


@dataclass
class Logged:
    """A logged model on the server, and the folder where the server keeps its files."""

    source: str  # models:/m-…
    run_id: str
    files: Path


@dataclass
class Registry:
    """A real server's registry, with promobot's writes done by hand."""

    client: Any
    url: str
    artifacts: Path
    experiment: str

    def log(self) -> Logged:
        """A tiny scikit-learn model logged into a new run (as training does)."""
        import mlflow
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression().fit(np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1])
        with mlflow.start_run(experiment_id=self.experiment) as run:
            # Requirements given: inferring them takes seconds per model.
            info = mlflow.sklearn.log_model(model, name="model", pip_requirements=["scikit-learn"])
        [files] = self.artifacts.glob(f"*/models/{info.model_id}/artifacts")
        return Logged(f"models:/{info.model_id}", run.info.run_id, files)

    def log_files(self, where: Path, files: dict[str, bytes]) -> Logged:
        """A `mlflow.pyfunc` model whose artifact is a folder holding `files` (relative
        paths: `artifacts/data/<path>` in the model), logged into a new run."""
        import mlflow
        import mlflow.pyfunc

        where = where / "data"  # the folder's name in the model
        for name, content in files.items():
            path = where / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        with mlflow.start_run(experiment_id=self.experiment) as run:
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=echo_model(),
                artifacts={"data": str(where)},
                pip_requirements=["mlflow"],
            )
        [stored] = self.artifacts.glob(f"*/models/{info.model_id}/artifacts")
        return Logged(f"models:/{info.model_id}", run.info.run_id, stored)

    def versions(self, logged: Logged, count: int = 1) -> str:
        """A new registered model with `count` versions of the logged model."""
        name = f"serving-{uuid.uuid4().hex[:8]}"
        self.client.create_registered_model(name)
        for _ in range(count):
            self.client.create_model_version(
                name, logged.source, logged.run_id, model_id=logged.source.removeprefix("models:/")
            )
        return name

    def carry_out(
        self,
        name: str,
        version: int,
        target: str,
        logged: Logged,
        *,
        key: Ed25519PrivateKey = KEY,
        request: str = "",
    ) -> tuple[str, dict]:
        """What promobot's execution writes, then the move: the signed history event on
        the model, the signed receipt on the version, the stage (and its mirrored alias)
        or the alias. Returns the event's key and the receipt."""
        request = request or f"req-{uuid.uuid4().hex[:10]}"
        event_key = f"{EVENT_PREFIX}{int(time.time() * 1000):013d}.{time.time_ns():020d}.{request}"
        event = {"kind": "promote", "target_label": target, "version": version}
        event.update(request=request, at="2026-11-26T10:02:00Z")
        self.client.set_registered_model_tag(name, event_key, json.dumps(sign(event, key)))
        receipt = sign(receipt_body(name, version, target, logged, request, event_key), key)
        self.client.set_model_version_tag(
            name, str(version), receipt_key(target), json.dumps(receipt)
        )
        self.move(name, version, target)
        return event_key, receipt

    def move(self, name: str, version: int, target: str) -> None:
        """The move alone, as anyone with MLflow's permissions could make it."""
        if target.startswith("@"):
            self.client.set_registered_model_alias(name, target[1:], str(version))
            return
        self.client.transition_model_version_stage(
            name, str(version), target, archive_existing_versions=True
        )
        self.client.set_registered_model_alias(name, target.lower(), str(version))


def echo_model() -> Any:
    """The python_model of Registry.log_files (defined here, not at the top: importing
    this module does not import mlflow)."""
    import mlflow.pyfunc

    class Echo(mlflow.pyfunc.PythonModel):
        def predict(self, context: Any, model_input: list[Any], params: Any = None) -> Any:
            return model_input

    return Echo()


def receipt_body(
    name: str, version: int, target: str, logged: Logged, request: str, event_key: str
) -> dict:
    return {
        "v": 1,
        "model": name,
        "version": version,
        "target": target,
        "run_id": logged.run_id,
        "source": logged.source,
        # The stored files, as the server keeps them: no download involved.
        "artifact_digest": artifact_digest(logged.files),
        "request": request,
        "request_digest": "sha256:" + "0" * 64,
        "requested_by": {"person": "bob@example.com", "channel": "slack"},
        "approved_by": [{"person": "alice@example.com", "channel": "github"}],
        "policy_digest": "sha256:" + "1" * 64,
        "at": "2026-11-26T10:02:00Z",
        "previous": None,
        "event": event_key,
    }


@contextmanager
def served_registry(server: Any) -> Iterator[Registry]:
    """MLflow pointed at `server` (an mlflow server serving artifacts, tests/servers.py)
    while the block runs, with an experiment of its own and no trusted keys from the
    environment."""
    import mlflow
    from mlflow import MlflowClient

    with pytest.MonkeyPatch.context() as env:
        env.setenv("MLFLOW_TRACKING_URI", server.url)
        env.delenv("PROMOBOT_TRUSTED_KEYS", raising=False)
        env.delenv("PROMOBOT_SIGNING_KEY", raising=False)
        mlflow.set_tracking_uri(server.url)
        client = MlflowClient()
        experiment = client.create_experiment(f"receipts-{uuid.uuid4().hex[:8]}")
        try:
            yield Registry(client, server.url, server.workdir / "artifacts", experiment)
        finally:
            mlflow.set_tracking_uri(None)  # type: ignore[arg-type]
