"""A model's ledger: reading what moved there, and moving it (`promobot compact`, serve's
passes, and a write to a model grown past its bound). The split is
bot/core/state/compaction.py's; the ledger's pages come through the Registry port.

The move is copy, mark, then delete, so a record is always in one place or both:
readers take the model's copy first and each key once. Each run first tags the model
that it is copying (ledger_copying_key); a run cut short leaves that tag, and the next
one then finds the records in the newest pages and only deletes them. Without such a
tag no page can hold what is still on the model, and no page is read: the pass costs the
same whatever the ledger's size. Two runs at once each see the other's tag when one
reads after the other began; a reader sees each key once in any case. Only finished
records move (nothing writes to them any more), so no target's mutex is taken.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace

from bot.core.ports.registry import ModelInfo, Registry
from bot.core.state.compaction import split
from bot.core.state.keys import (
    LEDGER_COPYING_PREFIX,
    LEDGER_MARK_PREFIX,
    LEGACY_STATE_PREFIX,
    STATE_PREFIX,
    ledger_copying_key,
    ledger_mark,
    ledger_mark_key,
)

# A model with more of promobot's tags than this is compacted by the command that writes
# to it (a cheap check: the tags came with the read). Well above a compacted model's
# usual size, so a command pays for a compaction only every few hundred records.
COMPACT_AT = 400
# Deletes in flight at once. MLflow's SQL store loads every tag of the model to delete one
# (a model grown to 5,000 tags: ~0.4 s a delete on a SQLite-backed server), and SQLite
# takes one writer at a time: more at once only fails with "database is locked" and
# waits (measured: 1 at a time 2.7 deletes/s, 4 5.8/s, 8 5.9/s, 32 5.0/s).
DELETES_AT_ONCE = 8


@dataclass(frozen=True)
class Compacted:
    """One model's compaction: records moved, and promobot's tags left on the model."""

    model: str
    moved: int = 0
    families: int = 0
    left: int = 0
    found: bool = True


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


def compact(registry: Registry, model: str) -> Compacted:
    """Move `model`'s finished records to its ledger; idempotent."""
    info = registry.get_model(model)
    if info is None:
        return Compacted(model, found=False)
    plan = split(info.tags)
    if plan.mark is None:
        return Compacted(model, left=own_tags(info.tags))
    cut_short = any(k.startswith(LEDGER_COPYING_PREFIX) for k in info.tags)
    there = _already_copied(registry, model, plan.archive) if cut_short else {}
    copy = {k: v for k, v in plan.archive.items() if there.get(k) != v}
    copying = ledger_copying_key(uuid.uuid4().hex[:12])
    if copy:
        registry.set_model_tag(model, copying, str(plan.mark))
        registry.append_ledger(model, copy)
    mark = ledger_mark(info.tags)
    if mark is None or plan.mark > mark:
        registry.set_model_tag(model, ledger_mark_key(plan.mark), str(plan.mark))
    newest = max(plan.mark, mark or 0)
    # Older marks, and the copying tags of runs cut short (finished now).
    stale = [
        k for k in info.tags if k.startswith(LEDGER_MARK_PREFIX) and k != ledger_mark_key(newest)
    ]
    gone = [*plan.archive, *stale]
    own = [copying] if copy else []
    deletes = [*gone, *own]
    for start in range(0, len(deletes), DELETES_AT_ONCE):
        chunk = deletes[start : start + DELETES_AT_ONCE]
        registry.at_once([lambda k=k: registry.delete_model_tag(model, k) for k in chunk])
    return Compacted(
        model,
        moved=len(plan.archive),
        families=plan.families,
        left=own_tags(info.tags) - len(gone) + (1 if newest != mark else 0),
    )


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
