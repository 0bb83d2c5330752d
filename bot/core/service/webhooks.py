"""MLflow's webhooks: what a delivery does, and promobot's own webhook in MLflow.

A delivery (already verified by its door, bot/doors/mlflow_webhook.py) is one call into
the service. Only models the policy names are acted on:

    model_version.created          the new version is announced (Service.announce_version)
    model_version_alias.created    the model is audited: a change promobot did not make is
    model_version_alias.deleted    reported once as drift (promobot's own leave none)

Each delivery id is remembered on its model (`promobot.webhook.<id>`, for a day), under
a lock, so a delivery seen before is ignored on every replica. MLflow sends no event for
stage transitions; the scheduled audit (bot/doors/passes/drift_pass.py) finds those.

`promobot webhooks install` (bot/doors/cli/webhooks.py) keeps one MLflow webhook named
`promobot` pointed at `promobot serve` with these events and the shared secret. MLflow
never gives a secret back, so the webhook's description carries a fingerprint of it
(PBKDF2, 4 bytes): enough to tell "already so" from "the secret changed", too little and
too slow to guess a long secret from.
"""

from __future__ import annotations

import hashlib
import logging
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot.core import state
from bot.core.ports.registry import Registry, WebhookInfo
from bot.core.service.common import Deps
from bot.core.service.drift_scan import DriftScan

log = logging.getLogger("promobot.webhooks")

WEBHOOK_NAME = "promobot"
VERSION_CREATED = "model_version.created"
ALIAS_CREATED = "model_version_alias.created"
ALIAS_DELETED = "model_version_alias.deleted"
EVENTS = (VERSION_CREATED, ALIAS_CREATED, ALIAS_DELETED)
SERVE_PATH = "/mlflow/webhook"
# Deliveries older than five minutes are refused at the door; a day is ample to ignore
# a replay and keeps the number of tags on a model bounded.
DELIVERIES_KEPT = timedelta(days=1)
# The lock under which a delivery id is checked and recorded (one per model).
_DELIVERY_LOCK = "webhook-deliveries"
_FINGERPRINT_SALT = b"promobot-mlflow-webhook"


@dataclass(frozen=True)
class Delivery:
    """One MLflow webhook delivery: its id, `entity.action`, and the payload's data."""

    delivery_id: str
    event: str
    data: dict[str, Any] = field(default_factory=dict)


class Deliveries:
    """What each delivery does."""

    def __init__(
        self, deps: Deps, drift_scan: DriftScan, announce: Callable[[str, int], Any]
    ) -> None:
        self.deps = deps
        self.drift_scan = drift_scan
        self.announce = announce

    def receive(self, delivery: Delivery) -> str:
        """Act on one verified delivery; returns what was done, for the log."""
        event, data = delivery.event, delivery.data
        model = str(data.get("name") or "")
        if event not in EVENTS:
            return f"{event}: not an event promobot acts on; ignored"
        if not self._governed(model):
            return f"{event} on {model or '(no model)'}: the policy does not name it; ignored"
        version = _number(data.get("version"))
        if event == VERSION_CREATED and version is None:
            return f"{event} on {model}: no version number in the payload; ignored"
        if not self.first_time(model, delivery.delivery_id):
            return f"{event} on {model}: delivery {delivery.delivery_id} seen before; ignored"
        if event == VERSION_CREATED:
            assert version is not None
            self.announce(model, version)
            return f"{event}: {model} v{version} announced"
        found = self.drift_scan.report_new(model)
        alias = str(data.get("alias") or "")
        return f"{event}: {model} @{alias} audited, {len(found)} new finding(s)"

    def _governed(self, model: str) -> bool:
        if not model or model.startswith(state.OWN_MODEL_PREFIXES):
            return False
        return self.deps.policy.rules_for(model) is not None

    def first_time(self, model: str, delivery_id: str) -> bool:
        """Record `delivery_id` on `model` unless it is there already (under the model's
        delivery lock, so two replicas given the same delivery act once), and forget the
        deliveries older than a day. False: seen before, or the model is gone."""
        registry = self.deps.registry
        key = state.delivery_key(delivery_id)
        bucket = state.mutex_bucket(model, _DELIVERY_LOCK)
        with registry.mutex(bucket, model, _DELIVERY_LOCK):
            info = registry.get_model(model)
            if info is None or key in info.tags:
                return False
            now = self.deps.clock()
            registry.set_model_tag(model, key, state.format_time(now))
            for old in state.deliveries_before(info.tags, now - DELIVERIES_KEPT):
                registry.delete_model_tag(model, old)
        return True


def _number(value: Any) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


# ---- promobot's webhook in MLflow ----------------------------------------------------------


CREATED, UPDATED, ALREADY = "created", "updated", "already so"


@dataclass(frozen=True)
class Installed:
    """What `install` did: `what` is created, updated or already so (or "" when refused,
    with the sentence in `refused`)."""

    what: str
    webhook: WebhookInfo | None = None
    changed: tuple[str, ...] = ()  # for an update: url, events, secret, description, status
    removed: tuple[str, ...] = ()  # ids of other webhooks named `promobot`, deleted
    refused: str = ""
    notes: tuple[str, ...] = ()


def url_problem(url: str) -> str:
    """Why `url` cannot be where MLflow delivers, as a sentence; "" when it can."""
    example = f"e.g. https://promobot.example.com{SERVE_PATH}"
    if not url.strip():
        return (
            f"No URL given: MLflow needs the address of `promobot serve`'s {SERVE_PATH}, {example}"
        )
    try:
        parts = urllib.parse.urlsplit(url.strip())
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        parts = urllib.parse.urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r} is not an http(s) URL: give the address MLflow posts to, {example}"
    return ""


def fingerprint(secret: str) -> str:
    digest = hashlib.pbkdf2_hmac("sha256", secret.encode(), _FINGERPRINT_SALT, 200_000, 4)
    return digest.hex()


def description(mark: str) -> str:
    """The webhook's description, carrying the secret's fingerprint `mark`."""
    return (
        "promobot: announces each new version and audits each alias change for drift. "
        f"Managed by `promobot webhooks install`; secret fingerprint {mark}."
    )


class WebhookInstall:
    """Create or update, idempotently, the one MLflow webhook named `promobot`."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def install(self, url: str, secret: str) -> Installed:
        problem = url_problem(url)
        if problem:
            return Installed("", refused=problem)
        if not secret.strip():
            return Installed("", refused=_NO_SECRET)
        url, mark = url.strip(), fingerprint(secret)
        text = description(mark)
        notes = _notes(url)
        ours = [hook for hook in self.registry.webhooks() if hook.name == WEBHOOK_NAME]
        if not ours:
            made = self.registry.create_webhook(WEBHOOK_NAME, url, EVENTS, secret, text)
            return Installed(CREATED, made, notes=notes)
        # Keep the oldest, so its id stays the same, and delete any other `promobot`
        # (each would deliver every event once more).
        keep, *others = sorted(ours, key=lambda hook: (hook.created_ms, hook.webhook_id))
        for other in others:
            self.registry.delete_webhook(other.webhook_id)
        removed = tuple(other.webhook_id for other in others)
        changed = _changes(keep, url, mark)
        if not changed:
            return Installed(ALREADY, keep, removed=removed, notes=notes)
        made = self.registry.update_webhook(keep.webhook_id, url, EVENTS, secret, text)
        return Installed(UPDATED, made, changed=changed, removed=removed, notes=notes)


_NO_SECRET = (
    "PROMOBOT_MLFLOW_WEBHOOK_SECRET is not set: MLflow signs each delivery with it and "
    "`promobot serve` refuses unsigned ones. Choose a long random secret (e.g. `openssl "
    "rand -hex 32`), set it here and on every `promobot serve` replica, and run this again."
)


def _changes(hook: WebhookInfo, url: str, mark: str) -> tuple[str, ...]:
    changed = []
    if hook.url != url:
        changed.append("url")
    if sorted(hook.events) != sorted(EVENTS):
        changed.append("events")
    if f"secret fingerprint {mark}." not in hook.description:
        changed.append("secret")
    elif hook.description != description(mark):
        changed.append("description")
    if hook.status != "ACTIVE":
        changed.append("status")
    return tuple(changed)


def _notes(url: str) -> tuple[str, ...]:
    path = urllib.parse.urlsplit(url).path.rstrip("/")
    if path.endswith(SERVE_PATH):
        return ()
    return (f"`promobot serve` answers deliveries at {SERVE_PATH}; this URL has another path.",)
