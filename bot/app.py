"""The one place that wires the parts together: settings → policy, registry → service."""

from __future__ import annotations

from bot.config import Settings
from bot.policy import Policy, load_policy
from bot.registration import Registration
from bot.registry import Registry
from bot.service import Service


def build_policy(settings: Settings) -> Policy:
    return load_policy(settings.promobot_policy)


def build_service(settings: Settings, policy: Policy | None = None) -> Service:
    policy = policy if policy is not None else build_policy(settings)
    return Service(Registry(settings.mlflow_tracking_uri), policy)


def build_registration(settings: Settings) -> Registration:
    """CI registration needs no policy: a request it makes goes through build_service."""
    return Registration(Registry(settings.mlflow_tracking_uri))
