"""The one place that wires the parts together: settings → policy, registry, notifiers
→ service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.config import Settings
from bot.events import EventBus
from bot.policy import Policy, load_policy
from bot.ports import NoPrometheus, Prometheus
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


def build_prometheus(settings: Settings) -> Prometheus:
    """The Prometheus live gates and verification query (none configured: no data)."""
    if not settings.promobot_prometheus_url.strip():
        return NoPrometheus()
    from bot.prometheus import PrometheusClient

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
        prometheus=build_prometheus(settings),
    )
    if settings.slack_bot_token is not None and settings.slack_bot_token.get_secret_value():
        from bot.notifiers import slack

        bus.subscribe(slack.SlackRequestSync(service, slack.web_client(settings)), slack.KINDS)
    return service


def build_registration(settings: Settings) -> Registration:
    """CI registration needs no policy: a request it makes goes through build_service."""
    return Registration(build_registry(settings))
