"""MLflow's own webhook deliveries reach a real `promobot serve`, end to end.

A real `mlflow server` (SQLite) that may deliver to 127.0.0.1 over http
(MLFLOW_WEBHOOK_ALLOWED_SCHEMES=http,https, MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS=true) and
that keeps webhook secrets under one key for both its workers
(MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY); a real `promobot serve` with the fake Slack Web
API; the webhook installed with the real `promobot webhooks install`.

MLflow's server caches its webhooks per event for 60 s (MLFLOW_WEBHOOK_CACHE_TTL), a
cache filled by the first event of each kind. The webhook is installed before the first
model version or alias is written, so every delivery here is immediate; nothing waits
out the cache.

The announcement of a new version (the "version registered" card) is another branch's:
here `Service.announce_version` is a placeholder that posts nothing, so the delivery is
followed through serve's log line that it was verified and announced, and through the
delivery id it recorded on the model.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import SERVICE_POLICY, ModelFactory
from fake_slack import FakeSlack, slack_signature
from mlflow.webhooks.delivery import _generate_hmac_signature
from servers import MlflowServer, PromobotServe

from bot.core import state

pytestmark = pytest.mark.server

PROMOBOT = str(Path(sys.executable).with_name("promobot"))
SECRET = "e2e-webhook-secret-" + secrets.token_hex(16)
MODELS_CHANNEL = "C0MODELS"
SLACK_SECRET = "slack-signing-secret"
WAIT = 40.0


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("webhooks-e2e")


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        yield slack


@pytest.fixture(scope="module")
def policy(workdir: Path) -> Path:
    """The service tests' policy for every `sentiment-*` model, without the Friday freeze
    (serve runs on the real clock)."""
    data = yaml.safe_load(SERVICE_POLICY.read_text())
    for entry in data["models"]:
        if entry["name"] == "sentiment-classifier":
            entry["name"] = "sentiment-*"
            for rule in entry["targets"].values():
                rule.pop("freeze", None)
    path = workdir / "policy.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def servers(
    _template_db: Path, workdir: Path, fake: FakeSlack, policy: Path
) -> Iterator[tuple[MlflowServer, PromobotServe]]:
    from cryptography.fernet import Fernet

    shutil.copy(_template_db, workdir / "mlflow.db")
    mlflow = MlflowServer(
        backend_uri=f"sqlite:///{workdir / 'mlflow.db'}",
        workdir=workdir,
        env={
            "MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http,https",
            "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true",
            "MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        },
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "PROMOBOT_", "MLFLOW_", "GITHUB_"))
    }
    env.update(
        {
            "MLFLOW_TRACKING_URI": mlflow.url,
            "PROMOBOT_POLICY": str(policy),
            "PROMOBOT_MLFLOW_WEBHOOK_SECRET": SECRET,
            "PROMOBOT_AUDIT_SECONDS": "3",
            "PROMOBOT_SWEEP_SECONDS": "0",
            "SLACK_SIGNING_SECRET": "slack-signing-secret",
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_API_URL": fake.api_url,
            "PROMOBOT_SLACK_CHANNEL": MODELS_CHANNEL,
        }
    )
    serve = PromobotServe(env, workdir)
    # Both take seconds to start: start them side by side.
    started = threading.Thread(target=mlflow.start)
    started.start()
    try:
        serve.start()
    finally:
        started.join()
    try:
        assert mlflow.proc is not None, "mlflow server did not start"
        yield mlflow, serve
    finally:
        # MLflow first: its webhook session keeps connections to serve alive, and gunicorn
        # waits out its graceful timeout (25 s) for open connections before it exits.
        mlflow.stop()
        serve.stop()


@pytest.fixture(scope="module")
def installed(servers: tuple[MlflowServer, PromobotServe]) -> list[str]:
    """`promobot webhooks install`, run before any version or alias exists."""
    mlflow, serve = servers
    first = install(mlflow, f"{serve.url}/mlflow/webhook")
    assert first.returncode == 0, first.stderr
    return first.stdout.splitlines()


def install(mlflow: MlflowServer, url: str) -> subprocess.CompletedProcess[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PROMOBOT_", "MLFLOW_"))},
        "MLFLOW_TRACKING_URI": mlflow.url,
        "PROMOBOT_MLFLOW_WEBHOOK_SECRET": SECRET,
    }
    return subprocess.run(
        [PROMOBOT, "webhooks", "install", "--url", url],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def models(servers: tuple[MlflowServer, PromobotServe], workdir: Path, installed) -> ModelFactory:
    """Versions registered through the server, as CI does: MLflow delivers their events."""
    return ModelFactory(servers[0].url, workdir / "artifacts")


@pytest.fixture(scope="module")
def core(servers: tuple[MlflowServer, PromobotServe], policy: Path) -> Any:
    """promobot itself, through the same server (as the CLI or another replica)."""
    from bot.adapters.mlflow.gateway import Registry
    from bot.core.policy import load_policy
    from bot.core.service import Service

    return Service(Registry(servers[0].url), load_policy(policy))


def until(check: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            assert value, f"not within {timeout}s: {what}"
            return value
        time.sleep(0.1)


def logged(serve: PromobotServe, pattern: str) -> list[re.Match[str]]:
    return list(re.finditer(pattern, serve.log()))


def promote(core: Any, text: str, actor: str = "cli:bob") -> None:
    from bot.core.commands import Approve, parse
    from bot.core.service import Context

    result = core.handle(parse(text).command, Context(actor=actor))
    if result.status == "pending":
        result = core.handle(Approve(result.request_id), Context(actor="cli:alice"))
    assert result.status == "done", result


def drift_tags(models: ModelFactory, model: str) -> dict[str, str]:
    return {
        k: v for k, v in models.model_tags(model).items() if k.startswith("mlflow.promobot.drift.")
    }


def delivery_ids(models: ModelFactory, model: str) -> list[str]:
    prefix = "mlflow.promobot.webhook."
    return sorted(k[len(prefix) :] for k in models.model_tags(model) if k.startswith(prefix))


def test_install_creates_one_webhook_and_then_finds_it_so(servers, installed) -> None:
    from mlflow import MlflowClient

    mlflow, serve = servers
    [hook] = MlflowClient(tracking_uri=mlflow.url).list_webhooks()
    url = f"{serve.url}/mlflow/webhook"
    assert (hook.name, hook.url, str(hook.status)) == ("promobot", url, "ACTIVE")
    assert sorted(str(e) for e in hook.events) == [
        "model_version.created",
        "model_version_alias.created",
        "model_version_alias.deleted",
    ]
    assert installed[0].startswith(f"Created the MLflow webhook `promobot` ({hook.webhook_id})")

    again = install(mlflow, url)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[0].startswith(
        f"The MLflow webhook `promobot` ({hook.webhook_id}) is already so"
    )


def test_a_registered_version_is_delivered_and_announced(servers, models, fake) -> None:
    _, serve = servers
    model = f"sentiment-new-{secrets.token_hex(3)}"
    version = models.version(model, accuracy=0.91, f1=0.88)

    done = until(
        lambda: logged(
            serve, rf"mlflow webhook (\S+): model_version\.created: {model} v1 announced"
        ),
        "serve announces the new version",
    )
    delivery = done[0].group(1)
    assert logged(serve, rf"mlflow webhook {delivery}: model_version\.created verified")
    assert version == 1 and delivery_ids(models, model) == [delivery]

    # The card in the model's channel, one Promote button per target it may go to next.
    card = until(lambda: posted(fake, f"{model} v1 registered"), "the card is posted")[0]
    assert card.body["channel"] == MODELS_CHANNEL
    buttons = [(b["action_id"], b["value"]) for b in card.actions()]
    assert ("promobot_promote", f"{model} v1 staging") in buttons
    # A click on Staging promotes it, as the person who clicked (bob, an ML engineer).
    answer = click(serve, card, "U01BOB", f"{model} v1 staging")
    assert answer == 200
    until(lambda: models.stage(model, 1) == "Staging", "the click promotes v1 to Staging")
    by = until(lambda: models.tags(model, 1).get("requested_by"), "the promotion's tags")
    assert by == "bob@example.com"

    # A model the policy does not name is acknowledged and left alone.
    models.version(f"other-{model}", accuracy=0.5)
    until(
        lambda: logged(
            serve, rf"model_version\.created on other-{model}: the policy does not name"
        ),
        "serve ignores an ungoverned model",
    )
    assert delivery_ids(models, f"other-{model}") == []


def test_promobots_own_moves_cause_no_drift_and_an_outside_alias_does(
    servers, models, core, fake
) -> None:
    _, serve = servers
    model = f"sentiment-alias-{secrets.token_hex(3)}"
    v1 = models.version(model, accuracy=0.91, f1=0.88)
    v2 = models.version(model, accuracy=0.93, f1=0.89)
    promote(core, f"promote {model} v{v1} staging candidate")
    promote(core, f"promote {model} v{v1} @champion shadow test passed", actor="cli:alice")
    for alias in ("staging", "champion"):
        until(
            lambda a=alias: logged(
                serve, rf"model_version_alias\.created: {model} @{a} audited, 0 new finding"
            ),
            f"serve audits promobot's own @{alias}",
        )
    assert drift_tags(models, model) == {}
    audited = rf"model_version_alias\.created: {model} @champion audited"
    before = len(logged(serve, audited))

    # Someone moves @champion with MlflowClient, behind promobot's back.
    models.client.set_registered_model_alias(model, "champion", str(v2))

    until(
        lambda: len(logged(serve, audited)) > before,
        "serve audits the outside alias when MLflow delivers it",
    )
    found = until(lambda: drift_tags(models, model), "the outside alias is found as drift")
    assert found == {state.drift_key("@champion"): f"outside:{v2}:{v1}:{v2}"}
    (message,) = until(
        lambda: posted(fake, f"{model}: @champion changed outside promobot"),
        "the drift message is posted in the model's channel",
    )
    assert message.body["channel"] == MODELS_CHANNEL
    assert f"rollback {model} @champion" in message.text
    # promobot's own moves before it posted no drift message: this is the only one.
    assert len(posted(fake, "changed outside promobot")) == 1


def test_the_audit_pass_finds_a_stage_moved_outside_promobot(servers, models, core) -> None:
    """MLflow sends no event for a stage transition: serve's audit pass finds it."""
    model = f"sentiment-stage-{secrets.token_hex(3)}"
    v1 = models.version(model, accuracy=0.91, f1=0.88)
    v2 = models.version(model, accuracy=0.93, f1=0.89)
    promote(core, f"promote {model} v{v1} staging candidate")
    models.client.transition_model_version_stage(model, str(v2), "Staging")

    found = until(lambda: drift_tags(models, model), "the audit pass finds the stage move")
    assert found == {state.drift_key("staging"): f"outside:{v2}:{v1}:{v1}|mirror:{v2}:{v1}:{v1}"}


def post(serve: PromobotServe, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(
        f"{serve.url}/mlflow/webhook",
        data=body,
        headers={"Content-Type": "application/json", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def signed(body: bytes, delivery_id: str, *, age: int = 0, secret: str = SECRET) -> dict:
    """Headers as MLflow's server makes them (its own signing function)."""
    stamp = str(int(time.time()) - age)
    return {
        "X-MLflow-Delivery-Id": delivery_id,
        "X-MLflow-Timestamp": stamp,
        "X-MLflow-Signature": _generate_hmac_signature(secret, delivery_id, stamp, body.decode()),
    }


def test_forged_stale_and_replayed_deliveries_are_refused(servers, models, fake) -> None:
    _, serve = servers
    model = f"sentiment-replay-{secrets.token_hex(3)}"
    models.version(model, accuracy=0.91, f1=0.88)
    mlflows = until(lambda: delivery_ids(models, model), "MLflow's own delivery is handled")
    body = json.dumps(
        {
            "entity": "model_version",
            "action": "created",
            "timestamp": "2026-12-01T10:00:00+00:00",
            "data": {"name": model, "version": "1", "source": "x", "run_id": None, "tags": {}},
        }
    ).encode()
    refused_before = len(logged(serve, r"mlflow webhook refused \(401\)"))

    assert post(serve, body, signed(body, "forged-1", secret="not-the-secret")) == 401
    assert post(serve, body, signed(body, "stale-1", age=600)) == 401
    assert post(serve, body, {}) == 401
    good = signed(body, "replayed-1")
    assert post(serve, body, good) == 200
    until(
        lambda: logged(serve, rf"mlflow webhook replayed-1: model_version\.created: {model} v1"),
        "the first delivery is handled",
    )
    assert post(serve, body, good) == 200  # the same delivery again, within five minutes

    until(
        lambda: logged(serve, rf"{model}: delivery replayed-1 seen before; ignored"),
        "the replay is ignored",
    )
    assert len(logged(serve, r"mlflow webhook refused \(401\)")) == refused_before + 3
    assert len(logged(serve, rf"mlflow webhook replayed-1: model_version\.created: {model}")) == 1
    assert delivery_ids(models, model) == sorted([*mlflows, "replayed-1"])
    # Cards: one for MLflow's own delivery, one for replayed-1's first time; the forged,
    # stale, unsigned and replayed ones posted nothing.
    assert len(posted(fake, f"{model} v1 registered")) == 2
    assert len([c for c in fake.calls if model in json.dumps(c.body)]) == 2


def posted(fake: FakeSlack, text: str) -> list[Any]:
    return [c for c in fake.api_calls("chat.postMessage") if text in c.text]


def click(serve: PromobotServe, message: Any, user: str, value: str) -> int:
    """A signed click on a card's Promote button, as Slack sends it to serve."""
    import urllib.parse

    payload = {
        "type": "block_actions",
        "team": {"id": "T0FAKE", "domain": "fake"},
        "user": {"id": user, "username": user.lower(), "team_id": "T0FAKE"},
        "api_app_id": "A0PROMOBOT",
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": message.answer["ts"],
            "channel_id": message.answer["channel"],
            "is_ephemeral": False,
        },
        "trigger_id": "1.2.3",
        "channel": {"id": message.answer["channel"], "name": "models"},
        "message": {"type": "message", "ts": message.answer["ts"], "blocks": message.blocks},
        "response_url": "http://127.0.0.1:9/never",
        "actions": [
            {
                "action_id": "promobot_promote",
                "block_id": "promobot_promote.staging",
                "value": value,
                "type": "button",
                "action_ts": str(time.time()),
            }
        ],
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": slack_signature(SLACK_SECRET, stamp, body),
    }
    request = urllib.request.Request(f"{serve.url}/slack/events", body, headers, method="POST")
    with urllib.request.urlopen(request, timeout=15) as answer:
        return int(answer.status)
