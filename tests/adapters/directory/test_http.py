"""One JSON call for the directory adapters (bot/adapters/directory/http.py), against
small HTTP servers on 127.0.0.1: the answer, or every failure as a sentence; a redirect
is never followed, so the token goes nowhere else."""

from __future__ import annotations

import json
import socket
import urllib.request
from collections.abc import Iterator

import pytest
from canned_http import CannedServer

from bot.adapters.directory.http import LookupFailed, fetch_json


@pytest.fixture
def server() -> Iterator[CannedServer]:
    found = CannedServer()
    yield found
    found.close()


def get(url: str, timeout: float = 5.0) -> object:
    request = urllib.request.Request(
        url + "/orgs/acme/teams/ml-leads/members", headers={"Authorization": "Bearer t0ken"}
    )
    return fetch_json(request, service="GitHub", timeout=timeout)


def failure(url: str, timeout: float = 5.0) -> LookupFailed:
    with pytest.raises(LookupFailed) as raised:
        get(url, timeout)
    return raised.value


def test_the_answer_is_its_json_and_headers(server: CannedServer) -> None:
    server.body = json.dumps([{"login": "alice"}]).encode()
    server.headers["Link"] = '<https://api.github.com/x?page=2>; rel="next"'
    answer = get(server.url)
    assert answer.data == [{"login": "alice"}]  # type: ignore[attr-defined]
    assert answer.headers["Link"] == '<https://api.github.com/x?page=2>; rel="next"'  # type: ignore[attr-defined]
    assert server.seen[0]["authorization"] == "Bearer t0ken"


@pytest.mark.parametrize(
    ("status", "body", "said", "code"),
    [
        (404, b'{"message": "Not Found"}', "GitHub answered 404", 404),
        (503, b"", "GitHub answered 503", 503),
        (200, b"<html>sign in</html>", "GitHub's answer was not JSON", None),
        (200, b"[" + b" " * 5_000_000 + b"]", "GitHub's answer was larger than 5 MB", None),
    ],
    ids=["not-found", "unavailable", "not-json", "too-large"],
)
def test_a_failed_call_is_a_sentence(
    server: CannedServer, status: int, body: bytes, said: str, code: int | None
) -> None:
    server.status, server.body = status, body
    failed = failure(server.url)
    assert (str(failed), failed.status) == (said, code)


def test_a_redirect_is_not_followed(server: CannedServer) -> None:
    elsewhere = CannedServer()
    try:
        server.status, server.body = 302, b""
        server.headers["Location"] = elsewhere.url + "/steal"
        failed = failure(server.url)
        assert (str(failed), failed.status) == ("GitHub answered 302", 302)
        assert elsewhere.seen == []
    finally:
        elsewhere.close()


def test_nothing_listening_is_could_not_be_reached() -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    said = str(failure(f"http://127.0.0.1:{port}"))
    assert said.startswith("GitHub could not be reached (") and said.endswith(")")


def test_a_server_that_never_answers_is_said_with_the_time_allowed() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # accepts connections, never answers
        port = silent.getsockname()[1]
        assert (
            str(failure(f"http://127.0.0.1:{port}", timeout=0.2))
            == "GitHub did not answer within 0.2 s"
        )
