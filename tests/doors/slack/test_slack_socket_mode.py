"""`promobot serve --socket-mode` (bot/doors/slack/socket_mode.py): /healthz is served on
--port before anything else, so a port it cannot listen on stops it at once, in one line
(what it serves there: test_socket_http.py; without SLACK_APP_TOKEN:
test_slack_serve_start.py). The WebSocket to Slack itself cannot be reached from here."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import pytest
from conftest import SERVICE_POLICY

from bot.config import Settings
from bot.core.policy import load_policy
from bot.doors.slack.socket_mode import run_socket_mode


@pytest.fixture
def promobot_log() -> Iterator[None]:
    """The run sets up promobot's log (propagate off): put it back after."""
    log = logging.getLogger("promobot")
    kept = (list(log.handlers), log.level, log.propagate)
    yield
    log.handlers[:], log.level, log.propagate = kept[0], kept[1], kept[2]


def test_a_port_it_cannot_listen_on_stops_it_with_exit_1(promobot_log, capsys) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = run_socket_mode(Settings(), load_policy(SERVICE_POLICY), "127.0.0.1", port)
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err.startswith(f"promobot serve cannot listen on 127.0.0.1:{port} for /healthz: ")
    assert "Address already in use" in err and len(err.splitlines()) == 1
