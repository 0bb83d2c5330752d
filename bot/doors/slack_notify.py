"""Keep the Slack message that shows a request in step with the request.

A pending request is posted once (with Approve / Deny); from then on the message is
redrawn with `chat.update` whenever the request changes: a click here, an approval or a
denial on GitHub (the GitHub door calls `sync_request_message`), or its expiry (the
sweeper). Where the message is lives in MLflow (`promobot.request.<id>.slack`); a marker
tag on the registered model lets a sweeper on any replica find the models to look at.
No state is kept in memory: every step reads the registry and is safe to repeat.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.results import DONE, PENDING, Result

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.config import Settings
    from bot.service import Service

log = logging.getLogger("promobot.slack")

DOOR = "slack"
# Registered-model tag: "this model has requests shown in Slack". Never removed, so a
# request posted at the moment a sweep ends can never lose it; the cost is one read
# per such model per sweep.
POSTED_TAG = "promobot.slack.posted"
# A request decided elsewhere (the CLI, GitHub without a Slack token) is redrawn by the
# sweeper only after this long, so that the door which decided it draws it first.
DECIDED_GRACE = timedelta(seconds=15)


def api_base_url(url: str) -> str:
    """slack_sdk joins base_url and the method name as strings: it must end with "/"."""
    url = (url or "https://slack.com/api/").strip()
    return url if url.endswith("/") else url + "/"


def web_client(settings: Settings) -> WebClient:
    from slack_sdk import WebClient

    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return WebClient(token=token, base_url=api_base_url(settings.slack_api_url), timeout=10)


def remember_posted(service: Service, model: str, request_id: str, ref: dict[str, str]) -> None:
    """Record where the request's message is, and mark the model for the sweeper."""
    service.remember_message(model, request_id, DOOR, ref)
    service.registry.set_model_tag(model, POSTED_TAG, "1")


def sync_request_message(
    service: Service,
    result: Result,
    settings: Settings,
    *,
    client: WebClient | None = None,
    fallback_ref: dict[str, str] | None = None,
) -> None:
    """Redraw the Slack message of the request `result` is about, if it has one and
    `result` changed what it should show (decided, or another approval recorded).

    Called by the GitHub door after approve/deny when SLACK_BOT_TOKEN is set, and by the
    Slack door itself. Best effort: a failure is logged, never raised, and the sweeper
    redraws a decided request whose message was not brought up to date.
    """
    try:
        update_request_message(
            service, client or web_client(settings), result, fallback_ref=fallback_ref
        )
    except Exception:
        log.warning("could not update the Slack message of %s", result.request_id, exc_info=True)


def update_request_message(
    service: Service,
    client: WebClient,
    result: Result,
    *,
    fallback_ref: dict[str, str] | None = None,
) -> Result | None:
    """The work of `sync_request_message`; returns what was drawn (None: nothing to do).

    Raises RegistryError and slack_sdk's errors."""
    rid, model = result.request_id, result.model
    if not rid or not model:
        return None
    stored = service.message_ref(model, rid, DOOR) or {}
    ref = stored if stored.get("channel") and stored.get("ts") else (fallback_ref or {})
    if not ref.get("channel") or not ref.get("ts"):
        return None
    decided_now = (
        result.action in ("approve", "deny") and result.status == DONE and not result.already
    )
    partial = result.action == "approve" and result.status == PENDING
    if decided_now:
        shown: Result | None = result
    else:
        shown = service.request_view(rid)
        if shown is None or (shown.status == PENDING and not partial):
            return None  # still open and unchanged: the message already says so
    assert shown is not None
    final = shown.status != PENDING
    if final and stored.get("final"):
        return None  # already drawn in its final state
    redraw(client, ref, shown)
    if final:
        closed = {"channel": str(ref["channel"]), "ts": str(ref["ts"]), "final": _ending(shown)}
        service.remember_message(model, rid, DOOR, closed)
    return shown


def redraw(client: WebClient, ref: dict[str, Any], shown: Result) -> None:
    """chat.update the message at `ref` with `shown`; buttons only while it is pending."""
    from bot.doors.slack_blocks import fallback_text, result_blocks

    client.chat_update(
        channel=str(ref["channel"]),
        ts=str(ref["ts"]),
        text=fallback_text(shown),
        blocks=result_blocks(shown, buttons=shown.status == PENDING),
    )


def _ending(shown: Result) -> str:
    if shown.action == "deny":
        return "denied"
    return "done" if shown.status == DONE else "closed"


# ---- the sweeper: expiry, and decisions made where nobody told Slack ---------------------


def sweep_once(service: Service, client: WebClient) -> int:
    """Close expired requests shown in Slack and redraw every message whose request has
    ended but still shows buttons. Returns how many messages were redrawn."""
    from bot import state
    from bot.registry import REQUEST_PREFIX, loads

    redrawn = 0
    now = service.clock()
    suffix = f".{DOOR}"
    for model in service.models_tagged(POSTED_TAG):
        try:
            info = service.registry.get_model(model)
            if info is None:
                continue
            for key, value in sorted(info.tags.items()):
                if not (key.startswith(REQUEST_PREFIX) and key.endswith(suffix)):
                    continue
                rid = key[len(REQUEST_PREFIX) : -len(suffix)]
                ref = loads(value)
                if ref.get("final") or "." in rid:
                    continue
                req = state.request(info.tags, rid)
                if req is None:
                    continue
                ended = state.outcome(info.tags, rid)
                due = ended is None and now > req.expires_at
                settled = ended is not None and (ended.at is None or now - ended.at > DECIDED_GRACE)
                if not (due or settled):
                    continue
                shown = service.request_view(rid)
                if shown is None or shown.status == PENDING:
                    continue
                redraw(client, ref, shown)
                service.remember_message(
                    model,
                    rid,
                    DOOR,
                    {"channel": str(ref["channel"]), "ts": str(ref["ts"]), "final": _ending(shown)},
                )
                redrawn += 1
        except Exception:
            # One model's trouble (a deleted channel, a broken tag) must not stop the rest.
            log.warning("sweep of %s failed", model, exc_info=True)
    return redrawn


class Sweeper(threading.Thread):
    """Runs `sweep_once` every `interval` seconds, for the life of the process."""

    def __init__(self, services: Callable[[], Service], client: WebClient, interval: float) -> None:
        super().__init__(name="promobot-slack-sweeper", daemon=True)
        self.services = services
        self.client = client
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        # Replicas and workers started together should not all sweep at the same instant.
        if self.stopped.wait(random.uniform(0, min(self.interval, 5.0))):
            return
        while not self.stopped.is_set():
            try:
                count = sweep_once(self.services(), self.client)
                if count:
                    log.info("sweeper redrew %d request message(s)", count)
            except Exception:
                log.warning("sweep failed; trying again in %ss", self.interval, exc_info=True)
            self.stopped.wait(self.interval)

    def stop(self) -> None:
        self.stopped.set()
