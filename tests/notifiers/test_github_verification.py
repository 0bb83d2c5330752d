"""A failed verification told on GitHub (bot/notifiers/github_verification.py, wired by
bot/app.py): the service as build_service makes it with a GitHub token, a real SQLite
registry, a real Prometheus scraping the exporter, and the fake GitHub (and Slack) over
HTTP recording what people would see. The pass runs on the test's clock."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest import Clock, ModelFactory
from verification_setup import CHANNEL, PR_COMMENT, REPO, RUN_URL, Watched, watch_factory

from bot.core.results import VerifyResult
from bot.core.service import Context
from bot.notifiers.github_verification import failure_status, pull_request_of

REASON = "verification failed: error rate 0.071 (pass < 0.02), 3 checks in a row"


@pytest.fixture
def watch(
    tracking_uri: str, models: ModelFactory, prometheus: Any, exporter: Any, clock: Clock
) -> Iterator[Callable[..., Watched]]:
    yield from watch_factory(tracking_uri, models, prometheus, exporter, clock)


def rolled_back(w: Watched) -> None:
    """What the registry holds after promobot rolled v2 back: the same with GitHub and
    Slack up or down."""
    models, name = w.models, w.name
    assert (models.stage(name, 1), models.stage(name, 2)) == ("Production", "Archived")
    v1, v2 = models.tags(name, 1), models.tags(name, 2)
    assert (v2["verification"], v2["rollback_reason"], v2["rolled_back_by"]) == (
        "failed",
        REASON,
        "promobot",
    )
    assert (v1["promotion_reason"], v1["verification"]) == (f"rollback: {REASON}", "running")


@pytest.mark.parametrize(
    ("ctx", "commented"),
    [
        (Context(actor="github:bob", channel="github", link=PR_COMMENT), True),
        (Context(actor="cli:bob", channel="ci", link=RUN_URL), False),
    ],
    ids=["a pull-request comment", "a workflow"],
)
def test_a_failed_verification_is_told_on_the_pull_request_and_marks_the_deployment_failed(
    watch: Callable[..., Watched], ctx: Context, commented: bool
) -> None:
    w = watch(f"watch-gh-{ctx.channel}", good=0.001, bad=0.071)
    assert w.do(f"promote {w.name} v1 production first", ctx).status == "done"
    assert w.do(f"promote {w.name} v2 production next", ctx).status == "done"
    assert [d["id"] for d in w.github.deployments] == [1001, 1002]

    [failed] = [o for o in w.until("failed") if o.state == "failed"]

    assert (failed.version, failed.rolled_back_to) == (2, 1)
    rolled_back(w)
    # v2's deployment: success, inactive once the rollback deployed v1 again (1003), then
    # failure, saying why and what promobot did.
    assert w.github.statuses_of(1002) == ["success", "inactive", "failure"]
    assert w.github.statuses_of(1003) == ["success"]
    failure = w.github.deployment_statuses[-1][1]
    assert failure == {
        "state": "failure",
        "description": f"{REASON}; rolled back to v1",
        "log_url": ctx.link,
    }
    comments = w.comments()
    if not commented:
        assert comments == []  # a workflow run takes no comments: its deployment is told
        return
    [comment] = comments
    body = comment["body"]
    assert body.startswith(
        f"❌ **{w.name} v2 on Production** failed verification: promobot rolled it back to v1\n"
        "promoted by bob@example.com · request `"
    )
    assert REASON in body
    assert f"Promoted in a pull-request comment: {PR_COMMENT}" in body
    assert "| ❌ error rate < 0.02 | 0.071, 3 failures in a row |" in body
    assert "| ✅ p99 latency < 0.5 | 0.1 |" in body
    assert f"Now serving: `models:/{w.name}/Production` (v1)." in body
    assert body.endswith("cc @bob")
    # The model's channel hears of the rollback, as of a person's, then of the failure.
    texts = [p.text for p in w.posts() if p.body["channel"] == CHANNEL]
    rollback, verdict = texts[-2:]
    assert rollback.startswith(f"⏪ {w.name} v1 → Production rolled back"), rollback
    assert "Asked through verify" in rollback, rollback
    assert "verification failed: error rate 0.071" in rollback, rollback
    assert verdict.splitlines()[0] == (
        f"❌ {w.name} v2 on Production failed verification: promobot rolled it back to v1"
    )


def test_github_and_slack_down_change_nothing_in_the_registry(
    watch: Callable[..., Watched], caplog: pytest.LogCaptureFixture
) -> None:
    w = watch("watch-gh-down", good=0.001, bad=0.071)
    w.do(f"promote {w.name} v1 production first")
    w.do(f"promote {w.name} v2 production next")
    w.github.fail("POST", ".", "500")
    w.slack.misbehave("chat.postMessage", 503)

    [failed] = [o for o in w.until("failed") if o.state == "failed"]

    assert failed.rolled_back_to == 1
    rolled_back(w)
    assert f"could not comment on #7 in {REPO} after a failed verification" in caplog.text
    assert "could not mark deployment 1002 of acme/models failed" in caplog.text
    assert f"could not announce verification_failed of {w.name} in {CHANNEL}" in caplog.text
    assert all(r.levelno <= logging.WARNING for r in caplog.records)


@pytest.mark.parametrize(
    ("link", "found"),
    [
        (PR_COMMENT, (REPO, 7)),
        ("https://github.com/acme/models/issues/12#issuecomment-3", (REPO, 12)),
        ("https://github.example.com/team/repo.x/pull/3", ("team/repo.x", 3)),
        (RUN_URL, None),
        ("https://github.com/acme/models/pull/not-a-number", None),
        ("", None),
    ],
    ids=["pull comment", "issue comment", "enterprise", "workflow run", "not a number", "none"],
)
def test_which_pull_request_a_link_names(link: str, found: tuple[str, int] | None) -> None:
    assert pull_request_of(link) == found


def test_the_deployment_status_fits_githubs_140_characters() -> None:
    told = VerifyResult(status="refused", message="verification failed: " + "x" * 200)
    body = failure_status(told)
    assert len(body["description"]) == 140
    assert body["description"].startswith("verification failed: xxx")
    assert "log_url" not in body
