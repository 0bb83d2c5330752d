"""Stages, or aliases only (bot/core/service/registry_kind.py): what a command may name in
a registry with stages and in one without (`registry: {stages: false}`), and the whole
story told without stages, against a real SQLite registry: no stage ever moves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from conftest import ALIASES_POLICY
from service_helpers import M, run, to_production

from bot.core.service import Service
from bot.render.message import to_text

NO_STAGES = "(`registry: {stages: false}` in the policy)"


@pytest.fixture
def aliases(service_factory: Callable[..., Service], monkeypatch: Any) -> Service:
    """The service under the aliases-only policy; its registry refuses to move a stage."""
    service = service_factory(ALIASES_POLICY)

    def no_stage(*args: object) -> None:
        raise AssertionError(f"a stage was moved: {args}")

    monkeypatch.setattr(service.registry, "move_stage", no_stage)
    return service


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            f"promote {M} v1 @production ok",
            "`@production` mirrors the Production stage and moves with it; name the stage "
            "`production` instead.",
        ),
        (
            f"rollback {M} @staging bad",
            "`@staging` mirrors the Staging stage and moves with it; name the stage "
            "`staging` instead.",
        ),
        (
            f"lock {M} @production release week",
            "`@production` mirrors the Production stage and moves with it; name the stage "
            "`production` instead.",
        ),
    ],
    ids=["promote", "rollback", "lock"],
)
def test_with_stages_their_aliases_are_no_targets(service, models, two_versions, text, reason):
    before = models.snapshot(M)
    result = run(service, "slack:U01ALICE", text)
    assert (result.status, result.reasons) == ("refused", (reason,))
    assert models.snapshot(M) == before


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            f"promote {M} v1 production ok",
            f"`production` is a stage, and this registry has no stages {NO_STAGES}: "
            "write `@production`.",
        ),
        (
            f"promote {M} staging @production ok",
            f"`staging` names a stage, and this registry has no stages {NO_STAGES}: name the "
            "version by its alias, `@staging`, or by its number.",
        ),
        (
            f"rollback {M} staging bad",
            f"`staging` is a stage, and this registry has no stages {NO_STAGES}: write `@staging`.",
        ),
        (
            f"rollback {M} to production bad",
            f"`production` names a stage, and this registry has no stages {NO_STAGES}: name "
            "the version by its alias, `@production`, or by its number.",
        ),
        (
            f"lock {M} archived",
            f"`archived` is a stage, and this registry has no stages {NO_STAGES}: "
            "write `@archived`.",
        ),
    ],
    ids=[
        "promote-to-a-stage",
        "promote-a-stage",
        "rollback-a-stage",
        "rollback-to-a-stage",
        "lock",
    ],
)
def test_without_stages_a_stage_is_refused_with_the_alias_to_write(
    aliases, models, two_versions, text, reason
):
    before = models.snapshot(M)
    result = run(aliases, "slack:U01ALICE", text)
    assert (result.status, result.reasons) == ("refused", (reason,))
    assert models.snapshot(M) == before


def test_without_stages_the_whole_story_moves_no_stage(aliases, models, two_versions):
    v1, v2 = two_versions
    for version in (v1, v2):
        staged = run(aliases, "slack:U01BOB", f"promote {M} v{version} @staging candidate")
        assert staged.status == "done", staged.reasons
        pending = run(aliases, "slack:U01BOB", f"promote {M} v{version} @production shadow ok")
        assert pending.status == "pending", pending.reasons
        done = run(aliases, "github:alice", f"approve {pending.request_id}")
        assert (done.status, done.uri) == ("done", f"models:/{M}@production")
        assert models.aliases(M)["production"] == version
    # The gates read the aliases: v2 was compared with what @production named, v1.
    checks = {c.name: c.detail for c in pending.checks}
    assert checks["stage order"] == f"v{v2} holds @staging"
    assert checks["f1 ≥ production − 0.01"] == f"0.890 vs 0.874 (v{v1})"

    back = run(aliases, "slack:U01CAROL", f"rollback {M} p99 latency doubled")
    assert (back.status, back.target, back.version) == ("done", "@production", v1)
    assert models.aliases(M) == {"production": v1, "staging": v2}
    assert {models.stage(M, v) for v in (v1, v2)} == {"None"}
    tags = models.tags(M, v2)
    assert tags["promoted_to"] == "@production"
    assert tags["rolled_back_by"] == "carol@example.com"
    assert "archived_at" not in tags  # an alias target archives nothing
    # The description is Markdown: a word joiner keeps `@production` from being a mention.
    assert "→ @\u2060production by bob@example.com" in models.description(M, v2)
    assert f"Now serving: `models:/{M}@production`" in to_text(back)


def test_without_stages_the_order_rule_names_an_alias(aliases, models, two_versions):
    _, v2 = two_versions
    result = run(aliases, "slack:U01BOB", f"promote {M} v{v2} @production shadow ok")
    assert result.status == "refused"
    assert (
        f"v{v2} must hold @staging before it goes to @production, and it holds no alias; "
        f"promote v{v2} to @staging first: `promote {M} v{v2} @staging`." in result.reasons
    )


def test_status_without_stages_shows_the_aliases_only(service, aliases, models, two_versions):
    v1, v2 = two_versions
    # Promoted while the registry had stages: Production and Staging are still set.
    assert to_production(service, v1).status == "done"
    assert run(service, "slack:U01BOB", f"promote {M} v{v2} staging x").status == "done"
    assert run(aliases, "slack:U01ALICE", f"promote {M} v{v2} @champion x").status == "done"
    result = run(aliases, "cli:x", f"status {M}")
    status = result.to_json()["data"]
    assert [(h["target"], h["version"]) for h in status["holders"]] == [
        ("@production", v1),
        ("@staging", v2),
        ("@champion", v2),
    ]
    assert status["drift"] == []
    switched = (
        "This registry has no stages now (`registry: {stages: false}`): promobot moves "
        f"aliases only and leaves the stages MLflow still shows (Production v{v1}, Staging "
        f"v{v2}) as they are; deployment code loads `models:/{M}@production`."
    )
    assert status["message"] == switched
    assert switched in to_text(result).splitlines()
    # Once no version is in a stage, there is nothing to explain.
    assert run(service, "github:alice", f"promote {M} v{v1} archived x").status == "done"
    models.client.transition_model_version_stage(M, str(v2), "None")
    assert run(aliases, "cli:x", f"status {M}").message == ""


def test_a_stage_request_from_before_the_switch_is_not_carried_out(
    service, aliases, models, two_versions
):
    v1, _ = two_versions
    run(service, "slack:U01BOB", f"promote {M} v{v1} staging candidate")
    pending = run(service, "slack:U01BOB", f"promote {M} v{v1} production shadow ok")
    before = models.snapshot(M)
    result = run(aliases, "github:alice", f"approve {pending.request_id}")
    assert result.status == "refused"
    assert result.reasons == (
        f"{pending.request_id} asks for the stage Production, and this registry has no "
        f"stages now {NO_STAGES}; nothing was approved. Ask again for the alias: "
        f"`promote {M} v{v1} @production <reason>`.",
    )
    assert models.snapshot(M) == before


def test_a_new_versions_card_compares_with_production_as_the_registry_has_it(
    aliases, models, two_versions
):
    v1, v2 = two_versions
    run(aliases, "slack:U01BOB", f"promote {M} v{v1} @staging x")
    pending = run(aliases, "slack:U01BOB", f"promote {M} v{v1} @production x")
    run(aliases, "github:alice", f"approve {pending.request_id}")
    card = aliases.version_card(M, v2)
    assert card is not None
    assert (card.extra["production_version"], card.extra["production_label"]) == (
        v1,
        "@production",
    )
    assert f"v{v1} (@production)" in to_text(card)
