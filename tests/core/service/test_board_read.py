"""The overview's kept read (bot/core/service/board_read.py) on a real SQLite registry:
what this process writes shows at once, a change made elsewhere within the age, an old
read is renewed in the background, 0 reads afresh, and Noting notes every write."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from conftest import ModelFactory
from service_helpers import M, run, to_production
from ticks import Ticks

from bot.core.ports.registry import RegistryError
from bot.core.service import Service
from bot.core.service.board_read import MAX_CHANGED, KeptRead
from bot.core.service.webhooks import ALIAS_CREATED, Delivery


@pytest.fixture
def ticks(service: Service) -> Ticks:
    found = Ticks()
    service.changes.clock = found
    return found


def counted(service: Service) -> list[int]:
    """How many reads of every model the board makes, kept in a list's one element."""
    reads = [0]
    governed = service.board.governed

    def counting() -> list[Any]:
        reads[0] += 1
        return governed()

    service.board.governed = counting  # type: ignore[method-assign]
    return reads


def holder(kept: KeptRead, label: str = "Production") -> int | None:
    """The version the overview shows holding `label` of the one model."""
    (model,) = kept.overview().models
    return {row.label: row.version for row in model.targets}[label]


def test_a_change_made_through_this_service_shows_at_once_without_a_new_read(
    service: Service, two_versions: tuple[int, int], ticks: Ticks
) -> None:
    kept = KeptRead(service.board, service.changes, 10.0)
    reads = counted(service)
    first = kept.overview()
    assert holder(kept) is None and reads == [1]

    ticks.now += 1
    to_production(service, 2)

    assert holder(kept) == 2
    assert reads == [1]  # the model alone was read again
    assert kept.overview().read_at == first.read_at is not None
    assert holder(kept) == 2 and reads == [1]


def test_a_change_made_elsewhere_shows_once_the_read_is_older_than_the_age(
    service: Service, two_versions: tuple[int, int], ticks: Ticks, models: ModelFactory
) -> None:
    kept = KeptRead(service.board, service.changes, 10.0)
    reads = counted(service)
    assert holder(kept) is None

    models.client.transition_model_version_stage(M, "1", "Production")  # behind its back
    ticks.now += 4  # younger than half the age: the kept read as it is
    assert holder(kept) is None and reads == [1]

    ticks.now += 7  # older than the age: the page waits for a new read
    assert holder(kept) == 1
    assert reads == [2]


def test_a_read_older_than_half_the_age_is_renewed_in_the_background(
    service: Service, two_versions: tuple[int, int], ticks: Ticks, models: ModelFactory
) -> None:
    kept = KeptRead(service.board, service.changes, 10.0)
    reads = counted(service)
    first = kept.overview()
    models.client.transition_model_version_stage(M, "1", "Production")

    ticks.now += 6
    drawn = kept.overview()
    assert drawn.read_at == first.read_at  # drawn from the read in hand
    deadline = time.monotonic() + 30
    while any(t.name == "promobot-board-read" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the renewal did not end"
        time.sleep(0.05)

    assert reads == [2]
    assert holder(kept) == 1
    assert reads == [2]  # the renewed read is 0 s old now


def test_zero_reads_afresh_for_every_overview(
    service: Service, two_versions: tuple[int, int], ticks: Ticks, models: ModelFactory
) -> None:
    kept = KeptRead(service.board, service.changes, 0.0)
    reads = counted(service)
    assert kept.overview().read_at is None
    models.client.transition_model_version_stage(M, "1", "Production")
    assert holder(kept) == 1
    assert reads == [2]


def test_many_models_changed_since_make_one_new_read(
    service: Service, two_versions: tuple[int, int], ticks: Ticks
) -> None:
    kept = KeptRead(service.board, service.changes, 10.0)
    reads = counted(service)
    kept.overview()
    for index in range(MAX_CHANGED + 1):
        service.changes.note(f"other-{index}")
    ticks.now += 1
    kept.overview()
    assert reads == [2]


def test_noting_notes_each_write_even_a_refused_one(
    service: Service, two_versions: tuple[int, int], ticks: Ticks
) -> None:
    assert service.changes.since(0) == {}
    ticks.now = 1001.0
    run(service, "slack:U01BOB", f"promote {M} v1 staging candidate")
    assert service.changes.since(0) == {M: 1001.0}

    ticks.now = 1002.0
    with pytest.raises(RegistryError):
        service.registry.move_stage(M, 99, "Staging")  # MLflow has no version 99
    assert service.changes.since(1002.0) == {M: 1002.0}
    service.changes.forget(1002.5)
    assert service.changes.since(0) == {}


def test_a_webhook_delivery_of_a_change_made_elsewhere_marks_its_model(
    service: Service, two_versions: tuple[int, int], ticks: Ticks, models: ModelFactory
) -> None:
    kept = KeptRead(service.board, service.changes, 10.0)
    reads = counted(service)

    assert holder(kept, "@champion") is None
    models.client.set_registered_model_alias(M, "champion", "2")  # behind its back
    assert holder(kept, "@champion") is None  # not seen: the read is kept
    ticks.now += 1
    said = service.deliveries.receive(
        Delivery("delivery-1", ALIAS_CREATED, {"name": M, "alias": "champion", "version": "2"})
    )
    assert "audited" in said
    assert holder(kept, "@champion") == 2
    assert reads == [1]
