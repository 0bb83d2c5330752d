"""The audit trail use case (bot/core/service/trail.py) against a real SQLite registry: what
people did through promobot comes back record by record, oldest first across models."""

from __future__ import annotations

from datetime import timedelta

from service_helpers import M, run, to_production

F = "fraud-detector"  # fraud-*: production needs 2 approvals, requests live 2 hours


def events_of(trail) -> list[tuple[str, str, str, int | None]]:
    return [(r.model, r.event, r.target, r.version) for r in trail]


def test_every_model_the_policy_governs_oldest_first_across_models(
    service, models, two_versions, clock
) -> None:
    v1, _ = two_versions
    fraud = models.version(F, accuracy=0.9)
    models.version("not-governed", accuracy=0.9)
    run(service, "slack:U01BOB", f"promote {M} v{v1} staging first")
    clock.advance(minutes=1)
    asked = run(service, "slack:U01BOB", f"promote {F} v{fraud} production ok")
    clock.advance(minutes=1)
    run(service, "slack:U01BOB", f"promote {M} v{v1} production shadow ok")
    clock.advance(minutes=1)
    run(service, "github:alice", f"approve {asked.request_id} fine")
    clock.advance(minutes=1)
    run(service, "slack:U01ERIN", f"deny {asked.request_id} not yet")

    trail = service.export.trail()
    assert events_of(trail) == [
        (M, "promotion", "Staging", v1),
        (F, "request", "Production", fraud),
        (M, "request", "Production", v1),
        (F, "approval", "Production", fraud),
        (F, "denial", "Production", fraud),
    ]
    assert trail.models_read == 2 and trail.unknown == []
    denial = list(service.export.trail([F]))[-1]
    assert (denial.by, denial.reason, denial.at) == ("erin@example.com", "not yet", clock.now)


def test_since_keeps_the_records_at_or_after_it(service, models, two_versions, clock) -> None:
    v1, v2 = two_versions
    to_production(service, v1)  # staging, request, approval, promotion at the same time
    start = clock.now
    clock.advance(hours=1)
    run(service, "slack:U01BOB", f"promote {M} v{v2} staging next")
    later = [(r.event, r.version) for r in service.export.trail(since=start + timedelta(hours=1))]
    assert later == [("promotion", v2)]
    assert len(list(service.export.trail(since=start))) == 5
    assert list(service.export.trail(since=clock.now + timedelta(seconds=1))) == []


def test_an_expired_request_shows_its_expiry(service, models, clock) -> None:
    fraud = models.version(F, accuracy=0.9)
    asked = run(service, "slack:U01BOB", f"promote {F} v{fraud} production ok")
    clock.advance(hours=3)
    refused = run(service, "github:alice", f"approve {asked.request_id}")
    assert refused.status == "refused"
    assert [(r.event, r.by) for r in service.export.trail([F])] == [
        ("request", "bob@example.com"),
        ("expiry", "promobot"),
    ]


def test_models_given_are_read_as_given_and_unknown_ones_named(
    service, models, two_versions
) -> None:
    v1, _ = two_versions
    run(service, "slack:U01BOB", f"promote {M} v{v1} staging first")
    trail = service.export.trail(["no-such-model", M, M])
    assert [(r.model, r.event) for r in trail] == [(M, "promotion")]
    assert trail.unknown == ["no-such-model"]
    assert trail.models_read == 1


def test_a_registry_without_promobot_records_gives_none(service, models) -> None:
    models.version(M, accuracy=0.9)
    trail = service.export.trail()
    assert list(trail) == [] and trail.models_read == 1
