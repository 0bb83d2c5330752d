"""Verification: a version that took a target is watched with live figures, and passed,
or rolled back (or its failure told) when a check keeps failing.

The execution that puts a version onto a target whose rule has `verify` starts the
verification: its history event carries the plan (bot/core/state/watch.py). A pass
(`promobot verify`, or `promobot serve` on its own) runs every due verification once,
each under its target's lock, so any number of replicas act once. The automatic
rollback goes through the same execution as a person's rollback, as the actor
`promobot` on channel `verify`; the rule that declared `on_failure: rollback`
authorises it, so the rollback requesters, freezes and locks never stop it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bot.core import events, state
from bot.core.commands import Target
from bot.core.policy.values import SYMBOLS, MetricExpr, passes
from bot.core.ports.registry import ModelInfo, MutexBusy
from bot.core.results import DONE, REFUSED, Action, MoveResult, NextStep, Status, VerifyResult
from bot.core.service.common import Context, Deps, holder, uri
from bot.core.service.drift_scan import DriftScan
from bot.core.service.execution import Execution, Executor
from bot.core.service.proposal import Reads
from bot.core.state import HistoryEvent
from bot.core.state.watch import Watch, current_watch

VERIFY = Context(actor="promobot", channel="verify")


@dataclass(frozen=True)
class VerifyOutcome:
    """What one run of a verification found (or how it ended)."""

    model: str
    target: str  # label
    version: int
    state: str  # running | passed | failed | ended
    detail: str
    rolled_back_to: int | None = None


@dataclass
class VerifyReport:
    outcomes: list[VerifyOutcome] = field(default_factory=list)

    @property
    def failed(self) -> list[VerifyOutcome]:
        return [o for o in self.outcomes if o.state == "failed"]


def _target(event: HistoryEvent) -> Target:
    return Target(event.target_kind, event.target_name)


def threshold_label(check: dict[str, Any]) -> str:
    """`< 0.02`, as the policy wrote it."""
    return f"{SYMBOLS.get(str(check.get('op')), '?')} {check.get('shown', check.get('threshold'))}"


def figure_text(name: str, seen: dict[str, Any], label: str) -> str:
    """`error rate 0.071 (pass < 0.02)`, or `error rate no data (why) (pass < 0.02)`."""
    value = seen.get("value")
    shown = f"{value:.6g}" if isinstance(value, int | float) else f"no data ({seen.get('problem')})"
    return f"{name} {shown} (pass {label})"


class Verifier:
    def __init__(self, deps: Deps, executor: Executor, drift_scan: DriftScan) -> None:
        self.deps = deps
        self.executor = executor
        self.drift_scan = drift_scan

    def run_all(self) -> VerifyReport:
        """One pass: every due verification on every governed model, run once. MLflow
        calls: one listing, one read per governed model, and for each due target its
        lock and one read under it; Prometheus: one query per check of a due target. A
        target whose lock stays busy is skipped (MutexBusy), never the whole pass."""
        report = VerifyReport()
        now = self.deps.clock()
        for model in self.drift_scan.governed():
            info = self.deps.registry.get_model(model)
            if info is None:
                continue
            for key in self.drift_scan.target_keys(model):
                watch = current_watch(info.tags, key)
                if watch is None or not watch.due(now):
                    continue
                try:
                    found = self.run_target(model, key)
                except MutexBusy:
                    # A promotion or rollback of this target outlasted the lock wait:
                    # it is left to the next pass, and every other target still runs.
                    continue
                if found is not None:
                    report.outcomes.append(found)
        return report

    def run_target(self, model: str, target_key: str) -> VerifyOutcome | None:
        """Run one target's verification once, under its lock (None: not due after all:
        another replica ran it a moment ago)."""
        registry = self.deps.registry
        with registry.mutex(state.mutex_bucket(model, target_key), model, target_key):
            info = registry.get_model(model)
            if info is None:
                return None
            info = self.executor.recover(info, target_key, locked=True)
            watch = current_watch(info.tags, target_key)
            now = self.deps.clock()
            if watch is None or not watch.due(now):
                return None
            target = _target(watch.event)
            if holder(info, target) != watch.version:
                return self._ended(info, watch, target, now)
            # At least `failures` runs before a pass, so a pass that ran late (or
            # rarely) still gives a bad version the runs it needs to be caught; and a
            # streak of failures under way when `for` is up is run out first.
            enough = int(watch.plan["failures"])
            if watch.runs < enough or now < watch.until or any(watch.failures.values()):
                watch = self._run_checks(watch, now)
            failing = self._failing(watch)
            if failing is not None:
                return self._failed(info, watch, target, failing)
            if now >= watch.until and watch.runs >= enough and not any(watch.failures.values()):
                return self._passed(info, watch, target, now)
            self._save(model, watch)
            return VerifyOutcome(model, target.label, watch.version, "running", self.summary(watch))

    # ---- one run ---------------------------------------------------------------------

    def _run_checks(self, watch: Watch, now: datetime) -> Watch:
        plan = watch.plan
        failures = dict(watch.failures)
        last: dict[str, dict[str, Any]] = {}
        for check in plan["checks"]:
            name = str(check["name"])
            reading = self.deps.prometheus.query(str(check["query"]))
            expr = MetricExpr(str(check["op"]), float(check["threshold"]), None, 0.0, "")
            ok: bool | None
            if reading.value is None:
                ok = None if plan.get("no_data") == "ignore" else False
            else:
                ok = passes(reading.value, expr)
            if ok is False:
                failures[name] = failures.get(name, 0) + 1
            elif ok is True:
                failures[name] = 0
            last[name] = {"value": reading.value, "problem": reading.problem, "ok": ok}
        return replace(watch, runs=watch.runs + 1, failures=failures, last=last, last_run=now)

    def _failing(self, watch: Watch) -> str | None:
        """The first check that failed `failures` runs in a row, if any."""
        needed = int(watch.plan["failures"])
        for check in watch.plan["checks"]:
            if watch.failures.get(str(check["name"]), 0) >= needed:
                return str(check["name"])
        return None

    def _check(self, watch: Watch, name: str) -> dict[str, Any]:
        return next(c for c in watch.plan["checks"] if c["name"] == name)

    def summary(self, watch: Watch) -> str:
        """Every check's last figure: `error rate 0.01 (pass < 0.02); p99 …`."""
        parts = []
        for check in watch.plan["checks"]:
            seen = watch.last.get(str(check["name"]))
            if seen is not None:
                parts.append(figure_text(str(check["name"]), seen, threshold_label(check)))
        return "; ".join(parts) or "no run yet"

    def _save(self, model: str, watch: Watch) -> None:
        self.deps.registry.set_model_tag(
            model, state.verification_key(watch.request), watch.record()
        )

    # ---- how a verification ends -------------------------------------------------------

    def _ended(self, info: ModelInfo, watch: Watch, target: Target, now: datetime) -> VerifyOutcome:
        detail = f"v{watch.version} no longer holds {target.label}"
        self._save(info.name, replace(watch, state="ended", ended_at=now, detail=detail))
        others = [
            w
            for key in self.drift_scan.target_keys(info.name)
            if (w := current_watch(info.tags, key)) is not None
            and w.request != watch.request
            and w.version == watch.version
            and w.state == "running"
        ]
        if not others:  # the version is not watched on another target
            tags = {"verification": "ended"}
            self.deps.registry.set_version_tags(info.name, watch.version, tags)
        return VerifyOutcome(info.name, target.label, watch.version, "ended", detail)

    def _passed(
        self, info: ModelInfo, watch: Watch, target: Target, now: datetime
    ) -> VerifyOutcome:
        at = state.format_time(now)
        detail = f"passed: {self.summary(watch)}"
        self.deps.registry.set_version_tags(
            info.name, watch.version, {"verification": "passed", "verified_at": at}
        )
        watch = replace(watch, state="passed", ended_at=now, detail=detail)
        self._save(info.name, watch)
        message = f"{info.name} v{watch.version} passed verification on {target.label}: {detail}."
        shown = self._shown(info.name, watch, target, DONE, message=message)
        self.deps.publish(events.VERIFICATION_PASSED, shown, self._origin(watch))
        return VerifyOutcome(info.name, target.label, watch.version, "passed", detail)

    def _failed(self, info: ModelInfo, watch: Watch, target: Target, name: str) -> VerifyOutcome:
        check = self._check(watch, name)
        count = watch.failures.get(name, 0)
        figure = figure_text(name, watch.last.get(name, {}), threshold_label(check))
        reason = f"verification failed: {figure}, {count} checks in a row"
        now = self.deps.clock()
        # Read before anything moves: the GitHub deployment of this promotion, so the
        # notifier can mark it failed (bot/notifiers/github_verification.py).
        deployment = self._deployment(info, watch, target)
        previous = watch.event.previous
        rolled, why = None, ""
        if watch.plan.get("on_failure") != "rollback":
            why = "on_failure: notify"
        elif previous is None:
            why = f"v{watch.version} was the first holder of {target.label}: nothing to go back to"
        elif watch.event.channel == VERIFY.channel and watch.event.kind == "rollback":
            # The restored version's own watch failed: the one it replaced is the version
            # promobot just rolled back for failing; it is never put back.
            why = f"v{previous} is the version promobot rolled back for failing verification"
        else:
            rolled, why = self._roll_back(info, watch, target, previous, reason)
        tags = {
            "verification": "failed",
            "verification_failed_at": state.format_time(now),
            "verification_figures": self.summary(watch),
        }
        self.deps.registry.set_version_tags(info.name, watch.version, tags)
        done = f"; rolled back to v{rolled}" if rolled else f"; not rolled back ({why})"
        watch = replace(watch, state="failed", ended_at=now, detail=reason + done)
        self._save(info.name, watch)
        told: dict[str, Any] = {"rolled_back_to": rolled, "failed_check": name}
        if deployment is not None:
            told["deployment"] = deployment
        shown = self._shown(
            info.name,
            watch,
            target,
            DONE if rolled else REFUSED,
            message=reason,
            replaced_version=rolled,
            extra=told,
        )
        if rolled is None:
            command = f"rollback {info.name}" + (
                f" {target.key}" if target.key not in ("production", "@production") else ""
            )
            shown = replace(
                shown,
                reasons=(why,),
                next_steps=(NextStep(who="the on-call engineer", command=command),),
            )
        self.deps.publish(events.VERIFICATION_FAILED, shown, self._origin(watch))
        return VerifyOutcome(info.name, target.label, watch.version, "failed", reason, rolled)

    def _roll_back(
        self, info: ModelInfo, watch: Watch, target: Target, previous: int, reason: str
    ) -> tuple[int | None, str]:
        """Put the version the failed one replaced back, through the one execution."""
        reads = Reads(self.deps.registry)
        version = reads.version(info, previous)
        if version is None:
            return None, f"v{previous}, the version it replaced, no longer exists"
        now = self.deps.clock()
        req = state.Request(
            id=self.deps.new_id(state.mutex_bucket(info.name, target.key)),
            action="rollback",
            model=info.name,
            version=previous,
            target_key=target.key,
            target_label=target.label,
            target_kind=target.kind,
            actor=VERIFY.actor,
            reason=reason,
            created_at=now,
            expires_at=now,
            channel=VERIFY.channel,
            link=watch.event.link,
            run_id=version.run_id,
            source=version.source,
            previous=watch.version,
        )
        base = MoveResult(
            status=REFUSED,
            action=Action.ROLLBACK,
            model=info.name,
            version=previous,
            target=target.label,
            reason=reason,
        )
        done = self.executor.execute(Execution(req, [], reads), base, info)
        if done.status != DONE:
            return None, "; ".join(done.reasons) or "the rollback could not be carried out"
        return previous, ""

    def _shown(
        self, model: str, watch: Watch, target: Target, status: Status, **facts: Any
    ) -> VerifyResult:
        """What the announcement of an outcome carries: who promoted it and where from,
        the verification as status shows it, and `facts` (`extra` goes after it)."""
        shown = watch_view(watch, self.deps.clock(), target)
        extra = {"verification": shown, **facts.pop("extra", {})}
        return VerifyResult(
            status=status,
            model=model,
            version=watch.version,
            target=target.label,
            requested_by=watch.event.by,
            request_id=watch.request,
            asked_in=watch.event.channel,
            link=watch.event.link,
            uri=uri(model, target),
            extra=extra,
            **facts,
        )

    def _deployment(self, info: ModelInfo, watch: Watch, target: Target) -> dict[str, Any] | None:
        """The GitHub deployment recorded for the promotion being verified, if GitHub
        made one: {repository, id, environment}."""
        version = Reads(self.deps.registry).version(info, watch.version)
        record = state.deployment_record(version.tags, target.label) if version else None
        if record is None or record.id is None or record.request != watch.request:
            return None  # none made, or it belongs to another promotion of this version
        return {"repository": record.repository, "id": record.id, "environment": record.environment}

    def _origin(self, watch: Watch) -> Context:
        """The promotion's own door and link, so its PR or workflow can be told."""
        event = watch.event
        return Context(
            actor=event.actor or "promobot", channel=event.channel or "cli", link=event.link
        )

    # ---- what status shows ------------------------------------------------------------

    def running(self, info: ModelInfo) -> list[dict[str, Any]]:
        """The verifications of the model's targets, as status shows them."""
        found = []
        for key in self.drift_scan.target_keys(info.name):
            watch = current_watch(info.tags, key)
            if watch is not None:
                found.append(watch_view(watch, self.deps.clock()))
        return found


def watch_view(watch: Watch, now: datetime, target: Target | None = None) -> dict[str, Any]:
    """A verification as `status` shows it (and `--json` carries it)."""
    label = (target or _target(watch.event)).label
    left = max(0, int((watch.until - now).total_seconds()))
    checks = []
    for check in watch.plan["checks"]:
        name = str(check["name"])
        seen = watch.last.get(name, {})
        checks.append(
            {
                "name": name,
                "pass": threshold_label(check),
                "value": seen.get("value"),
                "problem": seen.get("problem", ""),
                "failures": watch.failures.get(name, 0),
            }
        )
    return {
        "target": label,
        "version": watch.version,
        "state": watch.state,
        "runs": watch.runs,
        "started_at": state.format_time(watch.started),
        "until": state.format_time(watch.until),
        "seconds_left": left if watch.state == "running" else 0,
        "failures_to_act": int(watch.plan["failures"]),
        "on_failure": str(watch.plan.get("on_failure")),
        "no_data": str(watch.plan.get("no_data")),
        "checks": checks,
        "detail": watch.detail,
    }
