"""What the tests of GitHub teams and Slack user groups share: the fake GitHub and Slack
that hold them, and a Service on a real SQLite MLflow registry that looks them up
through the wiring of bot/app.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fake_github import FakeGitHubServer
from fake_slack import FakeSlack

from bot.adapters.mlflow.gateway import Registry
from bot.app import build_directory
from bot.config import Settings
from bot.core.policy import load_policy
from bot.core.service import Service
from bot.core.service.common import Outside

GROUPS_POLICY = Path(__file__).resolve().parent / "fixtures" / "groups_policy.yaml"
# The GitHub team acme/ml-leads: bob asks for releases and is in it; zed is in no
# `people` entry. The Slack user group S0SRE: carol, dave (also a lead) and U0SAM (in no
# `people` entry).
LEADS = ["alice", "bob", "dave", "zed"]
SRE = ["U01CAROL", "U01DAVE", "U0SAM"]
PR = 7  # the pull request of the comment payloads in tests/fixtures/github


@dataclass
class Fakes:
    github: FakeGitHubServer
    slack: FakeSlack

    def settings(self, **changes: Any) -> Settings:
        values: dict[str, Any] = {
            "github_api_url": self.github.url,
            "github_token": "ghs_test_token",
            "slack_api_url": self.slack.api_url,
            "slack_bot_token": "xoxb-test-token",
            "promobot_group_cache_seconds": 0,
            **changes,
        }
        return Settings(**values)

    def service(
        self, tracking_uri: str, clock: Any, *, timeout: float = 0.5, **settings: Any
    ) -> Service:
        directory = build_directory(self.settings(**settings), timeout=timeout)
        return Service(
            Registry(tracking_uri),
            load_policy(GROUPS_POLICY),
            clock=clock,
            outside=Outside(directory=directory),
        )

    def slack_lookups(self) -> int:
        return len(self.slack.api_calls("usergroups.users.list"))


@contextmanager
def group_fakes() -> Iterator[Fakes]:
    with (
        FakeGitHubServer("acme/models", PR, teams={"acme/ml-leads": list(LEADS)}) as github,
        FakeSlack() as slack,
    ):
        slack.usergroups["S0SRE"] = list(SRE)
        yield Fakes(github, slack)
