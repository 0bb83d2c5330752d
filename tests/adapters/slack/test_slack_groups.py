"""A Slack user group's members (bot/adapters/slack/groups.py) against the fake Slack Web
API on 127.0.0.1: `usergroups.users.list`, and every failure a sentence."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_slack import FakeSlack

from bot.adapters.slack.groups import SlackGroups

GROUP = "slack-group:S0SRE"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.usergroups["S0SRE"] = ["U01CAROL", "U0SAM"]
        yield fake


def test_a_user_groups_members_are_its_user_ids(slack: FakeSlack) -> None:
    lookup = SlackGroups(slack.api_url, "xoxb-token").members(GROUP)

    assert (lookup.ok, lookup.handles) == (True, ("slack:U01CAROL", "slack:U0SAM"))
    (call,) = slack.api_calls("usergroups.users.list")
    assert call.body == {"usergroup": "S0SRE"}
    assert call.headers["authorization"] == "Bearer xoxb-token"


@pytest.mark.parametrize(
    ("break_it", "why"),
    [
        (
            lambda fake: fake.fail("usergroups.users.list", "invalid_auth"),
            "Slack answered invalid_auth (check SLACK_BOT_TOKEN)",
        ),
        (
            lambda fake: fake.fail("usergroups.users.list", "missing_scope"),
            "Slack answered missing_scope (the app needs the usergroups:read scope)",
        ),
        (
            lambda fake: fake.misbehave("usergroups.users.list", "garbage"),
            "Slack's answer was not JSON",
        ),
        (lambda fake: fake.misbehave("usergroups.users.list", 503), "Slack answered 503"),
    ],
    ids=["bad-token", "missing-scope", "garbage", "unavailable"],
)
def test_a_failing_slack_grants_nothing_and_says_why(slack: FakeSlack, break_it, why) -> None:
    break_it(slack)

    lookup = SlackGroups(slack.api_url, "xoxb-token").members(GROUP)

    assert (lookup.handles, lookup.error) == ((), why)


def test_an_unknown_user_group_says_so(slack: FakeSlack) -> None:
    lookup = SlackGroups(slack.api_url, "xoxb-token").members("slack-group:S0NOPE")

    assert lookup.error == "Slack answered no_such_subteam (no user group has this id)"


def test_an_answer_that_is_not_a_list_of_ids_grants_nothing(slack: FakeSlack) -> None:
    slack.usergroups["S0SRE"] = ["U01CAROL", "<script>"]

    lookup = SlackGroups(slack.api_url, "xoxb-token").members(GROUP)

    assert (lookup.handles, lookup.error) == ((), "Slack's answer was not a list of user ids")


def test_a_slow_slack_times_out(slack: FakeSlack) -> None:
    slack.delay_ms = 1500

    lookup = SlackGroups(slack.api_url, "xoxb-token", timeout=0.3).members(GROUP)

    assert (lookup.handles, lookup.error) == ((), "Slack did not answer within 0.3 s")


def test_without_a_token_nothing_is_asked(slack: FakeSlack) -> None:
    lookup = SlackGroups(slack.api_url, None).members(GROUP)

    assert lookup.error == "SLACK_BOT_TOKEN is not set, so Slack user groups cannot be read"
    assert slack.api_calls() == []
