"""The Prometheus adapter: one instant query (`GET /api/v1/query`) → one number, or why
not; one range query (`GET /api/v1/query_range`, the release board's charts) → one
series of points, or why not (bot/core/ports/prometheus.py `Prometheus`).

It never raises. Anything but exactly one sample of one finite number is "no data" with
the reason: unreachable, an HTTP error, a slow answer (a deadline over the whole
answer, not per read), an answer larger than `max_bytes`, garbage instead of JSON, an
error status, no series, several series, a range (matrix), a string, NaN or ±Inf.

Its credentials (a bearer token or basic auth) go only to the origin they were given for:
a redirect to another scheme, host or port is followed without them (urllib would copy
every header onto it), and the URL it shows in a problem has its secrets masked.
"""

from __future__ import annotations

import base64
import json
import math
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from typing import Any

from bot.core.ports.prometheus import Reading, Series
from bot.core.text import masked

MAX_BYTES = 1_000_000


class _CredentialsStayHome(urllib.request.HTTPRedirectHandler):
    """Follows redirects as urllib does, but a redirect to another origin (scheme, host
    and port) leaves the Authorization header behind."""

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and _origin(new.full_url) != _origin(req.full_url):
            new.remove_header("Authorization")
        return new


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


class PrometheusClient:
    def __init__(
        self,
        url: str,
        *,
        token: str = "",
        basic: tuple[str, str] | None = None,
        timeout_s: float = 5.0,
        max_bytes: int = MAX_BYTES,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.headers = {"Accept": "application/json", "User-Agent": "promobot"}
        self._opener = urllib.request.build_opener(_CredentialsStayHome())
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        elif basic is not None:
            pair = base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode()
            self.headers["Authorization"] = f"Basic {pair}"

    def query(self, expr: str) -> Reading:
        body, problem = self._get(expr)
        if body is None:
            return Reading(None, problem)
        return parse_answer(body)

    def query_range(self, expr: str, start: datetime, end: datetime, step_s: float) -> Series:
        params = {
            "query": expr,
            "start": f"{start.timestamp():.3f}",
            "end": f"{end.timestamp():.3f}",
            "step": f"{max(step_s, 0.001):g}",
        }
        body, problem = self._get(expr, "query_range", params)
        if body is None:
            return Series((), problem)
        return parse_range(body)

    def _get(
        self, expr: str, api: str = "query", params: dict[str, str] | None = None
    ) -> tuple[bytes | None, str]:
        where = f"Prometheus at {masked(self.url)}"
        query = urllib.parse.urlencode(params or {"query": expr})
        address = f"{self.url}/api/v1/{api}?{query}"
        request = urllib.request.Request(address, headers=self.headers)
        deadline = time.monotonic() + self.timeout_s
        try:
            with self._opener.open(request, timeout=self.timeout_s) as answer:
                return self._read(answer, deadline, where)
        except urllib.error.HTTPError as error:
            detail = _error_text(error.read(self.max_bytes))
            return None, f"{where} answered HTTP {error.code}{': ' + detail if detail else ''}"
        except TimeoutError:
            return None, f"{where} did not answer within {self.timeout_s:g}s"
        except (urllib.error.URLError, OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            return None, f"{where} could not be reached ({masked(str(reason))})"

    def _read(self, answer: Any, deadline: float, where: str) -> tuple[bytes | None, str]:
        chunks: list[bytes] = []
        size = 0
        while True:
            if time.monotonic() > deadline:
                return None, f"{where} did not answer within {self.timeout_s:g}s"
            chunk = answer.read(65536)
            if not chunk:
                return b"".join(chunks), ""
            size += len(chunk)
            if size > self.max_bytes:
                return None, f"{where} answered more than {self.max_bytes:,} bytes"
            chunks.append(chunk)


def _error_text(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    return str(data.get("error", ""))[:200] if isinstance(data, dict) else ""


def _number(text: Any) -> Reading:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return Reading(None, f"the sample is not a number ({str(text)[:40]!r})")
    if math.isnan(value) or math.isinf(value):
        return Reading(None, f"the sample is {text} (not a finite number)")
    return Reading(value)


def _sample(pair: Any) -> Reading:
    if not isinstance(pair, list) or len(pair) != 2:
        return Reading(None, "the answer's sample is not [time, value]")
    return _number(pair[1])


def parse_answer(body: bytes) -> Reading:
    """One finite number from an instant query's JSON, or why not."""
    try:
        data = json.loads(body)
    except ValueError:
        return Reading(None, "Prometheus answered something that is not JSON")
    if not isinstance(data, dict):
        return Reading(None, "Prometheus answered JSON that is not a query result")
    if data.get("status") != "success":
        return Reading(None, f"Prometheus refused the query: {str(data.get('error', ''))[:200]}")
    result = data.get("data")
    if not isinstance(result, dict):
        return Reading(None, "Prometheus answered JSON that is not a query result")
    kind, found = result.get("resultType"), result.get("result")
    if kind == "scalar":
        return _sample(found)
    if kind == "vector" and isinstance(found, list):
        if not found:
            return Reading(None, "the query returned no series")
        if len(found) > 1:
            return Reading(None, f"the query returned {len(found)} series (a check needs one)")
        series = found[0]
        return _sample(series.get("value") if isinstance(series, dict) else None)
    if kind == "matrix":
        return Reading(None, "the query returned a range of samples (drop the [range])")
    if kind == "string":
        return Reading(None, "the query returned a string, not a number")
    return Reading(None, f"Prometheus answered an unknown result type {str(kind)[:40]!r}")


def parse_range(body: bytes) -> Series:
    """One series of finite points from a range query's JSON, or why not. Several series
    are refused as a check refuses them: a chart draws the one a check reads."""
    try:
        data = json.loads(body)
    except ValueError:
        return Series((), "Prometheus answered something that is not JSON")
    if not isinstance(data, dict) or not isinstance(data.get("data"), dict):
        return Series((), "Prometheus answered JSON that is not a query result")
    if data.get("status") != "success":
        return Series((), f"Prometheus refused the query: {str(data.get('error', ''))[:200]}")
    kind, found = data["data"].get("resultType"), data["data"].get("result")
    if kind != "matrix" or not isinstance(found, list):
        return Series((), f"Prometheus answered a {str(kind)[:40]} where a range was asked")
    if not found:
        return Series((), "the query returned no series")
    if len(found) > 1:
        return Series((), f"the query returned {len(found)} series (a check reads one)")
    values = found[0].get("values") if isinstance(found[0], dict) else None
    points: list[tuple[float, float]] = []
    for pair in values if isinstance(values, list) else ():
        if not isinstance(pair, list) or len(pair) != 2:
            continue
        reading = _number(pair[1])
        if reading.value is not None and isinstance(pair[0], int | float):
            points.append((float(pair[0]), reading.value))
    if not points:
        return Series((), "the series has no finite sample in that time")
    return Series(tuple(points))
