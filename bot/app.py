"""The one place that wires the parts together: settings → policy, registry, notifiers
→ service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.config import Settings
from bot.events import EventBus
from bot.github_ports import GitHubPorts
from bot.policy import Policy, load_policy
from bot.registry import Registry
from bot.service import Service
from bot.service.common import utcnow
from bot.service.registration import Registration


def build_policy(settings: Settings) -> Policy:
    return load_policy(settings.promobot_policy)


def build_registry(settings: Settings) -> Registry:
    return Registry(
        settings.mlflow_tracking_uri,
        lock_ttl_s=settings.promobot_lock_ttl_seconds,
        lock_wait_s=settings.promobot_lock_wait_seconds,
    )


def build_github(settings: Settings, *, timeout: float | None = None) -> GitHubPorts:
    """GitHub's checks and deployments, where GITHUB_TOKEN is set (at GITHUB_API_URL);
    without it, none: the checks gate refuses and no deployment is sent."""
    token = settings.github_token.get_secret_value() if settings.github_token else ""
    if not token:
        return GitHubPorts(mlflow_ui_url=settings.promobot_mlflow_ui_url)
    from bot.github_client import TIMEOUT_S, GitHubChecks, GitHubClient
    from bot.notifiers.github_deployments import GitHubDeploymentSender

    client = GitHubClient(token, base_url=settings.github_api_url, timeout=timeout or TIMEOUT_S)
    return GitHubPorts(
        checks=GitHubChecks(client),
        deployer=GitHubDeploymentSender(client),
        mlflow_ui_url=settings.promobot_mlflow_ui_url,
    )


def build_service(
    settings: Settings,
    policy: Policy | None = None,
    *,
    clock: Callable[[], datetime] = utcnow,
    github: GitHubPorts | None = None,
) -> Service:
    """The service with its notifiers: where a Slack token is set, the Slack message of a
    request follows what happens to it in every door; where a GitHub token is set, every
    promotion of a version from a GitHub commit becomes a GitHub deployment, and the
    checks gate reads GitHub. `clock` is for the demo, which may step out of a freeze
    window; `github` replaces build_github's (tests give theirs a short timeout)."""
    policy = policy if policy is not None else build_policy(settings)
    bus = EventBus()
    github = github if github is not None else build_github(settings)
    service = Service(build_registry(settings), policy, clock=clock, events=bus, github=github)
    if settings.slack_bot_token is not None and settings.slack_bot_token.get_secret_value():
        from bot.notifiers import slack

        bus.subscribe(slack.SlackRequestSync(service, slack.web_client(settings)), slack.KINDS)
    if github.deployer is not None:
        from bot.notifiers import github_deployments

        notifier = github_deployments.DeploymentNotifier(service)
        bus.subscribe(notifier, github_deployments.KINDS)
    return service


def build_registration(settings: Settings) -> Registration:
    """CI registration needs no policy: a request it makes goes through build_service."""
    return Registration(build_registry(settings))
