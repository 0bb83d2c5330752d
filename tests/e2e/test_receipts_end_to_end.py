"""Receipts end to end (issue #21), against a real `mlflow server` with its own artifact
store (a folder it serves): versions trained and registered as CI does (`promobot
register`'s use case, a real scikit-learn model), promoted by promobot with a signing key,
then loaded by deployment code through `promobot.serving.load_model` and checked by
`promobot verify-load`, while the files, the stages and the tags are changed behind
promobot's back."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SERVICE_POLICY
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from servers import PROMOBOT, REPO, MlflowServer, promobot_env
from service_helpers import run

from bot.adapters.keys import Ed25519Signatures
from bot.adapters.mlflow.gateway import Registry
from bot.adapters.mlflow.tracking import current_tracking_uri
from bot.core.policy import load_policy
from bot.core.service import Service
from bot.core.service.common import Outside
from bot.core.service.registration import Registration
from promobot.serving import UnapprovedModel, load_model

pytestmark = pytest.mark.server

MODEL = "sentiment-classifier"
GIT = {"git_repository": "acme/models", "git_commit": "0123456789abcdef0123456789abcdef01234567"}


def pem(key: Ed25519PrivateKey, public: bool = False) -> str:
    if public:
        return (
            key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    workdir = tmp_path_factory.mktemp("receipts-server")
    started = MlflowServer(backend_uri=f"sqlite:///{workdir / 'mlflow.db'}", workdir=workdir)
    started.start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def env(server: MlflowServer, monkeypatch: pytest.MonkeyPatch, key: Ed25519PrivateKey) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
    monkeypatch.setenv("PROMOBOT_TRUSTED_KEYS", pem(key, public=True))


@pytest.fixture
def promobot(server: MlflowServer, key: Ed25519PrivateKey, env: None) -> Service:
    return Service(
        Registry(server.url),
        load_policy(SERVICE_POLICY),
        outside=Outside(signatures=Ed25519Signatures(pem(key), "")),
    )


def register(server: MlflowServer, accuracy: float) -> int:
    """Train and register a version as CI does: a run, a real model logged, `register`."""
    import mlflow
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    registration = Registration(Registry(server.url))
    run_id, _ = registration.start_run("receipts", GIT, {}, None)
    with current_tracking_uri(server.url), mlflow.start_run(run_id=run_id):
        mlflow.log_metrics({"accuracy": accuracy, "f1": accuracy})
        fitted = LogisticRegression().fit(np.array([[0.0], [1.0]]), [0, 1])
        mlflow.sklearn.log_model(fitted, name="model", pip_requirements=["scikit-learn"])
    registered = registration.register(MODEL, run_id, "model", {}, GIT)
    assert not isinstance(registered, str), registered
    return registered.version


def to_production(promobot: Service, version: int) -> None:
    assert run(promobot, "slack:U01BOB", f"promote {MODEL} v{version} staging ok").status == "done"
    asked = run(promobot, "slack:U01BOB", f"promote {MODEL} v{version} production better F1")
    assert asked.status == "pending", asked.reasons
    done = run(promobot, "slack:U01ALICE", f"approve {asked.request_id} checked")
    assert done.status == "done", done.reasons


def stored_pickle(server: MlflowServer, version: int) -> Path:
    """The version's weights file (model.skops in MLflow 3.17's sklearn flavour, model.pkl
    before) as the server's artifact store holds it."""
    from mlflow import MlflowClient

    mv = MlflowClient(server.url).get_model_version(MODEL, str(version))
    model_id = mv.source.removeprefix("models:/")
    found = [
        p
        for name in ("model.skops", "model.pkl")
        for p in (server.workdir / "artifacts").rglob(name)
        if model_id in str(p)
    ]
    assert len(found) == 1, found
    return found[0]


def verify_load(uri: str, key: Ed25519PrivateKey, server: MlflowServer) -> tuple[int, str]:
    done = subprocess.run(
        [str(PROMOBOT), "verify-load", uri, "--json"],
        env=promobot_env(
            {
                "MLFLOW_TRACKING_URI": server.url,
                "PROMOBOT_TRUSTED_KEYS": pem(key, public=True),
                "PYTHONPATH": os.pathsep.join(
                    p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p
                ),
            }
        ),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def test_an_approved_version_loads_and_one_changed_behind_promobot_does_not(
    promobot: Service, server: MlflowServer, key: Ed25519PrivateKey
) -> None:
    version = register(server, 0.9)
    to_production(promobot, version)
    loaded: Any = load_model(f"models:/{MODEL}/Production")
    assert list(loaded.predict([[0.0], [1.0]])) == [0, 1]
    assert load_model(f"models:/{MODEL}@production") is not None
    code, said = verify_load(f"models:/{MODEL}/Production", key, server)
    assert code == 0, said

    stored_pickle(server, version).write_bytes(b"not the approved model")
    with pytest.raises(UnapprovedModel) as refused:
        load_model(f"models:/{MODEL}/Production")
    assert refused.value.reason == "artifacts"
    assert "sha256:" in str(refused.value)
    code, said = verify_load(f"models:/{MODEL}/Production", key, server)
    assert code == 1, said
    assert json.loads(said.splitlines()[0])["status"] == "refused"
    kinds = [f.kind for f in promobot.drift_scan.scan([MODEL]).findings]
    assert "artifacts" in kinds


def test_a_receipt_from_a_key_no_longer_trusted_is_refused(
    promobot: Service, server: MlflowServer, key: Ed25519PrivateKey, monkeypatch: Any
) -> None:
    version = register(server, 0.93)
    to_production(promobot, version)
    other = Ed25519PrivateKey.generate()
    # Rotation: the old key and the new one trusted at once, then the old one removed.
    both = pem(key, public=True) + pem(other, public=True)
    assert load_model(f"models:/{MODEL}@production", trusted_keys=both) is not None
    with pytest.raises(UnapprovedModel) as gone:
        load_model(f"models:/{MODEL}@production", trusted_keys=pem(other, public=True))
    assert gone.value.reason == "unknown-key"


def test_files_changed_before_the_approval_stop_it_and_a_raw_move_has_no_receipt(
    promobot: Service, server: MlflowServer
) -> None:
    # Last of the promotions here: it leaves Production drifted.
    from mlflow import MlflowClient

    good = register(server, 0.94)
    to_production(promobot, good)
    swapped = register(server, 0.95)
    assert run(promobot, "slack:U01BOB", f"promote {MODEL} v{swapped} staging ok").status == "done"
    asked = run(promobot, "slack:U01BOB", f"promote {MODEL} v{swapped} production better")
    stored_pickle(server, swapped).write_bytes(b"swapped after the request")
    refused = run(promobot, "slack:U01ALICE", f"approve {asked.request_id}")
    assert refused.status == "refused"
    assert f"the files of v{swapped} changed since it was requested" in " ".join(refused.reasons)
    client = MlflowClient(server.url)
    assert client.get_model_version(MODEL, str(swapped)).current_stage == "Staging"

    # The lesson's raw stage move: Production moves, @production stays on the approved one.
    client.transition_model_version_stage(MODEL, str(swapped), "Production", True)
    with pytest.raises(UnapprovedModel) as raw:
        load_model(f"models:/{MODEL}/Production")
    assert raw.value.reason == "no-receipt"
    assert f"v{swapped}" in str(raw.value) and "Production" in str(raw.value)
    assert load_model(f"models:/{MODEL}@production") is not None


def test_bad_uris_are_sentences(env: None) -> None:
    for uri, reason in (
        ("runs:/abc/model", "bad-uri"),
        ("models:/", "bad-uri"),
        ("models:/no-such-model/Production", "no-model"),
    ):
        with pytest.raises(UnapprovedModel) as refused:
            load_model(uri)
        assert refused.value.reason == reason, (uri, str(refused.value))
