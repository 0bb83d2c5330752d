"""`promobot verify-load MODEL_URI` (bot/doors/cli/verify_load.py) against a real
`mlflow server` (the session's): each exit status, the text and the `--json` envelope.
The receipts are written by hand as promobot would (tests/receipt_writer.py)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from receipt_writer import TRUSTED, Logged, Registry, served_registry

from bot.cli import main
from bot.doors.cli.verify_load import VERIFY_LOAD_HELP
from promobot.keys import key_id, private_key, private_pem, public_keys

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def registry(mlflow_server) -> Iterator[Registry]:
    with served_registry(mlflow_server) as served:
        yield served


@pytest.fixture(scope="module")
def logged(registry: Registry) -> Logged:
    return registry.log()


@pytest.fixture(scope="module")
def model(registry: Registry, logged: Logged) -> str:
    """v1 carried out to Production by promobot; v2 then moved to Staging by hand."""
    name = registry.versions(logged, 2)
    registry.carry_out(name, 1, "Production", logged)
    registry.move(name, 2, "Staging")
    return name


@pytest.fixture
def trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMOBOT_TRUSTED_KEYS", TRUSTED)


def test_exit_0_when_it_would_load(model: str, trusted, capsys) -> None:
    uri = f"models:/{model}/Production"
    assert main(["verify-load", uri]) == 0
    out, err = capsys.readouterr()
    kid = next(iter(public_keys(TRUSTED)))
    assert out.splitlines()[0].startswith(
        f"✅ {uri} would load: {model} v1, carried out to Production"
    )
    assert "asked by bob@example.com (slack); approved by alice@example.com (github)" in out
    assert f"receipt signed with key {kid}" in out
    assert err == ""
    assert main(["verify-load", f"models:/{model}@production", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert (body["status"], body["action"], body["model"], body["version"], body["target"]) == (
        "done",
        "verify-load",
        model,
        1,
        "Production",
    )
    assert body["data"]["key_id"] == kid
    assert body["data"]["receipt"]["artifact_digest"] == body["data"]["artifact_digest"]


def test_exit_1_with_the_reason(model: str, trusted, capsys) -> None:
    uri = f"models:/{model}/Staging"
    assert main(["verify-load", uri]) == 1
    out, _ = capsys.readouterr()
    assert out.startswith(f"❌ {uri} would be refused (no-receipt): no receipt for v2 in Staging")
    assert main(["verify-load", uri, "--json"]) == 1
    body = json.loads(capsys.readouterr().out)
    assert (body["status"], body["version"], body["target"], body["data"]["reason"]) == (
        "refused",
        2,
        "Staging",
        "no-receipt",
    )
    assert body["reasons"][0].startswith("no receipt for v2 in Staging")


def test_the_signing_keys_public_half_is_trusted(
    model: str, capsys, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from receipt_writer import KEY

    monkeypatch.delenv("PROMOBOT_TRUSTED_KEYS", raising=False)
    assert main(["verify-load", f"models:/{model}/Production"]) == 1
    assert "(no-keys)" in capsys.readouterr().out
    signing = tmp_path / "promobot-signing.pem"
    signing.write_text(private_pem(KEY))
    monkeypatch.setenv("PROMOBOT_SIGNING_KEY", str(signing))
    assert key_id(private_key(str(signing)).public_key()) == next(iter(public_keys(TRUSTED)))
    assert main(["verify-load", f"models:/{model}/Production"]) == 0


def test_exit_2_usage_and_bad_key_settings(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["verify-load"]) == 2
    assert "usage: `promobot verify-load MODEL_URI [--json]`" in capsys.readouterr().err
    assert main(["verify-load", "models:/a/1", "models:/b/1"]) == 2
    capsys.readouterr()
    monkeypatch.setenv("PROMOBOT_SIGNING_KEY", "/no/such/signing.pem")
    assert main(["verify-load", "models:/a/1"]) == 2
    err = capsys.readouterr().err
    assert "PROMOBOT_SIGNING_KEY: the signing key file /no/such/signing.pem does not exist" in err
    assert main(["verify-load", "--help"]) == 0
    assert capsys.readouterr().out == VERIFY_LOAD_HELP


def test_exit_3_when_mlflow_is_unreachable(trusted, capsys, monkeypatch) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    assert main(["verify-load", "models:/m/Production"]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("promobot verify-load: MLflow could not be reached or failed")
    assert "Traceback" not in err
    assert main(["verify-load", "models:/m/Production", "--json"]) == 3
    assert json.loads(capsys.readouterr().out)["status"] == "error"
