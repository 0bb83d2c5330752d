"""One line of a decision: a rule checked, how it went, and how to get past it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    name: str  # "requester", "stage order", "reason", "accuracy ≥ 0.80", "freeze", "approvals"
    status: str  # "pass" | "fail" | "pending"
    detail: str  # "bob is in ml-engineers", "0.890 vs 0.874 (v2)"
    fix: str = ""  # for failures: how to get past it
