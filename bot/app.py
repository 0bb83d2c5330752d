"""The one place that wires the parts together: settings → policy, registry, notifiers
→ service."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import SecretStr

from bot.adapters.directory import Directories
from bot.adapters.directory.cached import CachedDirectory
from bot.adapters.directory.http import TIMEOUT_S
from bot.adapters.github.checks import GitHubChecks
from bot.adapters.github.client import TIMEOUT_S as GITHUB_TIMEOUT_S
from bot.adapters.github.client import GitHubClient
from bot.adapters.github.deployments import GitHubDeployments
from bot.adapters.github.teams import GitHubTeams
from bot.adapters.keys import Ed25519Signatures
from bot.adapters.mlflow.gateway import Registry
from bot.adapters.mlflow.identity import MlflowIdentity

# For the demo door, which reaches MLflow only through this wiring place.
from bot.adapters.mlflow.tracking import current_tracking_uri as current_tracking_uri
from bot.adapters.prometheus import PrometheusClient
from bot.adapters.slack.client import web_client
from bot.adapters.slack.groups import SlackGroups
from bot.config import Settings
from bot.core.events import EventBus
from bot.core.policy import Membership, Policy, load_policy
from bot.core.ports.directory import Directory
from bot.core.ports.github import GitHubPorts
from bot.core.ports.identity import Identity
from bot.core.ports.prometheus import NoPrometheus, Prometheus
from bot.core.ports.signing import Signatures
from bot.core.service import Service
from bot.core.service.common import Outside, utcnow
from bot.core.service.membership import resolve
from bot.core.service.registration import Registration
from bot.core.service.webhooks import WebhookInstall
from bot.notifiers import github_verification, slack, slack_announce

if TYPE_CHECKING:
    from slack_sdk import WebClient

log = logging.getLogger("promobot")


def build_policy(settings: Settings) -> Policy:
    return load_policy(settings.promobot_policy)


def build_registry(settings: Settings) -> Registry:
    return Registry(
        settings.mlflow_tracking_uri,
        lock_ttl_s=settings.promobot_lock_ttl_seconds,
        lock_wait_s=settings.promobot_lock_wait_seconds,
    )


def build_signatures(settings: Settings) -> Signatures | None:
    """The keys promobot signs and checks its records with; None when none is set (then
    nothing is signed nor checked, as before keys). KeysProblem when one cannot be read."""
    signing = _secret(settings.promobot_signing_key) or ""
    trusted = settings.promobot_trusted_keys
    if not signing.strip() and not trusted.strip():
        return None
    return Ed25519Signatures(signing, trusted)


def build_identity(settings: Settings) -> Identity:
    """Who a caller's MLflow credentials sign in as, asked of the tracking server."""
    return MlflowIdentity(settings.mlflow_tracking_uri)


def build_directory(settings: Settings, *, timeout: float = TIMEOUT_S) -> Directory:
    """GitHub teams and Slack user groups, read with the tokens the doors use and kept
    for PROMOBOT_GROUP_CACHE_SECONDS."""
    github = GitHubTeams(build_github_client(settings, timeout=timeout))
    slack = SlackGroups(settings.slack_api_url, _secret(settings.slack_bot_token), timeout=timeout)
    return CachedDirectory(Directories(github, slack), settings.promobot_group_cache_seconds)


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def resolve_groups(settings: Settings, policy: Policy) -> tuple[tuple[str, ...], Membership]:
    """Every team and user group the policy names, and what looking them up finds now
    (`promobot policy check --resolve`)."""
    sources = policy.sources_for(policy.groups)
    return sources, resolve(build_directory(settings), sources)


def build_github_client(
    settings: Settings, *, timeout: float = GITHUB_TIMEOUT_S
) -> GitHubClient | None:
    """The one GitHub client: GITHUB_TOKEN at GITHUB_API_URL; None without a token."""
    token = _secret(settings.github_token)
    if not token:
        return None
    return GitHubClient(token, base_url=settings.github_api_url, timeout=timeout)


def build_github(
    settings: Settings,
    *,
    timeout: float = GITHUB_TIMEOUT_S,
    client: GitHubClient | None = None,
) -> GitHubPorts:
    """GitHub's checks and deployments, where GITHUB_TOKEN is set (at GITHUB_API_URL),
    through `client` when given; without a token, none: the checks gate refuses and no
    deployment is sent."""
    client = client or build_github_client(settings, timeout=timeout)
    if client is None:
        return GitHubPorts(mlflow_ui_url=settings.promobot_mlflow_ui_url)
    return GitHubPorts(
        checks=GitHubChecks(client),
        deployer=GitHubDeployments(client),
        mlflow_ui_url=settings.promobot_mlflow_ui_url,
    )


def build_prometheus(settings: Settings) -> Prometheus:
    """The Prometheus live gates and verification query (none configured: no data)."""
    if not settings.promobot_prometheus_url.strip():
        return NoPrometheus()

    token = settings.promobot_prometheus_token
    password = settings.promobot_prometheus_password
    user = settings.promobot_prometheus_username
    return PrometheusClient(
        settings.promobot_prometheus_url.strip(),
        token=token.get_secret_value() if token else "",
        basic=(user, password.get_secret_value() if password else "") if user else None,
        timeout_s=settings.promobot_prometheus_timeout_seconds,
    )


def build_service(
    settings: Settings,
    policy: Policy | None = None,
    *,
    clock: Callable[[], datetime] = utcnow,
    github: GitHubPorts | None = None,
) -> Service:
    """The service with its notifiers: where a Slack token is set, the Slack message of a
    request follows what happens to it in every door, and each model's channel hears of
    its requests, promotions, drift, new versions and verifications; where a GitHub token
    is set, every promotion of a version from a GitHub commit becomes a GitHub
    deployment, the checks gate reads GitHub, and a failed verification is told on the
    pull request it was promoted from and marks its deployment failed. `clock` is for
    the demo, which may step out of a freeze window; `github` replaces build_github's
    (tests give theirs a short timeout)."""
    policy = policy if policy is not None else build_policy(settings)
    bus = EventBus()
    github_client = build_github_client(settings)
    github = github if github is not None else build_github(settings, client=github_client)
    service = Service(
        build_registry(settings),
        policy,
        clock=clock,
        events=bus,
        outside=Outside(
            directory=build_directory(settings),
            github=github,
            prometheus=build_prometheus(settings),
            signatures=build_signatures(settings),
        ),
    )
    if settings.slack_bot_token is not None and settings.slack_bot_token.get_secret_value():
        subscribe_slack(service, settings)
    if github_client is not None:
        told = github_verification.VerificationNotifier(github_client)
        bus.subscribe(told, github_verification.KINDS)
    return service


def subscribe_slack(service: Service, settings: Settings, client: WebClient | None = None) -> None:
    """Slack's notifiers on the service's events: the one owner of each request's
    message, and the announcer of the rest. Both ask the service (through the
    RequestMessages protocol of bot/notifiers/slack.py) where a request's message is and
    record where they posted it; the channel a Slack command was typed in reaches them
    from the Slack door through bot/adapters/slack/conversation.py."""
    client = client if client is not None else web_client(settings)
    if problem := settings.problem("promobot_slack_channel"):
        log.warning("%s", problem)
    channels = slack.model_channels(service.policy, settings.promobot_slack_channel)
    service.events.subscribe(slack.SlackRequestMessages(service, client, channels), slack.KINDS)
    announcer = slack_announce.SlackAnnouncer(service, client, channels)
    service.events.subscribe(announcer, slack_announce.KINDS)


def build_registration(settings: Settings) -> Registration:
    """CI registration needs no policy: a request it makes goes through build_service."""
    return Registration(build_registry(settings))


def build_webhook_install(settings: Settings) -> WebhookInstall:
    """`promobot webhooks install` needs MLflow and the secret, not the policy."""
    return WebhookInstall(build_registry(settings))
