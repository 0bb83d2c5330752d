"""The one place that wires the parts together (bot/app.py): what the settings turn on —
GitHub's checks and deployments with a token, Prometheus with a URL and how it signs in,
Slack's notifiers with a bot token — and what stays off without them."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

import pytest
from conftest import SERVICE_POLICY
from fake_slack import FakeSlack
from pydantic import SecretStr
from service_helpers import M, run

from bot.adapters.github.checks import GitHubChecks
from bot.adapters.github.client import GitHubClient
from bot.adapters.github.deployments import GitHubDeployments
from bot.adapters.prometheus import PrometheusClient
from bot.app import (
    build_github,
    build_github_client,
    build_prometheus,
    build_service,
    resolve_groups,
)
from bot.config import Settings
from bot.core.policy import NO_LOOKUPS, load_policy
from bot.core.ports.github import GitHubPorts
from bot.core.ports.prometheus import NoPrometheus


def test_without_a_github_token_no_checks_and_no_deployments() -> None:
    settings = Settings(github_token=None, promobot_mlflow_ui_url="https://mlflow.example.com")
    assert build_github_client(settings) is None
    assert build_github(settings) == GitHubPorts(mlflow_ui_url="https://mlflow.example.com")


def test_with_a_github_token_checks_and_deployments_go_through_one_client() -> None:
    settings = Settings(
        github_token=SecretStr("ghs_x"), github_api_url="https://ghe.example.com/api/v3"
    )
    assert isinstance(build_github_client(settings), GitHubClient)
    ports = build_github(settings)
    assert isinstance(ports.checks, GitHubChecks) and isinstance(ports.deployer, GitHubDeployments)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    ("settings", "url", "authorization"),
    [
        (
            Settings(promobot_prometheus_url="  http://prometheus:9090/  "),
            "http://prometheus:9090",
            None,
        ),
        (
            Settings(
                promobot_prometheus_url="http://prometheus:9090",
                promobot_prometheus_token=SecretStr("t0ken"),
                promobot_prometheus_username="promobot",
                promobot_prometheus_password=SecretStr("pw"),
            ),
            "http://prometheus:9090",
            "Bearer t0ken",
        ),
        (
            Settings(
                promobot_prometheus_url="http://prometheus:9090",
                promobot_prometheus_username="promobot",
                promobot_prometheus_password=SecretStr("pw"),
            ),
            "http://prometheus:9090",
            basic("promobot", "pw"),
        ),
        (
            Settings(
                promobot_prometheus_url="http://prometheus:9090",
                promobot_prometheus_username="promobot",
            ),
            "http://prometheus:9090",
            basic("promobot", ""),
        ),
    ],
    ids=["no-credentials", "a-token-wins", "user-and-password", "user-alone"],
)
def test_prometheus_at_its_url_signed_in_as_set(
    settings: Settings, url: str, authorization: str | None
) -> None:
    prometheus = build_prometheus(settings)
    assert isinstance(prometheus, PrometheusClient)
    assert (prometheus.url, prometheus.timeout_s) == (url, 5.0)
    assert prometheus.headers.get("Authorization") == authorization


@pytest.mark.parametrize("url", ["", "   "], ids=["unset", "blank"])
def test_without_a_prometheus_url_every_query_is_no_data(url: str) -> None:
    assert isinstance(build_prometheus(Settings(promobot_prometheus_url=url)), NoPrometheus)


def test_a_policy_naming_no_team_has_nothing_to_look_up() -> None:
    assert resolve_groups(Settings(), load_policy(SERVICE_POLICY)) == ((), NO_LOOKUPS)


@pytest.fixture(scope="module")
def slack_api():
    with FakeSlack() as running:
        yield running


@pytest.fixture
def fake(slack_api: FakeSlack) -> FakeSlack:
    slack_api.reset()
    return slack_api


def test_without_a_slack_token_nothing_is_said_to_slack(
    tracking_uri: str, models, fake: FakeSlack
) -> None:
    settings = Settings(
        mlflow_tracking_uri=tracking_uri,
        promobot_policy=str(SERVICE_POLICY),
        slack_bot_token=None,
        slack_api_url=fake.api_url,
        promobot_slack_channel="C0RELEASES",
        github_token=None,
    )
    service = build_service(settings)
    version = models.version(M, accuracy=0.9, f1=0.88)
    assert run(service, "cli:bob", f"promote {M} v{version} staging first cut").status == "done"
    assert models.stage(M, version) == "Staging"
    assert fake.calls == []


def test_a_slack_channel_that_is_not_an_id_is_warned_of_when_slack_is_wired(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        mlflow_tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}",
        slack_bot_token=SecretStr("xoxb-test"),
        slack_api_url=fake.api_url,
        promobot_slack_channel="#releases",
    )
    build_service(settings, load_policy(SERVICE_POLICY), github=GitHubPorts())
    warned = [r for r in caplog.records if r.name == "promobot" and r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warned] == [
        "PROMOBOT_SLACK_CHANNEL must be a Slack channel ID such as C0123ABCD (from the channel's "
        "details), not '#releases'; nothing is announced by default"
    ]
    assert fake.calls == []  # wiring sends Slack nothing
