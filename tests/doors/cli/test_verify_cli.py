"""`promobot verify` (bot/doors/cli/verify.py): one line per verification run, the
counts, and the exit status; its options (a verification failing and acted on, and no
MLflow: tests/core/service/test_watch_gates.py, as a real process)."""

from __future__ import annotations

import json

import pytest
from conftest import SERVICE_POLICY

from bot.core.service.verification import VerifyOutcome
from bot.doors.cli.verify import VERIFY_HELP, outcome_line, run_verify


@pytest.mark.parametrize(
    ("state", "line"),
    [
        ("passed", "✅ m v2 on Production: passed: watched for 30m"),
        ("failed", "❌ m v2 on Production: failed: watched for 30m"),
        ("ended", "⏹ m v2 on Production: ended: watched for 30m"),
        ("running", "🔎 m v2 on Production: running: watched for 30m"),
    ],
    ids=["passed", "failed", "ended", "running"],
)
def test_one_line_per_verification(state: str, line: str) -> None:
    assert outcome_line(VerifyOutcome("m", "Production", 2, state, "watched for 30m")) == line


def test_help_and_unexpected_words(capsys) -> None:
    assert run_verify(["--help"], as_json=False) == 0
    assert capsys.readouterr() == (VERIFY_HELP, "")
    assert run_verify(["now"], as_json=False) == 2
    assert capsys.readouterr() == (
        "",
        "promobot verify: unexpected 'now'\nRun `promobot verify --help` for the options.\n",
    )


@pytest.fixture
def env(tracking_uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMOBOT_POLICY", str(SERVICE_POLICY))


def test_with_nothing_to_verify_it_says_so_and_exits_0(env, capsys) -> None:
    assert run_verify([], as_json=False) == 0
    assert capsys.readouterr() == ("verify: 0 verification(s) run, 0 failed\n", "")
    assert run_verify([], as_json=True) == 0
    assert json.loads(capsys.readouterr().out) == {"outcomes": []}


def test_an_invalid_policy_stops_it_with_exit_1(capsys, monkeypatch, tmp_path) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text("models: {}\n")
    monkeypatch.setenv("PROMOBOT_POLICY", str(bad))
    assert run_verify([], as_json=False) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines()[0] == "The policy files are invalid; promobot stops here."
    assert err.splitlines()[1].startswith(f"  {bad}:1: models: expected a list")
