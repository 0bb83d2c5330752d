"""The command words from the terminal and `promobot policy check`
(bot/doors/cli/words.py), called as bot/cli.py calls them: what is printed where, and
the exit status (the whole `promobot` command: tests/test_cli.py)."""

from __future__ import annotations

import json

from conftest import SERVICE_POLICY

from bot.core.commands import help_text, parse
from bot.doors.cli.words import run_policy_check, run_words, usage_error

SETTINGS_PROBLEM = (
    "invalid settings in the environment: port: Input should be a valid integer, unable to "
    "parse string as an integer"
)


def test_help_is_answered_even_where_the_settings_cannot_be_read(capsys, monkeypatch) -> None:
    monkeypatch.setenv("PORT", "eighty")
    assert run_words("help lock", "", as_json=False) == 0
    out, err = capsys.readouterr()
    assert (out, err) == (help_text("lock") + "\n", "")
    assert run_words("help", "", as_json=True) == 0
    said = json.loads(capsys.readouterr().out)
    assert (said["status"], said["action"], said["data"]) == (
        "done",
        "help",
        {"help": help_text("")},
    )


def test_words_that_cannot_be_read_are_a_usage_error_on_stderr_with_where_to_look(capsys) -> None:
    assert run_words("promote m v3 prodution", "", as_json=False) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert (
        err == f"{parse('promote m v3 prodution').reply}\nRun `promobot --help` for the commands.\n"
    )


def test_a_command_stops_at_a_setting_that_cannot_be_read(capsys, monkeypatch) -> None:
    monkeypatch.setenv("PORT", "eighty")
    assert run_words("status sentiment-classifier", "cli:bob", as_json=False) == 2
    assert capsys.readouterr() == ("", f"{SETTINGS_PROBLEM}\n")
    assert run_words("status sentiment-classifier", "cli:bob", as_json=True) == 2
    said = json.loads(capsys.readouterr().out)
    assert (said["status"], said["reasons"]) == ("error", [SETTINGS_PROBLEM])


def test_policy_check_reads_the_policy_the_settings_name(capsys, monkeypatch) -> None:
    monkeypatch.setenv("PROMOBOT_POLICY", str(SERVICE_POLICY))
    assert run_policy_check([], as_json=False) == 0
    assert capsys.readouterr() == (f"{SERVICE_POLICY}: OK\n", "")
    assert run_policy_check(["--strict"], as_json=False) == 2
    assert capsys.readouterr().err == (
        "usage: `promobot policy check [PATH] [--resolve]`\n"
        "Run `promobot --help` for the commands.\n"
    )


def test_a_usage_error_with_json_is_the_envelope_alone(capsys) -> None:
    assert usage_error("usage: nope", as_json=True) == 2
    out, err = capsys.readouterr()
    assert err == "" and json.loads(out)["reasons"] == ["usage: nope"]


def test_signed_in_to_a_server_a_person_may_not_act_as_someone_else(
    capsys, monkeypatch, mlflow_auth_server
) -> None:
    """Against a real basic-auth server with a person's credentials: `--as` someone else
    (or PROMOBOT_ACTOR) is refused before anything is read or written; the same account
    named in PROMOBOT_SERVICE_USERS acts for whom it names."""
    import uuid

    from servers import AUTH_ADMIN, create_user

    username = f"dora-{uuid.uuid4().hex[:6]}"
    create_user(mlflow_auth_server.url, username, "dora-password-1234", by=AUTH_ADMIN)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_auth_server.url)
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", username)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "dora-password-1234")
    monkeypatch.setenv("PROMOBOT_POLICY", str(SERVICE_POLICY))

    assert run_words("promote sentiment-classifier v1 staging", "github:alice", False) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert f"You are signed in to MLflow as {username}" in err
    assert "Nothing was done." in err

    monkeypatch.setenv("PROMOBOT_ACTOR", "github:alice")
    assert run_words("status sentiment-classifier", "", True) == 1
    said = json.loads(capsys.readouterr().out)
    assert said["status"] == "refused"
    assert "only promobot's service accounts" in said["reasons"][0]

    monkeypatch.setenv("PROMOBOT_SERVICE_USERS", f"somebody, {username}")
    assert run_words("status sentiment-classifier", "", True) == 1  # no such model: refused
    said = json.loads(capsys.readouterr().out)
    assert "no registered model" in said["reasons"][0]
