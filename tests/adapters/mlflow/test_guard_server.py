"""promobot's guard inside a real `mlflow server --app-name promobot-guard`, on SQLite and
on PostgreSQL (the session's `guarded_mlflow`), with its users made through MLflow's own
auth API and the policy on the server's side (tests/fixtures/guard_policy.yaml: every
`governed-*` model is governed).

The engineer holds MANAGE on every registered model and CI EDIT, the most MLflow allows:
what they are refused here is the guard's doing, and what MLflow holds afterwards is
compared whole with what it held before.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from mlflow.exceptions import MlflowException
from servers import PROMOBOT, Guarded

from bot.adapters.mlflow.guard.requests import guarded_routes
from bot.cli import main
from bot.core.state import keys

pytestmark = pytest.mark.server

SHA = "0123456789abcdef0123456789abcdef01234567"
GIT_TAGS = {"git_commit": SHA, "git_repository": "acme/models", "git_branch": "main"}


def unique(prefix: str = "governed") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def snapshot(client: Any, model: str) -> dict[str, Any]:
    """Everything about a model a change could touch."""
    rm = client.get_registered_model(model)
    versions = client.search_model_versions(f"name='{model}'")
    return {
        "tags": dict(rm.tags),
        "aliases": dict(rm.aliases),
        "description": rm.description,
        "versions": sorted(
            (mv.version, mv.current_stage, sorted(mv.tags.items()), mv.description)
            for mv in versions
        ),
    }


@dataclass
class Scene:
    """A governed model as promobot left it: v1 and v2 registered by CI with their git
    tags; promobot put v1 in Production, then v2 (v1 archived), then v1 on @champion."""

    guarded: Guarded
    model: str
    run_id: str
    before: dict[str, Any]

    @property
    def source(self) -> str:
        return f"runs:/{self.run_id}/model"

    def now(self) -> dict[str, Any]:
        with self.guarded.as_user("promobot") as client:
            return snapshot(client, self.model)


def make_scene(guarded: Guarded) -> Scene:
    model = unique()
    run_id = guarded.ci_versions(model, 2, GIT_TAGS)
    guarded.promobot_does(
        f"promote {model} v1 production first",
        f"promote {model} v2 production second",
        f"promote {model} v1 @champion steady",
    )
    with guarded.as_user("promobot") as client:
        before = snapshot(client, model)
    assert before["aliases"] == {"production": "2", "champion": "1"}
    return Scene(guarded, model, run_id, before)


@pytest.fixture(scope="module")
def scene(guarded_mlflow: Guarded) -> Scene:
    """One scene per backend for the tests that change nothing (each checks that)."""
    return make_scene(guarded_mlflow)


@pytest.fixture
def fresh_scene(guarded_mlflow: Guarded) -> Scene:
    """A scene of its own, for a test that changes it."""
    return make_scene(guarded_mlflow)


def refused(call: Callable[[], Any], model: str) -> str:
    """The guard's refusal of `call`, as MLflow's client raises it."""
    with pytest.raises(MlflowException) as caught:
        call()
    assert caught.value.error_code == "PERMISSION_DENIED", caught.value.message
    message = caught.value.message
    assert "promobot's guard refused this" in message
    assert f"{model} is governed by promobot" in message
    return message


# ---- the lesson, and every other raw write --------------------------------------------------


def test_the_lessons_raw_rollback_is_refused_and_changes_nothing(scene: Scene) -> None:
    with scene.guarded.as_user("eng") as client:
        message = refused(
            lambda: client.transition_model_version_stage(
                scene.model, "1", "Production", archive_existing_versions=True
            ),
            scene.model,
        )
    assert f"Use: promote {scene.model} 1 production <reason>" in message
    assert "MLflow user eng is not one of promobot's service accounts" in message
    assert scene.now() == scene.before


def _event_key(scene: Scene) -> str:
    return next(k for k in scene.before["tags"] if k.startswith(keys.EVENT_PREFIX))


RAW_WRITES: dict[str, Callable[[Any, Scene], Any]] = {
    "approval tag": lambda c, s: c.set_registered_model_tag(
        s.model,
        keys.approval_key("req-0123456789", "alice"),
        json.dumps({"actor": "github:alice", "person": "alice"}),
    ),
    "history event deleted": lambda c, s: c.delete_registered_model_tag(s.model, _event_key(s)),
    "alias set": lambda c, s: c.set_registered_model_alias(s.model, "champion", "2"),
    "alias deleted": lambda c, s: c.delete_registered_model_alias(s.model, "production"),
    "description edited": lambda c, s: c.update_model_version(s.model, "2", "all good"),
    "git_commit rewritten": lambda c, s: c.set_model_version_tag(
        s.model, "2", "git_commit", "f" * 40
    ),
    "git_repository deleted": lambda c, s: c.delete_model_version_tag(
        s.model, "2", "git_repository"
    ),
    "audit tag written": lambda c, s: c.set_model_version_tag(s.model, "2", "approved_by", "me"),
    "audit tag deleted": lambda c, s: c.delete_model_version_tag(s.model, "1", "replaced_by"),
    "version deleted": lambda c, s: c.delete_model_version(s.model, "1"),
    "model deleted": lambda c, s: c.delete_registered_model(s.model),
    "model renamed": lambda c, s: c.rename_registered_model(s.model, f"{s.model}-old"),
    "registered with audit tags": lambda c, s: c.create_model_version(
        s.model, s.source, run_id=s.run_id, tags={**GIT_TAGS, "approved_by": "me"}
    ),
}


@pytest.mark.parametrize("write", sorted(RAW_WRITES))
@pytest.mark.parametrize("user", ["eng", "ci"])
def test_a_raw_governed_write_is_refused_and_changes_nothing(
    scene: Scene, write: str, user: str
) -> None:
    with scene.guarded.as_user(user) as client:
        refused(lambda: RAW_WRITES[write](client, scene), scene.model)
    assert scene.now() == scene.before


def _bodies(scene: Scene) -> dict[str, dict[str, Any]]:
    m = scene.model
    return {
        "TransitionModelVersionStage": {"name": m, "version": "1", "stage": "Production"},
        "SetRegisteredModelAlias": {"name": m, "alias": "champion", "version": "2"},
        "DeleteRegisteredModelAlias": {"name": m, "alias": "champion"},
        "DeleteRegisteredModel": {"name": m},
        "RenameRegisteredModel": {"name": m, "new_name": f"{m}-x"},
        "CreateRegisteredModel": {
            "name": m,
            "tags": [{"key": "mlflow.promobot.request.req-0123456789", "value": "{}"}],
        },
        "DeleteModelVersion": {"name": m, "version": "1"},
        "UpdateModelVersion": {"name": m, "version": "1", "description": "x"},
        "CreateModelVersion": {
            "name": m,
            "source": scene.source,
            "run_id": scene.run_id,
            "tags": [{"key": "promoted_to", "value": "Production"}],
        },
        "SetRegisteredModelTag": {"name": m, "key": "mlflow.promobot.x", "value": "1"},
        "DeleteRegisteredModelTag": {"name": m, "key": _event_key(scene)},
        "SetModelVersionTag": {"name": m, "version": "1", "key": "git_commit", "value": "0"},
        "DeleteModelVersionTag": {"name": m, "version": "1", "key": "promoted_to"},
    }


def test_every_registry_route_under_every_prefix_refuses(scene: Scene) -> None:
    """Straight HTTP, as the UI (/ajax-api/…) or any script (/api/…) would call."""
    bodies = _bodies(scene)
    tried = []
    for (path, method), message in sorted(guarded_routes().items(), key=str):
        body = bodies.get(message.__name__)
        if body is None:  # webhooks (below) and the model's own description (allowed)
            continue
        answer = scene.guarded.http("eng", method, path, body)
        assert answer.status_code == 403, (path, method, answer.text)
        found = answer.json()
        assert found["error_code"] == "PERMISSION_DENIED"
        assert f"{scene.model} is governed by promobot" in found["message"]
        tried.append((path.split("/mlflow/")[0], message.__name__))
    assert {prefix for prefix, _ in tried} == {"/api/2.0", "/ajax-api/2.0"}
    assert len(tried) == 2 * len(bodies)
    assert scene.now() == scene.before


# ---- what stays open ---------------------------------------------------------------------


def test_peoples_own_tags_the_models_description_and_new_versions_stay_open(
    fresh_scene: Scene,
) -> None:
    scene = fresh_scene
    with scene.guarded.as_user("eng") as client:
        client.set_registered_model_tag(scene.model, "team", "nlp")
        client.set_model_version_tag(scene.model, "2", "notes", "looks fine")
        client.delete_model_version_tag(scene.model, "2", "notes")
        client.update_registered_model(scene.model, "Sentiment of support tickets")
    with scene.guarded.as_user("ci") as client:
        mv = client.create_model_version(scene.model, scene.source, scene.run_id, tags=GIT_TAGS)
    after = scene.now()
    assert after["tags"] == {**scene.before["tags"], "team": "nlp"}
    assert after["description"] == "Sentiment of support tickets"
    assert after["versions"][:2] == scene.before["versions"]
    assert dict(after["versions"][2][2]) == GIT_TAGS and mv.version == "3"


def test_reads_always_work(scene: Scene) -> None:
    for user in ("eng", "ci", "admin"):
        with scene.guarded.as_user(user) as client:
            assert client.get_registered_model(scene.model).aliases == scene.before["aliases"]
            assert client.get_model_version_by_alias(scene.model, "champion").version == "1"
            assert len(client.search_model_versions(f"name='{scene.model}'")) == 2
            assert client.get_model_version(scene.model, "2").current_stage == "Production"
            assert client.get_model_version_download_uri(scene.model, "2")
        for prefix in ("/api/2.0", "/ajax-api/2.0"):
            answer = scene.guarded.http(
                user, "GET", f"{prefix}/mlflow/registered-models/get", params={"name": scene.model}
            )
            assert answer.status_code == 200, answer.text


def test_ungoverned_models_anything_goes(guarded_mlflow: Guarded) -> None:
    model = unique("free")
    run_id = guarded_mlflow.ci_versions(model, 2, GIT_TAGS)
    with guarded_mlflow.as_user("eng") as client:
        client.set_registered_model_tag(model, "mlflow.promobot.request.req-0123456789", "{}")
        client.transition_model_version_stage(model, "1", "Production")
        client.set_registered_model_alias(model, "champion", "2")
        client.delete_registered_model_alias(model, "champion")
        client.update_model_version(model, "1", "edited")
        client.set_model_version_tag(model, "1", "git_commit", "f" * 40)
        client.set_model_version_tag(model, "1", "approved_by", "me")
        client.create_model_version(
            model, f"runs:/{run_id}/model", run_id, tags={"promoted_to": "x"}
        )
        client.delete_model_version(model, "2")
        client.rename_registered_model(model, f"{model}-renamed")
        client.delete_registered_model(f"{model}-renamed")
        assert not client.search_registered_models(f"name = '{model}-renamed'")


def test_renaming_an_ungoverned_model_into_a_governed_name_is_refused(
    guarded_mlflow: Guarded,
) -> None:
    model, target = unique("free"), unique()
    guarded_mlflow.ci_versions(model, 1, GIT_TAGS)
    with guarded_mlflow.as_user("eng") as client:
        client.set_registered_model_tag(model, "mlflow.promobot.request.req-0123456789", "{}")
        refused(lambda: client.rename_registered_model(model, target), target)
        assert client.get_registered_model(model).name == model


# ---- promobot itself, and CI --------------------------------------------------------------


def promobot_cli(guarded: Guarded, user: str, *words: str, **env: str) -> tuple[int, str, str]:
    done = subprocess.run(
        [str(PROMOBOT), *words],
        env=guarded.cli_env(user, **env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


LOG_A_MODEL = """
import sys, mlflow, numpy as np
from sklearn.linear_model import LogisticRegression
model = LogisticRegression().fit(np.array([[0.0], [1.0]]), [0, 1])
with mlflow.start_run(run_id=sys.argv[1]):
    mlflow.sklearn.log_model(model, name="model", pip_requirements=[])
"""


def test_ci_registers_and_promobots_service_account_promotes(
    guarded_mlflow: Guarded, tmp_path: Any
) -> None:
    model = unique()
    github = {
        "GITHUB_SHA": SHA,
        "GITHUB_REPOSITORY": "acme/models",
        "GITHUB_REF_NAME": "main",
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_ENV": str(tmp_path / "env"),
    }
    code, out, err = promobot_cli(
        guarded_mlflow, "ci", "register", "start-run", "--experiment", "guard-ci", **github
    )
    assert code == 0, err
    run_id = next(
        line.split("=", 1)[1]
        for line in (tmp_path / "output").read_text().splitlines()
        if line.startswith("run-id=")
    )
    trained = subprocess.run(
        [sys.executable, "-c", LOG_A_MODEL, run_id],
        env=guarded_mlflow.cli_env("ci"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert trained.returncode == 0, trained.stderr[-2000:]
    code, out, err = promobot_cli(
        guarded_mlflow, "ci", "register", "--model", model, "--run-id", run_id, **github
    )
    assert code == 0, err + out
    with guarded_mlflow.as_user("ci") as client:
        version = client.get_model_version(model, "1")
    assert version.tags["git_commit"] == SHA and version.tags["git_repository"] == "acme/models"

    # CI is not promobot: it may not act for alice, and a CI that claims to be one of
    # promobot's accounts (its own PROMOBOT_SERVICE_USERS) is refused by the registry.
    words = ("promote", model, "v1", "staging", "ready", "--as", "github:alice")
    code, out, err = promobot_cli(guarded_mlflow, "ci", *words)
    assert code == 1, out + err
    assert "only promobot's service accounts" in err
    code, out, err = promobot_cli(guarded_mlflow, "ci", *words, PROMOBOT_SERVICE_USERS="ci")
    assert code == 1, out + err  # MLflow answered and refused (bot/doors/common.py)
    assert err.strip().splitlines() == [
        "This registry is guarded by promobot: people's commands go through `promobot serve`. "
        "Run `promobot --server <its URL> <the same words>`, or set PROMOBOT_SERVER_URL."
    ]

    code, out, err = promobot_cli(
        guarded_mlflow,
        "promobot",
        "promote",
        model,
        "v1",
        "staging",
        "ready",
        "--as",
        "github:alice",
        "--json",
    )
    assert code == 0, out + err
    assert json.loads(out)["status"] == "done"
    with guarded_mlflow.as_user("eng") as client:
        assert client.get_model_version(model, "1").current_stage == "Staging"
        assert client.get_registered_model(model).aliases == {"staging": "1"}


# ---- admins, webhooks, locks ---------------------------------------------------------------


def test_an_admin_is_refused_too(scene: Scene) -> None:
    with scene.guarded.as_user("admin") as client:
        message = refused(
            lambda: client.transition_model_version_stage(scene.model, "1", "Production"),
            scene.model,
        )
        refused(
            lambda: client.set_registered_model_alias(scene.model, "champion", "2"), scene.model
        )
    assert "MLflow admins are refused too unless PROMOBOT_GUARD_ADMINS=allow" in message
    assert scene.now() == scene.before


def test_webhooks_are_managed_by_admins_only(guarded_mlflow: Guarded) -> None:
    hook = {
        "name": unique("hook"),
        "url": "http://127.0.0.1:9/hook",
        "events": [{"entity": "MODEL_VERSION", "action": "CREATED"}],
    }
    for user in ("eng", "promobot"):
        answer = guarded_mlflow.http(user, "POST", "/api/2.0/mlflow/webhooks", hook)
        assert answer.status_code == 403, answer.text
    made = guarded_mlflow.http("admin", "POST", "/api/2.0/mlflow/webhooks", hook)
    assert made.status_code == 200, made.text
    path = f"/api/2.0/mlflow/webhooks/{made.json()['webhook']['webhook_id']}"
    for user in ("eng", "promobot"):
        for method, body in (("PATCH", {"url": "http://127.0.0.1:8/x"}), ("DELETE", None)):
            answer = guarded_mlflow.http(user, method, path, body)
            assert answer.status_code == 403, (user, method, answer.text)
        assert guarded_mlflow.http(user, "POST", f"{path}/test", {}).status_code == 403
    shown = guarded_mlflow.http("admin", "GET", path).json()["webhook"]
    assert shown["url"] == "http://127.0.0.1:9/hook"
    assert guarded_mlflow.http("admin", "DELETE", path).status_code == 200


def test_promobots_lock_models_are_the_service_accounts_alone(guarded_mlflow: Guarded) -> None:
    lock = keys.lock_model_name(uuid.uuid4().hex[:4])
    with guarded_mlflow.as_user("eng") as client:
        message = refused_lock(lambda: client.create_registered_model(lock))
    assert f"{lock} is one of promobot's execution locks" in message
    with guarded_mlflow.as_user("promobot") as client:
        client.create_registered_model(lock, tags={keys.LOCK_OWNER_TAG: "promobot"})
    with guarded_mlflow.as_user("eng") as client:
        refused_lock(lambda: client.set_registered_model_tag(lock, keys.LOCK_EXPIRES_TAG, "9e9"))
        refused_lock(lambda: client.delete_registered_model_tag(lock, keys.LOCK_OWNER_TAG))
        refused_lock(lambda: client.update_registered_model(lock, "mine"))
        refused_lock(lambda: client.rename_registered_model(lock, unique("free")))
        refused_lock(lambda: client.delete_registered_model(lock))
        assert client.get_registered_model(lock).tags == {keys.LOCK_OWNER_TAG: "promobot"}
    with guarded_mlflow.as_user("promobot") as client:
        client.delete_registered_model(lock)


def refused_lock(call: Callable[[], Any]) -> str:
    with pytest.raises(MlflowException) as caught:
        call()
    assert caught.value.error_code == "PERMISSION_DENIED"
    assert "one of promobot's execution locks" in caught.value.message
    return caught.value.message


# ---- what it answers, hostile requests, GraphQL -------------------------------------------


def test_the_guard_says_what_it_enforces_to_signed_in_users(guarded_mlflow: Guarded) -> None:
    answer = guarded_mlflow.http("eng", "GET", "/api/2.0/promobot/guard")
    assert answer.status_code == 200
    found = answer.json()
    assert found["guard"] == "promobot"
    assert found["governs"] == ["governed-*"]
    assert found["service_users"] == 2 and found["admins"] == "refused"
    assert any("alias" in line for line in found["refuses"])
    assert guarded_mlflow.http(None, "GET", "/api/2.0/promobot/guard").status_code == 401


HOSTILE = {
    "not JSON": {"data": b"{not json", "headers": {"Content-Type": "application/json"}},
    "a JSON list": {"data": b"[1, 2]", "headers": {"Content-Type": "application/json"}},
    "double-encoded, broken": {
        "data": json.dumps("{broken").encode(),
        "headers": {"Content-Type": "application/json"},
    },
    "no name": {"json": {"key": "mlflow.promobot.x", "value": "1"}},
    "name of the wrong type": {"json": {"name": ["x"], "key": "mlflow.promobot.x", "value": "1"}},
    "both spellings of a field": {
        "json": {"name": "x", "key": "a", "value": "1", "Name": "y", "new_name": "z"}
    },
    "20 MB": {
        "data": b'{"name": "x", "key": "team", "value": "' + b"v" * (20 << 20) + b'"}',
        "headers": {"Content-Type": "application/json"},
    },
}


@pytest.mark.parametrize("user", ["eng", "admin"])
def test_hostile_requests_get_mlflows_error_or_400_never_a_500(scene: Scene, user: str) -> None:
    for what, request in HOSTILE.items():
        for path in (
            "/api/2.0/mlflow/registered-models/set-tag",
            "/api/2.0/mlflow/model-versions/transition-stage",
            "/ajax-api/2.0/mlflow/registered-models/rename",
        ):
            answer = scene.guarded.http(user, "POST", path, **request)
            # 400 from the guard or MLflow; basic-auth's own 403 ("Permission denied", not
            # JSON) or MLflow's 404 for a model that does not exist
            assert answer.status_code in (400, 403, 404), (what, path, answer.text[:300])
            if answer.status_code == 400:
                assert answer.json()["error_code"] == "INVALID_PARAMETER_VALUE", what
    assert scene.now() == scene.before


def test_graphql_offers_no_way_to_change_the_registry(guarded_mlflow: Guarded) -> None:
    query = {"query": "{ __schema { mutationType { fields { name } } } }"}
    answer = guarded_mlflow.http("eng", "POST", "/graphql", query)
    assert answer.status_code == 200, answer.text
    fields = {f["name"] for f in answer.json()["data"]["__schema"]["mutationType"]["fields"]}
    # searches served as mutations (MLflow's UI), and an echo: none writes anything
    assert fields == {"mlflowSearchDatasets", "mlflowSearchRuns", "testMutation"}


# ---- promobot audit tells an open registry from a guarded one -----------------------------


def test_audit_says_when_the_registry_is_not_guarded(
    scene: Scene, mlflow_server: Any, monkeypatch: Any, capsys: Any
) -> None:
    for key, value in scene.guarded.cli_env("promobot").items():
        if key.startswith(("MLFLOW_", "PROMOBOT_")):
            monkeypatch.setenv(key, value)
    assert main(["audit", scene.model]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == "audit: 1 model checked, nothing drifted"
    assert "not guarded" not in captured.err

    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server.url)
    assert main(["audit"]) == 0
    err = capsys.readouterr().err
    assert "⚠ the registry is not guarded" in err
    assert f"{mlflow_server.url} answers GET /api/2.0/promobot/guard with HTTP 404" in err
    assert "anyone with MLflow write access can act as anyone" in err
