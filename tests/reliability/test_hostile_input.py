"""Hostile input, table-driven: each entry goes through the CLI in-process
(`bot.cli.main([... , "--json"])`) against a real SQLite registry that also holds decoy
models whose names the inputs resemble (`y`, `sentiment_classifier`, `sentiment%`, a model
literally named `x' OR name='y`, ...). A subset runs again through a real `mlflow server`.

Every entry must get a clear message (an answer in JSON with a reason, never a
traceback), write nothing, and touch no model but the one it names: ALL models, with
their tags, aliases, versions, stages and descriptions, are compared before and after.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .conftest import make_versions, report

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GOVERNED = "sentiment-classifier"
DECOYS = (
    "y",
    "x",
    "sentiment_classifier",
    "sentiment%",
    "sentiment-classifier2",
    "x' OR name='y",
    'sentiment"classifier',
    "séntiment-classifier",
)
ENGINEER = "github:eng0"
LONG = "a" * 10_000


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]
    exits: tuple[int, ...] = (1, 2)  # refused/invalid or usage error
    named: str | None = None  # the model the command names, when it reaches the registry
    policy: str | None = None  # "big" | "bomb": run under a hostile policy file


def _c(id: str, *argv: str, exits: tuple[int, ...] = (1, 2), named: str | None = None) -> Case:
    return Case(id, tuple(argv), exits, named)


NAMES = {
    "slash": "sentiment/classifier",
    "colon": "sentiment:classifier",
    "dotdot": "..",
    "dotdot-path": "../sentiment-classifier",
    "dotdot-inside": "sentiment..classifier",
    "single-quote": "sentiment'classifier",
    "double-quote": 'sentiment"classifier',
    "percent": "sentiment%",
    "lone-percent": "%",
    "lone-underscore": "_",
    "sql-or": "x' OR name='y",
    "sql-comment": "sentiment-classifier'--",
    "sql-union": "y' UNION SELECT name FROM registered_models --",
    "backtick": "tags.`x`",
    "non-ascii": "séntiment-classifier",
    "unicode-hyphen": "sentiment‐classifier",
    "fullwidth": "ｓｅｎｔｉｍｅｎｔ",
    "emoji": "🚀",
    "cjk": "模型",
    "rtl-override": "sentiment\u202eclassifier",
    "nul": "sentiment\x00classifier",
    "newline": "sentiment\nclassifier",
    "10k-chars": LONG,
    "257-chars": "m" * 257,
    "leading-dash": "-sentiment",
    "leading-dot": ".sentiment",
}

CASES: list[Case] = []
for key, name in NAMES.items():
    # Only a command's first line holds its words (the rest is prose), so the model a
    # name with a newline names is what stands before the newline.
    first = name.split("\n")[0] if "\n" in name else None
    CASES += [
        _c(
            f"promote-name-{key}",
            "promote",
            name,
            "v1",
            "production",
            "x",
            "--as",
            ENGINEER,
            named=first,
        ),
        _c(f"status-name-{key}", "status", name, named=first),
        _c(f"rollback-name-{key}", "rollback", name, "bad", "--as", "slack:UCAROL", named=first),
    ]
CASES += [
    _c(f"history-name-{key}", "history", name)
    for key, name in NAMES.items()
    if key in ("sql-or", "percent", "lone-underscore", "10k-chars", "non-ascii")
]
# Names that are valid words but belong to decoys: answered about that model only.
for decoy in ("sentiment_classifier", "y", "x"):
    CASES += [
        _c(
            f"promote-decoy-{decoy}",
            "promote",
            decoy,
            "v1",
            "production",
            "x",
            "--as",
            ENGINEER,
            named=decoy,
        ),
        _c(f"status-decoy-{decoy}", "status", decoy, exits=(0,), named=decoy),
        _c(
            f"rollback-decoy-{decoy}", "rollback", decoy, "bad", "--as", "slack:UCAROL", named=decoy
        ),
    ]
TARGETS = {
    "alias-latest": "@latest",
    "alias-LATEST": "@LATEST",
    "alias-v1": "@v1",
    "alias-V12": "@V12",
    "alias-empty": "@",
    "alias-256": "@" + "a" * 256,
    "alias-quote": "@champion'--",
    "alias-slash": "@champ/ion",
    "alias-percent": "@champ%",
    "alias-production": "@production",
    "alias-non-ascii": "@chämpion",
    "alias-unknown": "@champion",
    "stage-typo": "prod",
    "stage-none": "none",
}
for key, target in TARGETS.items():
    CASES.append(
        _c(
            f"target-{key}",
            "promote",
            GOVERNED,
            "v2",
            target,
            "x",
            "--as",
            ENGINEER,
            # `@production` is read as an alias since registries can be aliases-only; the
            # service then refuses it (write `production`) with the model named.
            named=GOVERNED if key in ("alias-unknown", "alias-production") else None,
        )
    )
VERSIONS = {
    "abc": "abc",
    "zero": "0",
    "minus-one": "-1",
    "v-minus-one": "v-1",
    "huge": "99999999999999999999",
    "v-huge": "v99999999999999999999",
    "fraction": "1.5",
    "hex": "0x10",
    "fullwidth-digit": "１",
    "arabic-digit": "v١",
    "alias-latest": "@latest",
    "alias-V12": "@V12",
    "missing": "v999",
}
for key, version in VERSIONS.items():
    CASES.append(
        _c(
            f"version-{key}",
            "promote",
            GOVERNED,
            version,
            "staging",
            "x",
            "--as",
            ENGINEER,
            named=GOVERNED if key == "missing" else None,
        )
    )
CASES += [
    _c(
        "reason-200k",
        "promote",
        GOVERNED,
        "v2",
        "staging",
        "r" * 200_000,
        "--as",
        ENGINEER,
        named=GOVERNED,
    ),
    _c(
        "rollback-reason-200k",
        "rollback",
        GOVERNED,
        "r" * 200_000,
        "--as",
        "slack:UCAROL",
        named=GOVERNED,
    ),
    _c("approve-comment-200k", "approve", "req-abcdef", "c" * 200_000, "--as", "github:lead0"),
    _c("request-id-sql", "approve", "req-' OR 1=1 --", "--as", "github:lead0"),
    _c("request-id-percent", "approve", "req-%", "--as", "github:lead0"),
    _c("request-id-long", "approve", "req-" + "a" * 1000, "--as", "github:lead0"),
    _c("request-id-missing", "approve", "req-abcdef", "--as", "github:lead0"),
    _c("deny-missing", "deny", "req-0123456789abcdef", "--as", "github:lead0"),
    _c(
        "actor-sql",
        "promote",
        GOVERNED,
        "v2",
        "staging",
        "x",
        "--as",
        "x' OR name='y",
        named=GOVERNED,
    ),
    _c(
        "actor-unknown-email",
        "promote",
        GOVERNED,
        "v2",
        "staging",
        "x",
        "--as",
        "mallory@example.com",
        named=GOVERNED,
    ),
    _c("actor-empty", "promote", GOVERNED, "v2", "staging", "x", "--as", ""),
    _c("limit-huge", "history", GOVERNED, "--limit", "99999999999999999999"),
    _c("limit-negative", "history", GOVERNED, "--limit", "-1"),
    _c("unknown-flag", "promote", GOVERNED, "v2", "staging", "--force", "--as", ENGINEER),
    _c("rollback-to-garbage", "rollback", GOVERNED, "to", "v0", "x", "--as", "slack:UCAROL"),
    _c("empty", ""),
    _c("only-spaces", "   "),
    _c(
        "dry-run-writes-nothing",
        "promote",
        GOVERNED,
        "v2",
        "staging",
        "x",
        "--dry-run",
        "--as",
        ENGINEER,
        exits=(0,),
        named=GOVERNED,
    ),
    Case("policy-10MB", ("status", GOVERNED), (1,), None, "big"),
    Case("policy-anchor-bomb", ("status", GOVERNED), (1,), None, "bomb"),
    Case(
        "policy-10MB-promote",
        ("promote", GOVERNED, "v2", "staging", "x", "--as", ENGINEER),
        (1,),
        None,
        "big",
    ),
]
# Run again through the real server: the ones that reach MLflow, plus a few parser ones.
SERVER_SUBSET = [
    c
    for c in CASES
    if c.named is not None
    or c.id
    in (
        "promote-name-sql-or",
        "status-name-percent",
        "request-id-missing",
        "status-name-10k-chars",
        "approve-comment-200k",
    )
]

TALLY: dict[str, dict[str, int]] = {}


def _tally(where: str, bad: bool) -> None:
    row = TALLY.setdefault(where, {"tried": 0, "traceback_or_write": 0})
    row["tried"] += 1
    row["traceback_or_write"] += int(bad)


@pytest.fixture(scope="module", autouse=True)
def _report_tally() -> Iterator[None]:
    yield
    for where, row in TALLY.items():
        report("hostile inputs", where, **row)


def all_models(tracking_uri: str) -> dict[str, Any]:
    """Everything about every model that a command could change."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    versions: dict[str, list[Any]] = {}
    for mv in client.search_model_versions(max_results=10_000):
        versions.setdefault(mv.name, []).append(
            (mv.version, mv.current_stage, sorted(mv.tags.items()), mv.description or "")
        )
    return {
        rm.name: {
            "tags": dict(rm.tags),
            "aliases": dict(rm.aliases),
            "description": rm.description or "",
            "versions": sorted(versions.get(rm.name, [])),
        }
        for rm in client.search_registered_models(max_results=1000)
    }


def _populate(uri: str) -> None:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    existing = {rm.name for rm in client.search_registered_models(max_results=1000)}
    for name in (GOVERNED, *DECOYS):
        if name not in existing:
            make_versions(uri, name, 2)
            client.set_registered_model_tag(name, "owner", "decoy" if name in DECOYS else "ml")
    client.transition_model_version_stage(GOVERNED, "1", "Staging")


@pytest.fixture(scope="module")
def sqlite_registry(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("hostile") / "mlflow.db"
    uri = f"sqlite:///{path}"
    _populate(uri)
    return uri


@pytest.fixture(scope="module")
def hostile_policies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile-policies")
    big = folder / "big.yaml"
    with big.open("w") as out:
        out.write("people:\n  alice: {email: alice@example.com}\n# ")
        out.write("x" * (10 * 1024 * 1024))
        out.write("\n")
    bomb = folder / "bomb.yaml"
    shutil.copy(FIXTURES / "policies" / "bad" / "anchor_bomb.yaml", bomb)
    return {"big": big, "bomb": bomb}


def run_cli(argv: tuple[str, ...], env: dict[str, str]) -> tuple[int | None, str, str, str]:
    """bot.cli.main in this process: (exit, stdout, stderr, traceback text or "")."""
    from bot.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([*argv, "--json"])
        return code, out.getvalue(), err.getvalue(), ""
    except BaseException:  # SystemExit included: a door must answer, never exit or raise
        return None, out.getvalue(), err.getvalue(), traceback.format_exc()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def check(case: Case, tracking_uri: str, policy: Path, where: str) -> None:
    before = all_models(tracking_uri)
    env = {"MLFLOW_TRACKING_URI": tracking_uri, "PROMOBOT_POLICY": str(policy)}
    code, out, err, tb = run_cli(case.argv, env)
    after = all_models(tracking_uri)
    wrote = before != after
    _tally(where, bool(tb) or wrote or "Traceback" in out + err)
    assert not tb, tb
    assert "Traceback" not in out + err
    assert not wrote, {k: (before.get(k), after.get(k)) for k in after if before.get(k) != after[k]}
    assert code in case.exits, (code, out[:500], err[:500])
    answer = json.loads(out)
    assert answer["status"] in ("refused", "error", "done")
    if answer["status"] != "done":
        assert answer["reasons"] and all(
            isinstance(r, str) and r.strip() for r in answer["reasons"]
        )
        assert len(answer["reasons"][0]) < 2_000, answer["reasons"][0][:200]
    if answer.get("model") is not None:
        assert answer["model"] == case.named, answer


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input_in_process(case, sqlite_registry, reliability_policy, hostile_policies):
    policy = hostile_policies[case.policy] if case.policy else reliability_policy
    check(case, sqlite_registry, policy, "cli in-process, SQLite registry")


@pytest.mark.server
@pytest.mark.parametrize("case", SERVER_SUBSET, ids=[c.id for c in SERVER_SUBSET])
def test_hostile_input_through_the_server(
    case, mlflow_server, reliability_policy, hostile_policies
):
    _populate(mlflow_server.url)
    policy = hostile_policies[case.policy] if case.policy else reliability_policy
    check(case, mlflow_server.url, policy, "cli in-process, mlflow server (SQLite)")


def test_forged_request_on_another_model_promotes_nothing(sqlite_registry, reliability_policy):
    """Someone with tag access on a decoy model plants a request that claims to be for the
    governed model (with a forged requester). Approving it must not move the governed one."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=sqlite_registry)
    forged = {
        "id": "req-f0f0f0",
        "action": "promote",
        "model": GOVERNED,
        "version": 2,
        "target_key": "production",
        "target_label": "Production",
        "target_kind": "stage",
        "actor": "github:eng0",
        "reason": "forged",
        "created_at": "2020-01-01T00:00:00Z",
        "expires_at": "2999-01-01T00:00:00Z",
        "channel": "cli",
        "link": "",
        "run_id": client.get_model_version(GOVERNED, "2").run_id,
        "source": client.get_model_version(GOVERNED, "2").source,
        "previous": None,
    }
    client.set_registered_model_tag("y", "mlflow.promobot.request.req-f0f0f0", json.dumps(forged))
    try:
        check(
            _c("forged-request-on-decoy", "approve", "req-f0f0f0", "--as", "github:lead0"),
            sqlite_registry,
            reliability_policy,
            "cli in-process, SQLite registry",
        )
    finally:
        client.delete_registered_model_tag("y", "mlflow.promobot.request.req-f0f0f0")
