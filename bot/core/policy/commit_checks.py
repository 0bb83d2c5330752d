"""The checks gate (`require_checks`): has the version's commit passed the checks the target
names on GitHub? Pure: the service reads the checks through its GitHub port and hands
them to `decide` as a `ChecksSnapshot`; this module only judges them.

A check is a check run or a commit status context; both count, by name. A named check
passes when every check run and status of that name completed with success; `all` asks
that of every check reported on the commit, and refuses a commit with none (fail
closed). Anything that kept the checks from being read (no git metadata, no token,
GitHub down) is a refusal with that reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.policy.values import RequiredChecks

SUCCESS, PENDING, FAILURE = "success", "pending", "failure"
CHECK_NAME = "checks"
_LISTED_MAX = 12  # names in one refusal before "and N more"


@dataclass(frozen=True)
class CommitCheck:
    """One check run or commit status on a commit, as GitHub reported it."""

    name: str  # a check run's name, or a status's context
    state: str  # success | pending | failure
    detail: str  # GitHub's word: "failure", "timed_out", "in_progress", "error", …
    url: str = ""  # where to see it
    kind: str = "check run"  # "check run" | "status"


@dataclass(frozen=True)
class ChecksSnapshot:
    """The checks on a version's commit, or why they could not be read (`problem`)."""

    repository: str = ""
    sha: str = ""
    checks: tuple[CommitCheck, ...] = ()
    problem: str = ""  # "v3 has no git metadata", "GITHUB_TOKEN is not set", GitHub's error
    fix: str = ""  # how to get past the problem

    @property
    def short_sha(self) -> str:
        return self.sha[:12]


@dataclass(frozen=True)
class ChecksVerdict:
    """What `judge` found, for the policy's Check row and its refusal."""

    passed: bool
    detail: str  # the Check row: "test, lint / ruff passed on `0123456789ab`"
    reason: str = ""  # the refusal, naming each check with its link (no full stop: the
    # decision adds the fix)
    fix: str = ""


def judge(need: RequiredChecks, snapshot: ChecksSnapshot | None, version: int) -> ChecksVerdict:
    """Has the commit of `version` passed the checks `need` names?"""
    if snapshot is None or snapshot.problem:
        why = snapshot.problem if snapshot else "its checks were not read"
        return ChecksVerdict(
            False,
            why,
            f"The checks of v{version} could not be confirmed: {why}",
            (snapshot.fix if snapshot else "") or "try again once GitHub answers",
        )
    where = f"`{snapshot.short_sha}` in {snapshot.repository}"
    by_name: dict[str, list[CommitCheck]] = {}
    for check in snapshot.checks:
        by_name.setdefault(check.name, []).append(check)
    if need.every and not by_name:
        return ChecksVerdict(
            False,
            f"no checks reported on {where}",
            f"The policy asks for every check on v{version}'s commit {where} to pass, and "
            "GitHub reports none there yet",
            "wait until the commit's checks have run, then ask again",
        )
    names = sorted(by_name) if need.every else list(need.names)
    missing = [n for n in names if n not in by_name]
    failed = [_worst(by_name[n], FAILURE) for n in names if n in by_name]
    failed = [c for c in failed if c is not None]
    failing = {c.name for c in failed}
    pending = [_worst(by_name[n], PENDING) for n in names if n in by_name and n not in failing]
    pending = [c for c in pending if c is not None]
    if not (missing or failed or pending):
        passed = f"all {len(names)} passed" if need.every else f"{', '.join(names)} passed"
        return ChecksVerdict(True, f"{passed} on {where}")
    parts = [f"`{c.name}` failed ({_said(c)})" for c in failed]
    parts += [f"`{c.name}` has not finished ({_said(c)})" for c in pending]
    parts += [f"`{n}` is missing (no check run or status of that name)" for n in missing]
    shown = "; ".join(parts[:_LISTED_MAX])
    if len(parts) > _LISTED_MAX:
        shown += f"; and {len(parts) - _LISTED_MAX} more"
    summary = [
        *_count(len(failed), "failed"),
        *_count(len(pending), "pending"),
        *_count(len(missing), "missing"),
    ]
    return ChecksVerdict(
        False,
        f"{', '.join(summary)} on {where}",
        f"v{version}'s commit {where} has not passed the required checks: {shown}",
        "wait for the checks to pass on the commit (or re-run the failed ones), or "
        "promote a version whose commit passed them",
    )


def _worst(checks: Sequence[CommitCheck], state: str) -> CommitCheck | None:
    return next((c for c in checks if c.state == state), None)


def _said(check: CommitCheck) -> str:
    said = f"{check.kind} {check.detail}"
    return f"{said}: {check.url}" if check.url else said


def _count(number: int, word: str) -> list[str]:
    return [f"{number} {word}"] if number else []
