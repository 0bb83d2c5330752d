"""A quorum per group across doors: a lead approves with a Slack click, an SRE with a pull
request comment. ml-leads is a GitHub team and sre a Slack user group; the Slack app runs
in-process (bot/doors/slack/app.py), the GitHub door through `run_github` as Actions runs
it, both against the fakes of tests/group_fakes.py, on one real SQLite MLflow registry."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES
from fake_slack import Call
from group_fakes import GROUPS_POLICY, PR, Fakes, group_fakes
from slack_door import SECRET, TOKEN, HeldWork, Slack, ack

from bot.app import subscribe_slack
from bot.config import Settings
from bot.core.service.common import utcnow
from bot.doors.github.comment import run_github
from bot.doors.slack.app import build_app

F = "fraud-detector"
COMMENTS = f"/repos/acme/models/issues/{PR}/comments"


@pytest.fixture
def fakes() -> Iterator[Fakes]:
    with group_fakes() as both:
        yield both


@pytest.fixture
def slack(fakes: Fakes, tracking_uri: str) -> Slack:
    from slack_sdk import WebClient

    # The real clock: the GitHub door, run as Actions runs it, has no other.
    service = fakes.service(tracking_uri, utcnow, promobot_group_cache_seconds=300)
    client = WebClient(token=TOKEN, base_url=fakes.slack.api_url, timeout=10)
    settings = Settings(slack_signing_secret=SECRET, slack_bot_token=TOKEN)
    subscribe_slack(service, settings, client)  # as serve wires it: the notifiers post
    work = HeldWork()
    app = build_app(settings, lambda: service, client=client, executor=work)
    return Slack(app, work, fakes.slack)


@pytest.fixture
def github_env(
    fakes: Fakes, tracking_uri: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Path:
    """What Actions gives the chatops step, pointed at the fakes."""
    for name in list(os.environ):
        if name.startswith(("GITHUB_", "SLACK_", "PROMOBOT_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_test_token")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/models")
    monkeypatch.setenv("GITHUB_API_URL", fakes.github.url)
    monkeypatch.setenv("SLACK_API_URL", fakes.slack.api_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("PROMOBOT_POLICY", str(GROUPS_POLICY))
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    return tmp_path


def comment(github_env: Path, monkeypatch: pytest.MonkeyPatch, login: str, body: str) -> int:
    """Run `promobot github` on a new pull-request comment by `login`."""
    event = json.loads((FIXTURES / "github" / "pr_comment_created.json").read_text())
    event["comment"]["body"] = body
    event["comment"]["user"]["login"] = login
    path = github_env / f"event-{login}.json"
    path.write_text(json.dumps(event), encoding="utf-8")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(path))
    return run_github([])


def replies(fakes: Fakes) -> list[str]:
    return [body["body"] for method, path, body in fakes.github.calls if path == COMMENTS]


@pytest.fixture
def request_message(slack: Slack, fakes: Fakes, models: Any) -> Call:
    """bob's request, typed in Slack, as posted in the channel with its buttons."""
    models.version(F, auc=0.93)
    ack(slack.command("U01BOB", "/promote", f"{F} v1 production", "ask"))
    slack.work.run()
    (message,) = fakes.slack.api_calls("chat.postMessage")
    assert "ml-leads 0 of 1 ⏳ · sre 0 of 1 ⏳" in message.text
    return message


def test_a_lead_in_slack_and_an_sre_on_github_carry_it_out_once(
    slack, fakes, request_message, github_env, monkeypatch, models
) -> None:
    request_id = request_message.actions()[0]["value"]

    # alice is in the GitHub team by her login, and clicks in Slack.
    ack(slack.click("U01ALICE", "promobot_approve", request_message, "lead"))
    slack.work.run()
    (told,) = fakes.slack.responses("lead")
    assert "Approval recorded: ml-leads 1 of 1 ✅ · sre 0 of 1 ⏳." in told.text
    (redrawn,) = fakes.slack.api_calls("chat.update")
    assert "ml-leads 1 of 1 ✅ · sre 0 of 1 ⏳" in redrawn.text
    assert models.stage(F, 1) == "None"

    # carol is in the Slack user group by her member id, and comments on GitHub.
    code = comment(github_env, monkeypatch, "carol", f"/approve {request_id}")

    assert code == 0
    (reply,) = replies(fakes)
    assert reply.splitlines()[0] == f"🚀 **{F} v1 → Production** done"
    assert "approved by alice@example.com, carol@example.com" in reply
    assert models.stage(F, 1) == "Production"
    assert models.tags(F, 1)["approved_by"] == "alice@example.com, carol@example.com"
    events = [key for key in models.model_tags(F) if key.startswith("mlflow.promobot.event.")]
    assert len(events) == 1
    assert models.description(F, 1).count("→ Production") == 1
    final = fakes.slack.api_calls("chat.update")[-1]
    assert f"*{F} v1 → Production* done" in final.text


def test_a_person_in_both_groups_cannot_complete_it_alone_from_two_doors(
    slack, fakes, request_message, github_env, monkeypatch, models
) -> None:
    request_id = request_message.actions()[0]["value"]

    ack(slack.click("U01DAVE", "promobot_approve", request_message, "dave"))
    slack.work.run()
    code = comment(github_env, monkeypatch, "dave", f"/approve {request_id}")

    assert code == 0  # pending is not a failure
    (reply,) = replies(fakes)
    assert reply.splitlines()[0] == (
        f"⏳ **{F} v1 → Production** is waiting for approvals: ml-leads 1 of 1 ✅ · sre 0 of 1 ⏳"
    )
    assert models.stage(F, 1) == "None"
    assert not [key for key in models.model_tags(F) if key.startswith("mlflow.promobot.event.")]
