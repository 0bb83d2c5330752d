"""A quorum per group (`approvals: {ml-leads: 1, sre: 1}`) through approve, status and the
request view, on a real SQLite MLflow registry; ml-leads is a GitHub team and sre a Slack
user group, both faked at the HTTP level (tests/group_fakes.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from group_fakes import Fakes, group_fakes
from service_helpers import run

from bot.core.policy import QuorumCount
from bot.core.service import Service
from bot.render.message import to_markdown, to_text

F = "fraud-detector"


@pytest.fixture
def fakes() -> Iterator[Fakes]:
    with group_fakes() as both:
        yield both


@pytest.fixture
def service(fakes: Fakes, tracking_uri: str, clock: Any) -> Service:
    return fakes.service(tracking_uri, clock, promobot_group_cache_seconds=300)


@pytest.fixture
def request_id(service: Service, models: Any) -> str:
    models.version(F, auc=0.9)
    pending = run(service, "slack:U01BOB", f"promote {F} v1 production")
    assert pending.status == "pending", pending.reasons
    return str(pending.request_id)


def test_the_request_shows_each_groups_count(service, models) -> None:
    models.version(F, auc=0.9)

    pending = run(service, "slack:U01BOB", f"promote {F} v1 production")

    assert pending.quorum == (QuorumCount("ml-leads", 0, 1), QuorumCount("sre", 0, 1))
    assert (pending.approvals, pending.approvals_required) == (0, 2)
    text = to_markdown(pending, "github")
    assert text.splitlines()[0] == (
        f"⏳ **{F} v1 → Production** is waiting for approvals: ml-leads 0 of 1 ⏳ · sre 0 of 1 ⏳"
    )
    assert "| ⏳ approvals | ml-leads 0 of 1 · sre 0 of 1 (bob cannot approve" in text
    assert pending.to_json()["data"]["quorum"] == {
        "ml-leads": {"have": 0, "need": 1},
        "sre": {"have": 0, "need": 1},
    }


def test_one_of_each_group_carries_it_out_once(service, models, request_id) -> None:
    lead = run(service, "github:alice", f"approve {request_id} dashboards checked")
    assert lead.status == "pending"
    assert lead.message == "Approval recorded: ml-leads 1 of 1 ✅ · sre 0 of 1 ⏳."
    assert [step.who for step in lead.next_steps] == ["a member of sre"]
    assert models.stage(F, 1) == "None"

    sre = run(service, "slack:U01CAROL", f"approve {request_id}")

    assert sre.status == "done", sre.reasons
    assert models.stage(F, 1) == "Production"
    assert models.tags(F, 1)["approved_by"] == "alice@example.com, carol@example.com"
    again = run(service, "slack:U0SAM", f"approve {request_id}")
    assert again.already and models.description(F, 1).count("→ Production") == 1


def test_a_person_in_both_groups_cannot_complete_it_alone(
    service, models, request_id, clock
) -> None:
    first = run(service, "github:dave", f"approve {request_id}")
    clock.advance(minutes=1)
    second = run(service, "slack:U01DAVE", f"approve {request_id}")  # dave again, in Slack
    clock.advance(minutes=1)

    for answer in (first, second):
        assert answer.status == "pending"
        assert (answer.approvals, answer.approvals_required) == (1, 2)
    assert models.stage(F, 1) == "None"
    # alice is only a lead: dave's approval moves to sre, and both groups are met.
    done = run(service, "slack:U01ALICE", f"approve {request_id}")
    assert done.status == "done", done.reasons
    assert models.tags(F, 1)["approved_by"] == "dave@example.com, alice@example.com"


def test_an_approval_that_fills_no_open_group_is_kept_but_said_so(
    service, models, request_id
) -> None:
    run(service, "github:alice", f"approve {request_id}")

    second_lead = run(service, "github:zed", f"approve {request_id}")

    assert second_lead.status == "pending"
    assert second_lead.message == (
        "Approval recorded, but it counts toward no group that still needs one: "
        "ml-leads 1 of 1 ✅ · sre 0 of 1 ⏳."
    )
    assert "github:zed" not in ", ".join(second_lead.approved_by)
    kept = [json.loads(v)["actor"] for k, v in models.model_tags(F).items() if ".approval." in k]
    assert sorted(kept) == ["github:alice", "github:zed"]
    done = run(service, "slack:U0SAM", f"approve {request_id}")
    assert done.status == "done"
    assert models.tags(F, 1)["approved_by"] == "alice@example.com, slack:U0SAM"


def test_status_shows_each_groups_count(service, models, request_id) -> None:
    run(service, "github:alice", f"approve {request_id}")

    status = run(service, "cli:x", f"status {F}")

    (pending,) = status.pending
    assert pending.quorum == (QuorumCount("ml-leads", 1, 1), QuorumCount("sre", 0, 1))
    row = next(line for line in to_text(status).splitlines() if request_id in line)
    assert "ml-leads 1 of 1 ✅ · sre 0 of 1 ⏳" in row
    (shown,) = status.to_json()["data"]["pending"]
    assert shown["quorum"] == {"ml-leads": {"have": 1, "need": 1}, "sre": {"have": 0, "need": 1}}
    assert (shown["approvals"], shown["approvals_required"]) == (1, 2)


def test_the_request_view_a_door_redraws_shows_each_groups_count(
    service, models, request_id
) -> None:
    run(service, "github:alice", f"approve {request_id}")

    view = service.request_view(request_id)

    assert view is not None and view.status == "pending"
    assert view.quorum == (QuorumCount("ml-leads", 1, 1), QuorumCount("sre", 0, 1))
    assert [(s.who, s.click) for s in view.next_steps] == [("a member of sre", "Approve")]


def test_a_rollback_quorum_of_two_from_one_group(service, models) -> None:
    # The rollback rule of fraud-detector: {sre: 2}.
    for v in (1, 2):  # each promoted through promobot: a rollback restores only those
        models.version(F, auc=0.9)
        asked = run(service, "slack:U01BOB", f"promote {F} v{v} production")
        run(service, "github:alice", f"approve {asked.request_id}")
        assert run(service, "slack:U01CAROL", f"approve {asked.request_id}").status == "done"

    pending = run(service, "github:bob", f"rollback {F} to v1 v2 misbehaves")

    assert pending.status == "pending", pending.reasons
    assert pending.quorum == (QuorumCount("sre", 0, 2),)
    one = run(service, "github:carol", f"approve {pending.request_id}")
    assert one.message == "Approval recorded: sre 1 of 2 ⏳."
    done = run(service, "slack:U0SAM", f"approve {pending.request_id}")
    assert done.status == "done", done.reasons
    assert models.stage(F, 1) == "Production"
