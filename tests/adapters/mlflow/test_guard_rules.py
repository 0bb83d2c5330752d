"""The guard's rules, table-driven: what is refused on a governed model, a lock model and
an ungoverned one, with which words; the key sets against promobot's own state layout;
the guard's settings; MLflow's route table against the guard's. No server here
(tests/adapters/mlflow/test_guard_server.py runs the real one)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.adapters.mlflow.guard import rules
from bot.adapters.mlflow.guard.rules import Change
from bot.config import GuardSettings
from bot.core import state
from bot.core.service.registration import GIT_TAGS
from bot.core.state import keys
from bot.core.state.execution_tags import MOVED_OUT_TAGS, version_tags_of
from bot.core.state.history_event import HistoryEvent

GOV = "governed-model"
verdict = rules.verdict_of(["governed-*", "exact-model"])

# (change, what the refusal says, or "" when it is allowed)
CASES = [
    (Change(rules.TRANSITION, GOV, "3", stage="Production"), "promote governed-model 3 production"),
    (Change(rules.TRANSITION, GOV, "3", stage="None"), "promote governed-model 3 archived"),
    (Change(rules.TRANSITION, "other", "3", stage="Production"), ""),
    (Change(rules.SET_ALIAS, GOV, "2", alias="champion"), "promote governed-model 2 @champion"),
    (Change(rules.SET_ALIAS, GOV, "2", alias="Production"), "promote governed-model 2 production"),
    (Change(rules.DELETE_ALIAS, GOV, alias="champion"), "rollback governed-model @champion"),
    (Change(rules.DELETE_MODEL, GOV), "it is not deleted while promobot keeps its records"),
    (Change(rules.DELETE_VERSION, GOV, "4"), "its versions are not deleted (v4)"),
    (Change(rules.RENAME_MODEL, GOV, new_name="x"), "it is not renamed"),
    (Change(rules.RENAME_MODEL, "free", new_name="governed-x"), "governed-x is governed"),
    (Change(rules.RENAME_MODEL, "free", new_name="free-2"), ""),
    (Change(rules.UPDATE_VERSION, GOV, "2"), "the description of v2 is promobot's record"),
    (Change(rules.UPDATE_MODEL, GOV), ""),
    (Change(rules.SET_MODEL_TAG, GOV, key="team"), ""),
    (Change(rules.SET_MODEL_TAG, GOV, key="mlflow.promobot.event.1.2.req-1"), "own state"),
    (Change(rules.DELETE_MODEL_TAG, GOV, key="promobot.request.req-1"), "own state"),
    (Change(rules.SET_MODEL_TAG, GOV, key="MLflow.Promobot.x "), "own state"),
    (Change(rules.SET_MODEL_TAG, "free", key="mlflow.promobot.x"), ""),
    (Change(rules.SET_VERSION_TAG, GOV, "1", key="notes"), ""),
    (Change(rules.SET_VERSION_TAG, GOV, "1", key="approved_by"), "audit trail"),
    (Change(rules.DELETE_VERSION_TAG, GOV, "1", key="rolled_back_by"), "audit trail"),
    (Change(rules.SET_VERSION_TAG, GOV, "1", key="verification"), "audit trail"),
    (Change(rules.SET_VERSION_TAG, GOV, "1", key="github_deployment.Production"), "audit"),
    (Change(rules.SET_VERSION_TAG, GOV, "1", key="git_commit"), "promobot register"),
    (Change(rules.DELETE_VERSION_TAG, GOV, "1", key="GIT_REPOSITORY"), "where the version came"),
    (Change(rules.SET_VERSION_TAG, GOV, "1", key="mlflow.promobot.x"), "own state"),
    (Change(rules.CREATE_VERSION, GOV, tag_keys=("git_commit", "git_branch")), ""),
    (Change(rules.CREATE_VERSION, GOV, tag_keys=("git_commit", "approved_by")), "approved_by"),
    (Change(rules.CREATE_MODEL, GOV), ""),
    (Change(rules.CREATE_MODEL, GOV, tag_keys=("owner",)), ""),
    (Change(rules.CREATE_MODEL, GOV, tag_keys=("mlflow.promobot.request.req-1",)), "own tags"),
    (Change(rules.CREATE_MODEL, "promobot-lock.ab12"), "execution locks"),
    (Change(rules.DELETE_MODEL, "promobot-lock.ab12"), "execution locks"),
    (Change(rules.SET_MODEL_TAG, "promobot-lock.ab12", key="x"), "execution locks"),
    (Change(rules.CREATE_VERSION, "Promobot-Lock.ab12.broken-1"), "execution locks"),
    (Change(rules.RENAME_MODEL, "free", new_name="promobot-lock.ab12"), "execution locks"),
    (Change(rules.CREATE_MODEL, "promobot-ledger.0a1b2c3d"), "promobot's ledgers"),
    (Change(rules.CREATE_VERSION, "promobot-ledger.0a1b2c3d"), "promobot's ledgers"),
    (Change(rules.SET_VERSION_TAG, "Promobot-Ledger.0a1b2c3d", "3", key="x"), "ledgers"),
    (Change(rules.DELETE_VERSION, "promobot-ledger.0a1b2c3d", "3"), "promobot's ledgers"),
    (Change(rules.DELETE_MODEL, "promobot-ledger.0a1b2c3d"), "promobot's ledgers"),
    (Change(rules.RENAME_MODEL, "free", new_name="promobot-ledger.0a1b2c3d"), "ledgers"),
    (Change(rules.TRANSITION, "Exact-Model ", "1", stage="Staging"), "is governed by promobot"),
    (Change(rules.WEBHOOK), "MLflow admins"),
]


@pytest.mark.parametrize(
    ("change", "says"),
    CASES,
    ids=[f"{c.kind}:{c.model}:{c.key or c.new_name or c.alias or ''}" for c, _ in CASES],
)
def test_what_is_refused_and_how_it_is_said(change: Change, says: str) -> None:
    found = rules.refusal(change, verdict)
    if not says:
        assert found == ""
        return
    assert says in found
    own = ("execution locks", "promobot's ledgers")  # promobot's own models, governed or not
    if change.kind not in (rules.WEBHOOK,) and not any(word in found for word in own):
        assert "is governed by promobot, so" in found


# Without stages (the policy's `registry: {stages: false}`), the commands shown name
# aliases only: `promote … production` would be refused there.
ALIASES_ONLY = [
    (
        Change(rules.TRANSITION, GOV, "3", stage="Production"),
        "promote governed-model 3 @production",
    ),
    (Change(rules.TRANSITION, GOV, "3", stage="Archived"), "promote governed-model 3 @<alias>"),
    (Change(rules.SET_ALIAS, GOV, "2", alias="Production"), "promote governed-model 2 @production"),
    (Change(rules.SET_ALIAS, GOV, "2", alias="champion"), "promote governed-model 2 @champion"),
]


@pytest.mark.parametrize(("change", "says"), ALIASES_ONLY)
def test_without_stages_the_commands_shown_name_aliases(change: Change, says: str) -> None:
    found = rules.refusal(change, verdict, stages=False)
    assert says in found
    assert "is governed by promobot, so" in found
    if change.kind == rules.TRANSITION:
        assert "registry.stages is false" in found


def test_the_key_sets_hold_every_tag_promobot_writes_on_versions() -> None:
    event = HistoryEvent(
        kind="rollback",
        target_key="production",
        target_label="Production",
        version=2,
        previous=1,
        by="bob@example.com",
        approved_by="alice@example.com",
        at=datetime(2026, 11, 25, 10, tzinfo=UTC),
        reason="r",
        request="req-0123456789",
        channel="cli",
        link="https://example.com",
        rollback_reason="r",
        verify={},
        ends_verification=True,
    )
    new, old = version_tags_of(event)
    assert all(rules.is_audit_key(k) for k in [*new, *old, *MOVED_OUT_TAGS])
    assert rules.is_audit_key(keys.deployment_tag("Production"))
    assert rules.is_audit_key(keys.deployment_tag("@champion"))
    assert {*GIT_TAGS, "artifact_digest"} == rules.PROVENANCE_TAGS
    for key in (
        state.receipt_key("Production"),
        state.receipt_key("@champion"),
        keys.approval_key("req-0123456789", "alice"),
        keys.state_key("req-0123456789"),
        keys.target_lock_key(datetime(2026, 11, 25, tzinfo=UTC), "production"),
        keys.LEGACY_SLACK_POSTED_TAG,
        keys.LOCK_OWNER_TAG,
    ):
        assert rules.is_state_key(key), key
    assert (
        verdict(keys.lock_model_name(keys.mutex_bucket("governed-model", "production"))) == "lock"
    )


def test_names_are_matched_as_the_policy_writes_them_and_as_mysql_would() -> None:
    assert verdict("governed-a") == verdict("GOVERNED-a") == verdict(" governed-a ") == "governed"
    assert verdict("governedx") == verdict("exact-model-2") == ""


@given(
    kind=st.sampled_from(sorted({c.kind for c, _ in CASES})),
    model=st.text(max_size=40),
    key=st.text(max_size=40),
    other=st.text(max_size=20),
)
def test_no_change_makes_the_rules_raise(kind: str, model: str, key: str, other: str) -> None:
    change = Change(kind, model, other, key, (key, other), other, other, other)
    assert isinstance(rules.refusal(change, verdict), str)


# ---- the settings on the MLflow host ------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "users", "allowed", "problems"),
    [
        ({"PROMOBOT_SERVICE_USERS": "promobot"}, {"promobot"}, False, []),
        ({"PROMOBOT_SERVICE_USERS": "p", "PROMOBOT_GUARD_ADMINS": " "}, {"p"}, False, []),
        (
            {"PROMOBOT_SERVICE_USERS": " a, b ,,", "PROMOBOT_GUARD_ADMINS": "Allow"},
            {"a", "b"},
            True,
            [],
        ),
        (
            {"PROMOBOT_SERVICE_USERS": "a", "PROMOBOT_GUARD_ADMINS": "alow"},
            {"a"},
            False,
            ["PROMOBOT_GUARD_ADMINS must be refuse"],
        ),
        ({}, set(), False, ["PROMOBOT_SERVICE_USERS is empty"]),
    ],
    ids=["one-user", "blank-admins", "two-users-allow", "bad-admins", "no-users"],
)
def test_guard_settings(monkeypatch, env, users, allowed, problems) -> None:
    for name in ("PROMOBOT_SERVICE_USERS", "PROMOBOT_GUARD_ADMINS", "PROMOBOT_POLICY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = GuardSettings()
    assert settings.service_users == users
    assert settings.admins_allowed is allowed
    found = settings.problems()
    assert len(found) == len(problems)
    for problem, expected in zip(found, problems, strict=True):
        assert problem.startswith(expected)
    assert settings.promobot_policy == "policies/"


# ---- MLflow's routes --------------------------------------------------------------------


def test_every_route_mlflow_serves_a_registry_write_on_is_guarded() -> None:
    from mlflow.protos.model_registry_pb2 import ModelRegistryService
    from mlflow.server.handlers import get_endpoints

    from bot.adapters.mlflow.guard.requests import KINDS, guarded_routes

    routes = guarded_routes()
    reads = {"Get", "Search"}
    writes = {
        m.input_type.name
        for m in ModelRegistryService.DESCRIPTOR.methods
        if not m.input_type.name.startswith(tuple(reads))
    }
    assert writes <= {cls.__name__ for cls in KINDS}, writes - {cls.__name__ for cls in KINDS}
    served = {
        (path, method)
        for path, cls, methods in get_endpoints(lambda cls: cls)
        if cls in KINDS
        for method in methods
    }
    assert served == set(routes)
    prefixes = {path.split("/mlflow/")[0] for path, _ in routes}
    assert prefixes == {"/api/2.0", "/ajax-api/2.0"}
    assert ("/api/2.0/mlflow/model-versions/transition-stage", "POST") in routes
    assert ("/ajax-api/2.0/mlflow/registered-models/alias", "DELETE") in routes
    assert ("/api/2.0/mlflow/webhooks/<webhook_id>", "PATCH") in routes
