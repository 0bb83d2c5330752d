"""A long history on a seeded model, fast: N past executions in promobot's own format,
bulk-inserted as model tags (bench/seed.py's approach for versions).

Running N commands through the service takes ~10 MLflow calls each; 10,000 of them take
far too long for a benchmark or a test. So the families promobot wrote while seeding
(bench/seed.py `record_holders`: a staging promotion, an approved production promotion,
an @champion move) are the templates: each past execution is one of them, cloned into
the past with a request id of its own, its times shifted and its version alternating
between two, read and written back with promobot's own state functions (the event
through HistoryEvent, the other records through the codec), so every record is one
promobot could have written. They are all older than the seeded ones, which stay the
newest: what holds each target now is still what promobot last recorded (no drift).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from bot.core.state import HistoryEvent, dumps, format_time, loads, parse_time
from bot.core.state.compaction import Family, families, finished
from bot.core.state.keys import EVENT_PREFIX, LEGACY_EVENT_PREFIX

# How far apart past executions are: 10,000 of them reach back about a week.
STEP = timedelta(minutes=1)
_TIMES = ("at", "created_at", "expires_at")


def add_past_executions(uri: str, model: str, count: int, *, source: str | None = None) -> int:
    """Add `count` finished executions to `model`'s history, older than any it has, on the
    MLflow database at `uri` (sqlite:/// or postgresql://, the server stopped or not: the
    rows go straight into MLflow's tag table). `source`: the model whose seeded families
    are the templates (default `model`). Returns the number of tags written."""
    import sqlalchemy
    from mlflow import MlflowClient
    from mlflow.store.model_registry.dbmodels.models import SqlRegisteredModelTag
    from mlflow.utils.workspace_utils import DEFAULT_WORKSPACE_NAME

    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    templates = _templates(dict(client.get_registered_model(source or model).tags))
    oldest = min(_family_time(f) for f in templates)
    rows: list[dict[str, Any]] = []
    for i in range(count):
        template = templates[i % len(templates)]
        at = oldest - STEP * (count - i)
        tags = clone(template, model, i, at, flip=(i // len(templates)) % 2 == 1)
        rows.extend(
            {"workspace": DEFAULT_WORKSPACE_NAME, "name": model, "key": k, "value": v}
            for k, v in tags.items()
        )
    engine = sqlalchemy.create_engine(uri)
    try:
        with engine.begin() as conn:
            for start in range(0, len(rows), 5000):
                conn.execute(SqlRegisteredModelTag.__table__.insert(), rows[start : start + 5000])
    finally:
        engine.dispose()
    return len(rows)


def _templates(tags: dict[str, str]) -> list[Family]:
    """The seeded model's finished request families that carry a history event."""
    found = [
        f
        for f in families(tags).values()
        if f.id.startswith("req:") and finished(f) and any(_is_event(k) for k in f.tags)
    ]
    if not found:
        raise RuntimeError("the model has no finished execution to clone")
    return sorted(found, key=lambda f: f.id)


def clone(template: Family, model: str, index: int, at: datetime, *, flip: bool) -> dict[str, str]:
    """One past execution like `template`: request id `req-<its lock's 4 hex><index>`,
    written at `at`; `flip` moves the version one down (and the previous one up), so the
    history alternates between two versions."""
    old = template.id.removeprefix("req:")
    rid = f"{old[:8]}{index:06x}"
    shift = at - _family_time(template)
    out: dict[str, str] = {}
    for key, value in template.tags.items():
        if _is_event(key):
            event = HistoryEvent.from_tag(key, value)
            assert event is not None and event.at is not None
            version, previous = _versions(event.version, flip)
            moved = replace(event, request=rid, at=event.at + shift, version=version)
            moved = replace(moved, previous=previous)
            ms = int(moved.at.timestamp() * 1000)  # type: ignore[union-attr]
            out[f"{EVENT_PREFIX}{ms:013d}.{ms * 1_000_000 + index:020d}.{rid}"] = moved.to_tag()
            continue
        out[key.replace(old, rid)] = dumps(_shifted(loads(value), rid, model, shift, flip))
    return out


def _shifted(
    data: dict[str, Any], rid: str, model: str, shift: timedelta, flip: bool
) -> dict[str, Any]:
    for name in _TIMES:
        if data.get(name):
            data[name] = format_time(parse_time(data[name]) + shift)
    if "id" in data:
        data["id"] = rid
    if "model" in data:
        data["model"] = model
    if isinstance(data.get("version"), int):
        data["version"], data["previous"] = _versions(data["version"], flip)
    return data


def _versions(version: int, flip: bool) -> tuple[int, int]:
    """(version, previous): the template's version and the one below it, taking turns."""
    low = max(version - 1, 1)
    return (low, version) if flip else (version, low)


def _family_time(family: Family) -> datetime:
    for key, value in family.tags.items():
        if _is_event(key):
            event = HistoryEvent.from_tag(key, value)
            if event is not None and event.at is not None:
                return event.at
    raise RuntimeError(f"{family.id} has no dated event")


def _is_event(key: str) -> bool:
    return key.startswith((EVENT_PREFIX, LEGACY_EVENT_PREFIX))


def compact_directly(uri: str, model: str) -> int:
    """What `promobot compact` leaves, made in seconds: the split and the pages are
    promobot's own (bot/core/state/compaction.py, the gateway's `append_ledger`, the
    mark), the deletes one SQL statement per 500 keys instead of one MLflow call each
    (MLflow's store reads the whole model for each: hours at 10,000 executions). Returns
    the records moved."""
    import sqlalchemy
    from mlflow.store.model_registry.dbmodels.models import SqlRegisteredModelTag

    from bot.adapters.mlflow.gateway import Registry
    from bot.core.state.compaction import split
    from bot.core.state.keys import ledger_mark_key

    registry = Registry(uri)
    info = registry.get_model(model)
    assert info is not None
    plan = split(info.tags)
    if plan.mark is None:
        return 0
    registry.append_ledger(model, plan.archive)
    registry.set_model_tag(model, ledger_mark_key(plan.mark), str(plan.mark))
    table = SqlRegisteredModelTag.__table__
    keys = sorted(plan.archive)
    engine = sqlalchemy.create_engine(uri)
    try:
        with engine.begin() as conn:
            for start in range(0, len(keys), 500):
                conn.execute(
                    table.delete().where(
                        table.c.name == model, table.c.key.in_(keys[start : start + 500])
                    )
                )
    finally:
        engine.dispose()
    return len(keys)
