"""Which of a model's records stay on it and which move to its ledger (issue 22). Pure:
a model's tags in, the records to archive and the mark to leave out.

A registered-model read returns every tag of the model, so what stays there must not grow
with history. What stays (docs/contract.md, "promobot's own state"):

- every request not yet ended (its record, approvals, message references) and every
  execution under way (an event without outcome): these still change;
- per target, the request families of its last KEPT_PER_TARGET promotions and rollbacks,
  of its latest event of all (a failed one too), and of the first later move of the last
  one's version to another stage: what `status`, drift (bot/core/service/drift.py,
  `_last_recorded`), the default rollback, verification and deployments read;
- per target, its newest `lock`/`unlock` and its newest drift finding (what is in force,
  and whether a drift is recorded yet);
- the KEPT_RECENT newest finished families of all, so `history` (20 entries by default)
  is answered from the model alone;
- everything that is not a record of the past: drift last reported, webhook deliveries
  (pruned by time where they are written), the Slack mark, people's own tags, the marks.

A "family" is what moves together: one request's record, approvals, outcome, message
references, history events and verification; or one `lock` record; or one finding. Only
a finished family moves (nothing writes to it any more), so compaction never races an
execution or an approval: an execution in flight keeps its event, an open request its
approvals.

The mark: every family newer than it (by its newest record) stays on the model, so a
reader that needs only records newer than the mark never reads the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.state.codec import loads, maybe_time
from bot.core.state.history_event import HistoryEvent
from bot.core.state.keys import (
    EVENT_PREFIX,
    FINDING_PREFIX,
    LEGACY_EVENT_PREFIX,
    REQUEST_PREFIXES,
    TARGET_LOCK_PREFIX,
    VERIFICATION_PREFIX,
    sequence,
    state_keys,
)
from bot.core.state.records import all_events, events

# Events kept per target: the default rollback replays a target's events as a stack, and
# its answer from the newest events alone is exact whenever it finds one (it may find
# none and then reads the ledger: bot/core/state/history.py). Three lets two rollbacks in
# a row walk back without the ledger.
KEPT_PER_TARGET = 3
# Finished families kept whatever their target: `history`'s default page is 20 entries.
KEPT_RECENT = 20
# Second-precision times are stretched to the end of their second: a family's "newest"
# is never earlier than any time it shows.
_SECOND = 999


@dataclass
class Family:
    id: str  # "req:<request id>", "event:<key>", "lock:<key>", "finding:<key>"
    tags: dict[str, str] = field(default_factory=dict)
    newest: int = 0  # ms of its newest record


@dataclass(frozen=True)
class Split:
    archive: dict[str, str]  # the records to move, key → value unchanged
    mark: int | None  # every family newer than this (ms) stays; None: nothing moves
    families: int  # finished families that move


def family_id(key: str, value: str) -> str | None:
    """The family a tag belongs to; None for a tag that never moves."""
    for prefix in REQUEST_PREFIXES:
        if key.startswith(prefix):
            rid = key[len(prefix) :].split(".", 1)[0]
            return f"req:{rid}" if rid else None
    if key.startswith((EVENT_PREFIX, LEGACY_EVENT_PREFIX)):
        event = HistoryEvent.from_tag(key, value)
        return f"req:{event.request}" if event is not None and event.request else f"event:{key}"
    if key.startswith(VERIFICATION_PREFIX):
        rid = key.removeprefix(VERIFICATION_PREFIX)
        return f"req:{rid}" if rid else None
    if key.startswith(TARGET_LOCK_PREFIX):
        return f"lock:{key}"
    if key.startswith(FINDING_PREFIX):
        return f"finding:{key}"
    return None


def record_ms(key: str, value: str) -> int:
    """When a record was written, in ms (0 when it does not say): the key's own time for
    events, locks and findings, else the newest time its value holds."""
    ms, _ = sequence(key)
    data = loads(value) if value.startswith("{") else {}
    times = [ms]
    for name in ("at", "created_at", "last_run"):
        at = maybe_time(data.get(name)) if isinstance(data, dict) else None
        if at is not None:
            times.append(int(at.timestamp()) * 1000 + _SECOND)
    return max(times)


def families(tags: dict[str, str]) -> dict[str, Family]:
    found: dict[str, Family] = {}
    for key in sorted(tags):
        fid = family_id(key, tags[key])
        if fid is None:
            continue
        family = found.setdefault(fid, Family(fid))
        family.tags[key] = tags[key]
        family.newest = max(family.newest, record_ms(key, tags[key]))
    return found


def finished(family: Family) -> bool:
    """Whether nothing will write to the family again: a request with its outcome, a lock
    or finding record, or what is left of a request whose record moved already (an
    approval that came as it ended). A request without outcome is open; an event with
    the whole intent and no outcome is an execution under way."""
    if not family.id.startswith("req:"):
        return True
    rid = family.id.removeprefix("req:")
    if any(k in family.tags for k in state_keys(rid)):
        return True
    if any(k == f"{prefix}{rid}" for prefix in REQUEST_PREFIXES for k in family.tags):
        return False
    return not any(
        (ev := HistoryEvent.from_tag(k, v)) is not None and ev.is_intent
        for k, v in family.tags.items()
        if k.startswith((EVENT_PREFIX, LEGACY_EVENT_PREFIX))
    )


def _event_family(event: HistoryEvent) -> str:
    return f"req:{event.request}" if event.request else f"event:{event.key}"


def kept_by_target(tags: dict[str, str]) -> set[str]:
    """The families each target's readers need (see the module's docstring)."""
    moves = events(tags)
    kept: set[str] = set()
    by_target: dict[str, list[int]] = {}
    for index, event in enumerate(moves):
        by_target.setdefault(event.target_key, []).append(index)
    for target, indexes in by_target.items():
        kept.update(_event_family(moves[i]) for i in indexes[-KEPT_PER_TARGET:])
        last = moves[indexes[-1]]
        if target.startswith("@"):
            continue
        moved_on = next(
            (
                later
                for later in moves[indexes[-1] + 1 :]
                if not later.target_key.startswith("@")
                and later.target_key != target
                and later.version == last.version
            ),
            None,
        )
        if moved_on is not None:
            kept.add(_event_family(moved_on))
    latest: dict[str, HistoryEvent] = {e.target_key: e for e in all_events(tags)}
    kept.update(_event_family(e) for e in latest.values())
    kept.update(_newest_per_target(tags, TARGET_LOCK_PREFIX, "lock:"))
    kept.update(_newest_per_target(tags, FINDING_PREFIX, "finding:"))
    return kept


def _newest_per_target(tags: dict[str, str], prefix: str, kind: str) -> set[str]:
    newest: dict[str, str] = {}
    for key in sorted((k for k in tags if k.startswith(prefix)), key=lambda k: (sequence(k), k)):
        data = loads(tags[key])
        target = data.get("target_key") if isinstance(data, dict) else None
        newest[str(target)] = key
    return {f"{kind}{key}" for key in newest.values()}


def split(tags: dict[str, str], limit: int | None = None) -> Split:
    """What moves to the ledger: the finished families that no target needs, older than
    the KEPT_RECENT newest finished ones. `limit`: only the oldest of them, about `limit`
    records (a compaction's round), the mark then the newest of those moved."""
    found = families(tags)
    done = sorted(
        (f for f in found.values() if finished(f)), key=lambda f: (f.newest, f.id), reverse=True
    )
    if len(done) <= KEPT_RECENT:
        return Split({}, None, 0)
    mark = done[KEPT_RECENT].newest
    keep = kept_by_target(tags)
    moving = [f for f in done if f.newest <= mark and f.id not in keep]
    if limit is not None and moving:
        moving = oldest(moving, limit)
        mark = moving[-1].newest
    archive = {k: v for f in moving for k, v in f.tags.items()}
    return Split(archive, mark if moving else None, len(moving))


def oldest(moving: list[Family], limit: int) -> list[Family]:
    """The oldest families of `moving` holding at most `limit` records (at least one
    family), oldest first; with every other family as old as the last one taken, so that
    each family newer than the last is left (the mark's promise)."""
    ordered = sorted(moving, key=lambda f: (f.newest, f.id))
    taken: list[Family] = []
    count = 0
    for family in ordered:
        tie = bool(taken) and family.newest == taken[-1].newest
        if taken and count + len(family.tags) > limit and not tie:
            break
        taken.append(family)
        count += len(family.tags)
    return taken


def bound(open_tags: int, targets: int, approvals: int) -> int:
    """The most promobot's records on a compacted model come to (docs/contract.md):
    `open_tags` those of open requests and executions under way, `targets` the model's
    targets, `approvals` the most approvals a request collects. A family holds a
    request, its outcome, approvals, a door's message, two events and a verification."""
    family = 5 + approvals
    per_target = (KEPT_PER_TARGET + 2) * family + 3  # + its lock, finding and drift tags
    return open_tags + targets * per_target + KEPT_RECENT * family
