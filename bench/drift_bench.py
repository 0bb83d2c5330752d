"""Figure 5: what drift detection costs — `status` and `audit` at 10 and 10,000 versions.

Drift detection reads nothing of its own. It compares the holders MLflow reports with
promobot's history, both in the one read of the model that `status` makes anyway (its
tags, aliases and the latest version of each stage), so it adds no REST call, and no
call lists the model's versions. Measured:

    status <model>        the command people type (drift leads its answer)
    status floor          the raw MlflowClient read of the same facts, without any drift
                          detection (bench/floor.py): what the read itself costs
    audit <model>         `promobot audit MODEL`
    audit                 `promobot audit`: every governed model (lists the registered
                          models, 100 a page, then reads each governed one)

against a registry where one drift is planted for the part's duration (@champion moved
to another version with a raw MlflowClient call, put back afterwards), so every run
must find it (or the part stops): a run never measures a check that found nothing to
find. REST calls are counted at the HTTP level (bench/rest_calls.py); times are medians
over repeats taken in an order that rotates between the registries, after a 0.2 s idle
(bench/registry_bench.py, IDLE_BEFORE_S); the ratio 10,000 / 10 is the median of ratios
of runs taken side by side. The comparison itself is also timed in-process on the model
as read (microseconds): that is all drift detection adds to a status. The first audit
that finds a drift also records it in the trail (the target's lock and one tag, once per
drift); the runs measured come after it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bench.registry_bench import IDLE_BEFORE_S, BenchError
from bench.rest_calls import CountingProxy
from bench.stats import median, median_ratio, ms, r2

COMMANDS = ("status", "status floor", "audit model", "audit")
DETECT_RUNS = 2000


@dataclass(frozen=True)
class Subject:
    """One registry's model, and the drift the part plants on it: `alias` moved from
    `recorded` (what promobot put there) to `other`."""

    label: str
    url: str
    model: str
    alias: str
    recorded: int
    other: int


def subject_of(label: str, reg: Any) -> Subject:
    """A seeded registry (bench/env.py): @champion, recorded on D, planted on C."""
    roles = reg.seeded.roles
    return Subject(label, reg.url, reg.seeded.model, "champion", roles["D"], roles["C"])


@contextmanager
def planted(subject: Subject) -> Iterator[None]:
    """The drift, made as a person with registry access would, and undone after."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=subject.url, registry_uri=subject.url)
    with _patient():
        client.set_registered_model_alias(subject.model, subject.alias, str(subject.other))
    try:
        yield
    finally:
        with _patient():
            client.set_registered_model_alias(subject.model, subject.alias, str(subject.recorded))


@contextmanager
def _patient() -> Iterator[None]:
    """Set-up, not measured: an alias write at 10,000 versions costs MLflow's server
    O(versions) (docs/performance.md, "Scale"), and on a loaded machine more than the
    10 s a chat command allows. MLflow's client reads the timeout at every call."""
    before = os.environ.get(_TIMEOUT)
    os.environ[_TIMEOUT] = "120"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(_TIMEOUT, None)
        else:
            os.environ[_TIMEOUT] = before


_TIMEOUT = "MLFLOW_HTTP_REQUEST_TIMEOUT"


class Driver:
    """promobot's status and audit on one registry, each run checked to find the drift."""

    def __init__(self, subject: Subject, policy: Any, url: str | None = None) -> None:
        from mlflow import MlflowClient

        from bench.floor import Floor
        from bot.adapters.mlflow.gateway import Registry
        from bot.core.service import Service

        self.subject = subject
        self.service = Service(Registry(url or subject.url), policy)
        client = MlflowClient(tracking_uri=url or subject.url, registry_uri=url or subject.url)
        self.floor = Floor(client, policy)

    def action(self, command: str) -> Callable[[], object]:
        return {
            "status": self.status,
            "status floor": lambda: self.floor.status(self.subject.model, datetime.now(UTC)),
            "audit model": lambda: self.audit([self.subject.model]),
            "audit": lambda: self.audit([]),
        }[command]

    def status(self) -> None:
        from bot.core.commands import Status
        from bot.core.service import Context

        result = self.service.handle(Status(self.subject.model), Context(actor="cli:bob"))
        self.expect("status", [(f.target, f.kind) for f in result.drift])

    def audit(self, models: list[str]) -> None:
        report = self.service.drift_scan.scan(models)
        found = [(f.target, f.kind) for f in report.findings if f.model == self.subject.model]
        self.expect("audit", found)

    def expect(self, what: str, found: list[tuple[str, str]]) -> None:
        wanted = [(f"@{self.subject.alias}", "outside")]
        if found != wanted:
            raise BenchError(f"{self.subject.label}: {what} found {found}, expected {wanted}")

    def detection_us(self, runs: int = DETECT_RUNS) -> dict[str, Any]:
        """The comparison alone, on the model as one read returns it."""
        info = self.service.registry.get_model(self.subject.model)
        assert info is not None
        audit = self.service.drift_scan
        t0 = time.perf_counter()
        for _ in range(runs):
            audit.drift(info)
        took = time.perf_counter() - t0
        return {
            "detect_us": round(took / runs * 1e6, 1),
            "versions_in_the_read": len(info.versions),
            "history_events": sum(1 for k in info.tags if k.startswith("promobot.event.")),
            "model_tags": len(info.tags),
        }


def count_calls(subject: Subject, policy: Any) -> dict[str, Any]:
    """One run of each command through the recording proxy (the first also warms up)."""
    out: dict[str, Any] = {}
    with CountingProxy(subject.url) as proxy:
        driver = Driver(subject, policy, proxy.url)
        driver.status()  # warm this process and the server before anything is recorded
        # The first audit of a drift also records it in the trail, once (a lock and a tag
        # write); what is counted is what finding it costs every time after.
        driver.audit([subject.model])
        for command in COMMANDS:
            action = driver.action(command)
            t0 = time.perf_counter()
            with proxy.recording() as calls:
                action()
            took = time.perf_counter() - t0
            out[command] = {
                "count": len(calls),
                "calls": [c.call for c in calls],
                "server_ms_total": round(sum(c.ms for c in calls), 1),
                "wall_ms_via_proxy": ms(took),
            }
    return out


def run(
    subjects: dict[str, Subject],
    policy: Any,
    repeats: int,
    progress: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Counts, times and the in-process comparison, per registry ("small", "large")."""
    results: dict[str, Any] = {"rest_calls": {}, "detection": {}, "timings": {}}
    with _all_planted(list(subjects.values())):
        for label, subject in subjects.items():
            progress(f"drift/{label}: counting REST calls")
            results["rest_calls"][label] = count_calls(subject, policy)
            results["detection"][label] = Driver(subject, policy).detection_us()
        drivers = {label: Driver(s, policy) for label, s in subjects.items()}
        runs: dict[tuple[str, str], list[float]] = {}
        labels = list(subjects)
        for i in range(repeats):
            order = labels[i % len(labels) :] + labels[: i % len(labels)]
            for command in COMMANDS:
                for label in order:
                    action = drivers[label].action(command)
                    time.sleep(IDLE_BEFORE_S)
                    t0 = time.perf_counter()
                    action()
                    runs.setdefault((command, label), []).append(time.perf_counter() - t0)
            progress(f"    drift: repeat {i + 1}/{repeats}")
    for command in COMMANDS:
        entry: dict[str, Any] = {
            label: {"ms": ms(median(runs[(command, label)])), "runs": len(runs[(command, label)])}
            for label in labels
        }
        if "large" in labels and "small" in labels:
            entry["scale"] = r2(median_ratio(runs[(command, "large")], runs[(command, "small")]))
        results["timings"][command] = entry
    # What drift detection adds to a status: promobot's status over the raw read.
    results["timings"]["status"]["over_floor"] = {
        label: r2(median_ratio(runs[("status", label)], runs[("status floor", label)]))
        for label in labels
    }
    return results


@contextmanager
def _all_planted(subjects: list[Subject]) -> Iterator[None]:
    if not subjects:
        yield
        return
    with planted(subjects[0]), _all_planted(subjects[1:]):
        yield


def targets(part: dict[str, Any]) -> list[tuple[str, Any, str, bool]]:
    """(target, figure, limit, met) for bench/report.py: the same calls at 10,000
    versions as at 10, and none that lists versions."""
    checks = []
    counts = part.get("rest_calls", {})
    small, large = counts.get("small", {}), counts.get("large", {})
    for command in COMMANDS:
        # `audit` lists the models too (1,000 at 10,000 versions); the floor is no target
        if command in small and command in large and command in ("status", "audit model"):
            figure = f"{small[command]['count']} → {large[command]['count']}"
            same = small[command]["calls"] == large[command]["calls"]
            name = f"drift: {command}: REST calls, 10 → 10,000 versions"
            checks.append((name, figure, "the same calls", same))
    listed = [
        c
        for entry in (small, large)
        for command in entry.values()
        for c in command["calls"]
        if "model-versions/search" in c
    ]
    if small:
        checks.append(("drift: calls that list versions", len(listed), "0", not listed))
    return checks
