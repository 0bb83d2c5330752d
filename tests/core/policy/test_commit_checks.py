"""The checks gate, pure (bot/core/policy/commit_checks.py and its place in decide): the checks
on a commit as data in, a pass or a refusal that names each check with its link out."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from bot.core.policy import (
    ChecksSnapshot,
    CommitCheck,
    RequestFacts,
    RequiredChecks,
    decide,
    load_policy,
)
from bot.core.policy.commit_checks import judge

SHA = "0123456789abcdef0123456789abcdef01234567"
REPO = "acme/models"
URL = "https://github.com/acme/models/runs/"
NAMED = RequiredChecks(names=("test", "lint / ruff"))
EVERY = RequiredChecks(every=True)


def run(
    name: str, state: str = "success", detail: str = "", kind: str = "check run"
) -> CommitCheck:
    return CommitCheck(name, state, detail or state, f"{URL}{name.replace(' ', '')}", kind)


def snapshot(*checks: CommitCheck) -> ChecksSnapshot:
    return ChecksSnapshot(REPO, SHA, checks)


CASES = [
    (
        NAMED,
        snapshot(run("test"), run("lint / ruff"), run("docs", "failure")),
        True,
        "test, lint / ruff passed on `0123456789ab` in acme/models",
        "",
    ),
    (
        NAMED,
        snapshot(run("test", "failure"), run("lint / ruff")),
        False,
        "1 failed on `0123456789ab` in acme/models",
        f"`test` failed (check run failure: {URL}test)",
    ),
    (
        NAMED,
        snapshot(run("test"), run("lint / ruff", "pending", "in progress")),
        False,
        "1 pending on `0123456789ab` in acme/models",
        f"`lint / ruff` has not finished (check run in progress: {URL}lint/ruff)",
    ),
    (
        NAMED,
        snapshot(run("test")),
        False,
        "1 missing on `0123456789ab` in acme/models",
        "`lint / ruff` is missing (no check run or status of that name)",
    ),
    (
        NAMED,
        snapshot(run("test"), run("lint / ruff", kind="status")),
        True,
        "test, lint / ruff passed on `0123456789ab` in acme/models",
        "",
    ),
    (
        NAMED,
        snapshot(run("test"), run("lint / ruff", "failure", "error", kind="status")),
        False,
        "1 failed on `0123456789ab` in acme/models",
        f"`lint / ruff` failed (status error: {URL}lint/ruff)",
    ),
    (
        NAMED,
        snapshot(run("test"), run("test", "failure", "timed out"), run("lint / ruff")),
        False,
        "1 failed on `0123456789ab` in acme/models",
        f"`test` failed (check run timed out: {URL}test)",
    ),
    (
        EVERY,
        snapshot(run("a"), run("b"), run("c", kind="status")),
        True,
        "all 3 passed on `0123456789ab` in acme/models",
        "",
    ),
    (
        EVERY,
        snapshot(run("a"), run("b", "failure", "cancelled"), run("c", "pending", "queued")),
        False,
        "1 failed, 1 pending on `0123456789ab` in acme/models",
        f"`b` failed (check run cancelled: {URL}b); `c` has not finished (check run queued",
    ),
    (
        EVERY,
        snapshot(),
        False,
        "no checks reported on `0123456789ab` in acme/models",
        "GitHub reports none there yet",
    ),
    (
        NAMED,
        ChecksSnapshot(REPO, SHA, problem="GITHUB_TOKEN is not set", fix="set GITHUB_TOKEN"),
        False,
        "GITHUB_TOKEN is not set",
        "The checks of v3 could not be confirmed: GITHUB_TOKEN is not set",
    ),
]
IDS = [
    "all-named-green",
    "one-failed",
    "one-pending",
    "one-missing",
    "a-status-counts",
    "a-status-failed",
    "a-name-twice-one-failed",
    "all-green",
    "all-failed-and-pending",
    "all-of-nothing",
    "not-read",
]


@pytest.mark.parametrize(("need", "checks", "passed", "detail", "said"), CASES, ids=IDS)
def test_each_check_is_judged_by_name_and_named_with_its_link(
    need: RequiredChecks, checks: ChecksSnapshot, passed: bool, detail: str, said: str
) -> None:
    verdict = judge(need, checks, 3)

    assert verdict.passed is passed
    assert verdict.detail == detail
    assert said in verdict.reason
    assert bool(verdict.fix) is not passed


def test_a_long_list_of_failures_is_cut_with_a_count() -> None:
    many = snapshot(*(run(f"job-{n:03}", "failure") for n in range(30)))

    verdict = judge(EVERY, many, 3)

    assert verdict.detail.startswith("30 failed")
    assert "`job-011` failed" in verdict.reason
    assert "`job-012`" not in verdict.reason
    assert verdict.reason.endswith("; and 18 more")


# ---- in decide ------------------------------------------------------------------------------

POLICY_TEXT = """\
people:
  bob: {email: bob@example.com, slack: U01BOB}
groups:
  eng: [bob]
models:
  - name: m
    targets:
      production:
        requesters: [eng]
        approvals: 0
        require_checks: [test]
        freeze:
          - {days: [], from: "00:00", to: "23:59", timezone: UTC}
"""


def facts(checks: ChecksSnapshot | None) -> RequestFacts:
    return RequestFacts(
        model="m",
        action="promote",
        target_key="production",
        target_label="Production",
        actor="slack:U01BOB",
        reason="",
        version=3,
        version_stage="Staging",
        version_metrics={},
        holders={},
        now=datetime.datetime(2026, 11, 25, 10, tzinfo=datetime.UTC),
        checks=checks,
    )


def test_decide_checks_the_commit_after_the_gates_and_before_the_freeze(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(POLICY_TEXT, encoding="utf-8")
    policy = load_policy(path)

    refused = decide(policy, facts(snapshot(run("test", "failure"))))

    assert [c.name for c in refused.checks] == ["requester", "checks", "freeze", "approvals"]
    assert refused.outcome == "refused"
    assert refused.reasons[0] == (
        f"v3's commit `0123456789ab` in acme/models has not passed the required checks: "
        f"`test` failed (check run failure: {URL}test); wait for the checks to pass on the "
        "commit (or re-run the failed ones), or promote a version whose commit passed them."
    )
    green = decide(policy, facts(snapshot(run("test"))))
    assert [c.status for c in green.checks if c.name == "checks"] == ["pass"]
    unread = decide(policy, facts(None))
    assert "could not be confirmed: its checks were not read" in unread.reasons[0]


# ---- the policy key --------------------------------------------------------------------------

KEY_LINE = 11  # the line of `require_checks:` in POLICY_TEXT


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        (
            "al",
            '"al" is neither all nor a list of checks (write a list of check names, e.g. '
            '[test, "lint / ruff"], or all)',
        ),
        ("[]", "an empty list names no check"),
        ("[test, test]", '"test" is listed twice (name each check once)'),
        ('[test, ""]', '"" is not a check name'),
        ("5", "expected all or a list of check names, got int 5"),
        ("{test: true}", "expected all or a list of check names, got a mapping"),
    ],
    ids=["not-all", "empty", "twice", "empty-name", "number", "mapping"],
)
def test_a_bad_require_checks_names_file_line_and_field(
    tmp_path: Path, written: str, problem: str
) -> None:
    from bot.core.policy import PolicyError

    path = tmp_path / "p.yaml"
    path.write_text(POLICY_TEXT.replace("[test]", written), encoding="utf-8")

    with pytest.raises(PolicyError) as raised:
        load_policy(path)

    (found,) = raised.value.problems
    assert found.startswith(f"{path}:{KEY_LINE}: models[0].targets.production.require_checks: ")
    assert problem in found


@pytest.mark.parametrize(
    ("written", "expected", "line"),
    [
        (
            '[test, "lint / ruff"]',
            NAMED,
            "GitHub checks that must have passed on the version's commit: test, lint / ruff",
        ),
        ("all", EVERY, "every GitHub check on the version's commit must have passed"),
    ],
    ids=["named", "all"],
)
def test_require_checks_loads_and_explains(
    tmp_path: Path, written: str, expected: RequiredChecks, line: str
) -> None:
    from bot.core.policy import explain

    path = tmp_path / "p.yaml"
    path.write_text(POLICY_TEXT.replace("[test]", written), encoding="utf-8")

    policy = load_policy(path)

    assert policy.models[0].targets["production"].require_checks == expected
    (production,) = explain(policy, "m") or []
    assert line in production[1]
