"""The `promobot` command in-process: output, --json, --as, and exit status."""

from __future__ import annotations

import json

import pytest
from conftest import SERVICE_POLICY
from cut_off import cut_off

from bot.cli import main

M = "sentiment-classifier"


@pytest.fixture
def cli_env(tracking_uri, monkeypatch, models):
    monkeypatch.setenv("PROMOBOT_POLICY", str(SERVICE_POLICY))
    monkeypatch.delenv("PROMOBOT_ACTOR", raising=False)
    models.version(M, accuracy=0.91, f1=0.874)
    models.version(M, accuracy=0.93, f1=0.89)
    return models


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_promote_prints_outcome_and_exits_0(cli_env, capsys):
    code, out, _ = cli(
        capsys, "promote", M, "v1", "staging", "first", "cut", "--as", "slack:U01BOB"
    )
    assert code == 0
    first = out.splitlines()[0]
    assert first.startswith("🚀") and f"{M} v1 → Staging" in first
    assert f"models:/{M}/Staging" in out
    assert cli_env.tags(M, 1)["promotion_reason"] == "first cut"
    assert cli_env.tags(M, 1)["promotion_channel"] == "cli"


def test_json_output_has_the_contract_keys(cli_env, capsys):
    cli(capsys, "promote", M, "v1", "staging", "x", "--as", "github:bob")
    code, out, _ = cli(
        capsys, "--json", "promote", M, "v1", "production", "y", "--as", "github:bob"
    )
    assert code == 0
    obj = json.loads(out)
    assert {k: obj[k] for k in ("status", "model", "version", "target", "reasons")} == {
        "status": "pending",
        "model": M,
        "version": 1,
        "target": "Production",
        "reasons": [],
    }
    assert obj["request_id"].startswith("req-")
    code, out, _ = cli(capsys, "approve", obj["request_id"], "--as", "bob@example.com", "--json")
    refused = json.loads(out)
    assert code == 1 and refused["status"] == "refused"
    assert "own request" in refused["reasons"][0]
    code, out, _ = cli(capsys, "approve", obj["request_id"], "--as=github:alice", "--json")
    assert code == 0 and json.loads(out)["status"] == "done"
    assert cli_env.stage(M, 1) == "Production"


def test_actor_defaults_to_env_then_user(cli_env, capsys, monkeypatch):
    monkeypatch.setenv("PROMOBOT_ACTOR", "slack:U01BOB")
    code, _, _ = cli(capsys, "promote", M, "v1", "staging")
    assert code == 0
    assert cli_env.tags(M, 1)["requested_by"] == "bob@example.com"
    monkeypatch.delenv("PROMOBOT_ACTOR")
    monkeypatch.setenv("USER", "mallory")
    code, out, _ = cli(capsys, "promote", M, "v2", "staging")
    assert code == 1 and "mallory" in out


@pytest.mark.parametrize(
    ("args", "code", "phrase"),
    [
        (["promote", M, "v1", "prodution"], 2, "Did you mean `production`"),
        (["promte", M, "v1", "staging"], 2, "promote"),
        (["--as"], 2, "--as needs an identity"),
        (["promote", M, "v9", "staging"], 1, "has no version 9"),
        (["status", "nope-model"], 1, "no registered model"),
    ],
    ids=["typo-target", "typo-command", "as-without-value", "missing-version", "missing-model"],
)
def test_exit_status_for_bad_input(cli_env, capsys, args, code, phrase):
    before = cli_env.all_models()
    got, out, err = cli(capsys, *args, "--as", "github:alice")
    assert got == code
    assert phrase in out + err
    assert "Traceback" not in out + err
    assert cli_env.all_models() == before


def test_unreachable_mlflow_exits_3(capsys, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    monkeypatch.setenv("PROMOBOT_POLICY", str(SERVICE_POLICY))
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    code, out, _ = cli(capsys, "status", M, "--json")
    assert code == 3
    obj = json.loads(out)
    assert obj["status"] == "error" and "127.0.0.1:9" in obj["reasons"][0]


def test_invalid_policy_stops_with_file_and_line(cli_env, capsys, monkeypatch, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("people: {}\ngroups: {}\nmodels:\n  - name: m\n    targetz: {}\n")
    monkeypatch.setenv("PROMOBOT_POLICY", str(bad))
    code, _, err = cli(capsys, "status", M)
    assert code == 1
    assert "bad.yaml:5" in err and "targetz" in err


def test_policy_check(capsys, tmp_path):
    code, out, _ = cli(capsys, "policy", "check", str(SERVICE_POLICY))
    assert code == 0 and "OK" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text("people: {}\ngroups:\n  leads: [ghost]\nmodels: []\n")
    code, _, err = cli(capsys, "policy", "check", str(bad))
    assert code == 1 and "bad.yaml:3" in err and "ghost" in err


def test_help_and_history_and_status_render_tables(cli_env, capsys):
    code, out, _ = cli(capsys, "--help")
    assert code == 0 and "promote <model> <version> <target>" in out
    cli(capsys, "promote", M, "v1", "staging", "x", "--as", "github:bob")
    code, out, _ = cli(capsys, "status", M)
    assert code == 0 and "Staging" in out and "v1" in out
    code, out, _ = cli(capsys, "history", M, "--limit", "5")
    assert code == 0 and "v1 → Staging" in out
    code, out, _ = cli(capsys, "help", "rollback")
    assert code == 0 and "rollback" in out


# ---- the --json envelope, exactly as printed ----------------------------------------------
# Each way the CLI answers prints one object with the contract's keys in this order. The
# answers that are not a command's result (help, a usage error, a failure before the
# service answers, `policy check`) escape non-ASCII characters; a command's result does not.

CONTRACT = ["status", "request_id", "model", "version", "target", "reasons"]


def _envelope(status: str, reasons: list[str], **rest: object) -> dict[str, object]:
    base: dict[str, object] = dict.fromkeys(CONTRACT)
    return {**base, "status": status, "reasons": reasons, **rest}


def test_json_help_is_a_done_envelope_with_the_text(capsys):
    from bot.core.commands import help_text

    code, out, _ = cli(capsys, "help", "--json")
    assert code == 0
    expected = _envelope("done", [], action="help", data={"help": help_text("")})
    assert out == json.dumps(expected) + "\n"
    assert "\\u2026" in out  # `[reason…]`, escaped


def test_json_help_for_one_command(capsys):
    from bot.core.commands import help_text

    code, out, _ = cli(capsys, "--json", "help", "rollback")
    assert code == 0
    expected = _envelope("done", [], action="help", data={"help": help_text("rollback")})
    assert out == json.dumps(expected) + "\n"


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--json", "--as"], "--as needs an identity, e.g. `--as github:alice`"),
        (["--json", "--as="], "--as needs an identity, e.g. `--as github:alice`"),
        (
            ["policy", "check", "a", "b", "--json"],
            "usage: `promobot policy check [PATH] [--resolve]`",
        ),
    ],
    ids=["as-without-value", "as-empty", "policy-check-two-paths"],
)
def test_json_usage_error_has_no_action(capsys, args, problem):
    code, out, err = cli(capsys, *args)
    assert code == 2
    assert out == json.dumps(_envelope("error", [problem])) + "\n"
    assert err == ""


def test_json_usage_error_from_the_parser_escapes_non_ascii(capsys):
    from bot.core.commands import parse

    code, out, _ = cli(capsys, "promte", "x", "--json")
    assert code == 2
    reply = parse("promte x").reply
    assert out == json.dumps(_envelope("error", [reply])) + "\n"
    assert "\\u2026" in out


def test_json_unreachable_mlflow_is_an_error_envelope(capsys, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    monkeypatch.setenv("PROMOBOT_POLICY", str(SERVICE_POLICY))
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    code, out, _ = cli(capsys, "status", M, "--json")
    assert code == 3
    obj = json.loads(out)
    assert list(obj) == CONTRACT
    assert out == json.dumps(_envelope("error", obj["reasons"])) + "\n"
    assert len(obj["reasons"]) == 1 and obj["reasons"][0].startswith("MLflow is unreachable")


def test_json_invalid_policy_is_a_refused_envelope(cli_env, capsys, monkeypatch, tmp_path):
    from bot.core.policy import check

    bad = tmp_path / "bad.yaml"
    bad.write_text("people: {}\ngroups: {}\nmodels:\n  - name: m\n    targetz: {}\n")
    monkeypatch.setenv("PROMOBOT_POLICY", str(bad))
    code, out, err = cli(capsys, "status", M, "--json")
    assert code == 1 and err == ""
    headline = "The policy files are invalid; promobot stops here."
    expected = _envelope("refused", [headline, *check(str(bad))])
    assert out == json.dumps(expected) + "\n"


def test_json_policy_check(capsys, tmp_path):
    code, out, _ = cli(capsys, "policy", "check", str(SERVICE_POLICY), "--json")
    assert code == 0
    assert out == json.dumps(_envelope("done", [])) + "\n"
    bad = tmp_path / "bad.yaml"
    bad.write_text("people: {}\ngroups:\n  leads: [ghost]\nmodels: []\n")
    code, out, _ = cli(capsys, "--json", "policy", "check", str(bad))
    assert code == 1
    problems = json.loads(out)["reasons"]
    assert problems and "bad.yaml:3" in problems[0]
    assert out == json.dumps(_envelope("refused", problems)) + "\n"


def test_json_command_result_keeps_non_ascii_and_has_action_and_data(cli_env, capsys):
    code, out, _ = cli(
        capsys, "--json", "promote", M, "v1", "staging", "café", "--as", "github:bob"
    )
    assert code == 0
    obj = json.loads(out)
    assert list(obj) == [*CONTRACT, "action", "data"]
    assert obj["status"] == "done" and obj["action"] == "promote"
    assert out == json.dumps(obj, ensure_ascii=False) + "\n"
    code, out, _ = cli(capsys, "--json", "history", M)
    assert code == 0 and '"reason": "café"' in out
    code, out, _ = cli(capsys, "--json", "promote", M, "v1", "production", "--as", "github:bob")
    refused = json.loads(out)
    assert code == 1 and refused["status"] == "refused" and refused["reasons"]
    assert list(refused) == [*CONTRACT, "action", "data"]


# ---- locks ---------------------------------------------------------------------------------


def test_lock_and_unlock_from_the_terminal(cli_env, capsys):
    cli(capsys, "promote", M, "v1", "staging", "x", "--as", "github:bob")

    code, out, _ = cli(
        capsys,
        "--json",
        "lock",
        M,
        "production",
        "incident",
        "4711",
        "--for",
        "2h",
        "--as",
        "github:alice",
    )

    assert code == 0
    locked = json.loads(out)
    assert (locked["status"], locked["action"], locked["target"]) == ("done", "lock", "Production")
    (lock,) = locked["data"]["locks"]
    assert (lock["target"], lock["by"], lock["reason"]) == (
        "Production",
        "alice@example.com",
        "incident 4711",
    )
    assert lock["until"] is not None and lock["until"].endswith("+00:00")
    before = cli_env.all_models()

    code, out, _ = cli(capsys, "promote", M, "v1", "production", "shadow", "--as", "github:bob")

    assert code == 1
    assert "is locked by alice@example.com since" in out and '("incident 4711")' in out
    assert "❌ lock" in out
    assert cli_env.all_models() == before

    code, out, _ = cli(capsys, "unlock", M, "production", "--as", "github:mallory")
    assert code == 1 and "github:mallory is not in the policy's people" in out
    code, out, _ = cli(capsys, "--json", "status", M)
    assert [lock["target"] for lock in json.loads(out)["data"]["locks"]] == ["Production"]
    assert cli_env.all_models() == before

    code, out, _ = cli(capsys, "unlock", M, "production", "--as", "github:bob")
    assert code == 0 and out.startswith(f"🔓 {M} → Production unlocked")
    code, out, _ = cli(capsys, "history", M)
    assert "🔓 unlocked Production" in out and "🔒 locked Production until" in out


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["lock", M, "--for", "nonsense"], "`--for` takes a duration"),
        (["lock", M, "production", "--for"], "`--for` needs a duration"),
        (["unlock", M, "production", "please"], "is extra"),
    ],
    ids=["for-nonsense", "for-missing", "unlock-extra"],
)
def test_bad_lock_commands_are_usage_errors_that_write_nothing(cli_env, capsys, args, phrase):
    before = cli_env.all_models()
    code, out, err = cli(capsys, *args, "--as", "github:alice")
    assert code == 2 and phrase in err and "Traceback" not in out + err
    assert cli_env.all_models() == before


# ---- GitHub teams and Slack user groups ----------------------------------------------------


@pytest.fixture
def lookups(monkeypatch):
    """The fake GitHub and Slack that hold the teams of tests/fixtures/groups_policy.yaml,
    and the environment that points promobot at them."""
    from group_fakes import GROUPS_POLICY, group_fakes

    with group_fakes() as fakes:
        monkeypatch.setenv("PROMOBOT_POLICY", str(GROUPS_POLICY))
        monkeypatch.setenv("GITHUB_API_URL", fakes.github.url)
        monkeypatch.setenv("GITHUB_TOKEN", "ghs_test_token")
        monkeypatch.setenv("SLACK_API_URL", fakes.slack.api_url)
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
        yield fakes


def test_policy_check_is_offline_and_resolve_reads_each_lookup(lookups, capsys):
    code, out, err = cli(capsys, "policy", "check")
    assert (code, err) == (0, "")
    assert lookups.github.team_calls() == [] and lookups.slack_lookups() == 0

    code, out, err = cli(capsys, "policy", "check", "--resolve")

    assert (code, err) == (0, "")
    assert out.splitlines()[1:] == [
        "github-team:acme/ml-leads: 4 members: alice, bob, dave, github:zed",
        "slack-group:S0SRE: 3 members: carol, dave, slack:U0SAM",
    ]


def test_policy_check_resolve_reports_each_failure_and_exits_1(lookups, capsys, monkeypatch):
    lookups.github.team_answer = "502"
    monkeypatch.delenv("SLACK_BOT_TOKEN")

    code, out, err = cli(capsys, "policy", "check", "--resolve")

    assert code == 1
    assert out.endswith(": OK\n")
    assert err.splitlines() == [
        "2 lookups failed:",
        "github-team:acme/ml-leads could not be read: GitHub answered 502",
        "slack-group:S0SRE could not be read: SLACK_BOT_TOKEN is not set, so Slack user "
        "groups cannot be read",
    ]
    code, out, _ = cli(capsys, "policy", "check", "--resolve", "--json")
    obj = json.loads(out)
    assert (code, obj["status"]) == (1, "refused")
    assert obj["reasons"][0] == "github-team:acme/ml-leads could not be read: GitHub answered 502"
    assert obj["data"]["lookups"]["slack-group:S0SRE"] == {
        "error": "SLACK_BOT_TOKEN is not set, so Slack user groups cannot be read"
    }


def test_policy_check_resolve_with_no_team_says_there_is_nothing_to_look_up(capsys):
    from conftest import SERVICE_POLICY

    code, out, _ = cli(capsys, "policy", "check", str(SERVICE_POLICY), "--resolve")

    assert code == 0
    assert "nothing to look up" in out


@pytest.mark.parametrize(
    ("entry", "needle"),
    [
        ('"gitlab-team:acme/leads"', "has an unknown prefix `gitlab-team:`"),
        ('"github-team:acme/ML Leads"', "is not a team slug"),
        ('"slack-group:"', "has no user group id"),
    ],
    ids=["unknown-prefix", "odd-slug", "empty-id"],
)
def test_a_bad_group_entry_stops_every_command_and_nothing_is_written(
    cli_env, capsys, monkeypatch, tmp_path, entry, needle
):
    bad = tmp_path / "bad.yaml"
    text = SERVICE_POLICY.read_text().replace(
        "ml-leads: [alice, erin]", f"ml-leads: [alice, {entry}]"
    )
    bad.write_text(text)
    monkeypatch.setenv("PROMOBOT_POLICY", str(bad))
    before = cli_env.all_models()
    line = next(n for n, t in enumerate(text.splitlines(), 1) if t.startswith("  ml-leads:"))

    check_code, _, check_err = cli(capsys, "policy", "check")
    code, _, err = cli(capsys, "promote", M, "v1", "staging", "x", "--as", "slack:U01BOB")

    assert check_code == 1
    assert f"{bad}:{line}: groups.ml-leads[1]: " in check_err and needle in check_err
    assert code == 1
    assert "The policy files are invalid; promobot stops here." in err
    assert f"{bad}:{line}: groups.ml-leads[1]: " in err
    assert cli_env.all_models() == before


def test_a_reader_that_goes_away_ends_the_command_quietly():
    """`promobot help | head -1` (here `| true`, gone before a word is written): exit
    141, as SIGPIPE ends other tools, and no traceback."""
    code, err = cut_off("help")
    assert code == 141
    assert "Traceback" not in err and "BrokenPipe" not in err
