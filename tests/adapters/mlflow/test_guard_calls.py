"""The gateway's question "is this registry guarded?" on a local store, and the audit's
notice there (servers: tests/adapters/mlflow/test_guard_server.py)."""

from __future__ import annotations

from conftest import SERVICE_POLICY

from bot.adapters.mlflow.gateway import Registry
from bot.cli import main


def test_a_local_store_is_never_guarded_and_the_audit_says_so(
    tracking_uri: str, monkeypatch, capsys
) -> None:
    found = Registry(tracking_uri).guard()
    assert not found.guarded
    assert found.why.endswith("is a local store")

    monkeypatch.setenv("PROMOBOT_POLICY", str(SERVICE_POLICY))
    assert main(["audit"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == "audit: 0 models checked, nothing drifted"
    assert captured.err == (
        f"⚠ the registry is not guarded ({tracking_uri} is a local store): anyone with "
        "MLflow write access can act as anyone. docs/security.md says how to guard it.\n"
        "⚠ promobot's records are not signed (PROMOBOT_SIGNING_KEY is not set): a record "
        "written straight into MLflow counts like promobot's own, and deployment code has no "
        "receipt to check. docs/security.md says how to set the keys.\n"
    )

    # With a signing key, the second line goes.
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    monkeypatch.setenv("PROMOBOT_SIGNING_KEY", key.decode())
    assert main(["audit"]) == 0
    assert "not signed" not in capsys.readouterr().err
