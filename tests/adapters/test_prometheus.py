"""The Prometheus adapter: one number, or "no data" with the reason, never a raise.

Against the real Prometheus for everything it can answer (one sample, none, several
series, a range, a string, NaN, a bad query); a Prometheus that answers garbage, too
much or too slowly cannot be made of the real one, so a small HTTP server on 127.0.0.1
stands in for it (as tests/fake_slack.py does for Slack).
"""

from __future__ import annotations

import contextlib
import threading
import time
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
