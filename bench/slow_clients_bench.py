"""Issue #20: `promobot serve` answers while slow clients drip their headers.

A real `promobot serve` (gunicorn, one worker, as in production) on a SQLite registry of
its own, Slack faked (tests/fake_slack.py). GET /healthz and a signed `/promobot status`
are sent one after the other, alternating, `samples` of each: first with no other
client, then while 100 connections each drip one more header byte a second
(tests/slow_clients.py), every one the server ends replaced by a new one, so that 100
stay open throughout. The figures are the p50 and p95 time to each HTTP answer, and how
the server ended the slow connections (408 from its header deadline).

Target: both answered within a second (p95) while the slow clients drip.
"""

from __future__ import annotations

import http.client
import json
import os
import time
import urllib.parse
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

from bench import paths
from bench.slack_bench import signed
from bench.stats import ms, percentile

paths.add_tests()

from fake_slack import FakeSlack  # noqa: E402  (tests/fake_slack.py)
from servers import PromobotServe  # noqa: E402
from slow_clients import Drippers  # noqa: E402

SLOW = 100
TARGET_MS = 1000.0
PAUSE_S = 0.05  # between two requests, so a phase spans several header deadlines


def run(workdir: Path, *, samples: int = 60, progress: Any = print) -> dict[str, Any]:
    workdir.mkdir(parents=True, exist_ok=True)
    with FakeSlack() as fake:
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": "bench-signing-secret",
            "SLACK_API_URL": fake.api_url,
            "MLFLOW_TRACKING_URI": f"sqlite:///{workdir / 'mlflow.db'}",
            "PROMOBOT_POLICY": str(paths.POLICY),
            "PROMOBOT_SWEEP_SECONDS": "0",
            "PROMOBOT_AUDIT_SECONDS": "0",
            "PROMOBOT_LOG_LEVEL": "WARNING",
        }
        serve = PromobotServe(env, workdir).start(timeout=90)
        try:
            client = Client(serve.port, fake)
            client.command("warm")  # the worker has built its Service
            fake.wait_for_response("warm", timeout=120)
            quiet = client.phase("quiet", samples)
            progress(f"    slow_clients, alone: {_said(quiet)}")
            with Drippers("127.0.0.1", serve.port, count=SLOW, every=1.0, refill=True) as drip:
                time.sleep(2.0)  # every slow client has connected and dripped
                dripping = client.phase("dripping", samples)
                dripping["slow_clients_open_at_end"] = drip.still_open()
                dripping["slow_clients_ended"] = _ended(drip.answers)
                dripping["bytes_dripped"] = drip.drips
            progress(f"    slow_clients, with {SLOW} dripping: {_said(dripping)}")
        finally:
            serve.stop()
    return {"slow_clients": SLOW, "samples": samples, "quiet": quiet, "dripping": dripping}


class Client:
    def __init__(self, port: int, fake: FakeSlack) -> None:
        self.port = port
        self.fake = fake

    def phase(self, name: str, samples: int) -> dict[str, Any]:
        healthz: list[float] = []
        command: list[float] = []
        failed: list[str] = []
        started = time.perf_counter()
        for i in range(samples):
            for kind, times, call in (
                ("healthz", healthz, self.healthz),
                ("command", command, partial(self.command, f"{name}-{i}")),
            ):
                t0 = time.perf_counter()
                status = call()
                if status != 200:
                    failed.append(f"{kind} {status}")
                times.append(time.perf_counter() - t0)
                time.sleep(PAUSE_S)
        if failed:
            raise RuntimeError(f"promobot serve answered {failed[:3]} ({name})")
        return {
            "healthz": _spread(healthz),
            "command": _spread(command),
            "phase_s": round(time.perf_counter() - started, 1),
        }

    def healthz(self) -> int:
        return self._request("GET", "/healthz", b"", {})

    def command(self, key: str) -> int:
        body = urllib.parse.urlencode(
            {
                "team_id": "T0FAKE",
                "channel_id": "C0BENCH",
                "user_id": "U01BOB",
                "user_name": "bob",
                "command": "/promobot",
                "text": "status bench-classifier",
                "api_app_id": "A0BENCH",
                "response_url": self.fake.response_url(key),
                "trigger_id": "1.2.3",
            }
        ).encode()
        return self._request("POST", "/slack/events", body, signed(body, "bench-signing-secret"))

    def _request(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body or None, headers=headers)
            answer = conn.getresponse()
            answer.read()
            return answer.status
        finally:
            conn.close()


def _spread(times: list[float]) -> dict[str, Any]:
    return {
        "p50_ms": ms(percentile(times, 50)),
        "p95_ms": ms(percentile(times, 95)),
        "max_ms": ms(max(times)),
    }


def _ended(answers: list[bytes]) -> dict[str, int]:
    """How the server ended the slow connections: by status line, "closed" for none."""
    return dict(Counter(a.split(b"\r\n", 1)[0].decode() if a else "closed" for a in answers))


def _said(phase: dict[str, Any]) -> str:
    h, c = phase["healthz"], phase["command"]
    return (
        f"/healthz p50 {h['p50_ms']} ms p95 {h['p95_ms']} ms; "
        f"command p50 {c['p50_ms']} ms p95 {c['p95_ms']} ms"
    )


def targets(part: dict[str, Any]) -> list[tuple[str, Any, str, bool | None]]:
    """(target, figure, limit, met) for bench/report.py."""
    checks: list[tuple[str, Any, str, bool | None]] = []
    for kind, label in (("healthz", "/healthz"), ("command", "signed command")):
        p95 = part["dripping"][kind]["p95_ms"]
        checks.append(
            (
                f"{label} p95 while {part['slow_clients']} clients drip headers",
                f"{p95} ms (alone {part['quiet'][kind]['p95_ms']} ms)",
                f"≤ {TARGET_MS:.0f} ms",
                p95 <= TARGET_MS,
            )
        )
    return checks


def table_lines(part: dict[str, Any] | None) -> list[str]:
    """The slow_clients part's lines of the printed table."""
    if not part:
        return []
    dripping = part["dripping"]
    lines = [
        f"[slow_clients] {part['samples']} of each, one at a time, alone and while "
        f"{part['slow_clients']} connections drip a header byte a second (ms)",
        f"  {'':<16}{'p50 alone':>12}{'p95 alone':>12}{'p50 dripping':>15}{'p95 dripping':>15}",
    ]
    for kind in ("healthz", "command"):
        q, d = part["quiet"][kind], dripping[kind]
        lines.append(
            f"  {kind:<16}{q['p50_ms']:>12}{q['p95_ms']:>12}{d['p50_ms']:>15}{d['p95_ms']:>15}"
        )
    lines.append(
        f"  slow connections ended by the server: {json.dumps(dripping['slow_clients_ended'])}; "
        f"open at the end {dripping['slow_clients_open_at_end']}"
    )
    lines.append("")
    return lines
