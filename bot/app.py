"""The one place that wires the parts together: settings → policy, registry, notifiers
→ service."""

from __future__ import annotations

from bot.config import Settings
from bot.events import EventBus
from bot.policy import Policy, load_policy
from bot.registry import Registry
from bot.service import Service


def build_policy(settings: Settings) -> Policy:
    return load_policy(settings.promobot_policy)


def build_registry(settings: Settings) -> Registry:
    return Registry(
        settings.mlflow_tracking_uri,
        lock_ttl_s=settings.promobot_lock_ttl_seconds,
        lock_wait_s=settings.promobot_lock_wait_seconds,
    )


def build_service(settings: Settings, policy: Policy | None = None) -> Service:
    policy = policy if policy is not None else build_policy(settings)
    return Service(build_registry(settings), policy, events=EventBus())
