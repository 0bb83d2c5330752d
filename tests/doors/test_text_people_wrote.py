"""Issue 20's reproduction through the real doors: a reason typed in Slack, approved from a
pull-request comment with `promobot github` (run as Actions runs it, GitHub answered at
the HTTP level), then read where it is shown: the bot's GitHub reply, as GitHub renders
it (cmark-gfm and GitHub's mention filter, tests/markdown_seen.py), and the description
of the version promoted on a real SQLite registry, as the MLflow UI renders it (GitHub
flavour). What a person sees: every word, and nothing that pings, links, loads or hides.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from github_door_helpers import (
    MODEL,
    POLICY,
    FakeGitHub,
    actions_env,
    answered_github,
    comment_event,
    version_with_metrics,
)
from markdown_seen import SHOWDOWN_MENTION, seen, visible

from bot.adapters.mlflow.gateway import Registry
from bot.core.commands import parse
from bot.core.context import Context
from bot.core.policy import load_policy
from bot.core.service import Service
from bot.doors.github.comment import run_github

REASON = (
    "fine <img src=https://evil.example/p.png> [Approve here](https://evil.example/approve) "
    "cc @acme/everyone <!--"
)
COMMENT = "ok @acme/everyone <img src=https://evil.example/q.png> fixes #12"
SLACK_LINK = "https://acme.slack.com/archives/C01/p1700000000000100"


@pytest.fixture
def github(
    tracking_uri: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[FakeGitHub]:
    actions_env(tracking_uri, monkeypatch, tmp_path)
    with answered_github() as fake:
        yield fake


def _asked_in_slack(tracking_uri: str, models: Any) -> tuple[int, str]:
    """bob asks in Slack for Production with the reason of the report."""
    version = version_with_metrics(models)
    service = Service(Registry(tracking_uri), load_policy(POLICY))
    slack = Context(actor="slack:U01BOB", channel="slack", link=SLACK_LINK)
    for text in (
        f"promote {MODEL} v{version} staging ok",
        f"promote {MODEL} v{version} production {REASON}",
    ):
        command = parse(text).command
        assert command is not None
        result = service.handle(command, slack)
    assert result.status == "pending", result.reasons
    return version, str(result.request_id)


def _nothing_acted_on(markdown: str) -> None:
    shown = seen(markdown)
    assert shown.mentions == [], shown.mentions  # no @acme/everyone ping
    assert shown.references == [], shown.references  # no #12 link
    assert [link for link in shown.links if not link.startswith("mailto:")] == []
    assert "img" not in shown.tags and "iframe" not in shown.tags
    assert "<!--" not in shown.tags  # nothing after it is hidden


def test_a_slack_reason_approved_on_github_is_read_in_the_reply_and_the_description(
    github: FakeGitHub, models: Any, tracking_uri: str, tmp_path: Path, monkeypatch: Any
) -> None:
    version, request_id = _asked_in_slack(tracking_uri, models)
    comment_event(tmp_path, monkeypatch, body=f"/approve {request_id} {COMMENT}", login="alice")

    assert run_github([]) == 0

    assert models.stage(MODEL, version) == "Production"
    [reply] = github.replies()
    _nothing_acted_on(reply)
    said = visible(reply)
    assert said.startswith(f"🚀 {MODEL} v{version} → Production done")
    assert f'"{REASON}"' in said
    assert f'alice@example.com ("{COMMENT}")' in said
    assert f"request {request_id}" in said
    assert f"Now serving: models:/{MODEL}/Production" in said  # the rest is not hidden

    line = models.description(MODEL, version).splitlines()[-1]
    _nothing_acted_on(line)
    assert not SHOWDOWN_MENTION.search(line)  # the MLflow UI's own mention rule
    described = visible(line)
    assert "→ Production by bob@example.com" in described
    assert f'approved by alice@example.com ("{COMMENT}"): {REASON}' in described
    # The tags keep exactly what was typed: they are data, read by programs.
    assert models.tags(MODEL, version)["promotion_reason"] == REASON


def test_a_hostile_model_name_in_a_comment_is_answered_without_acting_on_it(
    github: FakeGitHub, models: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    """A command that names a model no policy knows (or that is no valid name) is
    refused with the name echoed: the echo is read, never acted on."""
    for name in ("@acme/everyone", "<img src=https://evil.example/p.png>", "x](https://e.x)"):
        comment_event(tmp_path, monkeypatch, body=f"/status {name}", login="bob")
        run_github([])
    for reply in github.replies():
        _nothing_acted_on(reply)
