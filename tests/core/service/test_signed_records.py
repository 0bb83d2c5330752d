"""Signed records and receipts inside promobot (bot/core/service/signed_records.py, the
receipt of bot/core/service/execution.py, the audit's findings), on a real SQLite registry
with real Ed25519 keys. What deployment code checks: tests/promobot/test_serving.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SERVICE_POLICY, ModelFactory
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from service_helpers import run

from bot.adapters.keys import Ed25519Signatures
from bot.adapters.mlflow.gateway import Registry
from bot.core.policy import load_policy
from bot.core.service import Service
from bot.core.service.common import Outside
from bot.core.state import keys
from promobot.signatures import verify

MODEL = "sentiment-classifier"


def pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_pem(key: Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def signed(tracking_uri: str, clock: object, key: Ed25519PrivateKey) -> Service:
    signatures = Ed25519Signatures(pem(key), "")
    return Service(
        Registry(tracking_uri),
        load_policy(SERVICE_POLICY),
        clock=clock,  # type: ignore[arg-type]
        outside=Outside(signatures=signatures),
    )


def with_files(models: ModelFactory, tmp_path: Path, **metrics: float) -> tuple[int, Path]:
    """A version whose run logged a model file; returns it and the file as stored."""
    version = models.version(MODEL, **metrics)
    mv = models.client.get_model_version(MODEL, str(version))
    local = tmp_path / f"model-{version}.pkl"
    local.write_bytes(b"weights v1")
    models.client.log_artifact(mv.run_id, str(local), artifact_path="model")
    stored = Path(models.client.get_run(mv.run_id).info.artifact_uri.removeprefix("file://"))
    return version, stored / "model" / local.name


def trusted(key: Ed25519PrivateKey) -> dict[str, object]:
    from promobot.signatures import public_keys

    return public_keys(public_pem(key))


def test_each_record_and_the_receipt_are_signed(
    signed: Service, models: ModelFactory, tmp_path: Path, key: Ed25519PrivateKey
) -> None:
    version, _ = with_files(models, tmp_path, accuracy=0.9, f1=0.9)
    assert run(signed, "slack:U01BOB", f"promote {MODEL} v{version} staging ok").status == "done"
    tags = models.model_tags(MODEL)
    records = {k: v for k, v in tags.items() if k.startswith(keys.EVENT_PREFIX)}
    assert records, tags
    for value in records.values():
        assert verify(json.loads(value), trusted(key)) == ""
    receipt = json.loads(models.tags(MODEL, version)["promobot.receipt.Staging"])
    assert verify(receipt, trusted(key)) == ""
    assert (receipt["model"], receipt["version"], receipt["target"]) == (MODEL, version, "Staging")
    assert receipt["requested_by"] == {"person": "bob@example.com", "channel": "cli"}
    assert receipt["artifact_digest"].startswith("sha256:")
    assert receipt["event"] in records
    assert receipt["sig"]["kid"] == signed.deps.signatures.key_id  # type: ignore[union-attr]


def test_a_forged_approval_does_not_approve_and_the_audit_names_it(
    signed: Service, models: ModelFactory, tmp_path: Path
) -> None:
    version, _ = with_files(models, tmp_path, accuracy=0.9, f1=0.9)
    run(signed, "slack:U01BOB", f"promote {MODEL} v{version} staging ok")
    asked = run(signed, "slack:U01BOB", f"promote {MODEL} v{version} production better F1")
    assert asked.status == "pending"
    forged = keys.approval_key(asked.request_id, "alice")
    models.client.set_registered_model_tag(
        MODEL,
        forged,
        json.dumps({"actor": "slack:U01ALICE", "person": "alice", "at": "2026-11-25T10:00:00Z"}),
    )
    status = run(signed, "slack:U01BOB", f"status {MODEL}")
    assert [p["approvals"] for p in status.to_json()["data"]["pending"]] == [0]
    report = signed.drift_scan.scan([MODEL])
    unsigned = [f for f in report.findings if f.kind == "unsigned" and f.holder is None]
    assert [(f.tag, f.detail) for f in unsigned] == [(forged, "unsigned")]
    # A real approval carries the promotion out.
    assert run(signed, "slack:U01ALICE", f"approve {asked.request_id}").status == "done"
    assert models.stage(MODEL, version) == "Production"


def test_files_changed_after_the_request_stop_the_execution(
    signed: Service, models: ModelFactory, tmp_path: Path
) -> None:
    version, stored = with_files(models, tmp_path, accuracy=0.9, f1=0.9)
    run(signed, "slack:U01BOB", f"promote {MODEL} v{version} staging ok")
    asked = run(signed, "slack:U01BOB", f"promote {MODEL} v{version} production better F1")
    stored.write_bytes(b"weights somebody swapped in")
    before = models.snapshot(MODEL)["versions"]
    refused = run(signed, "slack:U01ALICE", f"approve {asked.request_id}")
    assert refused.status == "refused"
    assert f"the files of v{version} changed since it was requested" in " ".join(refused.reasons)
    assert models.stage(MODEL, version) == "Staging"
    assert models.snapshot(MODEL)["versions"] == before


def test_the_audit_reports_a_holder_without_a_receipt_and_changed_files(
    signed: Service, models: ModelFactory, tmp_path: Path
) -> None:
    first, stored = with_files(models, tmp_path, accuracy=0.9, f1=0.9)
    second, _ = with_files(models, tmp_path, accuracy=0.9, f1=0.9)
    run(signed, "slack:U01BOB", f"promote {MODEL} v{first} staging ok")
    assert signed.drift_scan.scan([MODEL]).findings == []
    stored.write_bytes(b"changed after the promotion")
    kinds = [(f.kind, f.holder) for f in signed.drift_scan.scan([MODEL]).findings]
    assert kinds == [("artifacts", first)]
    # The lesson's raw stage move: the new holder has no receipt.
    models.client.transition_model_version_stage(MODEL, str(second), "Staging", True)
    found = signed.drift_scan.scan([MODEL]).findings
    assert ("unsigned", second, "missing") in [(f.kind, f.holder, f.detail) for f in found]


def test_a_repair_writes_no_receipt(signed: Service, models: ModelFactory, tmp_path: Path) -> None:
    version, _ = with_files(models, tmp_path, accuracy=0.9, f1=0.9)
    models.client.transition_model_version_stage(MODEL, str(version), "Staging")
    said = run(signed, "slack:U01BOB", f"promote {MODEL} v{version} staging found it")
    assert said.status == "done"
    # Recorded as a promotion (a repair of the drift), but no receipt vouches for it.
    events = [v for k, v in models.model_tags(MODEL).items() if k.startswith(keys.EVENT_PREFIX)]
    assert [json.loads(v)["version"] for v in events] == [version]
    assert not any(k.startswith("promobot.receipt.") for k in models.tags(MODEL, version))


def test_the_audit_reports_a_holder_whose_old_receipt_a_repair_superseded(
    signed: Service, models: ModelFactory, tmp_path: Path, key: Ed25519PrivateKey
) -> None:
    # v1 carried out to Staging (a receipt), then v2; v1 put back by hand, and the drift
    # repaired by recording it: v1's receipt is no longer the newest execution there, so
    # deployment code refuses it (superseded) — and the audit must say so, not stay clean.
    from promobot.receipts import Version, check

    first, _ = with_files(models, tmp_path, accuracy=0.9, f1=0.9)
    second, _ = with_files(models, tmp_path, accuracy=0.9, f1=0.9)
    run(signed, "slack:U01BOB", f"promote {MODEL} v{first} staging ok")
    run(signed, "slack:U01BOB", f"promote {MODEL} v{second} staging ok")
    models.client.transition_model_version_stage(MODEL, str(first), "Staging", True)
    assert run(signed, "slack:U01BOB", f"promote {MODEL} v{first} staging found").status == "done"

    text = models.tags(MODEL, first)["promobot.receipt.Staging"]
    refused = check(Version(MODEL, first, "Staging"), text, models.model_tags(MODEL), trusted(key))
    assert [f.reason for f in refused[1]] == ["superseded"]
    found = [(f.kind, f.holder, f.tag) for f in signed.drift_scan.scan([MODEL]).findings]
    assert found == [("unsigned", first, "promobot.receipt.Staging")]
    [finding] = signed.drift_scan.scan([MODEL]).findings
    assert finding.detail.startswith("superseded: req-")
    assert f"put v{first} there after it" in finding.detail
