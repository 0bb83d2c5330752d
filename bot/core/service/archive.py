"""A model's ledger: reading what moved there, and moving it (`promobot compact`, serve's
passes, and a write to a model grown past its bound). The split is
bot/core/state/compaction.py's; the ledger's pages come through the Registry port.

The move is copy, mark, then delete, so a record is always in one place or both:
readers take the model's copy first and each key once. Each run first tags the model
that it is copying (ledger_copying_key); a run cut short leaves that tag, and the next
one then finds the records in the newest pages and only deletes them. Without such a
tag no page can hold what is still on the model, and no page is read: the pass costs the
same whatever the ledger's size.

Runs at once (serve replicas, `promobot compact`, a write's compaction) take turns on the
model's compaction lock (`promobot-lock.ledger.<8 hex>`, the execution locks' kind), so
no two copy the same records: each round reads the model under the lock and moves at most
ROUND_RECORDS, short enough to end well within the lock's lifetime through any server. A
run that finds the lock held leaves the work to its holder, unless it waits (the CLI).
Only finished records move (nothing writes to them any more), so no target's mutex is
taken.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from bot.core.ports.registry import ModelInfo, MutexBusy, Registry
from bot.core.state.compaction import split
from bot.core.state.keys import (
    LEDGER_COPYING_PREFIX,
    LEDGER_MARK_PREFIX,
    LEGACY_STATE_PREFIX,
    STATE_PREFIX,
    compaction_bucket,
    ledger_copying_key,
    ledger_mark,
    ledger_mark_key,
)

# A model with more of promobot's tags than this is compacted by the command that writes
# to it (a cheap check: the tags came with the read). Well above a compacted model's
# usual size, so a command pays for a compaction only every few hundred records.
COMPACT_AT = 400
# Records a round moves under the model's compaction lock: through a plain `mlflow server`
# at its slowest (about 6 deletes a second on a model of 5,000 tags, docs/contract.md
# "Cost") a round ends well within the lock's lifetime (PROMOBOT_LOCK_TTL_SECONDS, 120 s
# by default), so no one takes the lock over from a live run and copies what it copies.
ROUND_RECORDS = 500
# How long a run that waits (`promobot compact`) waits for the others: each of their
# rounds lets go of the lock, and a run that died lets go at the lock's expiry.
WAIT_FOR_OTHERS_S = 30 * 60


@dataclass(frozen=True)
class Compacted:
    """One model's compaction: records moved, and promobot's tags left on the model."""

    model: str
    moved: int = 0
    families: int = 0
    left: int = 0
    found: bool = True
    busy: str = ""  # who held the compaction lock, when this run left the work to them


def pages(registry: Registry, model: str) -> Iterator[dict[str, str]]:
    """The ledger's pages, newest first, read as they are needed."""
    token: str | None = None
    while True:
        records, token = registry.ledger_page(model, token)
        yield records
        if not token:
            return


def merged(registry: Registry, info: ModelInfo) -> ModelInfo:
    """The model with every record its ledger holds, as if none had moved: the model's
    copy of a key first (a record in both places is one record). A model never compacted
    (no mark) costs no read."""
    if ledger_mark(info.tags) is None:
        return info
    tags: dict[str, str] = {}
    for page in pages(registry, info.name):
        for key, value in page.items():
            tags.setdefault(key, value)
    tags.update(info.tags)
    return replace(info, tags=tags)


def holding(registry: Registry, keys: tuple[str, ...]) -> ModelInfo | None:
    """The model whose ledger holds one of `keys` (a request's, in either layout), read
    with its ledger: `approve <id>` of a request that ended and moved is told how it
    ended. Searched only for an id no model holds: one search per key."""
    model = next(filter(None, map(registry.ledger_holding, keys)), None)
    info = registry.get_model(model) if model else None
    return merged(registry, info) if info else None


def own_tags(tags: dict[str, str]) -> int:
    """How many of a model's tags are promobot's state (`mlflow.promobot.` or legacy)."""
    return sum(1 for key in tags if key.startswith((STATE_PREFIX, LEGACY_STATE_PREFIX)))


def compact(
    registry: Registry,
    model: str,
    *,
    wait: bool = False,
    waiting: Callable[[str], None] | None = None,
) -> Compacted:
    """Move `model`'s finished records to its ledger, a round at a time under its
    compaction lock; idempotent. When another run holds the lock: waited for if `wait`
    (`waiting` is told who, once), else left to it (Compacted.busy names it)."""
    info = registry.get_model(model)
    if info is None:
        return Compacted(model, found=False)
    tags = info.tags
    total = Compacted(model)
    deadline = time.monotonic() + WAIT_FOR_OTHERS_S
    told = False
    while split(tags, ROUND_RECORDS).mark is not None:
        try:
            # A first look without waiting, so that a waiting run says so at once.
            with registry.mutex(
                compaction_bucket(model), model, "compaction", wait_s=None if told else 0
            ):
                done = _round(registry, model)
        except MutexBusy as busy:
            holder = busy.holder or "another run"
            if not wait or time.monotonic() > deadline:
                return replace(total, busy=holder, left=own_tags(tags))
            if not told and waiting is not None:
                waiting(holder)
            told = True
            continue
        if done is None:
            return replace(total, found=False)
        moved, families, tags = done
        total = replace(total, moved=total.moved + moved, families=total.families + families)
        if not moved:
            break
    return replace(total, left=own_tags(tags))


def _round(registry: Registry, model: str) -> tuple[int, int, dict[str, str]] | None:
    """One round, the lock held: the model read again (another run may have moved what
    this one saw), at most ROUND_RECORDS moved. Returns the records and families moved
    and the tags left on the model; None when the model is gone."""
    info = registry.get_model(model)
    if info is None:
        return None
    plan = split(info.tags, ROUND_RECORDS)
    if plan.mark is None:
        return 0, 0, info.tags
    cut_short = any(k.startswith(LEDGER_COPYING_PREFIX) for k in info.tags)
    there = _already_copied(registry, model, plan.archive) if cut_short else {}
    copy = {k: v for k, v in plan.archive.items() if there.get(k) != v}
    copying = ledger_copying_key(uuid.uuid4().hex[:12])
    if copy:
        registry.set_model_tag(model, copying, str(plan.mark))
        registry.append_ledger(model, copy)
    mark = ledger_mark(info.tags)
    left = dict(info.tags)
    if mark is None or plan.mark > mark:
        registry.set_model_tag(model, ledger_mark_key(plan.mark), str(plan.mark))
        left[ledger_mark_key(plan.mark)] = str(plan.mark)
    newest = max(plan.mark, mark or 0)
    # Older marks, and the copying tags of runs cut short (finished now).
    stale = [
        k for k in info.tags if k.startswith(LEDGER_MARK_PREFIX) and k != ledger_mark_key(newest)
    ]
    deletes = [*plan.archive, *stale, *([copying] if copy else [])]
    registry.delete_model_tags(model, deletes)
    for key in deletes:
        left.pop(key, None)
    return len(plan.archive), plan.families, left


def _already_copied(registry: Registry, model: str, moving: dict[str, str]) -> dict[str, str]:
    """The records of `moving` the newest pages hold already (a run cut short after its
    copy, or another running at once): pages are read, newest first, while they hold
    any of them."""
    found: dict[str, str] = {}
    for page in pages(registry, model):
        hits = {k: v for k, v in page.items() if k in moving}
        if not hits:
            break
        found.update(hits)
    return found
