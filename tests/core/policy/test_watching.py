"""Live gates, soak and verify in the policy: the file:line:field problems, the plan,
the decisions and the explanation (the queries' placeholders: test_promql.py)."""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path

import pytest

from bot.core.policy import RequestFacts, check, decide, explain, load_policy

UTC = datetime.UTC
NOW = datetime.datetime(2026, 12, 2, 9, 0, tzinfo=UTC)

POLICY = """\
people:
  bob: {email: bob@example.com, slack: U01BOB}
groups:
  eng: [bob]
models:
  - name: m
    targets:
      staging: {requesters: [eng], approvals: 0}
      production:
        requesters: [eng]
        approvals: 0
        require_stage: staging
        soak: 24h
        live:
          - name: shadow error rate
            prometheus: 'avg_over_time(model_error_rate{model="{model}",version="{version}"}[1h])'
            pass: "<= 0.05"
        verify:
          for: 30m
          every: 1m
          failures: 3
          no_data: fail
          on_failure: rollback
          checks:
            - name: error rate
              prometheus: 'model_error_rate{model="{model}",version="{version}"}'
              pass: "< 0.02"
"""


@pytest.fixture
def policy_path(tmp_path: Path) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(POLICY)
    return path


def test_the_plan_fills_each_check_for_the_version(policy_path: Path) -> None:
    rule = load_policy(policy_path).rules_for("m").targets["production"]  # type: ignore[union-attr]
    assert rule.verify is not None
    plan = rule.verify.plan("m", 7, "production")
    assert plan["checks"] == [
        {
            "name": "error rate",
            "query": 'model_error_rate{model="m",version="7"}',
            "op": "<",
            "threshold": 0.02,
            "shown": "0.02",
        }
    ]
    assert (plan["for_s"], plan["every_s"], plan["failures"]) == (1800, 60, 3)
    assert (plan["no_data"], plan["on_failure"]) == ("fail", "rollback")


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        pytest.param(
            '"{model}",version="{version}"}\'\n',
            '"{model}",version="{build}"}\'\n',
            "verify.checks[0].prometheus",
            "`{build}` is not a placeholder",
            id="placeholder",
        ),
        pytest.param(
            'pass: "< 0.02"',
            'pass: "< production"',
            "verify.checks[0].pass",
            '"< production" is not a threshold',
            id="relative-pass",
        ),
        pytest.param(
            'pass: "<= 0.05"',
            'pass: "about 5%"',
            "live[0].pass",
            '"about 5%" is not a threshold',
            id="live-pass",
        ),
        pytest.param(
            "for: 30m",
            "for: 30 minutes",
            "verify.for",
            '"30 minutes" is not a duration',
            id="duration",
        ),
        pytest.param("every: 1m", "every: 0s", "verify.every", '"0s" is zero', id="zero"),
        pytest.param(
            "every: 1m", "every: 1h", "verify", "`every` is longer than `for`", id="every-over-for"
        ),
        pytest.param("failures: 3", "failures: 0", "verify.failures", "", id="failures"),
        pytest.param("no_data: fail", "no_data: skip", "verify.no_data", "", id="no-data"),
        pytest.param(
            "on_failure: rollback", "on_failure: page", "verify.on_failure", "", id="on-failure"
        ),
        pytest.param(
            "failures: 3", "retries: 3", "verify.retries", "unknown key `retries`", id="unknown-key"
        ),
        pytest.param("soak: 24h", "soak: a day", "soak", '"a day" is not a duration', id="soak"),
        pytest.param(
            "        require_stage: staging\n",
            "",
            "production",
            "`soak` needs `require_stage`",
            id="soak-without-stage",
        ),
    ],
)
def test_a_bad_watch_rule_is_refused_with_file_line_and_field(
    tmp_path: Path, old: str, new: str, field: str, message: str
) -> None:
    assert old in POLICY
    text = POLICY.replace(old, new, 1)
    path = tmp_path / "p.yaml"
    path.write_text(text)
    problems = check(path)
    assert len(problems) == 1, problems
    problem = problems[0]
    assert problem.startswith(f"{path}:")
    assert f"models[0].targets.production.{field}:" in problem or problem.split(": ")[1].endswith(
        field
    )
    assert message in problem


def test_verify_without_checks_is_refused(tmp_path: Path) -> None:
    start = POLICY.index("          checks:")
    text = POLICY[:start] + "          checks: []\n"
    path = tmp_path / "p.yaml"
    path.write_text(text)
    [problem] = check(path)
    line = _line(text, "checks: []")
    assert (
        problem == f"{path}:{line}: models[0].targets.production.verify.checks: must not be empty"
    )


def facts(**changes: object) -> RequestFacts:
    base = RequestFacts(
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
        now=NOW,
        stage_since=datetime.datetime(2026, 12, 1, 10, 2, tzinfo=UTC),
        live={"shadow error rate": (0.01, "")},
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_soak_refuses_naming_when_the_version_may_go(policy_path: Path) -> None:
    decision = decide(load_policy(policy_path), facts())
    assert decision.outcome == "refused"
    assert decision.reasons == (
        "v3 entered Staging 2026-12-01 10:02 UTC; Production needs 24h there: "
        "from 2026-12-02 10:02 UTC.",
    )


def test_soak_passes_once_the_time_is_up(policy_path: Path) -> None:
    later = datetime.datetime(2026, 12, 2, 10, 2, tzinfo=UTC)
    decision = decide(load_policy(policy_path), facts(now=later))
    assert decision.outcome == "allowed"
    soak = next(c for c in decision.checks if c.name == "soak 24h")
    assert soak.detail == "v3 entered Staging 2026-12-01 10:02 UTC"


def test_soak_without_a_record_of_entering_the_stage_fails_closed(policy_path: Path) -> None:
    later = datetime.datetime(2026, 12, 9, tzinfo=UTC)
    decision = decide(load_policy(policy_path), facts(now=later, stage_since=None))
    assert decision.reasons == (
        "promobot has no record of when v3 entered Staging, and Production needs 24h there; "
        "promote v3 to staging through promobot, then wait 24h.",
    )


@pytest.mark.parametrize(
    ("figure", "outcome", "reason"),
    [
        pytest.param((0.05, ""), "allowed", None, id="at-threshold"),
        pytest.param(
            (0.071, ""),
            "refused",
            "shadow error rate of v3 is 0.071 live, which fails the gate shadow error rate "
            "≤ 0.05; wait until shadow error rate ≤ 0.05 holds, or promote a version that "
            "meets it.",
            id="over",
        ),
        pytest.param(
            (None, "Prometheus returned no series"),
            "refused",
            "The live gate shadow error rate ≤ 0.05 has no figure for v3: Prometheus returned "
            "no series; check the query and that the model server exports it, then try again.",
            id="no-data",
        ),
    ],
)
def test_live_gates_decide_on_the_figure(
    policy_path: Path, figure: tuple[float | None, str], outcome: str, reason: str | None
) -> None:
    later = datetime.datetime(2026, 12, 3, tzinfo=UTC)
    decision = decide(
        load_policy(policy_path), facts(now=later, live={"shadow error rate": figure})
    )
    assert decision.outcome == outcome
    if reason:
        assert decision.reasons == (reason,)


def test_policy_explains_soak_live_and_verify(policy_path: Path) -> None:
    lines = dict(explain(load_policy(policy_path), "m") or [])["Production"]
    assert "must have held Staging for 24h (soak)" in lines
    assert (
        "live gate: shadow error rate ≤ 0.05, from Prometheus "
        '`avg_over_time(model_error_rate{model="{model}",version="{version}"}[1h])` '
        "(at request and at execution; no data fails the gate)"
    ) in lines
    assert (
        "after a version takes it: watched for 30m, checked every 1m; passed if no check "
        "fails 3 times in a row"
    ) in lines
    assert lines[-1].startswith("on 3 failures in a row promobot rolls the target back")
