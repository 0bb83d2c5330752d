"""The board door with its overview's read kept (PROMOBOT_BOARD_SECONDS, serve's default)
over a real SQLite registry: a promotion made through the same Service shows on the next
overview, the page says when MLflow was read, and 0 reads afresh."""

from __future__ import annotations

from typing import Any

from board_door_calls import call
from service_helpers import to_production

from bot.core.ports.identity import SignedIn
from bot.core.service import Service
from bot.doors.board import BoardDoor


class NoSignIn:
    def signed_in(self, username: str, password: str) -> SignedIn:
        raise AssertionError("an unguarded registry signs no one in")


def production_cell(body: str) -> str:
    row = body.split("<td>Production</td>", 1)[1]
    return row.split("</td>", 1)[0]


def test_the_kept_overview_shows_a_promotion_made_through_the_same_service(
    service: Service, two_versions: tuple[int, int]
) -> None:
    door: Any = BoardDoor(lambda: service, NoSignIn(), max_age=60.0)
    status, _, body = call(door, "/releases")
    assert status == "200 OK"
    assert "as MLflow held them at" in body
    assert "v2" not in production_cell(body)

    to_production(service, 2)

    _, _, body = call(door, "/releases")
    assert "v2" in production_cell(body)


def test_zero_draws_the_overview_from_a_read_made_for_the_page(
    service: Service, two_versions: tuple[int, int]
) -> None:
    door: Any = BoardDoor(lambda: service, NoSignIn(), max_age=0.0)
    status, _, body = call(door, "/releases")
    assert status == "200 OK"
    assert "as MLflow held them at" not in body and "governed model(s), as of" in body
