"""Loading a policy (bot/core/policy/loading.py): the checked files turned into the typed
rules, defaults filled, files merged in name order (the first definition of a person or
group stands), and where each model's entry is written."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from bot.core.policy import (
    FreezeWindow,
    MetricGate,
    Person,
    PolicyError,
    TargetRule,
    check,
    load_policy,
)
from bot.core.policy.values import metric_expr

FIRST = """\
people:
  alice: {email: alice@example.com, github: alice}
  bob: {slack: U01BOB, cli: bobby}
groups:
  leads: [alice, github-team:acme/ml-leads, slack-group:S0SRE, alice]
  eng: [alice, bob]
models:
  - name: m
    slack_channel: C0RELEASES
    locks: {requesters: [leads]}
    targets:
      production:
        requesters: [eng]
        approvals: {leads: 1, eng: 2}
        require_stage: staging
        soak: 2h
        metrics: {f1: ">= production - 0.01"}
        freeze: [{from: "16:00", to: "23:59", timezone: UTC}]
      staging: {requesters: [eng], approvals: 0}
      "@champion":
        requesters: [leads]
        approvers: [eng]
        approvals: 1
        self_approval: true
        require_reason: true
        deny_requires_reason: true
        request_ttl: 90s
        live:
          - {name: error rate, prometheus: 'e{m="{model}"}', pass: "< 0.05"}
        verify:
          for: 30m
          on_failure: rollback
          checks:
            - {name: p99, prometheus: 'p{m="{model}"}', pass: "<= 0.2"}
    rollback:
      requesters: [eng]
      approvers: [leads]
      approvals: 1
      respect_locks: true
      request_ttl: 2h
"""

SECOND = """\
people:
  alice: {email: alice@example.com, github: alice}
groups:
  eng: [alice, bob]
models:
  - name: m-*
    targets:
      staging: {requesters: [eng], approvals: 0}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "b-more.yaml").write_text(SECOND)
    (tmp_path / "a-main.yaml").write_text(FIRST)
    return tmp_path


def test_files_merge_in_name_order_people_and_groups_defined_once(folder: Path) -> None:
    policy = load_policy(folder)

    assert policy.sources == (str(folder / "a-main.yaml"), str(folder / "b-more.yaml"))
    assert policy.people == {
        "alice": Person("alice", "alice@example.com", "alice"),
        "bob": Person("bob", slack="U01BOB", cli="bobby"),
    }
    # A group's people, each once, apart from the teams and user groups it names.
    assert policy.groups == {"leads": ("alice",), "eng": ("alice", "bob")}
    assert policy.external == {"leads": ("github-team:acme/ml-leads", "slack-group:S0SRE")}
    assert [(m.pattern, m.source) for m in policy.models] == [
        ("m", f"{folder / 'a-main.yaml'}:8"),
        ("m-*", f"{folder / 'b-more.yaml'}:6"),
    ]


def test_a_model_entry_keeps_its_lockers_channel_and_targets_in_order(folder: Path) -> None:
    first, second = load_policy(folder).models

    assert (list(first.targets), first.lock_requesters, first.slack_channel) == (
        ["production", "staging", "@champion"],
        ("leads",),
        "C0RELEASES",
    )
    assert (
        list(second.targets),
        second.lock_requesters,
        second.slack_channel,
        second.rollback,
    ) == (
        ["staging"],
        (),
        None,
        None,
    )


def test_one_count_per_group_is_the_quorum_its_sum_and_its_groups_the_approvers(
    folder: Path,
) -> None:
    rules = load_policy(folder).rules_for("m")
    assert rules is not None
    assert rules.targets["production"] == TargetRule(
        target_key="production",
        requesters=("eng",),
        approvers=("leads", "eng"),
        approvals=3,
        quorum=(("leads", 1), ("eng", 2)),
        require_stage="Staging",
        soak=datetime.timedelta(hours=2),
        metrics=(MetricGate("f1", metric_expr(">= production - 0.01")),),
        freeze=(FreezeWindow((), datetime.time(16, 0), datetime.time(23, 59), "UTC"),),
        request_ttl=datetime.timedelta(hours=24),
        model="m",
    )


def test_a_target_without_gates_gets_every_default(folder: Path) -> None:
    rules = load_policy(folder).rules_for("m")
    assert rules is not None
    assert rules.targets["staging"] == TargetRule("staging", ("eng",), model="m")


def test_an_alias_target_keeps_its_switches_live_gates_and_verification(folder: Path) -> None:
    rules = load_policy(folder).rules_for("m")
    assert rules is not None
    champion = rules.targets["@champion"]
    assert (champion.label, champion.approvers, champion.approvals, champion.quorum) == (
        "@champion",
        ("eng",),
        1,
        (),
    )
    assert (champion.self_approval, champion.require_reason, champion.deny_requires_reason) == (
        True,
        True,
        True,
    )
    assert champion.request_ttl == datetime.timedelta(seconds=90)
    assert [(c.name, c.query, c.expr.op, c.expr.threshold) for c in champion.live] == [
        ("error rate", 'e{m="{model}"}', "<", 0.05)
    ]
    verify = champion.verify
    assert verify is not None
    assert (verify.watch, verify.every, verify.failures, verify.no_data, verify.on_failure) == (
        datetime.timedelta(minutes=30),
        datetime.timedelta(minutes=1),
        3,
        "fail",
        "rollback",
    )
    assert [(c.name, c.query, c.expr.op, c.expr.threshold) for c in verify.checks] == [
        ("p99", 'p{m="{model}"}', "<=", 0.2)
    ]


def test_the_rollback_rule_takes_what_a_rollback_may_say(folder: Path) -> None:
    rules = load_policy(folder).rules_for("m")
    assert rules is not None
    assert rules.rollback == TargetRule(
        target_key="rollback",
        requesters=("eng",),
        approvers=("leads",),
        approvals=1,
        request_ttl=datetime.timedelta(hours=2),
        model="m",
        respect_locks=True,
    )


def test_check_is_every_problem_load_would_raise_or_none(folder: Path) -> None:
    assert check(folder) == []
    (folder / "c-bad.yaml").write_text("models:\n  - name: x\n    targets: {}\n    owner: me\n")
    with pytest.raises(PolicyError) as raised:
        load_policy(folder)
    assert check(folder) == raised.value.problems
    assert raised.value.problems == [
        f"{folder / 'c-bad.yaml'}:4: models[0].owner: unknown key `owner` (allowed here: "
        "name, targets, rollback, locks, slack_channel)"
    ]
