"""A long history's cost once compacted (`python -m bench --only history`; issue 22).

One model (bench/seed.py's 10-version `bench-classifier`) with 10 and with 10,000 past
executions (bench/history_seed.py: promobot's own records, cloned into the past), then
compacted (`compact_directly`: promobot's split, pages and mark; the deletes in SQL, as
10,000 executions' worth of MLflow deletes take hours). Each shape behind a real `mlflow
server` (SQLite); the commands run in this process through promobot's Service, as the
CLI runs them:

    status    `status bench-classifier`
    promote   staging, A ↔ B in turn (no approval)
    approve   of a production request made just before (untimed), C ↔ D in turn
    rollback  staging, break-glass (carol)
    audit     one audit pass as serve runs it: every governed model's drift, then compact

Both servers run at once and each command is timed on them in turn (median ms over
repeats), so the machine's busy moments fall on both shapes alike; counted through
bench/rest_calls.py's proxy (one run each): the REST calls, and the bytes of their
answers, `registered-models/get` included. Targets (the issue's): wall time and bytes
read at 10,000 ≤ 1.2× at 10; REST calls equal.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import paths, seed
from bench.history_seed import add_past_executions, compact_directly
from bench.rest_calls import CountingProxy
from bench.stats import median, r2

paths.add_tests()

from servers import MlflowServer  # noqa: E402  (tests/servers.py)

SHAPES = (10, 10_000)
COMMANDS = ("status", "promote", "approve", "rollback", "audit")
LIMIT = 1.2
REASONS = itertools.count(1)  # shared by every Commands of the run: no reason twice


class Commands:
    """The five commands on one seeded model; promote and approve move in the version of
    a pair (A, B in Staging; C, D in Production) that does not hold the stage now."""

    def __init__(self, uri: str, roles: dict[str, int]) -> None:
        from bot.adapters.mlflow.gateway import Registry
        from bot.core.policy import load_policy
        from bot.core.service import Service

        self.service = Service(Registry(uri), load_policy(paths.POLICY))
        self.roles = roles
        # Each command's reason is its own: an execution then always appends its line to
        # the version's description (an identical line, same minute and words, is
        # skipped, which would make one run's REST calls differ from another's by chance).

    def _do(self, text: str, actor: str, want: str = "done") -> str:
        from bot.core.commands import parse
        from bot.core.service import Context

        parsed = parse(text)
        assert parsed.command is not None, parsed.reply
        result = self.service.handle(parsed.command, Context(actor=actor))
        if result.status != want:
            raise RuntimeError(f"history bench: `{text}` gave {result.status}: {result.reasons}")
        return result.request_id or ""

    def prepare(self, name: str) -> Callable[[], object]:
        """What the timed call is; anything before it (the request an approve needs) is
        done here, untimed."""
        m = seed.MODEL
        why = f"bench {next(REASONS)}"
        if name == "status":
            return lambda: self._do(f"status {m}", "cli:bob")
        if name == "promote":
            v = self._other("Staging", "A", "B")
            return lambda: self._do(f"promote {m} v{v} staging {why}", "cli:bob")
        if name == "approve":
            v = self._other("Production", "C", "D")
            rid = self._do(f"promote {m} v{v} production {why}", "cli:bob", "pending")
            return lambda: self._do(f"approve {rid} {why}", "cli:alice")
        if name == "rollback":
            return lambda: self._do(f"rollback {m} staging {why}", "cli:carol")
        return self._audit

    def _other(self, stage: str, one: str, two: str) -> int:
        """Of a pair of versions, the one not in `stage` now (read untimed: the timed and
        the counted runs share the model)."""
        info = self.service.registry.get_model(seed.MODEL)
        assert info is not None
        now = info.stage_latest.get(stage)
        return self.roles[two] if now == self.roles[one] else self.roles[one]

    def _audit(self) -> None:
        self.service.drift_scan.report_all()
        for _ in self.service.compact([]):
            pass


@dataclass
class _Shape:
    """A registry with its past executions, compacted, behind a server of its own."""

    server: MlflowServer
    roles: dict[str, int]
    moved: int  # records compact_directly moved to the ledger


def _seeded(past: int, workdir: Path, say: Callable[[str], None]) -> _Shape:
    """A server on a registry with `past` past executions, compacted."""
    uri, seeded = seed.sqlite_registry(seed.SMALL, workdir / f"past-{past}")
    add_past_executions(uri, seed.MODEL, past)
    moved = compact_directly(uri, seed.MODEL)
    say(f"history: {past} past executions seeded, {moved} records moved to the ledger")
    server = MlflowServer(backend_uri=uri, workdir=workdir / f"server-{past}").start()
    return _Shape(server, seeded.roles, moved)


def _counted(commands: Commands, proxy: CountingProxy) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for name in COMMANDS:
        call = commands.prepare(name)
        with proxy.recording() as calls:
            call()
        rows[name] = {
            "calls": len(calls),
            "bytes": sum(c.bytes for c in calls),
            "get_bytes": sum(c.bytes for c in calls if "registered-models/get" in c.call),
            "rest": [c.call for c in calls],
        }
    return rows


def _timed(commands: Commands, name: str) -> float:
    """ms of one `name` (what it needs first is done untimed)."""
    call = commands.prepare(name)
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def _settle(timed: dict[int, Commands], say: Callable[[str], None]) -> None:
    """Wait until both servers answer at their usual speed. A fresh `mlflow server`
    starts its job consumers (huey) beside its workers, and for its first 20–30 s on 2
    cores answers a read several times slower (measured: `registered-models/search` 155
    ms, then 12 ms): timed then, a shape would pay for its server's start-up instead of
    its history. Each command runs once untimed first; then `status` on each server until
    its last 6 answers' median is within 1.3× of the best seen (at most 90 s)."""
    for commands in timed.values():
        for name in COMMANDS:
            commands.prepare(name)()
    started = time.monotonic()
    seen: dict[int, list[float]] = {past: [] for past in timed}
    while time.monotonic() - started < 90:
        for past, commands in timed.items():
            seen[past].append(_timed(commands, "status"))
        settled = all(len(t) >= 6 and median(t[-6:]) <= 1.3 * min(t) for t in seen.values())
        if settled and time.monotonic() - started >= 10:
            break
        time.sleep(0.5)
    say(f"history: servers settled after {time.monotonic() - started:.0f} s")


def run(workdir: Path, repeats: int = 5, progress: Callable[[str], None] = print) -> dict:
    """Both shapes' servers up at once, and each command timed on them in turn (10, then
    10,000, then 10 …): a busy moment of the machine costs both shapes alike, instead of
    whichever shape happened to run then."""
    made: dict[int, _Shape] = {}
    try:
        for past in SHAPES:
            made[past] = _seeded(past, workdir, progress)
        timed = {past: Commands(made[past].server.url, made[past].roles) for past in SHAPES}
        _settle(timed, progress)
        times: dict[int, dict[str, list[float]]] = {p: {n: [] for n in COMMANDS} for p in SHAPES}
        for name in COMMANDS:
            for _ in range(repeats):
                for past in SHAPES:
                    times[past][name].append(_timed(timed[past], name))
        shapes = {}
        for past in SHAPES:
            with CountingProxy(made[past].server.url) as proxy:
                rows = _counted(Commands(proxy.url, made[past].roles), proxy)
            for name in COMMANDS:
                rows[name] = {
                    "ms": r2(median(times[past][name])),
                    "runs_ms": [r2(t) for t in times[past][name]],
                    **rows[name],
                }
            info = timed[past].service.registry.get_model(seed.MODEL)
            shapes[str(past)] = {
                "past_executions": past,
                "moved": made[past].moved,
                "model_tags": len(info.tags) if info else None,
                "rows": rows,
            }
    finally:
        for shape in made.values():
            shape.server.stop()
    small, large = shapes[str(SHAPES[0])]["rows"], shapes[str(SHAPES[1])]["rows"]
    ratios = {
        name: {
            "ms": r2(large[name]["ms"] / small[name]["ms"]) if small[name]["ms"] else None,
            "bytes": r2(large[name]["bytes"] / small[name]["bytes"])
            if small[name]["bytes"]
            else None,
            "calls_equal": large[name]["calls"] == small[name]["calls"],
        }
        for name in COMMANDS
    }
    return {
        "repeats": repeats,
        "interleaved": True,
        "shapes": shapes,
        "ratios": ratios,
        "limit": LIMIT,
    }


def targets(part: dict[str, Any]) -> list[tuple[str, Any, str, bool | None]]:
    """(target, figure, limit, met) for bench/report.py."""
    checks: list[tuple[str, Any, str, bool | None]] = []
    for name, ratio in part.get("ratios", {}).items():
        for what in ("ms", "bytes"):
            figure = ratio.get(what)
            met = None if figure is None else figure <= LIMIT
            checks.append((f"history: {name} {what} 10,000 ÷ 10", figure, f"≤ {LIMIT}", met))
        equal = ratio.get("calls_equal")
        checks.append((f"history: {name} REST calls 10,000 vs 10", equal, "equal", equal))
    return checks


def table_lines(part: dict[str, Any] | None) -> list[str]:
    if not part:
        return []
    shapes = part.get("shapes", {})
    small, large = (shapes.get(str(p), {}).get("rows", {}) for p in SHAPES)
    lines = [
        "[history] one model with 10 and 10,000 past executions, compacted; "
        f"median ms of {part.get('repeats')} repeats, REST calls and bytes read (one run)",
        f"  {'command':<10}{'ms 10':>9}{'ms 10k':>9}{'×':>6}"
        f"{'bytes 10':>11}{'bytes 10k':>11}{'×':>6}{'calls':>11}",
    ]
    for name in COMMANDS:
        a, b = small.get(name, {}), large.get(name, {})
        ratio = part.get("ratios", {}).get(name, {})
        lines.append(
            f"  {name:<10}{a.get('ms')!s:>9}{b.get('ms')!s:>9}{ratio.get('ms')!s:>6}"
            f"{a.get('bytes')!s:>11}{b.get('bytes')!s:>11}{ratio.get('bytes')!s:>6}"
            f"{str(a.get('calls')) + '/' + str(b.get('calls')):>11}"
        )
    return lines
