"""Figure 6: what verification costs — one pass at 10 and 10,000 versions, and the time
from a model's exporter turning bad to promobot's rollback being done.

One governed target under verification: `bench-classifier`'s Production, onto which the
part promotes version C (the seeded holder D is what it replaced) under
bench/verify_policy.yaml (two checks, every 1 s, 3 failures in a row roll it back). A
real Prometheus (the binary, 1 s scrape) scrapes a `prometheus_client` exporter the part
controls (tests/prometheus_servers.py). The registries are copies of the seeded SQLite
templates served by their own `mlflow server`s (bench/env.py), so the promotions and
rollbacks made here never reach the registries the other parts measure.

    pass      `Service.verify()`: what `promobot verify` and each `promobot serve` pass
              run (list the registered models, read each governed one, then each due
              target under its lock)
    target    `Verifier.run_target()`: the part of the pass that is per governed target

MLflow REST calls are counted at the HTTP level (bench/rest_calls.py), and Prometheus
HTTP calls through the same recording proxy in front of Prometheus. Times are medians
over repeats taken against the servers directly, in an order that rotates between the
registries, each run once the verification is due again (`every`).

The rollback: `promobot serve`'s own pass loop (bot/doors/passes/verification.py VerifyPass,
every PROMOBOT_VERIFY_SECONDS = 1 s) runs while the figures are good, for a random
1.5–2.5 s (so the change lands anywhere in the loop's cycle); then the exporter turns
the error rate bad, and the clock runs until the pass that rolled the target back to D
returns (the holder is checked to be D). Also measured: when Prometheus first answered
the bad figure (the scrape's share).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import paths
from bench.drift_bench import _patient as patient  # MLflow's timeout raised for set-up
from bench.registry_bench import IDLE_BEFORE_S, BenchError
from bench.rest_calls import CountingProxy
from bench.stats import median, median_ratio, ms, r2

paths.add_tests()

POLICY = paths.BENCH / "verify_policy.yaml"
GOOD, BAD = 0.001, 0.071  # error rates either side of the check's `< 0.02`
LISTING = "GET registered-models/search [name LIKE]"  # the pass's listing (policy names)
KINDS = ("pass", "target")
SETTLE_S = (1.5, 2.5)  # good figures under the serve loop first, for a random while


@dataclass
class Subject:
    """One registry's watched target: C holds Production, D is what it replaced."""

    label: str
    url: str
    model: str
    watched: int  # C
    previous: int  # D
    versions: int


def subject_of(label: str, reg: Any) -> Subject:
    roles = reg.seeded.roles
    return Subject(label, reg.url, reg.seeded.model, roles["C"], roles["D"], reg.shape.versions)


def service_for(mlflow_url: str, prometheus_url: str) -> Any:
    from bot.adapters.mlflow.gateway import Registry
    from bot.adapters.prometheus import PrometheusClient
    from bot.core.policy import load_policy
    from bot.core.service import Outside, Service

    client = PrometheusClient(prometheus_url, timeout_s=5)
    return Service(Registry(mlflow_url), load_policy(POLICY), outside=Outside(prometheus=client))


def holder_of(service: Any, model: str) -> int | None:
    from bot.core.commands import Target
    from bot.core.service.common import holder

    info = service.registry.get_model(model)
    return None if info is None else holder(info, Target("stage", "Production"))


def watch(service: Any, subject: Subject) -> None:
    """C onto Production, as a person promotes it: the verification starts."""
    from bot.core.commands import parse
    from bot.core.service import Context

    if holder_of(service, subject.model) == subject.watched:
        return
    parsed = parse(f"promote {subject.model} v{subject.watched} production watched")
    assert parsed.command is not None, parsed.reply
    with patient():  # set-up, not measured: O(versions) writes on a loaded machine
        result = service.handle(parsed.command, Context(actor="cli:bob"))
    if result.status != "done":
        raise BenchError(f"{subject.label}: promote gave {result.status}: {result.reasons}")


def one(service: Any, subject: Subject, kind: str) -> None:
    """One run of the verification, checked to have run its checks and still be running."""
    if kind == "pass":
        outcomes = service.verify().outcomes
    else:
        found = service.verifier.run_target(subject.model, "production")
        outcomes = [found] if found is not None else []
    states = [(o.version, o.state) for o in outcomes]
    if states != [(subject.watched, "running")]:
        raise BenchError(f"{subject.label}: {kind} ran {states}, expected one running run")


class Due:
    """Waits until a registry's verification is due again (`every` = 1 s since its last
    run), and at least the 0.2 s idle every timed run starts after."""

    def __init__(self, every_s: float = 1.0) -> None:
        self.every_s = every_s + 0.05
        self.last: dict[str, float] = {}

    def wait(self, label: str) -> None:
        since = time.monotonic() - self.last.get(label, 0.0)
        time.sleep(max(IDLE_BEFORE_S, self.every_s - since))

    def ran(self, label: str) -> None:
        self.last[label] = time.monotonic()


def count_calls(subject: Subject, prometheus_url: str, due: Due) -> dict[str, Any]:
    """One pass and one target run through the recording proxies (after a warm-up)."""
    out: dict[str, Any] = {}
    with CountingProxy(subject.url) as mlflow, CountingProxy(prometheus_url) as prom:
        service = service_for(mlflow.url, prom.url)
        for kind in ("warm-up", *KINDS):
            due.wait(subject.label)
            with mlflow.recording() as calls, prom.recording() as queries:
                t0 = time.perf_counter()
                one(service, subject, "pass" if kind == "warm-up" else kind)
                took = time.perf_counter() - t0
            due.ran(subject.label)
            if kind == "warm-up":
                continue
            out[kind] = {
                "mlflow": {
                    "count": len(calls),
                    "calls": [c.call for c in calls],
                    "server_ms": [c.ms for c in calls],
                    "server_ms_total": round(sum(c.ms for c in calls), 1),
                },
                "prometheus": {"count": len(queries), "calls": [c.call for c in queries]},
                "wall_ms_via_proxy": ms(took),
            }
    return out


def time_runs(
    subjects: dict[str, Subject], prometheus_url: str, repeats: int, due: Due
) -> dict[str, Any]:
    """Median ms of a pass and of a target run per registry, order rotating."""
    services = {label: service_for(s.url, prometheus_url) for label, s in subjects.items()}
    labels = list(subjects)
    runs: dict[tuple[str, str], list[float]] = {}
    for i in range(repeats):
        order = labels[i % len(labels) :] + labels[: i % len(labels)]
        for kind in KINDS:
            for label in order:
                due.wait(label)
                t0 = time.perf_counter()
                one(services[label], subjects[label], kind)
                runs.setdefault((kind, label), []).append(time.perf_counter() - t0)
                due.ran(label)
    out: dict[str, Any] = {}
    for kind in KINDS:
        entry: dict[str, Any] = {
            label: {"ms": ms(median(runs[(kind, label)])), "runs": len(runs[(kind, label)])}
            for label in labels
        }
        if "large" in labels and "small" in labels:
            entry["scale"] = r2(median_ratio(runs[(kind, "large")], runs[(kind, "small")]))
        out[kind] = entry
    return out


# ---- the rollback ------------------------------------------------------------------------


@dataclass
class Watcher:
    """What `promobot serve`'s pass loop calls (`services().verify()`), noting when the
    pass that rolled the target back returned, and when each pass after `bad_at` ended."""

    service: Any
    bad_at: float | None = None
    done_at: float | None = None
    done_pass_s: float | None = None
    rolled_back_to: int | None = None
    passes: list[float] = field(default_factory=list)

    def verify(self) -> Any:
        t0 = time.monotonic()
        report = self.service.verify()
        now = time.monotonic()
        if self.bad_at is not None:
            self.passes.append(now)
        failed = [o for o in report.outcomes if o.state == "failed"]
        if failed and self.done_at is None:
            self.done_at, self.done_pass_s = now, now - t0
            self.rolled_back_to = failed[0].rolled_back_to
        return report


@contextmanager
def serve_loop(watcher: Watcher, interval: float) -> Iterator[None]:
    from bot.doors.passes.verification import VerifyPass

    loop = VerifyPass(lambda: watcher, interval)  # type: ignore[arg-type, return-value]
    loop.start()
    try:
        yield
    finally:
        loop.stop()
        loop.join(timeout=60)


def first_seen(prometheus: Any, expr: str, value: float, timeout: float = 10.0) -> float | None:
    """When Prometheus first answers `value` for `expr` (polled every 50 ms)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = prometheus.query(expr)["data"]["result"]
        if len(result) == 1 and abs(float(result[0]["value"][1]) - value) < 1e-9:
            return time.monotonic()
        time.sleep(0.05)
    return None


@dataclass(frozen=True)
class Live:
    """The exporter and the Prometheus scraping it."""

    exporter: Any
    prometheus: Any

    def error_rate(self, subject: Subject, version: int, value: float) -> str:
        self.exporter.set(subject.model, version, error_rate=value)
        return f'model_error_rate{{model="{subject.model}",version="{version}"}}'

    def good(self, subject: Subject) -> None:
        for version in (subject.watched, subject.previous):
            self.prometheus.wait_for(self.error_rate(subject, version, GOOD), GOOD)


def one_rollback(
    subject: Subject, live: Live, rng: random.Random, settle: tuple[float, float] = SETTLE_S
) -> dict[str, Any]:
    """Good figures under the serve loop, then bad: seconds until the rollback is done."""
    service = service_for(subject.url, live.prometheus.url)
    live.good(subject)
    watch(service, subject)  # after a rollback, D holds it: a person promotes C again
    watcher = Watcher(service)
    with serve_loop(watcher, interval=1.0):
        time.sleep(rng.uniform(*settle))
        watcher.bad_at = bad_at = time.monotonic()
        expr = live.error_rate(subject, subject.watched, BAD)
        seen = first_seen(live.prometheus, expr, BAD)
        deadline = bad_at + 60
        while watcher.done_at is None and time.monotonic() < deadline:
            time.sleep(0.02)
    live.error_rate(subject, subject.watched, GOOD)
    if watcher.done_at is None or watcher.rolled_back_to != subject.previous:
        raise BenchError(f"{subject.label}: no rollback to v{subject.previous} within 60 s")
    if holder_of(service, subject.model) != subject.previous:
        raise BenchError(f"{subject.label}: the pass said rolled back, Production is not D")
    return {
        "rolled_back_s": round(watcher.done_at - bad_at, 2),
        "prometheus_saw_it_s": None if seen is None else round(seen - bad_at, 2),
        "rollback_pass_s": round(watcher.done_pass_s or 0.0, 2),
        "passes_after_bad_s": [round(t - bad_at, 2) for t in watcher.passes],
    }


def rollbacks(subject: Subject, live: Live, repeats: int, bound_s: float) -> dict[str, Any]:
    rng = random.Random(6)
    runs = [one_rollback(subject, live, rng) for _ in range(repeats)]
    took = [r["rolled_back_s"] for r in runs]
    seen = [r["prometheus_saw_it_s"] for r in runs if r["prometheus_saw_it_s"] is not None]
    return {
        "median_s": r2(median(took)),
        "max_s": max(took),
        "prometheus_saw_it_median_s": r2(median(seen)),
        "rollback_pass_median_s": r2(median([r["rollback_pass_s"] for r in runs])),
        # when the pass that rolled back began: the third failure seen, the decision
        "decided_median_s": r2(median([r["rolled_back_s"] - r["rollback_pass_s"] for r in runs])),
        "bound_s": bound_s,
        "runs": runs,
    }


# ---- the part ----------------------------------------------------------------------------


@contextmanager
def live_figures(workdir: Path) -> Iterator[Live]:
    from prometheus_servers import Exporter, PrometheusServer

    exporter = Exporter()
    prometheus = PrometheusServer(workdir / "prometheus", [f"127.0.0.1:{exporter.port}"])
    try:
        prometheus.start()
        yield Live(exporter, prometheus)
    finally:
        prometheus.stop()
        exporter.stop()


def plan() -> dict[str, Any]:
    """The watched rule's verify, as the policy gives it."""
    from bot.core.policy import load_policy

    rules = load_policy(POLICY).rules_for("bench-classifier")
    assert rules is not None
    verify = rules.targets["production"].verify
    assert verify is not None
    facts = verify.plan("bench-classifier", 1, "production")
    return {
        "checks": len(facts["checks"]),
        "every_s": facts["every_s"],
        "failures": facts["failures"],
        "for_s": facts["for_s"],
    }


def run(
    subjects: dict[str, Subject],
    workdir: Path,
    repeats: int,
    rollback_repeats: dict[str, int],
    progress: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Counts and times of a pass per registry, and the rollbacks (`rollback_repeats`:
    how many on each registry; 0 or absent: none there)."""
    from prometheus_servers import SCRAPE_SECONDS, missing_reason, prometheus_binary

    if prometheus_binary() is None:
        return {"skipped": missing_reason()}
    facts = plan()
    bound = facts["every_s"] * facts["failures"] + 2 * SCRAPE_SECONDS
    results: dict[str, Any] = {
        "plan": facts,
        "scrape_s": SCRAPE_SECONDS,
        "versions": {label: s.versions for label, s in subjects.items()},
        "rest_calls": {},
        "rollback": {},
    }
    due = Due(facts["every_s"])
    with live_figures(workdir) as live:
        for label, subject in subjects.items():
            live.good(subject)
            watch(service_for(subject.url, live.prometheus.url), subject)
            progress(f"verify/{label}: counting MLflow and Prometheus calls of one pass")
            results["rest_calls"][label] = count_calls(subject, live.prometheus.url, due)
        progress(f"verify: timing one pass and one target run, {repeats} repeats")
        results["timings"] = time_runs(subjects, live.prometheus.url, repeats, due)
        for label, subject in subjects.items():
            count = rollback_repeats.get(label, 0)
            if count:
                progress(f"verify/{label}: exporter bad → rollback, {count} times")
                results["rollback"][label] = rollbacks(subject, live, count, bound)
    return results


def targets(part: dict[str, Any]) -> list[tuple[str, Any, str, bool]]:
    """(target, figure, limit, met) for bench/report.py."""
    if "skipped" in part:
        return []
    checks = []
    counts = part.get("rest_calls", {})
    small, large = counts.get("small", {}), counts.get("large", {})
    for kind in KINDS:
        if kind in small and kind in large:
            a, b = small[kind]["mlflow"], large[kind]["mlflow"]
            same = [c for c in a["calls"] if c != LISTING] == [
                c for c in b["calls"] if c != LISTING
            ]
            name = f"verify: one {kind}: MLflow calls, 10 → 10,000 versions"
            limit = "the same calls" + (" (the listing of models aside)" if kind == "pass" else "")
            checks.append((name, f"{a['count']} → {b['count']}", limit, same))
    checks_n = part.get("plan", {}).get("checks")
    for label, entry in counts.items():
        prom = entry.get("pass", {}).get("prometheus", {})
        if prom:
            name = f"verify: one pass ({label}): Prometheus calls"
            checks.append(
                (name, prom["count"], f"one per check ({checks_n})", prom["count"] == checks_n)
            )
    listed = [
        c
        for entry in counts.values()
        for kind in entry.values()
        for c in kind["mlflow"]["calls"]
        if "model-versions/search" in c
    ]
    if counts:
        checks.append(("verify: calls that list versions", len(listed), "0", not listed))
    small_rb = part.get("rollback", {}).get("small")
    if small_rb:
        figure = f"median {small_rb['median_s']} s, max {small_rb['max_s']} s"
        limit = f"≤ {small_rb['bound_s']} s (every × failures + 2 scrapes)"
        name = "verify: exporter bad → rolled back (10 versions)"
        checks.append((name, figure, limit, small_rb["max_s"] <= small_rb["bound_s"]))
    return checks
