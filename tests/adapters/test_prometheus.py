"""The Prometheus adapter: one number, or "no data" with the reason, never a raise.

Against the real Prometheus for everything it can answer (one sample, none, several
series, a range, a string, NaN, a bad query); a Prometheus that answers garbage, too
much or too slowly cannot be made of the real one, so a small HTTP server on 127.0.0.1
stands in for it (as tests/fake_slack.py does for Slack).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from servers import free_port

from bot.adapters.prometheus import PrometheusClient
from bot.core.policy.promql import fill

CHECK = 'model_error_rate{model="{model}",version="{version}"}'


@pytest.fixture(scope="module")
def gauges(prometheus: Any, exporter: Any) -> Any:
    exporter.set("adapter-m", 1, error_rate=0.25)
    exporter.set("adapter-m", 2, error_rate=0.5)
    prometheus.wait_for('model_error_rate{model="adapter-m",version="2"}', 0.5)
    return prometheus


@pytest.mark.parametrize(
    ("query", "value", "problem"),
    [
        pytest.param('model_error_rate{model="adapter-m",version="1"}', 0.25, "", id="one"),
        pytest.param("scalar(vector(3))", 3.0, "", id="scalar"),
        pytest.param('model_error_rate{model="nobody"}', None, "no series", id="empty"),
        pytest.param(
            'model_error_rate{model="adapter-m"}', None, "returned 2 series", id="several"
        ),
        pytest.param(
            'model_error_rate{model="adapter-m",version="1"}[5s]', None, "range", id="matrix"
        ),
        pytest.param('"text"', None, "a string", id="string"),
        pytest.param("scalar(vector(0)) / 0 - scalar(vector(0)) / 0", None, "NaN", id="nan"),
        pytest.param("sum(", None, "answered HTTP 400", id="bad-query"),
    ],
)
def test_real_prometheus_answers_become_one_number_or_why_not(
    gauges: Any, query: str, value: float | None, problem: str
) -> None:
    reading = PrometheusClient(gauges.url, timeout_s=3).query(query)
    assert reading.value == value
    assert problem in reading.problem


@pytest.mark.parametrize(
    "model",
    [
        pytest.param('adapter-m",version=~".+', id="another-matcher"),
        pytest.param('adapter-m"} or vector(1) #', id="another-query"),
        pytest.param("adapter-m\\", id="backslash"),
    ],
)
def test_a_model_name_cannot_break_out_of_its_label_value(gauges: Any, model: str) -> None:
    """Filled as the checks are, a name that would match adapter-m's series (or add a
    query of its own) if it escaped its quotes matches nothing in the real Prometheus."""
    query = fill(CHECK, model=model, version=1, target="production")
    reading = PrometheusClient(gauges.url, timeout_s=3).query(query)
    assert (reading.value, reading.problem) == (None, "the query returned no series")


def test_an_unreachable_prometheus_is_no_data() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    reading = PrometheusClient(url, timeout_s=1).query("up")
    assert reading.value is None
    assert reading.problem.startswith(f"Prometheus at {url} could not be reached")


class _Hostile(BaseHTTPRequestHandler):
    answers: ClassVar[dict[str, tuple[int, bytes, float]]] = {
        "garbage": (200, b"<html>not prometheus</html>", 0),
        "list": (200, b"[1, 2, 3]", 0),
        "error": (200, b'{"status": "error", "error": "bad things"}', 0),
        "huge": (200, b'{"status": "success", "data": {"x": "' + b"a" * 3_000_000 + b'"}}', 0),
        "slow": (200, b"{}", 3.0),
        "weird": (200, b'{"status":"success","data":{"resultType":"scalar","result":[1,"x"]}}', 0),
        "inf": (200, b'{"status":"success","data":{"resultType":"scalar","result":[1,"+Inf"]}}', 0),
        "auth": (401, b"unauthorized", 0),
    }
    seen_auth: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        kind = self.path.split("query=", 1)[-1]
        _Hostile.seen_auth.append(self.headers.get("Authorization", ""))
        status, body, delay = self.answers[kind]
        time.sleep(delay)
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(OSError):  # the client gave up (slow, huge)
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def hostile() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Hostile)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("kind", "problem"),
    [
        pytest.param("garbage", "answered something that is not JSON", id="garbage"),
        pytest.param("list", "JSON that is not a query result", id="list"),
        pytest.param("error", "Prometheus refused the query: bad things", id="error"),
        pytest.param("huge", "answered more than 1,000,000 bytes", id="huge"),
        pytest.param("slow", "did not answer within 1s", id="slow"),
        pytest.param("weird", "the sample is not a number ('x')", id="not-a-number"),
        pytest.param("inf", "the sample is +Inf (not a finite number)", id="inf"),
        pytest.param("auth", "answered HTTP 401", id="unauthorised"),
    ],
)
def test_a_hostile_prometheus_is_no_data_with_the_reason(
    hostile: str, kind: str, problem: str
) -> None:
    reading = PrometheusClient(hostile, timeout_s=1).query(kind)
    assert reading.value is None
    assert problem in reading.problem


def test_credentials_go_in_the_authorization_header(hostile: str) -> None:
    PrometheusClient(hostile, token="s3cret", timeout_s=1).query("auth")
    PrometheusClient(hostile, basic=("u", "p"), timeout_s=1).query("auth")
    assert _Hostile.seen_auth[-2:] == ["Bearer s3cret", "Basic dTpw"]


# ---- credentials and redirects ----------------------------------------------------------------

ONE = b'{"status":"success","data":{"resultType":"scalar","result":[1,"0.5"]}}'


class _Recording(BaseHTTPRequestHandler):
    """Answers one number, or redirects (`?query=go:<url>`) there; records each request's
    Authorization header with the server's own name."""

    seen: ClassVar[list[tuple[str, str, str]]] = []

    def do_GET(self) -> None:
        name = self.server.name  # type: ignore[attr-defined]
        _Recording.seen.append((name, self.path, self.headers.get("Authorization", "")))
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get("query", [""])
        if query[0].startswith("go:"):
            self.send_response(302)
            self.send_header("Location", query[0][3:])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(ONE)))
        self.end_headers()
        self.wfile.write(ONE)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def two_servers() -> Iterator[dict[str, int]]:
    """Two HTTP servers on 127.0.0.1: `home` (Prometheus as configured) and `elsewhere`."""
    servers, ports = [], {}
    for name in ("home", "elsewhere"):
        server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Recording)
        server.name = name  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        ports[name] = server.server_address[1]
    try:
        yield ports
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def _redirected(client: PrometheusClient, to: str) -> list[tuple[str, str, str]]:
    _Recording.seen.clear()
    reading = client.query(f"go:{to}")
    assert (reading.value, reading.problem) == (0.5, ""), "the redirect was followed"
    return list(_Recording.seen)


@pytest.mark.parametrize(
    ("credentials", "header"),
    [({"token": "s3cret"}, "Bearer s3cret"), ({"basic": ("u", "p")}, "Basic dTpw")],
    ids=["bearer", "basic"],
)
def test_credentials_are_not_sent_across_a_redirect_to_another_host(
    two_servers: dict[str, int], credentials: dict[str, Any], header: str
) -> None:
    home = f"http://127.0.0.1:{two_servers['home']}"
    client = PrometheusClient(home, timeout_s=3, **credentials)
    elsewhere = f"http://localhost:{two_servers['elsewhere']}/api/v1/query?query=up"

    first, second = _redirected(client, elsewhere)

    assert first[0] == "home" and first[2] == header
    assert second == ("elsewhere", "/api/v1/query?query=up", "")


def test_credentials_are_not_sent_to_another_port_of_the_same_host(
    two_servers: dict[str, int],
) -> None:
    home = f"http://127.0.0.1:{two_servers['home']}"
    client = PrometheusClient(home, token="s3cret", timeout_s=3)
    elsewhere = f"http://127.0.0.1:{two_servers['elsewhere']}/api/v1/query?query=up"

    assert [seen[::2] for seen in _redirected(client, elsewhere)] == [
        ("home", "Bearer s3cret"),
        ("elsewhere", ""),
    ]


def test_credentials_follow_a_redirect_within_the_same_origin(
    two_servers: dict[str, int],
) -> None:
    """A Prometheus behind a proxy that moves its API (`/api` → `/prometheus/api`) still
    gets its token: the origin is the one the token was given for."""
    home = f"http://127.0.0.1:{two_servers['home']}"
    client = PrometheusClient(home, token="s3cret", timeout_s=3)

    seen = _redirected(client, f"{home}/prometheus/api/v1/query?query=up")

    assert [(name, auth) for name, _, auth in seen] == [
        ("home", "Bearer s3cret"),
        ("home", "Bearer s3cret"),
    ]


def test_a_problem_shows_the_url_without_its_secrets() -> None:
    port = free_port()
    url = f"http://user:pw@127.0.0.1:{port}/prom?token=s3cret&x=1"
    reading = PrometheusClient(url, timeout_s=1).query("up")
    assert reading.problem.startswith(
        f"Prometheus at http://***@127.0.0.1:{port}/prom?token=***&x=1 could not be reached"
    )
    assert "s3cret" not in reading.problem and "pw" not in reading.problem


def test_a_range_query_gives_one_series_of_finite_points() -> None:
    from bot.adapters.prometheus import parse_range

    def answer(result: object, kind: str = "matrix") -> bytes:
        return json.dumps(
            {"status": "success", "data": {"resultType": kind, "result": result}}
        ).encode()

    series = {"metric": {}, "values": [[1.0, "0.5"], [2.0, "NaN"], [3, "0.25"], ["x", "1"]]}
    assert parse_range(answer([series])).points == ((1.0, 0.5), (3.0, 0.25))
    assert parse_range(answer([])).problem == "the query returned no series"
    assert "2 series" in parse_range(answer([series, series])).problem
    assert "vector" in parse_range(answer([], "vector")).problem
    assert parse_range(b"<html>").problem == "Prometheus answered something that is not JSON"
    nothing = {"metric": {}, "values": [[1.0, "+Inf"]]}
    assert parse_range(answer([nothing])).problem == "the series has no finite sample in that time"
