"""The release board's door (bot/doors/board.py) as WSGI: who may read (a guarded
registry asks for MLflow credentials; otherwise this machine only unless
PROMOBOT_BOARD=on), read-only, the strict Content-Security-Policy, the downloads."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from board_door_calls import call

from bot.core.board import ModelBoard, ModelSummary, Overview, Timeline, TrailPage
from bot.core.ports.identity import IdentityError, SignedIn
from bot.core.ports.registry import GuardStatus, RegistryError
from bot.core.service.board_read import Changes
from bot.core.state.trail import TrailRecord
from bot.doors.board import CSP, BoardDoor
from bot.doors.slack.http_app import wsgi_app

T0 = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


class Identity:
    def signed_in(self, username: str, password: str) -> SignedIn:
        if password == "down":
            raise IdentityError("MLflow cannot be reached", "unavailable")
        if (username, password) != ("eng", "secret"):
            raise IdentityError("MLflow refused the username and password", "wrong")
        return SignedIn(username)


def fake_service(guarded: bool) -> Any:
    record = TrailRecord(
        T0, "m", "promotion", "promote", 2, 1, "Production", "bob", "", "", "=cmd", "", "", ""
    )
    board = SimpleNamespace(
        overview=lambda: Overview(T0, (ModelSummary("m", (), 1),)),
        model=lambda name, page=1: (
            ModelBoard(name, T0, (), (), Timeline(T0, T0, ()), None, TrailPage((), page, False))
            if name == "m/odd"
            else None
        ),
        records=lambda name: iter([record]),
    )
    return SimpleNamespace(
        board=board,
        changes=Changes(),
        policy=SimpleNamespace(rules_for=lambda name: object() if name.startswith("m") else None),
        drift_scan=SimpleNamespace(guard=lambda: GuardStatus(guarded)),
    )


def door(guarded: bool, mode: str = "") -> Any:
    service = fake_service(guarded)
    board = BoardDoor(lambda: service, Identity(), mode=mode)
    return wsgi_app(lambda e, s: [b"slack"], board=board)


def test_a_guarded_registry_asks_for_mlflow_credentials() -> None:
    app = door(guarded=True)
    for auth in (None, ("eng", "wrong"), ("nobody", "secret")):
        status, headers, body = call(app, "/releases", auth=auth)
        assert status == "401 Unauthorized", auth
        assert headers["WWW-Authenticate"].startswith("Basic ")
        assert "<h1>" in body and "m" not in body.split("<main>")[1].split("Not signed")[0]
    status, _, body = call(app, "/releases", auth=("eng", "secret"))
    assert status == "200 OK"
    assert "not guarded" not in body
    status, _, _ = call(app, "/releases", auth=("eng", "down"))
    assert status == "503 Service Unavailable"
    # Credentials are asked of readers anywhere, this machine included.
    assert call(app, "/releases/m%2Fodd")[0] == "401 Unauthorized"


def test_an_unguarded_registry_is_served_to_this_machine_only_and_says_so() -> None:
    app = door(guarded=False)
    status, _, body = call(app, "/releases")
    assert status == "200 OK" and "This registry is not guarded" in body
    assert call(app, "/releases", REMOTE_ADDR="10.1.2.3")[0] == "403 Forbidden"
    assert call(app, "/releases", REMOTE_ADDR="::1")[0] == "200 OK"
    # A proxy on this machine forwards others: they are not this machine.
    assert call(app, "/releases", HTTP_X_FORWARDED_FOR="10.1.2.3")[0] == "403 Forbidden"
    on = door(guarded=False, mode="on")
    status, _, body = call(on, "/releases", REMOTE_ADDR="10.1.2.3")
    assert status == "200 OK" and "This registry is not guarded" in body
    # Exposed, the page does not claim to be served to this machine only.
    assert "served to anyone who can reach this server" in body
    assert "served to this machine only" not in body
    assert call(door(guarded=False, mode="off"), "/releases")[0] == "404 Not Found"


def test_every_answer_forbids_scripts_and_the_board_only_reads() -> None:
    app = door(guarded=False)
    for path in ("/releases", "/releases/m%2Fodd", "/releases/nope", "/releases/board.css"):
        status, headers, _ = call(app, path)
        assert headers["Content-Security-Policy"] == CSP, path
        assert "script-src" not in CSP and "default-src 'none'" in CSP
        assert headers["X-Content-Type-Options"] == "nosniff"
    assert call(app, "/releases/nope")[0] == "404 Not Found"
    assert call(app, "/releases/board.css")[1]["Content-Type"].startswith("text/css")
    status, headers, _ = call(app, "/releases", method="POST")
    assert status == "405 Method Not Allowed" and headers["Allow"] == "GET"
    assert call(app, "/releases", method="HEAD")[2] == ""


def test_a_model_name_with_a_slash_and_its_downloads() -> None:
    app = door(guarded=False)
    assert call(app, "/releases/m/odd?page=2")[0] == "200 OK"
    status, headers, body = call(app, "/releases/m/odd/trail.csv")
    assert status == "200 OK" and headers["Content-Type"].startswith("text/csv")
    assert "attachment" in headers["Content-Disposition"]
    assert "'=cmd" in body  # a formula-looking cell is neutralised, as audit export does
    status, headers, body = call(app, "/releases/m/odd/trail.jsonl")
    assert json.loads(body.splitlines()[0])["reason"] == "=cmd"
    assert call(app, "/releases/other/trail.csv")[0] == "404 Not Found"


def test_mlflow_down_is_503() -> None:
    service = fake_service(True)

    def broken() -> GuardStatus:
        raise RegistryError("MLflow at http://x cannot be reached")

    service.drift_scan = SimpleNamespace(guard=broken)
    app = BoardDoor(lambda: service, Identity())
    assert call(app, "/releases")[0] == "503 Service Unavailable"


@pytest.mark.parametrize("path", ["/releasesX", "/release"])
def test_other_paths_are_not_the_board(path: str) -> None:
    assert call(door(guarded=False), path)[0] == "404 Not Found"
