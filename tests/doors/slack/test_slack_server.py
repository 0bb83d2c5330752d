"""`promobot serve` end to end: a real server process, signed requests over HTTP, a fake
Slack Web API that records what people would see, and a real SQLite MLflow registry.

One serve process is shared by the module; each test works on its own model
(`sentiment-<test>-<hex>`). The shared process gets a copy of the service test policy in
which the `sentiment-classifier` entry is the glob `sentiment-*` (so each test can have
a fresh model) and the Friday-evening freeze is dropped (the server runs on the real
clock; a test run on a Friday evening must not fail).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import responses
import yaml
from conftest import SERVICE_POLICY, ModelFactory
from fake_slack import Call, FakeSlack, slack_signature
from github_door_helpers import FakeGitHub, comment_event
from servers import PromobotServe
from slow_proxy import SlowProxy

from bot.cli import main as cli
from bot.doors.github.comment import run_github

REPO = Path(__file__).resolve().parents[3]
PROMOBOT = Path(sys.executable).with_name("promobot")
SECRET = "8f14e45fceea167a5a36dedd4bea2543"
TOKEN = "xoxb-test-token"
CHANNEL = "C0RELEASES"
BOB, ALICE, CAROL, DAVE, ERIN = "U01BOB", "U01ALICE", "U01CAROL", "U01DAVE", "U01ERIN"
WAIT = 30.0  # deadline for an asynchronous result (polled, not slept)


# ---- the server process and how Slack talks to it -------------------------------------------


@dataclass
class Answer:
    status: int
    text: str
    seconds: float

    def json(self) -> dict[str, Any]:
        return json.loads(self.text) if self.text else {}


class Slack:
    """Sends what Slack sends: signed form posts of slash commands and button clicks."""

    def __init__(self, server: PromobotServe, fake: FakeSlack) -> None:
        self.server = server
        self.fake = fake

    def post(
        self,
        body: bytes,
        *,
        sign: bool = True,
        secret: str = SECRET,
        age: float = 0.0,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        timestamp = str(int(time.time() - age))
        sent = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        if sign:
            sent["X-Slack-Request-Timestamp"] = timestamp
            sent["X-Slack-Signature"] = slack_signature(secret, timestamp, body)
        request = urllib.request.Request(
            f"{self.server.url}/slack/events", data=body, headers=sent, method="POST"
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=15) as resp:
                return Answer(resp.status, resp.read().decode(), time.monotonic() - started)
        except urllib.error.HTTPError as err:
            return Answer(err.code, err.read().decode(), time.monotonic() - started)

    def command_body(self, user: str, command: str, text: str, key: str) -> bytes:
        return urllib.parse.urlencode(
            {
                "token": "legacy-verification-token",
                "team_id": "T0FAKE",
                "team_domain": "fake",
                "channel_id": CHANNEL,
                "channel_name": "releases",
                "user_id": user,
                "user_name": user.lower(),
                "command": command,
                "text": text,
                "api_app_id": "A0PROMOBOT",
                "is_enterprise_install": "false",
                "response_url": self.fake.response_url(key),
                "trigger_id": "1.2.3",
            }
        ).encode()

    def command(self, user: str, command: str, text: str, key: str, **kw: Any) -> Answer:
        return self.post(self.command_body(user, command, text, key), **kw)

    def click_body(
        self, user: str, action_id: str, message: Call, key: str, trigger: str = "1.2.3"
    ) -> bytes:
        request_id = next(a["value"] for a in message.actions() if a["action_id"] == action_id)
        ts, channel = message.answer["ts"], message.answer["channel"]
        payload = {
            "type": "block_actions",
            "team": {"id": "T0FAKE", "domain": "fake"},
            "user": {"id": user, "username": user.lower(), "team_id": "T0FAKE"},
            "api_app_id": "A0PROMOBOT",
            "token": "legacy-verification-token",
            "container": {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel,
                "is_ephemeral": False,
            },
            "trigger_id": trigger,
            "channel": {"id": channel, "name": "releases"},
            "message": {
                "type": "message",
                "ts": ts,
                "text": message.body.get("text", ""),
                "blocks": message.blocks,
            },
            "response_url": self.fake.response_url(key),
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": "promobot_request",
                    "value": request_id,
                    "type": "button",
                    "action_ts": str(time.time()),
                }
            ],
        }
        return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()

    def click(
        self, user: str, action_id: str, message: Call, key: str, trigger: str = "1.2.3", **kw: Any
    ) -> Answer:
        return self.post(self.click_body(user, action_id, message, key, trigger), **kw)

    def submit(self, user: str, view: dict[str, Any], text: str, **kw: Any) -> Answer:
        """A `view_submission` of a modal the app opened, with `text` typed into it."""
        block = view["blocks"][-1]
        payload = {
            "type": "view_submission",
            "team": {"id": "T0FAKE", "domain": "fake"},
            "user": {"id": user, "username": user.lower(), "team_id": "T0FAKE"},
            "api_app_id": "A0PROMOBOT",
            "token": "legacy-verification-token",
            "trigger_id": "9.9.9",
            "view": {
                **view,
                "id": "V0MODAL",
                "team_id": "T0FAKE",
                "state": {
                    "values": {
                        block["block_id"]: {
                            block["element"]["action_id"]: {
                                "type": "plain_text_input",
                                "value": text,
                            }
                        }
                    }
                },
            },
            "response_urls": [],
        }
        return self.post(urllib.parse.urlencode({"payload": json.dumps(payload)}).encode(), **kw)


# ---- fixtures ----------------------------------------------------------------------------


def unique(kind: str) -> str:
    return f"sentiment-{kind}-{secrets.token_hex(3)}"


def key(kind: str) -> str:
    return f"{kind}-{secrets.token_hex(4)}"


LONG_ALIAS = "@" + "a" * 64  # the longest alias a command can name


def derived_policy(path: Path) -> Path:
    data = yaml.safe_load(SERVICE_POLICY.read_text())
    for entry in data["models"]:
        if entry["name"] == "sentiment-classifier":
            entry["name"] = "sentiment-*"
            for rule in entry["targets"].values():
                rule.pop("freeze", None)
    # A quorum of three groups, one approval from each; and the longest alias there is.
    data["groups"].update({"q-leads": ["alice", "dave"], "q-sre": ["carol"], "q-sec": ["erin"]})
    data["models"].append(
        {
            "name": "quorum-*",
            "targets": {
                "production": {
                    "requesters": ["ml-engineers"],
                    "approvals": {"q-leads": 1, "q-sre": 1, "q-sec": 1},
                }
            },
        }
    )
    data["models"].append(
        {
            "name": "long-*",
            "targets": {
                LONG_ALIAS: {
                    "requesters": ["ml-engineers"],
                    "approvers": ["ml-leads"],
                    "approvals": 1,
                }
            },
        }
    )
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def serve_env(tracking_uri: str, policy: Path, fake: FakeSlack, sweep: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "PROMOBOT_", "MLFLOW_", "GITHUB_"))
    }
    env.update(
        {
            "MLFLOW_TRACKING_URI": tracking_uri,
            "PROMOBOT_POLICY": str(policy),
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": fake.api_url,
            "PROMOBOT_SWEEP_SECONDS": sweep,
        }
    )
    return env


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        yield slack


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("slack-serve")


@pytest.fixture(scope="module")
def policy_file(workdir: Path) -> Path:
    return derived_policy(workdir / "policy.yaml")


@pytest.fixture(scope="module")
def db_uri(_template_db: Path, workdir: Path) -> str:
    db = workdir / "mlflow.db"
    shutil.copy(_template_db, db)
    return f"sqlite:///{db}"


@pytest.fixture(scope="module")
def server(
    db_uri: str, policy_file: Path, fake: FakeSlack, workdir: Path
) -> Iterator[PromobotServe]:
    proc = PromobotServe(serve_env(db_uri, policy_file, fake, sweep="1"), workdir).start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def slack(server: PromobotServe, fake: FakeSlack) -> Slack:
    return Slack(server, fake)


@pytest.fixture(scope="module")
def models(db_uri: str, workdir: Path) -> ModelFactory:
    return ModelFactory(db_uri, workdir / "artifacts")


@pytest.fixture(scope="module")
def core(db_uri: str, policy_file: Path) -> Any:
    """The core on the same registry, to set a scene quickly (as the CLI would)."""
    from bot.adapters.mlflow.gateway import Registry
    from bot.core.policy import load_policy
    from bot.core.service import Service

    return Service(Registry(db_uri), load_policy(policy_file))


# ---- helpers that read like the story ------------------------------------------------------


def promote_now(core: Any, model: str, version: int, target: str) -> None:
    """Move a version with the core (approving when the policy asks), as a setup step."""
    from bot.core.commands import Approve, parse
    from bot.core.service import Context

    command = parse(f"promote {model} v{version} {target} set up by the test").command
    result = core.handle(command, Context(actor="cli:bob", channel="cli"))
    if result.status == "pending":
        result = core.handle(Approve(result.request_id), Context(actor="cli:alice"))
    assert result.status == "done", result


def until(check: Callable[[], Any], timeout: float = WAIT) -> Any:
    """Poll `check` until it returns something truthy (the door works after its ack)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            assert value, f"not within {timeout}s: {check}"
            return value
        time.sleep(0.05)


def posted(fake: FakeSlack, model: str, count: int = 1) -> Call:
    return fake.wait_for(
        lambda c: c.method == "chat.postMessage" and model in c.text, WAIT, count=count
    )


def updated(fake: FakeSlack, message: Call, count: int = 1) -> Call:
    ts = message.answer["ts"]
    return fake.wait_for(
        lambda c: c.method == "chat.update" and c.body.get("ts") == ts, WAIT, count=count
    )


def request_for_approval(
    slack: Slack, fake: FakeSlack, models: ModelFactory, core: Any, kind: str
) -> tuple[str, int, Call]:
    """A model with v1 in Staging and bob's pending request to take it to Production."""
    model = unique(kind)
    version = models.version(model, accuracy=0.91, f1=0.89)
    promote_now(core, model, version, "staging")
    answer = slack.command(
        BOB, "/promote", f"{model} v{version} production passed shadow test", key(kind)
    )
    assert answer.status == 200
    message = posted(fake, model)
    # Where the message is gets recorded just after it is posted.
    request_id = message.actions()[0]["value"]
    until(lambda: f"mlflow.promobot.request.{request_id}.slack" in models.model_tags(model))
    return model, version, message


def description_lines(models: ModelFactory, model: str, version: int, target: str) -> list[str]:
    return [
        line for line in models.description(model, version).splitlines() if f"→ {target}" in line
    ]


def events(models: ModelFactory, model: str) -> dict[str, dict[str, Any]]:
    return {
        k: json.loads(v)
        for k, v in models.model_tags(model).items()
        if k.startswith("mlflow.promobot.event.")
    }


# ---- the HTTP surface ---------------------------------------------------------------------------


def test_healthz_answers_without_a_signature_and_other_paths_do_not(server: PromobotServe) -> None:
    with urllib.request.urlopen(f"{server.url}/healthz", timeout=5) as resp:
        assert resp.status == 200
        assert json.loads(resp.read()) == {"ok": True}
    for method, path, expected in [
        ("GET", "/slack/events", 405),
        ("GET", "/", 404),
        ("POST", "/healthz", 405),
    ]:
        req = urllib.request.Request(
            f"{server.url}{path}", method=method, data=b"" if method == "POST" else None
        )
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=5)
        assert err.value.code == expected, path


# ---- commands --------------------------------------------------------------------------------


def test_promotion_to_staging_happens_at_once_and_is_announced_in_the_channel(
    slack: Slack, fake: FakeSlack, models: ModelFactory
) -> None:
    model = unique("staging")
    version = models.version(model, accuracy=0.9, f1=0.88)

    answer = slack.command(
        BOB, "/promote", f"{model} v{version} staging smoke tests pass", key("staging")
    )

    assert answer.status == 200
    assert answer.json()["response_type"] == "ephemeral"
    assert "working on `/promote" in answer.json()["text"]
    message = posted(fake, model)
    assert message.body["channel"] == CHANNEL
    assert f"*{model} v{version} → Staging* done" in message.text
    assert "requested by bob@example.com" in message.text
    assert f"models:/{model}/Staging" in message.text
    assert message.actions() == []
    assert models.stage(model, version) == "Staging"
    assert models.aliases(model) == {"staging": version}
    tags = models.tags(model, version)
    assert tags["requested_by"] == "bob@example.com"
    assert tags["promotion_channel"] == "slack"
    assert tags["promotion_reason"] == "smoke tests pass"


def test_production_request_is_posted_with_buttons_and_a_lead_click_promotes(
    slack: Slack, fake: FakeSlack, models: ModelFactory, core: Any
) -> None:
    model, version, message = request_for_approval(slack, fake, models, core, "prod")

    # The request, as the channel sees it.
    assert message.body["channel"] == CHANNEL
    assert f"*{model} v{version} → Production* is waiting for 1 approval from ml-leads" in (
        message.text
    )
    assert "✅ accuracy ≥ 0.80" in message.text and "0.910" in message.text
    assert "Next: a member of ml-leads types" in message.text
    buttons = message.actions()
    assert [(b["action_id"], b.get("style")) for b in buttons] == [
        ("promobot_approve", "primary"),
        ("promobot_approve_comment", None),
        ("promobot_deny", "danger"),
    ]
    request_id = buttons[0]["value"]
    assert {b["value"] for b in buttons} == {request_id} and request_id.startswith("req-")
    tags = models.model_tags(model)
    assert f"mlflow.promobot.request.{request_id}" in tags
    assert json.loads(tags[f"mlflow.promobot.request.{request_id}.slack"]) == {
        "channel": CHANNEL,
        "ts": message.answer["ts"],
    }
    assert models.stage(model, version) == "Staging"

    # Bob cannot approve his own request, and dave is not a lead: each hears it alone.
    before = models.snapshot(model)
    for user, why in [
        (BOB, "bob cannot approve their own request"),
        (DAVE, "dave is not in ml-leads"),
    ]:
        reply_key = key("refused")
        assert slack.click(user, "promobot_approve", message, reply_key).status == 200
        reply = fake.wait_for_response(reply_key, WAIT)
        assert reply.body["response_type"] == "ephemeral"
        assert reply.body["replace_original"] is False
        assert why in reply.text
    assert models.snapshot(model) == before
    assert not [c for c in fake.api_calls("chat.update") if c.body["ts"] == message.answer["ts"]]

    # Alice approves: the version moves and the message shows the outcome, without buttons.
    assert slack.click(ALICE, "promobot_approve", message, key("approve")).status == 200
    update = updated(fake, message)
    assert update.body["channel"] == CHANNEL
    assert f"*{model} v{version} → Production* done" in update.text
    assert "approved by alice@example.com" in update.text
    assert update.actions() == []
    assert models.stage(model, version) == "Production"
    tags = models.tags(model, version)
    assert (tags["requested_by"], tags["approved_by"]) == ("bob@example.com", "alice@example.com")
    assert tags["promotion_request"] == request_id
    # The message is marked as final just after it is redrawn, so the sweeper leaves it be.
    tag = f"mlflow.promobot.request.{request_id}.slack"
    until(lambda: json.loads(models.model_tags(model)[tag]).get("final") == "done")


def opened_by(fake: FakeSlack, trigger: str) -> dict[str, Any]:
    """The view the app opened with the click whose trigger id is `trigger`."""
    call = fake.wait_for(
        lambda c: c.method == "views.open" and c.body.get("trigger_id") == trigger, WAIT
    )
    return call.body["view"]


def test_deny_opens_a_modal_whose_signed_reason_is_written_and_shown(
    slack: Slack, fake: FakeSlack, models: ModelFactory, core: Any
) -> None:
    model, version, message = request_for_approval(slack, fake, models, core, "deny")
    request_id = message.actions()[0]["value"]
    trigger = f"trigger-{secrets.token_hex(4)}"

    assert slack.click(ERIN, "promobot_deny", message, key("deny"), trigger).status == 200

    view = opened_by(fake, trigger)
    assert view["callback_id"] == "promobot_deny_view"
    assert json.loads(view["private_metadata"]) == {
        "request_id": request_id,
        "channel": CHANNEL,
        "ts": message.answer["ts"],
    }
    assert view["blocks"][-1]["optional"] is False
    before = models.snapshot(model)

    # Unsigned, forged and stale submissions are refused before any work is done.
    assert slack.submit(ERIN, view, "forged: unsigned", sign=False).status == 401
    assert slack.submit(ERIN, view, "forged: wrong secret", secret="not-the-secret").status == 401
    assert slack.submit(ERIN, view, "forged: stale", age=6 * 60).status == 401
    # A signed command sent afterwards is answered: by then a forged one would have been too.
    sentinel = key("sentinel")
    assert slack.command(BOB, "/promobot", f"status {model}", sentinel).status == 200
    fake.wait_for_response(sentinel, WAIT)
    assert models.snapshot(model) == before

    answer = slack.submit(ERIN, view, "f1 dropped on the holdout set")

    assert (answer.status, answer.text) == (200, "")  # Slack closes the modal
    update = updated(fake, message)
    assert f"*{model} v{version} → Production* denied" in update.text
    assert f"{request_id} denied by erin@example.com: f1 dropped on the holdout set" in (
        update.text
    )
    assert update.actions() == []
    state = json.loads(models.model_tags(model)[f"mlflow.promobot.request.{request_id}.state"])
    assert (state["state"], state["by"], state["detail"]) == (
        "denied",
        "erin@example.com",
        "f1 dropped on the holdout set",
    )
    assert models.stage(model, version) == "Staging"
    assert models.stage(model, version) == "Staging"
    state = json.loads(models.model_tags(model)[f"mlflow.promobot.request.{request_id}.state"])
    assert (state["state"], state["by"]) == ("denied", "erin@example.com")
    assert models.tags(model, version)["promoted_to"] == "Staging"
    assert not [c for c in fake.api_calls("chat.update") if "forged" in c.text]


def test_approve_with_comment_opens_a_modal_and_the_comment_is_kept(
    slack: Slack, fake: FakeSlack, models: ModelFactory, core: Any
) -> None:
    model, version, message = request_for_approval(slack, fake, models, core, "comment")
    request_id = message.actions()[0]["value"]
    trigger = f"trigger-{secrets.token_hex(4)}"

    slack.click(ALICE, "promobot_approve_comment", message, key("comment"), trigger)
    view = opened_by(fake, trigger)
    assert view["callback_id"] == "promobot_approve_view"
    assert slack.submit(ALICE, view, "dashboards checked").status == 200

    update = updated(fake, message)
    assert f"*{model} v{version} → Production* done" in update.text
    assert 'approved by alice@example.com ("dashboards checked")' in update.text
    assert models.stage(model, version) == "Production"
    tags = models.model_tags(model)
    approval = json.loads(tags[f"mlflow.promobot.request.{request_id}.approval.alice"])
    assert approval["comment"] == "dashboards checked"
    (line,) = description_lines(models, model, version, "Production")
    assert 'approved by alice@example.com ("dashboards checked")' in line


def test_on_call_rolls_back_and_others_are_refused_privately(
    slack: Slack, fake: FakeSlack, models: ModelFactory, core: Any
) -> None:
    model = unique("rollback")
    v1 = models.version(model, accuracy=0.90, f1=0.88)
    v2 = models.version(model, accuracy=0.92, f1=0.89)
    for version in (v1, v2):
        promote_now(core, model, version, "staging")
        promote_now(core, model, version, "production")
    before = models.snapshot(model)

    refused_key = key("rb-refused")
    slack.command(BOB, "/rollback", f"{model} production latency doubled", refused_key)
    refusal = fake.wait_for_response(refused_key, WAIT)
    assert refusal.body["response_type"] == "ephemeral"
    assert "refused" in refusal.text and "oncall" in refusal.text
    assert models.snapshot(model) == before

    answer = slack.command(
        CAROL, "/rollback", f"{model} production latency doubled", key("rollback")
    )
    assert answer.status == 200
    message = posted(fake, model)
    assert f"*{model} v{v1} → Production* rolled back (v{v2} moved out)" in message.text
    assert message.body["channel"] == CHANNEL
    assert models.stage(model, v1) == "Production"
    assert models.aliases(model)["production"] == v1
    assert models.tags(model, v1)["promotion_reason"] == "rollback: latency doubled"
    assert models.tags(model, v2)["rolled_back_by"] == "carol@example.com"


def test_unknown_models_and_malformed_commands_get_usage_help(
    slack: Slack, fake: FakeSlack
) -> None:
    # Malformed text is answered in the acknowledgement itself: no registry work at all.
    for command, text, expected in [
        ("/promote", "sentiment-x", "Usage: `promote <model> <version> <target>"),
        ("/promobot", "frobnicate sentiment-x", "Unknown command `frobnicate`"),
        ("/rollback", "", "Usage: `rollback <model>"),
    ]:
        answer = slack.command(BOB, command, text, key("malformed"))
        assert answer.status == 200
        body = answer.json()
        assert body["response_type"] == "ephemeral"
        shown = body["text"].replace("&lt;", "<").replace("&gt;", ">")
        assert expected in shown, shown

    help_answer = slack.command(BOB, "/promobot", "help", key("help")).json()
    assert "promote <model> <version> <target>" in help_answer["text"].replace("&lt;", "<").replace(
        "&gt;", ">"
    )

    unknown_key = key("unknown")
    slack.command(BOB, "/promote", "sentiment-nosuchmodel v1 staging", unknown_key)
    reply = fake.wait_for_response(unknown_key, WAIT)
    assert reply.body["response_type"] == "ephemeral"
    assert "There is no registered model `sentiment-nosuchmodel`" in reply.text
    assert "Usage: `promote &lt;model&gt; &lt;version&gt; &lt;target&gt;" in reply.text
    assert not [c for c in fake.api_calls("chat.postMessage") if "nosuchmodel" in c.text]


# ---- forgeries, retries, double clicks -----------------------------------------------------------


def test_unsigned_forged_and_stale_requests_get_401_and_change_nothing(
    slack: Slack, fake: FakeSlack, models: ModelFactory
) -> None:
    model = unique("forged")
    version = models.version(model, accuracy=0.9, f1=0.88)
    before = models.snapshot(model)
    forged = [key("unsigned"), key("wrong-secret"), key("stale")]
    text = f"{model} v{version} staging"

    assert slack.command(BOB, "/promote", text, forged[0], sign=False).status == 401
    assert slack.command(BOB, "/promote", text, forged[1], secret="not-the-secret").status == 401
    assert slack.command(BOB, "/promote", text, forged[2], age=6 * 60).status == 401

    # A signed command sent afterwards is answered: by then a forged one would have been too.
    sentinel = key("sentinel")
    assert slack.command(BOB, "/promobot", f"status {model}", sentinel).status == 200
    assert model in fake.wait_for_response(sentinel, WAIT).text
    assert models.snapshot(model) == before
    assert not [c for c in fake.responses() if c.method in forged]
    assert not [c for c in fake.api_calls() if model in c.text and c.method != "auth.test"]


def test_a_retried_delivery_is_acknowledged_without_running_again(
    slack: Slack, fake: FakeSlack, models: ModelFactory
) -> None:
    model = unique("retry")
    version = models.version(model, accuracy=0.9, f1=0.88)
    body = slack.command_body(
        BOB, "/promote", f"{model} v{version} staging first try", key("retry")
    )

    first = slack.post(body)
    retry = slack.post(
        body, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )

    assert first.status == 200 and "working on" in first.text
    assert retry.status == 200 and retry.text == ""
    posted(fake, model)
    sentinel = key("sentinel")
    slack.command(BOB, "/promobot", f"history {model}", sentinel)
    fake.wait_for_response(sentinel, WAIT)
    assert len([c for c in fake.api_calls("chat.postMessage") if model in c.text]) == 1
    assert len(description_lines(models, model, version, "Staging")) == 1
    assert len(events(models, model)) == 1


def test_a_double_click_promotes_once_and_says_so(
    slack: Slack, fake: FakeSlack, models: ModelFactory, core: Any
) -> None:
    model, version, message = request_for_approval(slack, fake, models, core, "double")
    request_id = message.actions()[0]["value"]
    keys = [key("click"), key("click")]
    bodies = [slack.click_body(ALICE, "promobot_approve", message, k) for k in keys]
    answers: list[Answer] = []
    threads = [threading.Thread(target=lambda b=b: answers.append(slack.post(b))) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert [a.status for a in answers] == [200, 200]
    updated(fake, message)
    already = fake.wait_for(lambda c: c.kind == "response" and c.method in keys, WAIT)
    assert already.body["response_type"] == "ephemeral"
    assert f"{request_id} was already carried out" in already.text
    assert models.stage(model, version) == "Production"
    assert len(description_lines(models, model, version, "Production")) == 1
    production_events = [e for e in events(models, model).values() if e["request"] == request_id]
    assert len(production_events) == 1


# ---- expiry ----------------------------------------------------------------------------------


def test_the_sweeper_closes_an_expired_request_and_updates_its_message(
    slack: Slack, fake: FakeSlack, models: ModelFactory, core: Any
) -> None:
    model, version, message = request_for_approval(slack, fake, models, core, "expiry")
    request_id = message.actions()[0]["value"]
    # Time passes: the request's deadline is now in the past (as 24 h later).
    tag = f"mlflow.promobot.request.{request_id}"
    request = json.loads(models.model_tags(model)[tag])
    request["expires_at"] = "2000-01-01T00:00:00Z"
    models.client.set_registered_model_tag(model, tag, json.dumps(request))

    update = updated(fake, message)

    assert f"{request_id} expired" in update.text
    assert update.actions() == []
    state = json.loads(models.model_tags(model)[f"{tag}.state"])
    assert state["state"] == "expired"
    assert models.stage(model, version) == "Staging"


# ---- one message per request, updated in place --------------------------------------------------


def request_posts(fake: FakeSlack, model: str) -> list[Call]:
    """Every chat.postMessage about `model`."""
    return [c for c in fake.api_calls("chat.postMessage") if model in c.text]


def updates_of(fake: FakeSlack, message: Call) -> list[Call]:
    ts = message.answer["ts"]
    return [c for c in fake.api_calls("chat.update") if c.body.get("ts") == ts]


def has_buttons(call: Call) -> bool:
    return any(block.get("type") == "actions" for block in call.blocks)


def typed_request(slack: Slack, fake: FakeSlack, models: ModelFactory, text: str) -> Call:
    """bob's `/promote <text>` typed in the channel: the request's message, once its place
    is recorded."""
    assert slack.command(BOB, "/promote", text, key("ask")).status == 200
    model = text.split()[0]
    message = posted(fake, model)
    request_id = message.actions()[0]["value"]
    until(lambda: f"mlflow.promobot.request.{request_id}.slack" in models.model_tags(model))
    return message


def typed_approval(slack: Slack, fake: FakeSlack, user: str, text: str) -> Call:
    """`/promobot approve …` typed by `user`; the answer only they see."""
    reply_key = key("approve")
    assert slack.command(user, "/promobot", f"approve {text}", reply_key).status == 200
    reply = fake.wait_for_response(reply_key, WAIT)
    assert reply.body["response_type"] == "ephemeral"
    return reply


def in_channel_answers(fake: FakeSlack, model: str) -> list[Call]:
    return [
        c
        for c in fake.responses()
        if c.body.get("response_type") == "in_channel" and model in c.text
    ]


def test_two_typed_approvals_update_the_one_request_message_in_place(
    slack: Slack, fake: FakeSlack, models: ModelFactory
) -> None:
    """fraud-* needs two approvals from ml-leads. Each typed approval updates the request's
    message where it is (no copy with live buttons is posted), and the last one leaves it
    without buttons."""
    model = f"fraud-typed-{secrets.token_hex(3)}"
    version = models.version(model, auc=0.93)
    message = typed_request(slack, fake, models, f"{model} v{version} production shadow ok")
    request_id = message.actions()[0]["value"]

    first = typed_approval(slack, fake, ALICE, f"{request_id} dashboards look fine")
    last = typed_approval(slack, fake, ERIN, f"{request_id} holdout checked")

    assert "Approval recorded: 1 of 2 from ml-leads" in first.text
    assert f"*{model} v{version} → Production* done" in last.text
    assert models.stage(model, version) == "Production"
    assert request_posts(fake, model) == [message]  # exactly one message for the request
    redrawn = updates_of(fake, message)
    assert len(redrawn) == 2
    assert has_buttons(redrawn[0]) and "is waiting for 1 approval from ml-leads" in (
        redrawn[0].text
    )
    assert not has_buttons(redrawn[-1])
    assert f"*{model} v{version} → Production* done" in redrawn[-1].text
    assert 'approved by alice@example.com ("dashboards look fine"), erin@example.com' in (
        redrawn[-1].text
    )
    assert in_channel_answers(fake, model) == []


def in_env(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    """The environment of a promobot process other than serve, on serve's registry."""
    for name in list(os.environ):
        if name.startswith(("GITHUB_", "SLACK_", "PROMOBOT_")):
            monkeypatch.delenv(name)
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def test_a_quorum_approved_from_four_doors_keeps_one_message_updated_in_place(
    slack: Slack,
    fake: FakeSlack,
    models: ModelFactory,
    db_uri: str,
    policy_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """One approval from each of three groups: a lead clicks in Slack, a second lead
    approves in the terminal (recorded; it fills no group's open place), the SRE types
    it in Slack, and security comments on the pull request, which carries it out. The
    CLI and the GitHub door are other processes with the Slack token: each updates the
    same message."""
    model = f"quorum-{secrets.token_hex(3)}"
    version = models.version(model, auc=0.93)
    message = typed_request(slack, fake, models, f"{model} v{version} production")
    request_id = message.actions()[0]["value"]
    assert "q-leads 0 of 1 ⏳ · q-sre 0 of 1 ⏳ · q-sec 0 of 1 ⏳" in message.text

    clicked = key("click")
    assert slack.click(ALICE, "promobot_approve", message, clicked).status == 200
    assert "Approval recorded: q-leads 1 of 1 ✅" in fake.wait_for_response(clicked, WAIT).text

    slack_env = {
        "MLFLOW_TRACKING_URI": db_uri,
        "PROMOBOT_POLICY": str(policy_file),
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": fake.api_url,
    }
    in_env(monkeypatch, slack_env)
    assert cli(["approve", request_id, "--as", "cli:dave"]) == 0

    typed = typed_approval(slack, fake, CAROL, f"{request_id} error budget is fine")
    assert "Approval recorded" in typed.text and "q-sre 1 of 1 ✅" in typed.text

    in_env(
        monkeypatch,
        {
            **slack_env,
            "GITHUB_TOKEN": "ghs_test_token",
            "GITHUB_REPOSITORY": "acme/models",
            "GITHUB_API_URL": "https://api.github.com",
        },
    )
    comment_event(tmp_path, monkeypatch, body=f"/approve {request_id} reviewed", login="erin")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        FakeGitHub(rsps)
        assert run_github([]) == 0

    assert models.stage(model, version) == "Production"
    assert request_posts(fake, model) == [message]  # one message in the channel, ever
    redrawn = updates_of(fake, message)
    assert len(redrawn) == 4  # click, terminal, typed, comment
    assert all(has_buttons(call) for call in redrawn[:-1])
    assert not has_buttons(redrawn[-1])
    assert f"*{model} v{version} → Production* done" in redrawn[-1].text
    assert in_channel_answers(fake, model) == []
    ref = json.loads(models.model_tags(model)[f"mlflow.promobot.request.{request_id}.slack"])
    assert (ref["ts"], ref["final"]) == (message.answer["ts"], "done")


def test_the_longest_alias_and_a_long_model_name_stay_within_slacks_limits(
    slack: Slack, fake: FakeSlack, models: ModelFactory
) -> None:
    """Every payload passes slack_sdk's Block Kit validation: the fake refuses any that
    does not, and the guard fails the test."""
    model = f"long-{'x' * 200}-{secrets.token_hex(3)}"
    version = models.version(model, auc=0.93)
    message = typed_request(slack, fake, models, f"{model} v{version} {LONG_ALIAS} shadow ok")
    assert message.answer["ok"] is True

    assert slack.click(ALICE, "promobot_approve", message, key("long")).status == 200

    update = updated(fake, message)
    assert update.answer["ok"] is True and f"→ {LONG_ALIAS}*" in update.text
    assert models.aliases(model) == {LONG_ALIAS[1:]: version}
    assert fake.refusals == []


# ---- a slow MLflow -------------------------------------------------------------------------------


class _ServerModels(ModelFactory):
    """Versions on the shared mlflow server, in an experiment of this module's own."""

    def experiment(self) -> str:
        if self._experiment is None:
            self._experiment = self.client.create_experiment(
                f"slack-{secrets.token_hex(4)}", artifact_location=self.artifacts.as_uri()
            )
        return self._experiment


@pytest.mark.server
def test_commands_are_acknowledged_within_3_seconds_while_mlflow_is_slow(
    mlflow_server: Any, fake: FakeSlack, policy_file: Path, workdir: Path
) -> None:
    server_models = _ServerModels(mlflow_server.url, workdir / "server-artifacts")
    model = unique("slow")
    version = server_models.version(model, accuracy=0.9, f1=0.88)
    with SlowProxy(mlflow_server.url, delay_ms=1500) as proxy:
        (workdir / "slow").mkdir()
        slow = PromobotServe(serve_env(proxy.url, policy_file, fake, sweep="0"), workdir / "slow")
        slow.start()
        try:
            sender = Slack(slow, fake)
            sent = [
                (BOB, "/promote", f"{model} v{version} staging while MLflow crawls"),
                (BOB, "/promobot", f"status {model}"),
                (BOB, "/promobot", f"history {model}"),
                (CAROL, "/rollback", f"{model} production it broke"),
            ]
            keys = [key("slow") for _ in sent]
            acked: list[tuple[Answer, float]] = []
            for (user, command, text), reply_key in zip(sent, keys, strict=True):
                answer = sender.command(user, command, text, reply_key)
                acked.append((answer, time.monotonic()))
                assert answer.status == 200 and "working on" in answer.text
                assert answer.seconds < 3.0, f"{command} {text}: ack took {answer.seconds:.2f}s"

            # The answers come afterwards, while every MLflow call still takes 1.5 s.
            status = fake.wait_for_response(keys[1], WAIT)
            assert model in status.text and status.at > acked[1][1]
            print(
                f"acks: {[round(a.seconds, 3) for a, _ in acked]} s; status answered "
                f"{status.at - acked[1][1] + acked[1][0].seconds:.2f} s after it was sent"
            )
            proxy.delay_ms = 0  # let the multi-call promotion finish quickly
            done = posted(fake, model)
            assert f"*{model} v{version} → Staging* done" in done.text
            assert done.at > acked[0][1]
            for reply_key in keys[2:]:
                fake.wait_for_response(reply_key, WAIT)
            assert server_models.stage(model, version) == "Staging"
            assert proxy.requests > 0
        finally:
            slow.stop()
