"""Figures 1 and 2: promobot's commands against the raw floor, and small against large.

For every repeat, every command runs once per (registry, contender) slot — promobot
through an in-process Service, the floor through raw MlflowClient calls (bench/floor.py)
— in an order that rotates with the repeat, so drift and noise on the machine fall on
all of them alike. Figures are medians of the ratios of runs taken side by side.

Each timed run is preceded by untimed set-up that puts the registry in the state the
command needs (a pending request to approve, a promotion to roll back, the other
version to promote) and is checked afterwards (promobot must answer "done", not
"already" or "refused"), so a run never measures a no-op.

The REST calls are counted separately, through a recording proxy (bench/rest_calls.py),
one run of each command per contender and registry, with the call list in order.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.env import Registry as Reg
from bench.floor import Floor
from bench.rest_calls import CountingProxy
from bench.stats import median, ms, r2

COMMANDS = ("promote", "approve", "rollback", "status")
CONTENDERS = ("promobot", "floor")

REQUESTER, APPROVER, ONCALL = "cli:bob", "cli:alice", "cli:carol"

# Every timed command starts from an idle connection, as a chat command does. It matters:
# on a kept-alive connection to `mlflow server` (uvicorn) a call made right after another
# waits ~40 ms more (delayed ACK against Nagle; docs/performance.md), so without the pause
# a command's first call would be fast or slow depending on what ran just before it.
IDLE_BEFORE_S = 0.2


class BenchError(RuntimeError):
    """A command did not do what the benchmark set it up to do."""


def _now() -> datetime:
    return datetime.now(UTC)


class Bench:
    """One registry, driven by promobot and by the floor; set-up always goes direct."""

    def __init__(self, reg: Reg, policy: Any, via: str | None = None) -> None:
        from mlflow import MlflowClient

        from bot.adapters.mlflow.gateway import Registry
        from bot.core.service import Service

        self.reg = reg
        self.model = reg.seeded.model
        self.roles = reg.seeded.roles
        url = via or reg.url
        self.service = Service(Registry(url), policy)
        self.floor = Floor(MlflowClient(tracking_uri=url, registry_uri=url), policy)
        self.setup = Service(Registry(reg.url), policy)  # direct, never counted
        self.reader = Floor(MlflowClient(tracking_uri=reg.url, registry_uri=reg.url), policy)
        self.runs = 0

    def reason(self, what: str) -> str:
        """A reason no earlier run gave: the description line differs every time, so the
        idempotent description update never skips its write for one run and not another."""
        self.runs += 1
        return f"bench {what} {self.runs}"

    # ---- promobot, as a door would call it ---------------------------------------------

    def handle(self, service: Any, text: str, actor: str) -> Any:
        from bot.core.commands import parse
        from bot.core.service import Context

        parsed = parse(text)
        if parsed.command is None:
            raise BenchError(f"{text!r} does not parse: {parsed.reply}")
        return service.handle(parsed.command, Context(actor=actor))

    def expect(self, result: Any, status: str, text: str) -> Any:
        if result.status != status or result.already:
            raise BenchError(
                f"{self.reg.backend}/{self.reg.label}: `{text}` gave {result.status}"
                f"{' (already)' if result.already else ''}: {result.reasons or result.message}"
            )
        return result

    def run(self, text: str, actor: str, status: str = "done", service: Any = None) -> Any:
        return self.expect(self.handle(service or self.service, text, actor), status, text)

    def other(self, pair: tuple[int, int], stage: str) -> int:
        holder = self.reader.read_model(self.model).holder(stage)
        return pair[1] if holder == pair[0] else pair[0]

    # ---- the commands: set-up (untimed), then the action to time -----------------------------

    def prepare(self, command: str, contender: str) -> Callable[[], object]:
        return getattr(self, f"_prepare_{command}")(contender)

    def standing_request(self) -> str:
        """An open request that stays pending all along, so that status has one to show."""
        text = f"promote {self.model} v{self.roles['A']} production standing request"
        return self.run(text, REQUESTER, "pending", self.setup).request_id

    def _prepare_promote(self, contender: str) -> Callable[[], object]:
        number = self.other((self.roles["A"], self.roles["B"]), "Staging")
        reason = self.reason("promote")
        text = f"promote {self.model} v{number} staging {reason}"
        if contender == "promobot":
            return lambda: self.run(text, REQUESTER)
        return lambda: self.floor.promote(
            self.model,
            number,
            "staging",
            REQUESTER,
            reason,
            now=_now(),
            request_id=_request_id(self.model, "staging"),
        )

    def _prepare_approve(self, contender: str) -> Callable[[], object]:
        number = self.other((self.roles["C"], self.roles["D"]), "Production")
        asked = f"promote {self.model} v{number} production {self.reason('approve')}"
        request_id = self.run(asked, REQUESTER, "pending", self.setup).request_id
        text = f"approve {request_id} lgtm"
        if contender == "promobot":
            return lambda: self.run(text, APPROVER)
        return lambda: self.floor.approve(request_id, APPROVER, "lgtm", now=_now())

    def _prepare_rollback(self, contender: str) -> Callable[[], object]:
        number = self.other((self.roles["A"], self.roles["B"]), "Staging")
        ask = f"promote {self.model} v{number} staging to roll back"
        self.run(ask, REQUESTER, "done", self.setup)
        reason = self.reason("rollback")
        text = f"rollback {self.model} staging {reason}"
        if contender == "promobot":
            return lambda: self.run(text, ONCALL)
        return lambda: self.floor.rollback(
            self.model,
            "staging",
            ONCALL,
            reason,
            now=_now(),
            request_id=_request_id(self.model, "staging"),
        )

    def _prepare_status(self, contender: str) -> Callable[[], object]:
        text = f"status {self.model}"
        if contender == "promobot":
            return lambda: self.run(text, REQUESTER)
        return lambda: self.floor.status(self.model, _now())


def _request_id(model: str, target_key: str) -> str:
    """An id of promobot's shape, so the floor's tag keys are as long as promobot's."""
    from bot.core.service import new_request_id
    from bot.core.state import mutex_bucket

    return new_request_id(mutex_bucket(model, target_key))


@dataclass
class Timings:
    # (command, registry, contender) → {repeat index: seconds}
    runs: dict[tuple[str, str, str], dict[int, float]]

    def paired(self, top: tuple[str, str, str], bottom: tuple[str, str, str]) -> list[float]:
        a, b = self.runs.get(top, {}), self.runs.get(bottom, {})
        return [a[i] / b[i] for i in sorted(a.keys() & b.keys()) if b[i] > 0]

    def values(self, key: tuple[str, str, str]) -> list[float]:
        return [v for _, v in sorted(self.runs.get(key, {}).items())]


def plan(
    labels: list[str], repeats: int, large_repeats: int, contenders_large: tuple[str, ...]
) -> list[list[tuple[str, str]]]:
    """Which (registry, contender) slots run in each repeat, in a rotating order."""
    rounds = []
    for i in range(repeats):
        slots = [("small", c) for c in CONTENDERS]
        if "large" in labels and i < large_repeats:
            slots += [("large", c) for c in contenders_large]
        shift = i % len(slots)
        order = slots[shift:] + slots[:shift]
        if (i // len(slots)) % 2:
            order.reverse()
        rounds.append(order)
    return rounds


def time_commands(
    regs: dict[str, Reg],
    policy: Any,
    commands: tuple[str, ...],
    repeats: int,
    large_repeats: int,
    contenders_large: tuple[str, ...] = ("promobot",),
    deadline: float | None = None,
    min_repeats: int = 3,
    progress: Callable[[str], None] = print,
) -> Timings:
    """Time every command; the caller warms up first (count_calls does). Past
    `deadline` (time.monotonic()), stop after the repeat under way, once `min_repeats`
    are done: the machine is slower than planned, and fewer repeats beat no figures."""
    benches = {label: Bench(reg, policy) for label, reg in regs.items()}
    runs: dict[tuple[str, str, str], dict[int, float]] = {}
    started = time.monotonic()
    for i, order in enumerate(plan(list(regs), repeats, large_repeats, contenders_large)):
        for command in commands:
            for label, contender in order:
                action = benches[label].prepare(command, contender)
                time.sleep(IDLE_BEFORE_S)
                t0 = time.perf_counter()
                action()
                took = time.perf_counter() - t0
                runs.setdefault((command, label, contender), {})[i] = took
        progress(f"    repeat {i + 1}/{repeats} ({time.monotonic() - started:.0f} s)")
        if deadline is not None and i + 1 >= min_repeats and time.monotonic() > deadline:
            if i + 1 < repeats:
                progress(f"    stopping after {i + 1} repeats: the time budget is spent")
            break
    return Timings(runs)


def count_calls(
    reg: Reg, policy: Any, commands: tuple[str, ...], contenders: tuple[str, ...]
) -> dict[str, Any]:
    """One run of each command per contender through the recording proxy. Also the
    warm-up: every code path and both servers have run once before anything is timed."""
    out: dict[str, Any] = {}
    with CountingProxy(reg.url) as proxy:
        bench = Bench(reg, policy, via=proxy.url)
        bench.standing_request()
        # Warm the server (its first queries, a new database's connection pool) and this
        # process before anything is recorded: one cheap run of every contender.
        for contender in contenders:
            bench.prepare("status", contender)()
        for command in commands:
            out[command] = {}
            for contender in contenders:
                action = bench.prepare(command, contender)
                t0 = time.perf_counter()
                with proxy.recording() as calls:
                    action()
                took = time.perf_counter() - t0
                out[command][contender] = {
                    "count": len(calls),
                    "calls": [c.call for c in calls],
                    "server_ms": [c.ms for c in calls],
                    "server_ms_total": round(sum(c.ms for c in calls), 1),
                    "wall_ms_via_proxy": ms(took),
                }
    return out


def profile_commands(
    regs: dict[str, Reg], policy: Any, commands: tuple[str, ...], dest: Path
) -> tuple[list[Path], dict[str, Any]]:
    """pyinstrument profiles of promobot's commands (`pip install pyinstrument`), and how
    much of each command's wall time is spent waiting on MLflow's HTTP calls (timed by
    wrapping mlflow.utils.rest_utils.http_request: a stopwatch, not a mock)."""
    import mlflow.utils.rest_utils as rest_utils
    from pyinstrument import Profiler

    original = rest_utils.http_request
    waited = [0.0]

    def timed_http_request(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            waited[0] += time.perf_counter() - t0

    dest.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    shares: dict[str, Any] = {}
    rest_utils.http_request = timed_http_request
    try:
        for label, reg in regs.items():
            bench = Bench(reg, policy)
            runs = 3 if label == "small" else 1
            for command in commands:
                profiler = Profiler(interval=0.001)
                wall = in_http = 0.0
                for _ in range(runs):
                    action = bench.prepare(command, "promobot")  # set-up: not counted
                    before = waited[0]
                    profiler.start()
                    t0 = time.perf_counter()
                    action()
                    wall += time.perf_counter() - t0
                    profiler.stop()
                    in_http += waited[0] - before
                path = dest / f"{reg.backend}-{label}-{command}.txt"
                path.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
                written.append(path)
                shares[f"{label} {command}"] = {
                    "wall_ms_per_run": ms(wall / runs),
                    "in_mlflow_http_ms_per_run": ms(in_http / runs),
                    "outside_http_ms_per_run": ms((wall - in_http) / runs),
                }
    finally:
        rest_utils.http_request = original
    return written, shares


def summarise(timings: Timings, labels: list[str], commands: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for command in commands:
        entry: dict[str, Any] = {}
        for label in labels:
            p, f = (command, label, "promobot"), (command, label, "floor")
            if p not in timings.runs:
                continue
            entry[label] = {
                "promobot_ms": ms(median(timings.values(p))),
                "floor_ms": ms(median(timings.values(f))) if f in timings.runs else None,
                "overhead": r2(median(timings.paired(p, f))) if f in timings.runs else None,
                "runs": len(timings.runs[p]),
                "promobot_runs_ms": [ms(x) for x in timings.values(p)],
                "floor_runs_ms": [ms(x) for x in timings.values(f)],
            }
        if "large" in entry:
            entry["scale"] = {
                contender: r2(
                    median(
                        timings.paired((command, "large", contender), (command, "small", contender))
                    )
                )
                for contender in CONTENDERS
                if (command, "large", contender) in timings.runs
            }
        out[command] = entry
    return out
