"""Approvers from GitHub teams and Slack user groups (bot/core/service/membership.py and its
use in the use cases), against a fake GitHub REST API and a fake Slack Web API on
127.0.0.1 and a real SQLite MLflow registry."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from group_fakes import Fakes, group_fakes
from service_helpers import M, run

from bot.core.service import Service
from bot.render.message import to_text

UNREACHABLE = "http://127.0.0.1:9"  # nothing listens on the discard port


@pytest.fixture
def fakes() -> Iterator[Fakes]:
    with group_fakes() as both:
        yield both


@pytest.fixture
def service(fakes: Fakes, tracking_uri: str, clock: Any) -> Service:
    return fakes.service(tracking_uri, clock)


@pytest.fixture
def v1(models: Any) -> int:
    version = models.version(M, accuracy=0.91, f1=0.89)
    return version


def ask(service: Service, target: str = "production") -> str:
    """bob asks for v1 → target; the request id."""
    run(service, "slack:U01BOB", f"promote {M} v1 staging candidate")
    pending = run(service, "slack:U01BOB", f"promote {M} v1 {target} shadow test passed")
    assert pending.status == "pending", pending.reasons
    return str(pending.request_id)


# ---- who may approve -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("approver", "shown"),
    [("github:zed", "github:zed"), ("slack:U01ALICE", "alice@example.com")],
    ids=["in-no-people-entry", "known-by-another-handle"],
)
def test_a_team_member_may_approve(service, models, v1, approver, shown) -> None:
    request_id = ask(service)

    done = run(service, approver, f"approve {request_id}", channel="slack")

    assert done.status == "done", done.reasons
    assert models.stage(M, v1) == "Production"
    assert models.tags(M, v1)["approved_by"] == shown


def test_a_member_on_the_second_page_of_a_big_team_may_approve(fakes, service, models, v1) -> None:
    fakes.github.teams["acme/ml-leads"] = [f"member-{n:03d}" for n in range(150)] + ["zed"]
    request_id = ask(service)

    done = run(service, "github:zed", f"approve {request_id}")

    assert done.status == "done", done.reasons
    assert models.tags(M, v1)["approved_by"] == "github:zed"
    assert parse_qs(urlsplit(fakes.github.team_calls()[-1]).query)["page"] == ["2"]


@pytest.mark.parametrize(
    ("approver", "shown"),
    [("slack:U0SAM", "slack:U0SAM"), ("github:carol", "carol@example.com")],
    ids=["in-no-people-entry", "known-by-another-handle"],
)
def test_a_user_group_member_may_approve(service, models, v1, approver, shown) -> None:
    request_id = ask(service, "@champion")

    done = run(service, approver, f"approve {request_id}", channel="github")

    assert done.status == "done", done.reasons
    assert models.aliases(M)["champion"] == v1
    assert models.tags(M, v1)["approved_by"] == shown


@pytest.mark.parametrize("own", ["github:bob", "slack:U01BOB", "bob@example.com"])
def test_the_requester_in_the_team_cannot_approve_their_own_request(
    service, models, v1, own
) -> None:
    run(service, "slack:U01BOB", f"promote {M} v1 staging candidate")
    pending = run(service, "slack:U01BOB", f"promote {M} v1 production shadow test passed")
    approvals = next(c for c in pending.checks if c.name == "approvals")
    assert approvals.detail == "0 of 1 from ml-leads (bob cannot approve their own request)"

    refused = run(service, own, f"approve {pending.request_id}")

    assert refused.status == "refused"
    assert list(refused.reasons) == ["bob cannot approve their own request"]
    assert not any(".approval." in key for key in models.model_tags(M))
    assert models.stage(M, v1) == "Staging"


def test_someone_in_neither_people_nor_the_team_may_not_approve(service, models, v1) -> None:
    request_id = ask(service)

    refused = run(service, "github:mallory", f"approve {request_id}")

    assert list(refused.reasons) == [
        "github:mallory is not in ml-leads, who approve Production for sentiment-classifier"
    ]
    assert models.stage(M, v1) == "Staging"


# ---- lookups that fail -------------------------------------------------------------------------

GITHUB_TROUBLE: dict[str, tuple[Callable[[Fakes], dict[str, Any]], str]] = {
    "5xx": (lambda f: setattr(f.github, "team_answer", "502") or {}, "GitHub answered 502"),
    "garbage": (
        lambda f: setattr(f.github, "team_answer", "garbage") or {},
        "GitHub's answer was not JSON",
    ),
    "slow": (
        lambda f: setattr(f.github, "team_delay_s", 2) or {},
        "GitHub did not answer within 1 s",  # PyGithub takes whole seconds: 0.5 is 1
    ),
    "down": (lambda f: {"github_api_url": UNREACHABLE}, "GitHub could not be reached ("),
    "no-token": (
        lambda f: {"github_token": None},
        "GITHUB_TOKEN is not set, so GitHub teams cannot be read",
    ),
}


@pytest.mark.parametrize("trouble", GITHUB_TROUBLE.values(), ids=GITHUB_TROUBLE.keys())
def test_github_failing_grants_nothing_and_the_refusal_says_why(
    fakes, tracking_uri, clock, models, v1, trouble
) -> None:
    healthy = fakes.service(tracking_uri, clock)
    request_id = ask(healthy)
    break_it, why = trouble
    broken = fakes.service(tracking_uri, clock, **break_it(fakes))
    before = models.snapshot(M)

    refused = run(broken, "github:zed", f"approve {request_id}")

    assert refused.status == "refused"
    (reason,) = refused.reasons
    assert reason.startswith(
        "github:zed is not in ml-leads, who approve Production for sentiment-classifier "
        f"(github-team:acme/ml-leads could not be read: {why}"
    ), reason
    assert models.snapshot(M) == before
    # A new request while the team cannot be read: nobody could approve it, so it is
    # refused at once, and says why.
    again = run(broken, "slack:U01CAROL", f"promote {M} v1 production retry")
    assert again.status == "refused"
    assert f"(github-team:acme/ml-leads could not be read: {why}" in again.reasons[-1]
    assert "but only 0 of them may approve this request" in again.reasons[-1]
    assert models.snapshot(M) == before


SLACK_TROUBLE: dict[str, tuple[Callable[[Fakes], None], str]] = {
    "5xx": (lambda f: f.slack.misbehave("usergroups.users.list", 503), "Slack answered 503"),
    "garbage": (
        lambda f: f.slack.misbehave("usergroups.users.list", "garbage"),
        "Slack's answer was not JSON",
    ),
    "slow": (lambda f: setattr(f.slack, "delay_ms", 1500), "Slack did not answer within 0.5 s"),
    "refused": (
        lambda f: f.slack.fail("usergroups.users.list", "invalid_auth"),
        "Slack answered invalid_auth (check SLACK_BOT_TOKEN)",
    ),
}


@pytest.mark.parametrize("trouble", SLACK_TROUBLE.values(), ids=SLACK_TROUBLE.keys())
def test_slack_failing_grants_nothing_and_the_refusal_says_why(
    fakes, service, models, v1, trouble
) -> None:
    request_id = ask(service, "@champion")
    break_it, why = trouble
    break_it(fakes)
    before = models.snapshot(M)

    refused = run(service, "slack:U0SAM", f"approve {request_id}", channel="slack")

    assert list(refused.reasons) == [
        "slack:U0SAM is not in sre, who approve @champion for sentiment-classifier "
        f"(slack-group:S0SRE could not be read: {why})"
    ]
    assert models.snapshot(M) == before
    assert "champion" not in models.aliases(M)


def test_a_lookup_is_made_only_for_the_groups_a_command_needs(fakes, service, v1) -> None:
    run(service, "slack:U01BOB", f"promote {M} v1 staging candidate")  # ml-engineers only

    assert fakes.github.team_calls() == [] and fakes.slack_lookups() == 0


# ---- the cache ----------------------------------------------------------------------------------


def test_the_cache_avoids_a_lookup_per_command(fakes, tracking_uri, clock, models, v1) -> None:
    cached = fakes.service(tracking_uri, clock, promobot_group_cache_seconds=300)
    request_id = ask(cached)
    for text in (f"status {M}", f"policy {M}", f"status {M}"):
        assert run(cached, "cli:x", text).status == "done"
    done = run(cached, "github:zed", f"approve {request_id}")

    assert done.status == "done"
    assert len(fakes.github.team_calls()) == 1  # five commands, one lookup
    assert fakes.slack_lookups() == 1  # `policy` shows sre too

    uncached = fakes.service(tracking_uri, clock)  # PROMOBOT_GROUP_CACHE_SECONDS=0
    for _ in range(3):
        run(uncached, "cli:x", f"policy {M}")
    assert len(fakes.github.team_calls()) == 4


# ---- policy <model> ---------------------------------------------------------------------------


def test_policy_shows_the_members_as_resolved_now_and_which_lookups_failed(fakes, service) -> None:
    fakes.slack.misbehave("usergroups.users.list", "garbage")

    result = run(service, "cli:x", f"policy {M}")

    lines = dict(result.explanation)
    assert lines["Production"][1] == (
        "needs 1 approval from ml-leads (github-team:acme/ml-leads: alice, bob, dave, "
        "github:zed); nobody approves their own request"
    )
    assert lines["@champion"][1] == (
        "needs 1 approval from sre (slack-group:S0SRE could not be read: Slack's answer was "
        "not JSON); nobody approves their own request"
    )
    data = result.to_json()["data"]
    assert data["lookups"] == {
        "github-team:acme/ml-leads": {"members": ["alice", "bob", "dave", "github:zed"]},
        "slack-group:S0SRE": {"error": "Slack's answer was not JSON"},
    }
    assert "github-team:acme/ml-leads: alice, bob, dave, github:zed" in to_text(result)


def test_a_team_member_may_deny_and_a_stranger_may_not(service, models, v1) -> None:
    request_id = ask(service)

    stranger = run(service, "github:mallory", f"deny {request_id} no")
    denied = run(service, "github:zed", f"deny {request_id} not this week")

    assert list(stranger.reasons) == [
        "github:mallory is not in ml-leads, who deny Production for sentiment-classifier"
    ]
    assert denied.status == "done" and "denied by github:zed" in denied.message
    assert models.stage(M, v1) == "Staging"
