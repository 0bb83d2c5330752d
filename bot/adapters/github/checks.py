"""The CommitChecks port (bot/core/ports/github.py) for the `require_checks` gate: every
check run and commit status on a commit, as the policy's snapshot.

    GET /repos/{owner}/{repo}/commits/{ref}/check-runs   the latest run of each check
    GET /repos/{owner}/{repo}/commits/{ref}/status       the latest status of each context

both read to their last page.
"""

from __future__ import annotations

from typing import Any

from bot.adapters.github.client import GitHubClient, not_understood, quoted, repo_path
from bot.core.policy import ChecksSnapshot, CommitCheck


class GitHubChecks:
    def __init__(self, client: GitHubClient) -> None:
        self.client = client

    def commit_checks(self, repository: str, sha: str) -> ChecksSnapshot:
        commit = f"{repo_path(repository)}/commits/{quoted(sha)}"
        short = f"{sha[:12]} in {repository}"
        runs = self.client.pages(
            f"{commit}/check-runs",
            f"read the check runs of {short}",
            "checks",
            items="check runs",
            field="check_runs",
        )
        statuses = self.client.pages(
            f"{commit}/status",
            f"read the commit statuses of {short}",
            "statuses",
            items="statuses",
            field="statuses",
        )
        what = f"read the checks of {short}"
        checks = [_check_run(run, what) for run in runs]
        checks += [_status(status, what) for status in statuses]
        return ChecksSnapshot(repository, sha, tuple(checks))


def _check_run(run: Any, what: str) -> CommitCheck:
    name = run.get("name") if isinstance(run, dict) else None
    status = run.get("status") if isinstance(run, dict) else None
    if not isinstance(name, str) or not isinstance(status, str):
        raise not_understood(what, "a check run without a name or status")
    url = str(run.get("html_url") or run.get("details_url") or "")
    if status != "completed":
        return CommitCheck(name, "pending", status.replace("_", " "), url)
    conclusion = str(run.get("conclusion") or "completed without a conclusion")
    state = "success" if conclusion == "success" else "failure"
    return CommitCheck(name, state, conclusion.replace("_", " "), url)


def _status(status: Any, what: str) -> CommitCheck:
    context = status.get("context") if isinstance(status, dict) else None
    state = status.get("state") if isinstance(status, dict) else None
    if not isinstance(context, str) or state not in ("success", "pending", "failure", "error"):
        raise not_understood(what, "a commit status without a context or state")
    url = str(status.get("target_url") or "")
    shown = "success" if state == "success" else ("pending" if state == "pending" else "failure")
    return CommitCheck(context, shown, str(state), url, kind="status")
