"""Compaction against a real SQLite MLflow registry (bot/core/service/archive.py): what
moves to the ledger, and that nothing anyone reads changes — the audit export byte for
byte, history, the default rollback, `rollback … to` an old version — including after a
run cut short between its copy and its delete, and two runs at once."""

from __future__ import annotations

import json
import shutil
import threading
from datetime import datetime
from pathlib import Path

import pytest
from conftest import SERVICE_POLICY, Clock, ModelFactory
from service_helpers import M, run, to_legacy_layout

from bot.adapters.mlflow.gateway import Registry
from bot.core.policy import load_policy
from bot.core.service import Service, archive
from bot.core.state import compaction
from bot.core.state.keys import (
    LEDGER_COPYING_PREFIX,
    compaction_bucket,
    ledger_copying_key,
    ledger_mark,
    ledger_model_name,
    request_id_of,
)

ROUNDS = 12


def _history(service, models, clock) -> None:
    """ROUNDS promotions to staging and production (approved), a denial, a lock and an
    unlock, and a rollback: more finished requests than the model keeps."""
    versions = [models.version(M, accuracy=0.9, f1=0.9) for _ in range(3)]
    for i in range(ROUNDS):
        clock.advance(minutes=7)
        v = versions[i % 3]
        run(service, "slack:U01BOB", f"promote {M} v{v} staging candidate {i}")
        pending = run(service, "slack:U01BOB", f"promote {M} v{v} production shadow ok {i}")
        clock.advance(minutes=1)
        if i == 4:
            run(service, "github:alice", f"deny {pending.request_id} not now")
            continue
        assert run(service, "github:alice", f"approve {pending.request_id}").status == "done"
    clock.advance(minutes=3)
    run(service, "slack:U01CAROL", f"rollback {M} production error spike")
    clock.advance(minutes=3)
    run(service, "github:alice", f"lock {M} production incident")
    run(service, "github:alice", f"unlock {M} production")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, datetime]:
    """The history, made once for the module (a copy for each test)."""
    folder = tmp_path_factory.mktemp("archive")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    clock = Clock()
    service = Service(Registry(uri), load_policy(SERVICE_POLICY), clock=clock)
    _history(service, ModelFactory(uri, folder / "artifacts"), clock)
    return folder / "mlflow.db", clock.now


@pytest.fixture
def tracking_uri(built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    db = tmp_path / "mlflow.db"
    shutil.copy(built[0], db)
    uri = f"sqlite:///{db}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    return uri


@pytest.fixture
def clock(built) -> Clock:
    return Clock(built[1])


def _export(service) -> str:
    return "\n".join(json.dumps(r.to_json()) for r in service.export.trail([M]))


def _history_text(service, limit: int) -> str:
    return json.dumps(run(service, "cli", f"history {M} --limit {limit}").to_json(), default=str)


def _default_rollback(service) -> int | None:
    return run(service, "slack:U01CAROL", f"rollback {M} production again --dry-run").version


def _reads(service) -> tuple[str, str, str, int | None]:
    return (
        _export(service),
        _history_text(service, 5),
        _history_text(service, 200),
        _default_rollback(service),
    )


def _ledger_keys(registry: Registry) -> list[str]:
    return [key for page in archive.pages(registry, M) for key in page]


def test_compaction_moves_finished_records_and_changes_no_read(
    service, models, tracking_uri
) -> None:
    registry = Registry(tracking_uri)
    before = _reads(service)
    tags_before = len(models.model_tags(M))

    done = archive.compact(registry, M)

    tags = models.model_tags(M)
    assert done.moved > 0 and len(tags) == tags_before - done.moved + 1  # + the mark
    assert ledger_mark(tags) is not None
    assert archive.own_tags(tags) <= compaction.bound(0, targets=3, approvals=1)
    assert _reads(service) == before
    keys = _ledger_keys(registry)
    assert len(keys) == len(set(keys)) == done.moved
    # rollback to a version only the ledger remembers holding production
    assert "never" not in " ".join(
        run(service, "slack:U01CAROL", f"rollback {M} production to v1 why --dry-run").reasons
    )
    # idempotent: nothing left to move, nothing written
    again = archive.compact(registry, M)
    assert again.moved == 0 and models.model_tags(M) == tags
    assert models.client.get_registered_model(ledger_model_name(M)).tags == {
        "promobot.ledger.model": M
    }


def test_a_run_cut_short_after_its_copy_is_finished_without_duplicates(
    service, models, tracking_uri
) -> None:
    registry = Registry(tracking_uri)
    before = _reads(service)
    plan = compaction.split(registry.get_model(M).tags)
    # What a run does before it dies: says it is copying, then copies.
    registry.set_model_tag(M, ledger_copying_key("cut-short"), str(plan.mark))
    registry.append_ledger(M, plan.archive)

    assert _reads(service) == before  # no mark yet: the model still holds everything
    done = archive.compact(registry, M)

    assert done.moved == len(plan.archive)
    assert sorted(_ledger_keys(registry)) == sorted(plan.archive)  # copied once
    assert _reads(service) == before
    # Finished: no run is left copying.
    assert not [k for k in registry.get_model(M).tags if k.startswith(LEDGER_COPYING_PREFIX)]


def test_a_run_reads_no_ledger_page_unless_one_was_cut_short(service, tracking_uri) -> None:
    """The pages are read only to finish a run cut short: otherwise a compaction costs
    the same whatever the ledger's size (bench `history`, the audit pass's bytes)."""
    Counting.ledger_reads = 0
    first = archive.compact(Counting(tracking_uri), M)
    assert first.moved > 0 and Counting.ledger_reads == 0
    tags = Registry(tracking_uri).get_model(M).tags
    assert not [k for k in tags if k.startswith(LEDGER_COPYING_PREFIX)]


def test_two_runs_at_once_lose_nothing_and_show_nothing_twice(
    service, models, tracking_uri
) -> None:
    before = _reads(service)
    errors: list[BaseException] = []

    def one() -> None:
        try:
            archive.compact(Registry(tracking_uri), M)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert _reads(service) == before
    assert archive.compact(Registry(tracking_uri), M).moved == 0
    keys = _ledger_keys(Registry(tracking_uri))
    assert len(keys) == len(set(keys))  # they took turns: nothing copied twice


def test_a_long_history_moves_in_rounds_to_the_same_end(
    service, models, tracking_uri, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = compaction.split(models.model_tags(M)).archive
    before = _reads(service)
    monkeypatch.setattr(archive, "ROUND_RECORDS", 6)
    marks: list[int | None] = []
    real = Registry.delete_model_tags

    def deletes(self: Registry, model: str, keys: list[str]) -> None:
        marks.append(ledger_mark(self.get_model(model).tags))
        real(self, model, keys)

    monkeypatch.setattr(Registry, "delete_model_tags", deletes)
    done = archive.compact(Registry(tracking_uri), M)

    assert len(marks) >= 2 and marks == sorted(marks)  # rounds, each mark further on
    assert done.moved == len(whole)
    assert sorted(_ledger_keys(Registry(tracking_uri))) == sorted(whole)
    assert _reads(service) == before


def test_a_run_that_finds_the_lock_held_leaves_the_work_or_waits(
    service, models, tracking_uri
) -> None:
    registry = Registry(tracking_uri)
    tags = models.model_tags(M)
    release = threading.Event()
    held = threading.Event()

    def holder() -> None:
        with Registry(tracking_uri).mutex(compaction_bucket(M), M, "compaction"):
            held.set()
            release.wait(30)

    other = threading.Thread(target=holder)
    other.start()
    try:
        assert held.wait(30)
        left = archive.compact(registry, M)  # serve's passes: leave it to the holder
        assert left.moved == 0 and left.busy and models.model_tags(M) == tags

        told: list[str] = []
        threading.Timer(1.0, release.set).start()
        waited = archive.compact(registry, M, wait=True, waiting=told.append)  # the CLI
    finally:
        release.set()
        other.join()
    assert waited.moved > 0 and not waited.busy
    assert told == [left.busy]


def test_a_model_never_compacted_reads_no_ledger(tracking_uri) -> None:
    registry = Registry(tracking_uri)
    info = registry.get_model(M)
    assert archive.merged(registry, info) is info


class Counting(Registry):
    """The real gateway, counting the ledger's reads."""

    ledger_reads = 0

    def ledger_page(self, model: str, token: str | None) -> tuple[dict[str, str], str | None]:
        Counting.ledger_reads += 1
        return super().ledger_page(model, token)


def test_recent_history_and_the_default_rollback_read_no_ledger(tracking_uri, clock) -> None:
    archive.compact(Registry(tracking_uri), M)
    service = Service(Counting(tracking_uri), load_policy(SERVICE_POLICY), clock=clock)
    Counting.ledger_reads = 0
    _history_text(service, 5)
    _default_rollback(service)
    assert Counting.ledger_reads == 0
    _history_text(service, 200)  # the whole history: the ledger too
    assert Counting.ledger_reads > 0


def test_a_registry_in_the_legacy_layout_compacts_and_reads_the_same(
    service, models, tracking_uri
) -> None:
    to_legacy_layout(models.client, M)
    before = _reads(service)
    assert archive.compact(Registry(tracking_uri), M).moved > 0
    assert _reads(service) == before


def test_approve_of_a_request_that_moved_to_the_ledger_says_how_it_ended(
    service, tracking_uri
) -> None:
    registry = Registry(tracking_uri)
    asked = {rid: run(service, "github:alice", f"approve {rid}") for rid in _moved(registry)}
    archive.compact(registry, M)
    moved = _moved(registry)
    assert moved and set(moved) <= set(asked)

    for rid in moved:
        again = run(service, "github:alice", f"approve {rid}")
        assert (again.status, again.reasons, again.message) == (
            asked[rid].status,
            asked[rid].reasons,
            asked[rid].message,
        )
        assert "no request" not in " ".join(again.reasons).lower()


def _moved(registry: Registry) -> list[str]:
    """The ids of requests whose record is in the ledger (before compaction: of those the
    plan moves)."""
    keys = list(_ledger_keys(registry)) if ledger_mark(registry.get_model(M).tags) else []
    keys = keys or list(compaction.split(registry.get_model(M).tags).archive)
    return [rid for key in keys if (rid := request_id_of(key))]
