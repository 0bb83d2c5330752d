"""The one place that wires the parts together: settings → policy, registry, notifiers
→ service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pydantic import SecretStr

from bot.config import Settings
from bot.directory import Directories
from bot.directory.cached import CachedDirectory
from bot.directory.github_teams import GitHubTeams
from bot.directory.http import TIMEOUT_S
from bot.directory.slack_groups import SlackGroups
from bot.directory_port import Directory
from bot.events import EventBus
from bot.policy import Membership, Policy, load_policy
from bot.registry import Registry
from bot.service import Service
from bot.service.common import utcnow
from bot.service.membership import resolve
from bot.service.registration import Registration


def build_policy(settings: Settings) -> Policy:
    return load_policy(settings.promobot_policy)


def build_registry(settings: Settings) -> Registry:
    return Registry(
        settings.mlflow_tracking_uri,
        lock_ttl_s=settings.promobot_lock_ttl_seconds,
        lock_wait_s=settings.promobot_lock_wait_seconds,
    )


def build_directory(settings: Settings, *, timeout: float = TIMEOUT_S) -> Directory:
    """GitHub teams and Slack user groups, read with the tokens the doors use and kept
    for PROMOBOT_GROUP_CACHE_SECONDS."""
    github = GitHubTeams(settings.github_api_url, _secret(settings.github_token), timeout=timeout)
    slack = SlackGroups(settings.slack_api_url, _secret(settings.slack_bot_token), timeout=timeout)
    return CachedDirectory(Directories(github, slack), settings.promobot_group_cache_seconds)


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def resolve_groups(settings: Settings, policy: Policy) -> tuple[tuple[str, ...], Membership]:
    """Every team and user group the policy names, and what looking them up finds now
    (`promobot policy check --resolve`)."""
    sources = policy.sources_for(policy.groups)
    return sources, resolve(build_directory(settings), sources)


def build_service(
    settings: Settings,
    policy: Policy | None = None,
    *,
    clock: Callable[[], datetime] = utcnow,
) -> Service:
    """The service with its notifiers: where a Slack token is set, the Slack message of a
    request follows what happens to it in every door. `clock` is for the demo, which may
    step out of a freeze window."""
    policy = policy if policy is not None else build_policy(settings)
    bus = EventBus()
    service = Service(
        build_registry(settings),
        policy,
        clock=clock,
        events=bus,
        directory=build_directory(settings),
    )
    if settings.slack_bot_token is not None and settings.slack_bot_token.get_secret_value():
        from bot.notifiers import slack

        bus.subscribe(slack.SlackRequestSync(service, slack.web_client(settings)), slack.KINDS)
    return service


def build_registration(settings: Settings) -> Registration:
    """CI registration needs no policy: a request it makes goes through build_service."""
    return Registration(build_registry(settings))
