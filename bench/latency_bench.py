"""Through a 20 ms link: promote, approve and rollback, promobot next to the floor.

Between the bot and an MLflow server in another zone every REST call costs a network
round trip, so the calls made one after another, not the calls, set the time a person
waits. A proxy on 127.0.0.1 (LinkProxy) holds every request 20 ms before forwarding it
to a real `mlflow server`, each request in its own thread, so calls made at once wait
at once. promobot (an in-process Service on Registry(proxy.url)) and the sequential
floor (bench/floor.py on MlflowClient(proxy.url)) run through the same proxy, side by
side in one run, their order alternating every repeat, on a SQLite-backed and a
PostgreSQL-backed server.

Per command and contender: the median wall time, the REST calls (through the link and,
in the untimed warm-up, with no delay: the link must not add any), the *rounds* (wall
time ÷ the delay), the calls *in a row* (the longest chain of calls each begun after the
one before it was answered, from the times the proxy recorded; bench/latency_path.py),
the most calls in flight at once, and promobot's *critical path*: the fewest rounds
the execution protocol allows (bench/latency_path.py, as data). One run's timeline of
calls is kept per command and contender in the results.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from bench import latency_path
from bench.env import Registry as Reg
from bench.env import registries
from bench.registry_bench import CONTENDERS, IDLE_BEFORE_S, Bench
from bench.rest_calls import Call, CountingProxy
from bench.seed import SMALL, postgres_available
from bench.stats import median, r2

DELAY_MS = 20  # a cross-zone round trip
COMMANDS = ("promote", "approve", "rollback")
TARGETS = {"over_floor": 0.6, "rounds_over_path": 1.2}
# On a loaded machine uvicorn's supervisor kills a worker still importing MLflow after 5 s
# and starts another, endlessly; the health check's patience changes nothing measured.
_SERVER_ENV = {"UVICORN_TIMEOUT_WORKER_HEALTHCHECK": "120"}


class LinkProxy(CountingProxy):
    """A recording proxy that adds its delay to every call and nothing else. Its answer
    goes out in two writes (headers, then body); without TCP_NODELAY the second waits
    for the client's delayed ACK, ~40 ms more per call (docs/performance.md, "the 40 ms
    stall"), which a network link does not add. Upstream, every call opens a new
    connection, so the server's own stall does not arise either."""

    name = "link-proxy"

    def before(self, req: BaseHTTPRequestHandler) -> None:
        req.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().before(req)


# (command, contender) → every run: (seconds, the calls the proxy recorded)
Samples = dict[tuple[str, str], list[tuple[float, list[Call]]]]


@dataclass(frozen=True)
class Settings:
    repeats: int = 5
    delay_ms: int = DELAY_MS
    commands: tuple[str, ...] = COMMANDS
    # untimed repeats with no delay, made as the timed ones are: three, so that each
    # contender meets the costliest state (right after a rollback) at 0 ms too
    warmups: int = 3


def run(
    policy: Any,
    workdir: Path,
    backends: tuple[str, ...],
    settings: Settings,
    progress: Callable[[str], None] = print,
) -> dict[str, Any]:
    """The part: every backend with its own seeded 10-version registry and server."""
    out: dict[str, Any] = {
        "delay_ms": settings.delay_ms,
        "repeats": settings.repeats,
        "critical_path": {c: latency_path.as_data(c) for c in settings.commands},
        "backends": {},
    }
    for backend in backends:
        why = postgres_available() if backend == "postgresql" else ""
        if why:
            out["backends"][backend] = {"skipped": why}
            progress(f"latency/{backend} skipped: {why}")
            continue
        progress(f"latency/{backend}: seeding and starting an mlflow server")
        try:
            with registries(backend, [SMALL], workdir, _SERVER_ENV) as regs:
                out["backends"][backend] = measure(regs["small"], policy, settings, progress)
        except Exception as exc:  # one backend's failure keeps the other's figures
            out["backends"][backend] = {"failed": f"{type(exc).__name__}: {exc}"}
            progress(f"latency/{backend} failed: {exc}")
    return out


def measure(
    reg: Reg, policy: Any, settings: Settings, progress: Callable[[str], None] = print
) -> dict[str, Any]:
    """One registry: warm-up with no delay (counting its calls), the link's own check,
    then the timed repeats through the delayed link."""
    samples: Samples = {}
    undelayed: Samples = {}
    with LinkProxy(reg.url) as proxy:
        bench = Bench(reg, policy, via=proxy.url)
        # The warm-up runs as the timed repeats do, so its runs meet the same states: a
        # candidate sheds the tags of its last move out (3, or 6 after a rollback), and
        # which contender meets which depends on the order.
        for i in range(settings.warmups):
            _repeat(bench, proxy, settings.commands, i, undelayed)
        proxy.delay_ms = settings.delay_ms
        link = link_check(proxy, settings.delay_ms)
        started = time.monotonic()
        for i in range(settings.repeats):
            _repeat(bench, proxy, settings.commands, i, samples)
            progress(
                f"    latency/{reg.backend}: repeat {i + 1}/{settings.repeats} "
                f"({time.monotonic() - started:.0f} s)"
            )
    return {
        "link": link,
        "commands": {
            command: _command(command, samples, undelayed, settings.delay_ms)
            for command in settings.commands
        },
    }


def _repeat(
    bench: Bench, proxy: LinkProxy, commands: tuple[str, ...], i: int, into: Samples
) -> None:
    """Every command once per contender, in an order that alternates with `i`."""
    order = CONTENDERS if i % 2 == 0 else tuple(reversed(CONTENDERS))
    for command in commands:
        for contender in order:
            into.setdefault((command, contender), []).append(
                _once(bench, proxy, command, contender)
            )


def _once(bench: Bench, proxy: LinkProxy, command: str, contender: str) -> tuple[float, list[Call]]:
    action = bench.prepare(command, contender)  # set-up: straight to the server
    time.sleep(IDLE_BEFORE_S)
    with proxy.recording() as calls:
        t0 = time.perf_counter()
        action()
        took = time.perf_counter() - t0
    return took, list(calls)


def link_check(proxy: LinkProxy, delay_ms: int, width: int = 4) -> dict[str, Any]:
    """That the link delays calls made at once at once: `width` concurrent requests
    (`GET /health`, one connection each) should take about one delay, not `width`."""
    host, port = proxy.url.removeprefix("http://").split(":")

    def call() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            conn.request("GET", "/health")
            conn.getresponse().read()
        finally:
            conn.close()

    t0 = time.perf_counter()
    call()
    one = time.perf_counter() - t0
    threads = [threading.Thread(target=call) for _ in range(width)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    many = time.perf_counter() - t0
    return {
        "one_call_ms": round(one * 1000, 1),
        "concurrent": width,
        "concurrent_ms": round(many * 1000, 1),
        # 1 when they waited side by side, `width` when one after another
        "in_delays": r2(many * 1000 / delay_ms) if delay_ms else None,
        "side_by_side": many * 1000 < 2 * delay_ms if delay_ms else None,
    }


def _command(
    command: str,
    samples: Samples,
    undelayed: Samples,
    delay_ms: int,
) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    for contender in CONTENDERS:
        runs = samples[(command, contender)]
        walls = [took for took, _ in runs]
        wall_ms = median(walls) * 1000
        entry[contender] = {
            "wall_ms": round(wall_ms, 1),
            "wall_runs_ms": [round(w * 1000, 1) for w in walls],
            # The most calls of a run: the state that costs most (6 stale tags to shed),
            # which every contender meets, through the link and at 0 ms alike.
            "calls": max(len(calls) for _, calls in runs),
            "calls_runs": [len(calls) for _, calls in runs],
            "calls_at_0_ms": max(len(calls) for _, calls in undelayed[(command, contender)]),
            "rounds": r2(wall_ms / delay_ms) if delay_ms else None,
            "in_a_row": round(median([len(latency_path.in_a_row(calls)) for _, calls in runs])),
            "most_in_flight": max(latency_path.most_in_flight(calls) for _, calls in runs),
            "timeline": _timeline(runs[-1][1]),
        }
    promobot, floor = samples[(command, "promobot")], samples[(command, "floor")]
    path = len(latency_path.CRITICAL_PATH[command])
    rounds = entry["promobot"]["rounds"]
    last_calls = [c.call for c in promobot[-1][1]]
    entry.update(
        {
            "over_floor": r2(median([p[0] / f[0] for p, f in zip(promobot, floor, strict=True)])),
            "critical_path": path,
            "rounds_over_path": r2(rounds / path) if rounds is not None else None,
            "unlisted_calls": latency_path.unlisted(command, last_calls),
        }
    )
    return entry


def _timeline(calls: list[Call]) -> list[list[Any]]:
    """[call, arrived ms, answered ms], from the first call's arrival, by arrival;
    the calls in a row marked with a `*`."""
    if not calls:
        return []
    t0 = min(c.start for c in calls)
    chain = {id(c) for c in latency_path.in_a_row(calls)}
    return [
        [
            ("* " if id(c) in chain else "  ") + c.call,
            round((c.start - t0) * 1000, 1),
            round((c.end - t0) * 1000, 1),
        ]
        for c in sorted(calls, key=lambda c: c.start)
    ]


# ---- the table and the targets ------------------------------------------------------------


def targets(part: dict[str, Any]) -> list[tuple[str, Any, str, bool]]:
    found: list[tuple[str, Any, str, bool]] = []
    for backend, entry in part.get("backends", {}).items():
        for command, c in entry.get("commands", {}).items():
            p, f = c["promobot"], c["floor"]
            where = f"{backend} {command} through {part['delay_ms']} ms"
            limit = TARGETS["over_floor"]
            found.append(
                (
                    f"{where}: wall / floor's",
                    c["over_floor"],
                    f"≤ {limit}",
                    c["over_floor"] <= limit,
                )
            )
            most = TARGETS["rounds_over_path"] * c["critical_path"]
            found.append(
                (
                    f"{where}: rounds / critical path",
                    f"{p['rounds']} / {c['critical_path']}",
                    f"≤ {most:.1f} rounds",
                    p["rounds"] is not None and p["rounds"] <= most,
                )
            )
            found.append(
                (
                    f"{where}: REST calls, most of a run (at 0 ms; floor)",
                    f"{p['calls']} ({p['calls_at_0_ms']}; {f['calls']})",
                    "≤ at 0 ms, ≤ floor + 2",
                    p["calls"] <= p["calls_at_0_ms"] and p["calls"] <= f["calls"] + 2,
                )
            )
    return found


def lines(part: dict[str, Any] | None) -> list[str]:
    if not part:
        return []
    out = [
        f"[latency] every MLflow call delayed {part['delay_ms']} ms (a cross-zone round trip), "
        f"promobot and the floor side by side; medians of {part['repeats']} repeats; "
        "rounds = wall ÷ delay; in a row = calls begun after the one before was answered",
        f"  {'':<11}{'command':<9}{'promobot':>10}{'floor':>9}{'ratio':>7}{'calls':>7}"
        f"{'0 ms':>6}{'floor':>7}{'rounds':>8}{'floor':>7}{'in a row':>10}{'path':>6}"
        f"{'at once':>9}",
    ]
    for backend, entry in part.get("backends", {}).items():
        if "commands" not in entry:
            out.append(f"  {backend}: {entry}")
            continue
        for command, c in entry["commands"].items():
            p, f = c["promobot"], c["floor"]
            out.append(
                f"  {backend:<11}{command:<9}{p['wall_ms']:>7,.0f} ms{f['wall_ms']:>6,.0f} ms"
                f"{c['over_floor']:>7.2f}{p['calls']:>7}{p['calls_at_0_ms']:>6}{f['calls']:>7}"
                f"{p['rounds']:>8.1f}{f['rounds']:>7.1f}{p['in_a_row']:>10}"
                f"{c['critical_path']:>6}{p['most_in_flight']:>9}"
            )
            if c["unlisted_calls"]:
                out.append(f"    calls no step of the path names: {c['unlisted_calls']}")
        link = entry["link"]
        out.append(
            f"    the link: one call {link['one_call_ms']} ms; {link['concurrent']} at once "
            f"{link['concurrent_ms']} ms = {link['in_delays']} delays"
        )
    out.append("  critical path (rounds; calls in one round ‖):")
    for command in part.get("critical_path", {}):
        out.append(f"    {command}: {latency_path.shown(command)}")
    out.append("")
    return out
