"""`promobot compact` (bot/doors/cli/compact.py) against a real SQLite registry: progress
lines, `--json`, exit statuses, and what it leaves on the model."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from conftest import SERVICE_POLICY

from bot.cli import main

M = "sentiment-classifier"
DENIED = 30


def _denied_requests(client) -> None:
    """DENIED finished requests, written as promobot writes them (unsigned: no key set)."""
    start = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    for i in range(DENIED):
        at = (start + timedelta(minutes=i)).isoformat()
        rid = f"req-ab12{i:06x}"
        request = {
            "id": rid, "action": "promote", "model": M, "version": 1,
            "target_key": "production", "target_label": "Production", "actor": "slack:U01BOB",
            "reason": f"try {i}", "created_at": at, "expires_at": at, "channel": "slack",
        }  # fmt: skip
        client.set_registered_model_tag(M, f"mlflow.promobot.request.{rid}", json.dumps(request))
        outcome = {"state": "denied", "by": "alice@example.com", "at": at, "detail": "no"}
        client.set_registered_model_tag(
            M, f"mlflow.promobot.request.{rid}.state", json.dumps(outcome)
        )


@pytest.fixture
def cli_env(tracking_uri, monkeypatch, models):
    monkeypatch.setenv("PROMOBOT_POLICY", str(SERVICE_POLICY))
    models.version(M, accuracy=0.91, f1=0.874)
    _denied_requests(models.client)
    return models


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_compact_moves_what_is_finished_and_says_so_per_model(cli_env, capsys) -> None:
    before = cli(capsys, "audit", "export", M)
    code, out, _ = cli(capsys, "compact")
    assert code == 0
    assert out == f"{M}: {DENIED * 2 - 40} records moved to its ledger, 41 left on the model\n"
    assert cli(capsys, "audit", "export", M) == before
    code, out, _ = cli(capsys, "compact", M)
    assert (code, out) == (0, f"{M}: nothing to move (41 of promobot's records on the model)\n")


def test_compact_json_and_an_unknown_model(cli_env, capsys) -> None:
    code, out, _ = cli(capsys, "compact", M, "no-such-model", "--json")
    assert code == 1
    doc = json.loads(out)
    assert doc["status"] == "refused" and doc["action"] == "compact"
    assert doc["reasons"] == ["no-such-model: there is no registered model of that name"]
    assert doc["data"]["models"] == [{"model": M, "moved": 20, "left": 41}]


@pytest.mark.parametrize(
    ("args", "code", "phrase"),
    [
        (["compact", "--bad"], 2, "unknown option '--bad'"),
        (["--server", "http://127.0.0.1:9", "compact"], 2, "compact"),
    ],
)
def test_usage_errors(cli_env, capsys, args, code, phrase) -> None:
    got, out, err = cli(capsys, *args)
    assert got == code and phrase in out + err


def test_help(capsys) -> None:
    code, out, _ = cli(capsys, "compact", "--help")
    assert code == 0 and "promobot compact [MODEL…] [--json]" in out
    assert "promobot compact [MODEL…]" in cli(capsys, "--help")[1]


def test_compact_waits_for_another_run_and_says_so(cli_env, capsys, tracking_uri) -> None:
    import threading

    from bot.adapters.mlflow.gateway import Registry
    from bot.core.state.keys import compaction_bucket

    held, release = threading.Event(), threading.Event()

    def other_run() -> None:
        with Registry(tracking_uri).mutex(compaction_bucket(M), M, "compaction") as owner:
            held.set()
            release.wait(30)
            ran.append(owner)

    ran: list[str] = []
    other = threading.Thread(target=other_run)
    other.start()
    try:
        assert held.wait(30)
        threading.Timer(1.0, release.set).start()
        code, out, _ = cli(capsys, "compact", M)
    finally:
        release.set()
        other.join()
    first, second = out.splitlines()
    assert first == f"{M}: another run is compacting it ({ran[0]}); waiting for it…"
    assert second == f"{M}: {DENIED * 2 - 40} records moved to its ledger, 41 left on the model"
    assert code == 0


def test_compact_gives_up_on_a_run_that_holds_on_and_says_to_run_it_again(
    cli_env, capsys, tracking_uri, monkeypatch
) -> None:
    from bot.adapters.mlflow.gateway import Registry
    from bot.core.service import archive
    from bot.core.state.keys import compaction_bucket

    monkeypatch.setattr(archive, "WAIT_FOR_OTHERS_S", 0)
    with Registry(tracking_uri).mutex(compaction_bucket(M), M, "compaction") as owner:
        code, out, _ = cli(capsys, "compact", M, "--json")
    assert code == 3
    said = json.loads(out)
    assert said["status"] == "error"
    assert said["reasons"] == [f"{M}: another run ({owner}) is still compacting it"]
    assert said["data"]["models"] == []


def test_a_holder_planted_in_mlflow_reaches_the_terminal_inert(
    cli_env, capsys, tracking_uri, monkeypatch
) -> None:
    """Anyone may create a lock model on an unguarded registry: its owner tag is shown
    without its control sequences."""
    import time

    from bot.core.service import archive
    from bot.core.state.keys import (
        LOCK_EXPIRES_TAG,
        LOCK_OWNER_TAG,
        compaction_bucket,
        lock_model_name,
    )

    monkeypatch.setattr(archive, "WAIT_FOR_OTHERS_S", 0)
    planted = "evil\x1b]0;pwned\x07\x1b[2J"
    cli_env.client.create_registered_model(
        lock_model_name(compaction_bucket(M)),
        tags={LOCK_OWNER_TAG: planted, LOCK_EXPIRES_TAG: f"{time.time() + 600:.3f}"},
    )
    code, out, err = cli(capsys, "compact", M)
    assert code == 3
    shown = "evil\ufffd]0;pwned\ufffd\ufffd[2J"
    assert out == (
        f"{M}: another run ({shown}) is still compacting it; "
        f"run `promobot compact {M}` again later\n"
    )
    assert "\x1b" not in out + err
