"""One JSON call for the directory adapters (bot/adapters/directory/http.py), against
small HTTP servers on 127.0.0.1: the answer, or every failure as a sentence; a redirect
is never followed, so the token goes nowhere else."""

from __future__ import annotations

import json
import socket
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.adapters.directory.http import LookupFailed, fetch_json


class Server:
    """Answers every GET with `status`, `body` and `headers`; records the requests."""

    def __init__(self) -> None:
        self.status, self.body, self.headers = 200, b"{}", {"Content-Type": "application/json"}
        self.seen: list[dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.seen.append({k.lower(): v for k, v in self.headers.items()})
                self.send_response(server.status)
                for key, value in server.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        threading.Thread(target=self.http.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    found = Server()
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


def test_the_answer_is_its_json_and_headers(server: Server) -> None:
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
    server: Server, status: int, body: bytes, said: str, code: int | None
) -> None:
    server.status, server.body = status, body
    failed = failure(server.url)
    assert (str(failed), failed.status) == (said, code)


def test_a_redirect_is_not_followed(server: Server) -> None:
    elsewhere = Server()
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
