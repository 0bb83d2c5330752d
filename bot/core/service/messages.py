"""Where a request is shown outside the registry (its Slack message), and the pass that
keeps those messages in step when nobody told them: requests that expired, or were
decided where no Slack notifier was listening.

The notifier that owns the message (bot/notifiers/slack.py) records where it posted it
and reads it back through the Service's `remember_message` / `message_ref`: it is handed
the Service as a protocol by bot/app.py and never imports this package.

No state is kept in memory: where a message is lives in MLflow
(`mlflow.promobot.request.<id>.<door>`), and a marker tag on the registered model lets a
pass on any replica find the models to look at. Both are read in the legacy layout too
(`promobot.…`), so messages posted before the change of layout are still kept in step.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from bot.core import events, state
from bot.core.results import PENDING
from bot.core.service.common import Context, Deps
from bot.core.service.queries import Queries

log = logging.getLogger("promobot.service")

# Where requests are shown (the key their message is remembered under), and the marker
# tag of each: the one written, then the legacy ones the pass also looks for.
MARKERS = {"slack": state.SLACK_POSTED_TAGS}
# A request decided elsewhere (the CLI, GitHub without a Slack token) is redrawn by the
# pass only after this long, so that the notifier of the process that decided it, if it
# has one, draws it first.
DECIDED_GRACE = timedelta(seconds=15)
SWEEP = Context(actor="promobot", channel="sweep")


class Messages:
    def __init__(self, deps: Deps, queries: Queries) -> None:
        self.deps = deps
        self.queries = queries

    def remember(self, model: str, request_id: str, door: str, ref: dict[str, str]) -> None:
        """Record where a request is shown (and mark the model for the pass)."""
        registry = self.deps.registry
        registry.set_model_tag(model, state.message_key(request_id, door), state.dumps(ref))
        if door in MARKERS and not ref.get("final"):
            registry.set_model_tag(model, MARKERS[door][0], "1")

    def ref(self, model: str, request_id: str, door: str) -> dict[str, Any] | None:
        info = self.deps.registry.get_model(model)
        if info is None:
            return None
        return state.message_ref(info.tags, request_id, door)

    def sweep(self, door: str) -> int:
        """The pass: close the expired requests the door shows (publishing
        `request_expired`), and publish `request_decided` (or `request_expired`) for each
        one that has ended where nobody redrew its message. Returns how many were
        published; the Slack notifier redraws them and marks them final."""
        count = 0
        models: list[str] = []
        for marker in MARKERS[door]:
            models += [m for m in self.deps.registry.models_tagged(marker) if m not in models]
        for model in models:
            try:
                count += self._sweep_model(model, door)
            except Exception:
                # One model's trouble (a broken tag) must not stop the rest.
                log.warning("the pass over %s failed", model, exc_info=True)
        return count

    def _sweep_model(self, model: str, door: str) -> int:
        info = self.deps.registry.get_model(model)
        if info is None:
            return 0
        now = self.deps.clock()
        count = 0
        # Each request once, by its current message reference: one shown before the change
        # of layout and redrawn since has a final reference under the current key.
        shown = sorted({rid for key in info.tags if (rid := state.message_request(key, door))})
        for rid in shown:
            ref = state.message_ref(info.tags, rid, door)
            if ref is None or ref.get("final"):
                continue
            req = state.request(info.tags, rid)
            if req is None:
                continue
            ended = state.outcome(info.tags, rid)
            if ended is None and now > req.expires_at:
                # Closing it writes (and publishes); under its target's lock, so that
                # replicas close it once.
                with self.deps.registry.mutex(state.mutex_bucket(*req.mutex_key), *req.mutex_key):
                    view = self.queries.requests.expire_due(rid, SWEEP)
                count += view is not None and view.status != PENDING
            elif ended is not None and (ended.at is None or now - ended.at > DECIDED_GRACE):
                view = self.queries.request_view(rid)
                if view is not None and view.status != PENDING:
                    kind = (
                        events.REQUEST_EXPIRED
                        if ended.state == "expired"
                        else events.REQUEST_DECIDED
                    )
                    self.deps.publish(kind, view, SWEEP)
                    count += 1
        return count
