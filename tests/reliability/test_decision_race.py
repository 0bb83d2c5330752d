"""Approve racing deny against a real `mlflow server` (SQLite and PostgreSQL backends),
from real OS processes: 50 requests, each approved by one process and denied by another
at the same moment. Whatever the interleaving, each request has exactly one outcome,
the person on the other side is told how it ended, and the trail (`audit export`) says
what the registry holds (issue #20: `deny` took no lock and did not read again).

One model per request (the `bind-*` rule of tests/reliability/conftest.py: Production
needs one approval from the leads), so each pair races on its own target lock. The
pairs go in 5 rounds of 10, both processes releasing each round together: 100 commands
at once only measure how an overloaded server times out (on the shared 2-core machine,
half of them did), not who decides a request. Versions are registered without a run
(an approval binds to the run id it was asked with, here none): 2 calls each instead of
6, which is most of the set-up.
"""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from .conftest import Registry, lock_name, report, run_workers, unique
from .test_concurrency import run, service_for

pytestmark = pytest.mark.server

PAIRS, ROUNDS = 50, 5


def test_fifty_approvals_racing_fifty_denials(backend, reliability_policy):
    url = backend.url
    service = service_for(url, reliability_policy)
    models = [unique("bind") for _ in range(PAIRS)]

    client = Registry(url).client

    def ask(model: str) -> str:
        client.create_registered_model(model)
        version = client.create_model_version(model, source="s3://promobot-tests/model").version
        asked = run(service, "github:eng0", f"promote {model} v{version} production race")
        assert asked.status == "pending", asked.reasons
        return str(asked.request_id)

    with ThreadPoolExecutor(8) as pool:
        request_ids = list(pool.map(ask, models))
    groups = [  # one process approves every request, the other denies it
        [
            {"actor": actor, "text": f"{verb} {rid} {words}", "round": i % ROUNDS}
            for i, rid in enumerate(request_ids)
        ]
        for actor, verb, words in (
            ("github:lead0", "approve", "ship it"),
            ("slack:ULEAD1", "deny", "not today"),
        )
    ]
    results, wall = run_workers(url, reliability_policy, groups, rounds=ROUNDS)

    assert not [r for r in results if r["status"] in ("traceback", "error")], results
    by_request: dict[str, dict[str, dict]] = {rid: {} for rid in request_ids}
    for r in results:
        verb, rid = r["text"].split()[:2]
        by_request[rid][verb] = r
    reg = Registry(url)
    trail: dict[str, list[str]] = {rid: [] for rid in request_ids}
    for record in service.export.trail(models):  # what `audit export` writes
        trail[record.request].append(record.event)
    outcomes: Counter[str] = Counter()
    for model, rid in zip(models, request_ids, strict=True):
        approve, deny = by_request[rid]["approve"], by_request[rid]["deny"]
        held = reg.snapshot(model)  # the registry, read once
        tags = held["tags"]
        state = json.loads(tags[f"mlflow.promobot.request.{rid}.state"])["state"]
        events = [k for k in tags if k.startswith("mlflow.promobot.event.")]
        ((_, stage, _, description),) = held["versions"]
        if state == "done":  # the approval decided it; the denial was told so
            assert approve["status"] == "done" and not approve["already"], approve
            assert deny["status"] == "done" and deny["already"], deny
            assert "was already carried out" in deny["message"], deny
            assert (stage, held["aliases"]) == ("Production", {"production": "1"})
            assert len(events) == 1 and description.count("→ Production") == 1
            assert trail[rid] == ["request", "approval", "promotion"]
            outcomes["approved; the denial was told it was carried out"] += 1
        else:  # the denial decided it; the approval was told so, and nothing moved
            assert state == "denied", (rid, state)
            assert deny["status"] == "done" and not deny["already"], deny
            assert "denied by lead1@example.com" in deny["message"], deny
            assert approve["status"] == "refused", approve
            assert "was denied by lead1@example.com" in " ".join(approve["reasons"]), approve
            assert (stage, held["aliases"], events, description) == ("None", {}, [], "")
            assert trail[rid] == ["request", "denial"]
            outcomes["denied; the approval was told it was denied"] += 1
    locks = {lock_name(m, "production") for m in models}
    held_locks = reg.client.search_registered_models("name LIKE 'promobot-lock.%'", 1000)
    assert not [m.name for m in held_locks if m.name in locks]
    assert sum(outcomes.values()) == PAIRS
    report(
        "50 approvals racing 50 denials",
        backend.name,
        processes=2,
        pairs=PAIRS,
        rounds=ROUNDS,
        outcomes=dict(outcomes),
        wall_s=round(wall, 1),
    )
