"""The typed rules of live figures: live gates, soak and verification after a promotion.

Pure. `VerifyRule.plan` is what an execution records in its history event: the checks
with their queries filled in for the version that takes the target, so the verification
runs as the policy said when it started, whatever the files say later.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from bot.core.policy import promql
from bot.core.policy.values import MetricExpr, duration_text


@dataclass(frozen=True)
class LiveCheck:
    name: str
    query: str  # as written, with placeholders
    expr: MetricExpr  # absolute threshold

    @property
    def label(self) -> str:
        """`error rate < 0.02`."""
        return f"{self.name} {self.expr.label}"

    def filled(self, model: str, version: int, target: str) -> str:
        return promql.fill(self.query, model=model, version=version, target=target)


@dataclass(frozen=True)
class VerifyRule:
    watch: datetime.timedelta  # `for`
    every: datetime.timedelta
    failures: int
    no_data: str  # "fail" | "ignore"
    on_failure: str  # "rollback" | "notify"
    checks: tuple[LiveCheck, ...]

    def plan(self, model: str, version: int, target: str) -> dict[str, Any]:
        """The verification an execution starts, as its history event carries it."""
        return {
            "for_s": int(self.watch.total_seconds()),
            "every_s": int(self.every.total_seconds()),
            "failures": self.failures,
            "no_data": self.no_data,
            "on_failure": self.on_failure,
            "checks": [
                {
                    "name": c.name,
                    "query": c.filled(model, version, target),
                    "op": c.expr.op,
                    "threshold": c.expr.threshold,
                    "shown": c.expr.shown,
                }
                for c in self.checks
            ],
        }

    def sentences(self) -> list[str]:
        """`policy <model>`: what happens after a version takes the target."""
        act = (
            "rolls the target back to the version it replaced (as promobot, whatever the "
            "rollback rule, freezes or locks say; a first holder is never left empty: "
            "promobot tells instead)"
            if self.on_failure == "rollback"
            else "tells the model's channel, with the rollback command ready to type"
        )
        no_data = (
            "no data (an empty answer or Prometheus unreachable) counts as a failed check"
            if self.no_data == "fail"
            else "no data (an empty answer or Prometheus unreachable) is ignored"
        )
        lines = [
            f"after a version takes it: watched for {duration_text(self.watch)}, checked "
            f"every {duration_text(self.every)}; passed if no check fails "
            f"{self.failures} time{'s' if self.failures != 1 else ''} in a row",
        ]
        lines.extend(f"verify: {c.label}, from Prometheus `{c.query}`" for c in self.checks)
        lines.append(f"on {self.failures} failures in a row promobot {act}; {no_data}")
        return lines
