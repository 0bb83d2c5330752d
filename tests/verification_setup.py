"""What the tests of the verification notifiers share (tests/notifiers/): the service as
bot/app.py builds it with Slack, GitHub and Prometheus set (the fakes of Slack and
GitHub over HTTP, a real Prometheus scraping the exporter, a real SQLite registry), two
versions of a model registered from a GitHub commit, and the verification pass driven
by the test's clock (one run per second of it, no sleeping)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from conftest import FIXTURES, Clock, ModelFactory
from fake_github import FakeGitHubServer
from fake_slack import Call, FakeSlack

from bot.app import build_service
from bot.config import Settings
from bot.core.commands import parse
from bot.core.results import Result
from bot.core.service import Context, Service

POLICY = FIXTURES / "verify_policy.yaml"
REPO = "acme/models"
PR = 7
SHA = "ab" * 20
CHANNEL = "C0MODELS"  # PROMOBOT_SLACK_CHANNEL: the verify policy's models name none
PR_COMMENT = f"https://github.com/{REPO}/pull/{PR}#issuecomment-11"
RUN_URL = f"https://github.com/{REPO}/actions/runs/42"
FROM_PR = Context(actor="github:bob", channel="github", link=PR_COMMENT)


@dataclass
class Watched:
    """One model under verification, and where what promobot says is seen."""

    service: Service
    clock: Clock
    models: ModelFactory
    slack: FakeSlack
    github: FakeGitHubServer
    name: str

    def do(self, text: str, ctx: Context = FROM_PR) -> Result:
        parsed = parse(text)
        assert parsed.command is not None, parsed.reply
        return self.service.handle(parsed.command, ctx)

    def until(self, state: str, passes: int = 12) -> list[Any]:
        """Run the pass once per second of the test's clock until an outcome reaches
        `state` (Prometheus answers what it scraped last, whatever the clock says)."""
        outcomes: list[Any] = []
        for _ in range(passes):
            self.clock.advance(seconds=1)
            outcomes.extend(self.service.verify().outcomes)
            if any(o.state == state for o in outcomes):
                return outcomes
        raise AssertionError(f"no verification reached {state}: {outcomes}")

    def posts(self) -> list[Call]:
        return self.slack.api_calls("chat.postMessage")

    def comments(self) -> list[dict[str, Any]]:
        path = f"/repos/{REPO}/issues/{PR}/comments"
        return [body for method, p, body in self.github.calls if method == "POST" and p == path]


def watch_factory(
    tracking_uri: str, models: ModelFactory, prometheus: Any, exporter: Any, clock: Clock
) -> Iterator[Callable[..., Watched]]:
    """The body of a test module's `watch` fixture: make(name, good, bad) registers two
    versions of `name` from commit SHA of REPO, v1 exporting the error rate `good` and
    v2 `bad`, and gives the service built against fresh fakes of Slack and GitHub."""
    with FakeSlack() as slack, FakeGitHubServer(REPO, PR) as github:

        def make(name: str, good: float, bad: float) -> Watched:
            for version in (1, 2):
                assert models.version(name, accuracy=0.9) == version
                models.client.set_model_version_tag(name, str(version), "git_repository", REPO)
                models.client.set_model_version_tag(name, str(version), "git_commit", SHA)
            exporter.set(name, 1, error_rate=good)
            exporter.set(name, 2, error_rate=bad)
            prometheus.wait_for(f'model_error_rate{{model="{name}",version="2"}}', bad)
            settings = settings_for(tracking_uri, slack, github, prometheus.url)
            service = build_service(settings, clock=clock)
            return Watched(service, clock, models, slack, github, name)

        yield make


def settings_for(
    tracking_uri: str, slack: FakeSlack, github: FakeGitHubServer, prometheus_url: str
) -> Settings:
    return Settings(
        mlflow_tracking_uri=tracking_uri,
        promobot_policy=str(POLICY),
        slack_bot_token="xoxb-test",
        slack_api_url=slack.api_url,
        promobot_slack_channel=CHANNEL,
        github_token="ghs-test",
        github_api_url=github.url,
        promobot_prometheus_url=prometheus_url,
        promobot_prometheus_timeout_seconds=2,
    )
