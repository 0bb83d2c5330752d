"""Races against a real `mlflow server` (SQLite and PostgreSQL backends), from real OS
processes: whatever the interleaving, a target has exactly one holder, its alias agrees,
every request ends in a state that says what happened to it, and the descriptions and
the history tell the same story.
"""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import pytest

from .conftest import (
    ENGINEERS,
    LEADS,
    Registry,
    make_versions,
    report,
    run_workers,
    unique,
)

pytestmark = pytest.mark.server


def service_for(url: str, policy: Any) -> Any:
    from bot.adapters.mlflow.gateway import Registry as BotRegistry
    from bot.core.policy import load_policy
    from bot.core.service import Service

    return Service(BotRegistry(url), load_policy(policy))


def run(service: Any, actor: str, text: str) -> Any:
    from bot.core.commands import parse
    from bot.core.service import Context

    command = parse(text).command
    assert command is not None, text
    return service.handle(command, Context(actor=actor, channel="cli"))


def assert_history_consistent(reg: Registry, model: str, stage: str = "Production") -> list[dict]:
    """One holder, its alias on it, and a history whose `previous` links form one chain
    that ends at the holder. Returns the events for the stage."""
    holders = reg.holders(model, stage)
    assert len(holders) == 1, f"{stage} held by {holders}"
    assert reg.aliases(model).get(stage.lower()) == holders[0]
    events = [e for e in reg.events(model) if e["target_key"] == stage.lower()]
    assert events, "no history"
    for before, after in itertools.pairwise(events):
        assert after["previous"] == before["version"], (before, after)
    assert events[-1]["version"] == holders[0]
    # Each version that held the stage and was replaced says by what.
    for before, after in itertools.pairwise(events):
        if before["version"] != after["version"]:
            tags = dict(reg.client.get_model_version(model, str(before["version"])).tags)
            if reg.client.get_model_version(model, str(before["version"])).current_stage == (
                "Archived"
            ):
                assert tags.get("archived_at"), tags
    return events


def test_twenty_promotions_of_different_versions_at_once(backend, reliability_policy):
    url, model = backend.url, unique("race")
    versions = make_versions(url, model, 21)
    service = service_for(url, reliability_policy)
    first = run(service, "github:eng0", f"promote {model} v{versions[0]} production start")
    assert first.status == "done"

    processes, per_process = 4, 5
    racing = versions[1:]
    groups = [
        [
            {
                "actor": f"github:{ENGINEERS[(p * per_process + i) % len(ENGINEERS)]}",
                "text": f"promote {model} v{racing[p * per_process + i]} production race {p}.{i}",
            }
            for i in range(per_process)
        ]
        for p in range(processes)
    ]
    results, wall = run_workers(url, reliability_policy, groups)
    reg = Registry(url)

    outcomes = Counter(
        f"{r['status']}{'/' + r['kind'] if r.get('kind') else ''}"
        f"{' (already)' if r.get('already') else ''}"
        for r in results
    )
    assert len(results) == 20
    assert not [r for r in results if r["status"] == "traceback"], results
    # Each promotion is done, or was told plainly that another one held the target.
    for r in results:
        assert r["status"] == "done" or (r["status"] == "error" and r["kind"] == "conflict"), (
            r.get("error"),
            r,
        )
    done = [r for r in results if r["status"] == "done"]
    assert done, outcomes

    events = assert_history_consistent(reg, model)
    by_request = Counter(e["request"] for e in events)
    tags = reg.model_tags(model)
    for r in done:
        assert not r["already"], r
        # One history event, one description line, one done state, for each.
        assert by_request[r["request_id"]] == 1, r
        lines = [ln for ln in reg.description_lines(model, r["version"]) if "→ Production" in ln]
        assert len(lines) == 1, (r, lines)
        state = tags.get(f"mlflow.promobot.request.{r['request_id']}.state", "")
        assert '"state":"done"' in state, (r, state)
        mv_tags = dict(reg.client.get_model_version(model, str(r["version"])).tags)
        assert mv_tags["promotion_request"] == r["request_id"]
    for r in results:
        if r["status"] == "error":  # told to retry: nothing of it was written
            assert reg.description_lines(model, r["text"].split()[2].lstrip("v")) == []
    # Every done promotion but the last was superseded by the next one, which says so.
    superseded = 0
    for before, after in itertools.pairwise(events[1:]):
        mv = reg.client.get_model_version(model, str(before["version"]))
        assert mv.current_stage == "Archived"
        assert mv.tags["replaced_by"] == f"v{after['version']}"
        superseded += 1
    assert len(events) == 1 + len(done)
    assert reg.locks(model) == []
    holder = reg.holders(model, "Production")[0]
    report(
        "20 promotions at once",
        backend.name,
        processes=processes,
        requests=len(results),
        outcomes=dict(outcomes),
        done=len(done),
        superseded=superseded,
        final_holder=f"v{holder}",
        wall_s=round(wall, 1),
    )


@pytest.mark.parametrize("quorum", [10, 3], ids=["approvals-10", "approvals-3"])
def test_ten_approvals_of_one_request_at_once(backend, reliability_policy, quorum):
    url, model = backend.url, unique(f"quorum{quorum}")
    (version,) = make_versions(url, model, 1)
    service = service_for(url, reliability_policy)
    asked = run(service, "github:eng1", f"promote {model} v{version} production please")
    assert asked.status == "pending"
    request_id = asked.request_id

    handles = [
        f"github:{lead}" if i % 2 else f"slack:U{lead.upper()}" for i, lead in enumerate(LEADS)
    ]
    groups = [  # two processes, five approvers each
        [{"actor": h, "text": f"approve {request_id} ok"} for h in handles[i : i + 5]]
        for i in (0, 5)
    ]
    results, wall = run_workers(url, reliability_policy, groups)
    reg = Registry(url)
    tags = reg.model_tags(model)

    assert not [r for r in results if r["status"] in ("traceback", "error")], results
    approvals = sorted(
        k for k in tags if k.startswith(f"mlflow.promobot.request.{request_id}.approval.")
    )
    executed = [r for r in results if r["status"] == "done" and not r["already"]]
    already = [r for r in results if r["status"] == "done" and r["already"]]
    pending = [r for r in results if r["status"] == "pending"]
    assert len(executed) == 1, results  # reported as carried out exactly once
    assert len(executed) + len(already) + len(pending) == 10
    if quorum == 10:
        assert len(approvals) == 10  # no approval lost: the last one is what executes
    else:
        assert len(approvals) >= 3
        # An approver told "recorded" (pending) has a tag; an approver who came after the
        # execution was told it was already carried out.
        assert len(pending) <= len(approvals)
    events = [e for e in reg.events(model) if e["request"] == request_id]
    assert len(events) == 1
    approved_by = events[0]["approved_by"].split(", ")
    assert len(approved_by) >= quorum and len(set(approved_by)) == len(approved_by)
    lines = [ln for ln in reg.description_lines(model, version) if "→ Production" in ln]
    assert len(lines) == 1
    assert '"state":"done"' in tags[f"mlflow.promobot.request.{request_id}.state"]
    assert reg.holders(model, "Production") == [version]
    assert reg.aliases(model)["production"] == version
    assert reg.locks(model) == []
    report(
        f"10 approvals at once, approvals: {quorum}",
        backend.name,
        processes=len(groups),
        approvals_sent=10,
        approval_tags=len(approvals),
        executed=len(executed),
        already_done=len(already),
        pending_replies=len(pending),
        events=len(events),
        wall_s=round(wall, 1),
    )


def test_rollback_racing_a_promotion(backend, reliability_policy):
    """Three models, each: v1 then v2 in Production; then at the same moment one process
    rolls back (to v1) while another promotes v3. Whichever goes first, the end state is
    one holder, the alias on it, and a history that explains how it got there."""
    url = backend.url
    service = service_for(url, reliability_policy)
    models = [unique("race") for _ in range(3)]
    for model in models:
        make_versions(url, model, 3)
        for v in (1, 2):
            assert run(service, "github:eng0", f"promote {model} v{v} production x").status == (
                "done"
            )
    groups = [
        [{"actor": "slack:UCAROL", "text": f"rollback {m} production bad release"} for m in models],
        [
            {"actor": "github:eng2", "text": f"promote {m} v3 production v3 is better"}
            for m in models
        ],
    ]
    results, wall = run_workers(url, reliability_policy, groups)
    reg = Registry(url)
    assert not [r for r in results if r["status"] in ("traceback", "error")], results
    orders = Counter()
    for model in models:
        events = assert_history_consistent(reg, model)
        last_two = [(e["kind"], e["version"], e["previous"]) for e in events[-2:]]
        if last_two == [("rollback", 1, 2), ("promote", 3, 1)]:
            orders["rollback first, then the promotion: v3 holds"] += 1
        elif last_two == [("promote", 3, 2), ("rollback", 2, 3)]:
            # The promotion had finished before the rollback read the history: it undid v3.
            orders["promotion first, rollback undid it: v2 holds"] += 1
        elif last_two == [("promote", 3, 2), ("rollback", 1, 3)]:
            # The rollback was decided against v2 but ran after v3 arrived: it replaced the
            # holder it found (v3), and the history names v3 as what it rolled back.
            orders["rollback decided first, ran after the promotion: v1 holds"] += 1
        else:
            pytest.fail(f"unexpected history for {model}: {events}")
        if events[-1]["kind"] == "rollback":
            assert reg.client.get_model_version(model, "3").tags["rolled_back_by"]
        assert len(events) == 4
        for ev in events:
            lines = reg.description_lines(model, ev["version"])
            assert len([ln for ln in lines if "→ Production" in ln]) == len(
                [e for e in events if e["version"] == ev["version"]]
            )
    assert all(reg.locks(m) == [] for m in models)
    report(
        "rollback racing a promotion",
        backend.name,
        processes=2,
        rounds=len(models),
        orders=dict(orders),
        wall_s=round(wall, 1),
    )
