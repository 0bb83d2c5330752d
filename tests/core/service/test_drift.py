"""Drift (bot/core/service/drift.py, bot/core/service/drift_scan.py) against a real SQLite registry:
changes made behind promobot's back are found, shown, refused and put right."""

from __future__ import annotations

import pytest
from service_helpers import M, run, to_production

from bot.core.service import Service


def raw_rollback(models, version: int) -> None:
    """The lesson's emergency script: raw stage transitions, no promobot."""
    models.client.transition_model_version_stage(
        M, str(version), "Production", archive_existing_versions=True
    )


@pytest.fixture
def two_in_production(service, models, two_versions):
    """v1 then v2 promoted to Production through promobot."""
    v1, v2 = two_versions
    assert to_production(service, v1).status == "done"
    assert to_production(service, v2).status == "done"
    return v1, v2


def findings(service: Service) -> list[dict]:
    return run(service, "cli:x", f"status {M}").to_json()["data"]["drift"]


def test_nothing_drifts_while_only_promobot_moves_versions(service, two_in_production):
    assert findings(service) == []
    assert service.drift_scan.scan([M]).findings == []


def test_the_lessons_raw_rollback_is_found_and_shown(service, models, two_in_production):
    v1, v2 = two_in_production
    raw_rollback(models, v1)
    assert findings(service) == [
        {"target": "Production", "kind": "outside", "holder": v1, "recorded": v2},
        {"target": "Production", "kind": "mirror", "holder": v1, "recorded": v2},
    ]
    from bot.render.message import to_text

    shown = to_text(run(service, "cli:x", f"status {M}"))
    first = shown.splitlines()[1]
    assert first.startswith("⚠ Production holds v1, but promobot last put v2 there")
    assert f"rollback {M} production <reason>" in shown
    assert f"promote {M} v{v1} production <reason>" in shown
    history = run(service, "cli:x", f"history {M}")
    assert history.history[0].kind == "drift:outside" and history.history[0].version == v1


def test_another_promotion_onto_a_drifted_target_is_refused_with_the_ways_out(
    service, models, two_in_production
):
    v1, _ = two_in_production
    raw_rollback(models, v1)
    v3 = models.version(M, accuracy=0.95, f1=0.9)
    run(service, "slack:U01BOB", f"promote {M} v{v3} staging ok")
    before = models.snapshot(M)
    refused = run(service, "slack:U01BOB", f"promote {M} v{v3} production better")
    assert refused.status == "refused"
    assert refused.reasons[0].startswith("Production holds v1, but promobot last put v2 there")
    assert f"`rollback {M} production <reason>`" in refused.reasons[0]
    assert models.snapshot(M) == before


def test_rollback_restores_what_promobot_recorded_and_its_mirror(
    service, models, two_in_production
):
    v1, v2 = two_in_production
    raw_rollback(models, v1)
    done = run(service, "slack:U01CAROL", f"rollback {M} someone moved it by hand")
    assert done.status == "done", done.reasons
    assert done.version == v2
    assert models.stage(M, v2) == "Production"
    assert models.aliases(M)["production"] == v2
    assert findings(service) == []
    assert service.drift_scan.scan([M]).findings == []


def test_promoting_the_holder_records_it_and_fixes_the_mirror(service, models, two_in_production):
    v1, v2 = two_in_production
    raw_rollback(models, v1)
    pending = run(service, "slack:U01BOB", f"promote {M} v{v1} production keep the old one")
    assert pending.status == "pending", pending.reasons
    done = run(service, "github:alice", f"approve {pending.request_id}")
    assert done.status == "done", done.reasons
    assert models.stage(M, v1) == "Production"
    assert models.aliases(M)["production"] == v1
    assert models.tags(M, v1)["promotion_request"] == pending.request_id
    assert findings(service) == []
    # The record is history like any promotion: a rollback now walks back to v2.
    back = run(service, "slack:U01CAROL", f"rollback {M} the old one was worse")
    assert back.status == "done" and back.version == v2


def test_a_target_emptied_behind_promobots_back_is_an_orphan(service, models, two_in_production):
    _, v2 = two_in_production
    models.client.transition_model_version_stage(M, str(v2), "Archived")
    assert {"target": "Production", "kind": "orphan", "holder": None, "recorded": v2} in (
        findings(service)
    )
    done = run(service, "slack:U01CAROL", f"rollback {M} production was emptied")
    assert done.status == "done" and models.stage(M, v2) == "Production"
    assert findings(service) == []


def test_an_alias_set_outside_promobot_is_found_and_recorded(service, models, two_versions):
    v1, v2 = two_versions
    assert run(service, "github:alice", f"promote {M} v{v1} @champion best").status == "done"
    models.client.set_registered_model_alias(M, "champion", str(v2))
    assert {"target": "@champion", "kind": "outside", "holder": v2, "recorded": v1} in (
        findings(service)
    )
    done = run(service, "github:alice", f"promote {M} v{v2} @champion we meant it")
    assert done.status == "done", done.reasons
    assert findings(service) == []


def test_a_stage_set_before_promobot_is_outside_promobot(service, models, two_versions):
    v1, _ = two_versions
    models.client.transition_model_version_stage(M, str(v1), "Staging")
    assert findings(service) == [
        {"target": "Staging", "kind": "outside", "holder": v1, "recorded": None},
        {"target": "Staging", "kind": "mirror", "holder": v1, "recorded": None},
    ]
    done = run(service, "slack:U01BOB", f"promote {M} v{v1} staging adopt it")
    assert done.status == "done", done.reasons
    assert models.aliases(M)["staging"] == v1
    assert findings(service) == []


def test_each_new_finding_is_reported_once(service, models, two_in_production):
    from bot.core import events

    v1, _ = two_in_production
    seen: list[str] = []

    class Recorder:
        def notify(self, event: events.Event) -> None:
            seen.extend(f"{f.target} {f.kind}" for f in event.result.drift)

    service.events.subscribe(Recorder(), (events.DRIFT_FOUND,))
    assert service.drift_scan.report_all() == []
    raw_rollback(models, v1)
    assert len(service.drift_scan.report_all()) == 2
    assert service.drift_scan.report_all() == []  # reported already
    assert seen == ["Production outside", "Production mirror"]
    run(service, "slack:U01CAROL", f"rollback {M} put right")
    assert service.drift_scan.report_all() == []
    raw_rollback(models, v1)  # the same drift again is news again
    assert len(service.drift_scan.report_all()) == 2


def test_a_target_promobot_never_moved_is_adopted_by_its_first_promotion(
    service, models, two_versions
):
    """An existing registry: Production was set before promobot. That is reported, and
    the first promotion through promobot replaces it as usual (and sets the mirror)."""
    v1, v2 = two_versions
    models.client.transition_model_version_stage(M, str(v1), "Production")
    assert {"target": "Production", "kind": "outside", "holder": v1, "recorded": None} in (
        findings(service)
    )
    done = to_production(service, v2)
    assert done.status == "done", done.reasons
    assert done.replaced_version == v1
    assert models.stage(M, v1) == "Archived" and models.aliases(M)["production"] == v2
    assert findings(service) == []


# ---- drift in the trail: recorded when found, kept once put right ------------------------


def drift_entries(service: Service) -> list[tuple]:
    history = run(service, "cli:x", f"history {M}").history
    return [(h.kind, h.version, h.previous, h.by) for h in history if h.kind.startswith("drift")]


def drift_trail(service: Service) -> list[tuple]:
    return [
        (r.event, r.action, r.version, r.previous, r.target, r.channel)
        for r in service.export.trail([M])
        if r.event == "drift"
    ]


def test_the_audit_records_the_lessons_raw_rollback_and_the_trail_keeps_it(
    service, models, two_in_production, clock
):
    v1, v2 = two_in_production
    raw_rollback(models, v1)
    clock.advance(hours=2)
    assert len(service.drift_scan.scan([M]).findings) == 2
    assert len(service.drift_scan.scan([M]).findings) == 2  # found again, recorded once
    found_at = clock.now
    clock.advance(minutes=5)
    done = run(service, "slack:U01CAROL", f"rollback {M} someone moved it by hand")
    assert done.status == "done" and done.version == v2

    history = run(service, "cli:x", f"history {M}").history
    assert [(h.kind, h.version) for h in history[:2]] == [
        ("rollback", v2),
        ("drift-found:outside", v1),
    ]
    found = history[1]
    assert (found.at, found.target, found.previous, found.by) == (
        found_at,
        "Production",
        v2,
        "outside promobot",
    )
    assert found.reason.startswith(
        "Production held v1, but promobot had last put v2 there (bob@example.com, "
    )
    assert found.reason.endswith("Found by `promobot audit`.")
    assert drift_trail(service) == [("drift", "outside", v1, v2, "Production", "audit")]
    records = list(service.export.trail([M]))
    assert [r.event for r in records][-2:] == ["drift", "rollback"]
    assert records[-2].at == found_at
    # Put right: nothing drifts now, and nothing more is recorded.
    assert service.drift_scan.scan([M]).findings == []
    assert len(drift_trail(service)) == 1


def test_the_passes_and_the_audit_record_one_drift_once(service, models, two_in_production):
    v1, _ = two_in_production
    raw_rollback(models, v1)
    assert len(service.drift_scan.report_all()) == 2  # announced, and recorded
    service.drift_scan.scan([M])
    service.drift_scan.report_new(M)  # a webhook delivery
    assert drift_trail(service) == [("drift", "outside", v1, 2, "Production", "audit-pass")]
    run(service, "slack:U01CAROL", f"rollback {M} put right")
    raw_rollback(models, v1)  # the same change again, after promobot put it right
    service.drift_scan.report_new(M)
    assert [t[-1] for t in drift_trail(service)] == ["audit-pass", "webhook"]


def test_a_rollback_of_a_drift_nobody_audited_records_it(service, models, two_in_production):
    v1, v2 = two_in_production
    raw_rollback(models, v1)
    done = run(service, "slack:U01CAROL", f"rollback {M} someone moved it by hand")
    assert done.status == "done", done.reasons
    assert drift_trail(service) == [("drift", "outside", v1, v2, "Production", "rollback")]
    assert drift_entries(service)[0] == ("drift-found:outside", v1, v2, "outside promobot")


def test_a_target_adopted_by_its_first_promotion_keeps_what_held_it(service, models, two_versions):
    v1, v2 = two_versions
    models.client.transition_model_version_stage(M, str(v1), "Production")
    assert to_production(service, v2).status == "done"
    assert drift_trail(service) == [("drift", "outside", v1, None, "Production", "promote")]
    (entry,) = [h for h in run(service, "cli:x", f"history {M}").history if h.kind[:5] == "drift"]
    assert entry.reason.startswith(
        f"Production held v{v1}, but promobot had never moved Production: it was set outside "
        f"promobot. Production held v{v1} but its alias @production named nothing: "
    )
    assert entry.reason.endswith("Found by the promotion onto it.")


def test_a_refused_promotion_onto_a_drifted_target_records_nothing(
    service, models, two_in_production
):
    v1, _ = two_in_production
    raw_rollback(models, v1)
    v3 = models.version(M, accuracy=0.95, f1=0.9)
    run(service, "slack:U01BOB", f"promote {M} v{v3} staging ok")
    before = models.model_tags(M)
    assert run(service, "slack:U01BOB", f"promote {M} v{v3} production x").status == "refused"
    assert models.model_tags(M) == before


# ---- a registry without stages (`registry: {stages: false}`) --------------------------------


@pytest.fixture
def aliases(service_factory) -> Service:
    from conftest import ALIASES_POLICY

    return service_factory(ALIASES_POLICY)


def test_without_stages_an_alias_moved_outside_promobot_is_drift_and_nothing_mirrors(
    aliases, models, two_versions
):
    v1, v2 = two_versions
    assert run(aliases, "slack:U01BOB", f"promote {M} v{v1} @staging x").status == "done"
    assert findings(aliases) == []
    models.client.set_registered_model_alias(M, "staging", str(v2))
    # A stage set by hand is no concern of a registry without stages.
    models.client.transition_model_version_stage(M, str(v1), "Production")
    assert findings(aliases) == [
        {"target": "@staging", "kind": "outside", "holder": v2, "recorded": v1}
    ]
    shown = to_text_of(run(aliases, "cli:x", f"status {M}"))
    assert f"rollback {M} @staging <reason>" in shown


def test_a_registry_that_drops_its_stages_finds_its_aliases_where_promobot_left_them(
    service, aliases, models, two_in_production
):
    """Promoted with stages (v1 then v2 to Production), then `registry: {stages: false}`:
    nothing drifts, the stages it no longer mirrors are not reported even once changed
    by hand, and `rollback` goes on from the stage's history without moving a stage."""
    v1, v2 = two_in_production
    assert findings(aliases) == []
    raw_rollback(models, v1)  # the stage only: @production still names v2
    assert {f["kind"] for f in findings(service)} == {"outside", "mirror"}
    assert findings(aliases) == []
    back = run(aliases, "slack:U01CAROL", f"rollback {M} latency")
    assert (back.status, back.target, back.version) == ("done", "@production", v1)
    assert models.aliases(M)["production"] == v1
    assert (models.stage(M, v1), models.stage(M, v2)) == ("Production", "Archived")
    assert findings(aliases) == []


def test_without_stages_archived_is_a_resting_place_as_the_stage_was(aliases, models, two_versions):
    v1, v2 = two_versions
    assert run(aliases, "github:alice", f"promote {M} v{v1} @archived old").status == "done"
    models.client.set_registered_model_alias(M, "archived", str(v2))
    assert findings(aliases) == []


def to_text_of(result) -> str:
    from bot.render.message import to_text

    return to_text(result)
