"""Execution (bot/core/service/execution.py): interrupted executions finished by the next
command, against a real SQLite MLflow registry."""

from __future__ import annotations

import json
from typing import Any

import pytest
from service_helpers import M, run, to_production
from state_facts import unfinished

from bot.core.service import Service


def killed_before_the_description(service: Service, monkeypatch: Any, text: str) -> None:
    """Run `text` as bob, with the process dying when it comes to write the description:
    the stage has moved, the tags and the description line are not written."""
    registry = service.registry
    real = registry.append_description

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("process killed")

    monkeypatch.setattr(registry, "append_description", crash)
    with pytest.raises(RuntimeError):
        run(service, "slack:U01BOB", text)
    monkeypatch.setattr(registry, "append_description", real)


def test_interrupted_promotion_is_completed_by_the_retry(
    service, models, two_versions, monkeypatch
):
    """A crash after the stage moved but before tags and description: the same command
    again finishes it, with no duplicate description line or history entry."""
    v1, _ = two_versions
    killed_before_the_description(service, monkeypatch, f"promote {M} v1 staging x")
    assert models.stage(M, v1) == "Staging"
    assert unfinished(models.model_tags(M))  # the event is written, its outcome is not
    again = run(service, "slack:U01BOB", f"promote {M} v1 staging x")
    assert again.status == "done"
    assert len(models.description(M, v1).splitlines()) == 1
    tags = models.model_tags(M)
    assert not unfinished(tags)
    assert len([k for k in tags if k.startswith("mlflow.promobot.event.")]) == 1


def test_interrupted_promotion_of_a_deleted_version_does_not_block_the_target(
    service, models, two_versions, monkeypatch
):
    v1, v2 = two_versions
    killed_before_the_description(service, monkeypatch, f"promote {M} v1 staging x")
    models.client.delete_model_version(M, str(v1))
    result = run(service, "slack:U01BOB", f"promote {M} v2 staging y")
    assert result.status == "done", result.reasons
    assert models.stage(M, v2) == "Staging"
    tags = models.model_tags(M)
    assert not unfinished(tags)
    states = [v for k, v in tags.items() if k.endswith(".state")]
    assert any('"failed"' in v and "deleted" in v for v in states)


# ---- the tags of a move out, removed when the version takes a target again ----------------

MOVED_OUT = {
    "replaced_by",
    "archived_at",
    "archived_by",
    "rolled_back_at",
    "rolled_back_by",
    "rollback_reason",
}


def latest_event(tags: dict[str, str]) -> dict[str, Any]:
    return json.loads(tags[max(k for k in tags if k.startswith("mlflow.promobot.event."))])


def test_a_version_rolled_back_into_production_no_longer_reads_as_moved_out(
    service, models, two_versions
):
    """The finding on the MLflow UI's version page: v1, restored by a rollback, still said
    `archived_by` and `replaced_by` from when v2 replaced it."""
    v1, v2 = two_versions
    to_production(service, v1)
    to_production(service, v2, approver="slack:U01ERIN")
    assert MOVED_OUT & set(models.tags(M, v1)) == {"replaced_by", "archived_at", "archived_by"}

    done = run(service, "slack:U01CAROL", f"rollback {M} latency doubled", channel="slack")

    assert done.status == "done" and done.version == v1, done.reasons
    restored = models.tags(M, v1)
    assert not MOVED_OUT & set(restored), restored
    assert (restored["promoted_to"], restored["requested_by"]) == (
        "Production",
        "carol@example.com",
    )
    assert restored["promotion_reason"] == "rollback: latency doubled"
    out = models.tags(M, v2)  # the version rolled back says so
    assert (out["replaced_by"], out["archived_by"], out["rolled_back_by"]) == (
        f"v{v1}",
        "carol@example.com",
        "carol@example.com",
    )
    # The description keeps the whole story: the promotion and the rollback that
    # brought it back.
    assert models.description(M, v1).splitlines() == [
        "2026-11-25 10:00 UTC → Staging by bob@example.com: candidate (accuracy 0.91, f1 0.87)",
        "2026-11-25 10:00 UTC → Production by bob@example.com, approved by "
        "alice@example.com: shadow ok (accuracy 0.91, f1 0.87)",
        "2026-11-25 10:00 UTC → Production by carol@example.com: rollback: latency doubled "
        "(accuracy 0.91, f1 0.87)",
    ]
    # The intent named what the execution removed.
    event = latest_event(models.model_tags(M))
    assert event["stale_tags"] == ["archived_at", "archived_by", "replaced_by"]


def test_a_version_promoted_again_after_a_rollback_sheds_the_rollback_tags(
    service, models, two_versions, clock
):
    v1, v2 = two_versions
    to_production(service, v1)
    to_production(service, v2, approver="slack:U01ERIN")
    run(service, "slack:U01CAROL", f"rollback {M} latency doubled")
    assert set(models.tags(M, v2)) >= MOVED_OUT
    clock.advance(hours=2)

    again = to_production(service, v2, approver="slack:U01ERIN")

    assert again.status == "done", again.reasons
    assert not MOVED_OUT & set(models.tags(M, v2))
    assert models.tags(M, v1)["replaced_by"] == f"v{v2}"
    assert [ln.split(" by ")[0] for ln in models.description(M, v2).splitlines()] == [
        "2026-11-25 10:00 UTC → Staging",
        "2026-11-25 10:00 UTC → Production",
        "2026-11-25 12:00 UTC → Staging",
        "2026-11-25 12:00 UTC → Production",
    ]


def test_a_fresh_version_has_no_stale_tags_to_remove(service, models, two_versions):
    v1, _ = two_versions
    assert run(service, "slack:U01BOB", f"promote {M} v{v1} staging first").status == "done"
    assert latest_event(models.model_tags(M))["stale_tags"] == []


def test_a_promotion_without_a_link_removes_the_link_of_an_earlier_one(
    service, models, two_versions
):
    """`promotion_link` goes with the promotion it names: a later promotion from a door
    with no link must not leave the old comment's URL beside its own channel."""
    v1, v2 = two_versions
    link = "https://github.com/acme/models/pull/7#issuecomment-1"
    run(service, "github:bob", f"promote {M} v{v1} staging from the PR", "github", link)
    assert models.tags(M, v1)["promotion_link"] == link
    run(service, "slack:U01BOB", f"promote {M} v{v2} staging next")
    run(service, "slack:U01BOB", f"promote {M} v{v1} staging back", channel="cli")

    tags = models.tags(M, v1)
    assert tags["promotion_channel"] == "cli"
    assert "promotion_link" not in tags
    assert not MOVED_OUT & set(tags)


def test_an_interrupted_rollback_removes_the_stale_tags_when_it_is_finished(
    service, models, two_versions, monkeypatch
):
    """The removals are part of the intent: the command that finishes an execution cut
    short makes them, as the dead process would have."""
    v1, v2 = two_versions
    to_production(service, v1)
    to_production(service, v2, approver="slack:U01ERIN")
    registry = service.registry
    real = registry.delete_version_tag

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("process killed")

    monkeypatch.setattr(registry, "delete_version_tag", crash)
    with pytest.raises(RuntimeError):
        run(service, "slack:U01CAROL", f"rollback {M} latency doubled")
    monkeypatch.setattr(registry, "delete_version_tag", real)
    assert unfinished(models.model_tags(M))
    assert models.stage(M, v1) == "Production"
    assert models.tags(M, v1)["archived_by"] == "bob@example.com"  # not removed yet

    again = run(service, "slack:U01CAROL", f"rollback {M} latency doubled")

    assert again.already and again.version == v1, again.reasons
    assert not unfinished(models.model_tags(M))
    assert not MOVED_OUT & set(models.tags(M, v1))
    assert models.tags(M, v2)["rolled_back_by"] == "carol@example.com"
    assert [ln for ln in models.description(M, v1).splitlines() if "rollback" in ln] == [
        "2026-11-25 10:00 UTC → Production by carol@example.com: rollback: latency doubled "
        "(accuracy 0.91, f1 0.87)"
    ]


def test_a_stage_move_cut_short_before_the_switch_is_finished_without_moving_a_stage(
    service, service_factory, models, two_versions, monkeypatch
):
    """Cut short while the registry had stages, finished by the next command once it has
    none (`registry: {stages: false}`): its mirrored alias is set, no stage is moved."""
    from conftest import ALIASES_POLICY

    v1, _ = two_versions
    killed_before_the_description(service, monkeypatch, f"promote {M} v1 staging x")
    assert unfinished(models.model_tags(M))
    aliases = service_factory(ALIASES_POLICY)

    def no_stage(*args: object) -> None:
        raise AssertionError(f"a stage was moved: {args}")

    monkeypatch.setattr(aliases.registry, "move_stage", no_stage)
    result = run(aliases, "slack:U01BOB", f"promote {M} v{v1} @staging x")
    assert result.status == "done", result.reasons
    assert not unfinished(models.model_tags(M))
    # The stage moved before the switch stays as it was; the alias is what serves.
    assert (models.stage(M, v1), models.aliases(M)) == ("Staging", {"staging": v1})
    assert len(models.description(M, v1).splitlines()) == 1
