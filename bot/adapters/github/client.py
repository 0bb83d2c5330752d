"""GitHub's REST API for what promobot does outside the comment door: read the checks on a
commit, create deployments and their statuses, and tell a pull request that a version
it promoted failed its verification. Plain `requests`, one attempt per call, a timeout,
and every failure of GitHub or the network as a GitHubError with a sentence (never a
requests exception), in the style of bot/adapters/github/comments.py.

`GitHubClient` names only the calls made; `GitHubChecks` is the core's CommitChecks
port over it (bot/core/ports/github.py). The deployment sequence is the notifier's
(bot/notifiers/github_deployments.py). `GITHUB_API_URL` is the base (GitHub Enterprise:
`https://<host>/api/v3`).
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from bot.core.policy import ChecksSnapshot, CommitCheck
from bot.core.ports.github import GitHubError

TIMEOUT_S = 10.0
PER_PAGE = 100
MAX_PAGES = 100  # 10,000 check runs on one commit is more than any workflow makes
API_VERSION = "2022-11-28"

# What each call needs of the token, for the sentence when GitHub says 403.
SCOPES = {
    "deployments": "deployments: write",
    "checks": "checks: read",
    "statuses": "statuses: read",
    "issues": "issues: write",
}


class GitHubClient:
    """The REST calls of the checks gate and the deployment record, on any repository the
    token can reach."""

    def __init__(
        self, token: str, *, base_url: str = "https://api.github.com", timeout: float = TIMEOUT_S
    ) -> None:
        self.base_url = (base_url or "https://api.github.com").rstrip("/")
        self.timeout = timeout
        # No shared requests.Session: one client serves every thread of a Slack worker.
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": "promobot",
        }

    # ---- the calls ---------------------------------------------------------------------

    def create_deployment(self, repository: str, body: dict[str, Any]) -> int:
        """POST /repos/{owner}/{repo}/deployments → the new deployment's id."""
        what = f"create a deployment in {repository}"
        answer = self._call("POST", f"{_repo(repository)}/deployments", what, "deployments", body)
        deployment_id = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(deployment_id, int) or isinstance(deployment_id, bool):
            # 202 means GitHub tried to merge the default branch into the ref instead
            # (auto_merge), which promobot never asks for.
            raise _not_understood(what, "no deployment id in the answer")
        return deployment_id

    def create_deployment_status(
        self, repository: str, deployment_id: int, body: dict[str, Any]
    ) -> None:
        """POST /repos/{owner}/{repo}/deployments/{id}/statuses."""
        path = f"{_repo(repository)}/deployments/{deployment_id}/statuses"
        what = f"set deployment {deployment_id} of {repository} {body.get('state', '')}".strip()
        self._call("POST", path, what, "deployments", body)

    def create_issue_comment(self, repository: str, number: int, body: str) -> str:
        """POST /repos/{owner}/{repo}/issues/{number}/comments (a pull request is an issue
        to this API) → the new comment's URL ("" when GitHub gave none)."""
        path = f"{_repo(repository)}/issues/{number}/comments"
        what = f"comment on #{number} in {repository}"
        answer = self._call("POST", path, what, "issues", {"body": body})
        return str(answer.get("html_url") or "") if isinstance(answer, dict) else ""

    def check_runs(self, repository: str, sha: str) -> list[dict[str, Any]]:
        """GET /repos/{owner}/{repo}/commits/{ref}/check-runs, every page (the latest run
        of each check, GitHub's default filter)."""
        path = f"{_repo(repository)}/commits/{sha}/check-runs"
        return self._pages(
            path, f"read the check runs of {sha[:12]} in {repository}", "checks", "check_runs"
        )

    def commit_statuses(self, repository: str, sha: str) -> list[dict[str, Any]]:
        """GET /repos/{owner}/{repo}/commits/{ref}/status (the latest status of each
        context), every page."""
        path = f"{_repo(repository)}/commits/{sha}/status"
        return self._pages(
            path, f"read the commit statuses of {sha[:12]} in {repository}", "statuses", "statuses"
        )

    # ---- HTTP ------------------------------------------------------------------------------

    def _pages(self, path: str, what: str, scope: str, field: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            params = {"per_page": PER_PAGE, "page": page}
            answer = self._call("GET", path, what, scope, params=params)
            items = answer.get(field) if isinstance(answer, dict) else None
            total = answer.get("total_count") if isinstance(answer, dict) else None
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise _not_understood(what, f"no list of {field}")
            found.extend(items)
            if len(items) < PER_PAGE or (isinstance(total, int) and len(found) >= total):
                return found
        return found

    def _call(
        self,
        method: str,
        path: str,
        what: str,
        scope: str,
        body: dict[str, Any] | None = None,
        *,
        params: dict[str, Any] | None = None,
    ) -> Any:
        import requests

        try:
            response = requests.request(
                method,
                self.base_url + path,
                json=body,
                params=params,
                headers=self.headers,
                timeout=self.timeout,
            )
        except requests.Timeout as exc:
            raise GitHubError(f"GitHub did not answer within {self.timeout:g} s ({what})") from exc
        except requests.RequestException as exc:
            raise GitHubError(
                f"GitHub is unreachable at {self.base_url} ({what}): {_first_line(str(exc))}"
            ) from exc
        try:
            answer = response.json() if response.content else {}
        except ValueError:
            answer = None
        if response.status_code >= 400:
            status = response.status_code
            message = answer.get("message") if isinstance(answer, dict) else None
            detail = _first_line(str(message or response.reason or "no details"))
            raise GitHubError(
                f"GitHub answered HTTP {status} ({what}){_hint(status, scope)}: {detail}",
                status=status,
            )
        if answer is None:
            raise _not_understood(what, "not JSON")
        return answer


class GitHubChecks:
    """The CommitChecks port: check runs and commit statuses of a commit, as the policy's
    snapshot."""

    def __init__(self, client: GitHubClient) -> None:
        self.client = client

    def commit_checks(self, repository: str, sha: str) -> ChecksSnapshot:
        runs = self.client.check_runs(repository, sha)
        statuses = self.client.commit_statuses(repository, sha)
        what = f"read the checks of {sha[:12]} in {repository}"
        checks = [_check_run(run, what) for run in runs]
        checks += [_status(status, what) for status in statuses]
        return ChecksSnapshot(repository, sha, tuple(checks))


def _check_run(run: dict[str, Any], what: str) -> CommitCheck:
    name, status = run.get("name"), run.get("status")
    if not isinstance(name, str) or not isinstance(status, str):
        raise _not_understood(what, "a check run without a name or status")
    url = str(run.get("html_url") or run.get("details_url") or "")
    if status != "completed":
        return CommitCheck(name, "pending", status.replace("_", " "), url)
    conclusion = str(run.get("conclusion") or "completed without a conclusion")
    state = "success" if conclusion == "success" else "failure"
    return CommitCheck(name, state, conclusion.replace("_", " "), url)


def _status(status: dict[str, Any], what: str) -> CommitCheck:
    context, state = status.get("context"), status.get("state")
    if not isinstance(context, str) or state not in ("success", "pending", "failure", "error"):
        raise _not_understood(what, "a commit status without a context or state")
    url = str(status.get("target_url") or "")
    shown = "success" if state == "success" else ("pending" if state == "pending" else "failure")
    return CommitCheck(context, shown, str(state), url, kind="status")


def _repo(repository: str) -> str:
    owner, _, name = repository.partition("/")
    return f"/repos/{urllib.parse.quote(owner, safe='')}/{urllib.parse.quote(name, safe='')}"


def _hint(status: int, scope: str) -> str:
    if status == 401:
        return ", the token is invalid or expired"
    if status == 403:
        return f", the token lacks `{SCOPES.get(scope, scope)}` or the rate limit is used up"
    if status == 404:
        return ", not found (or the token cannot see the repository)"
    if status == 422:
        return ", GitHub rejected the request"
    return ", GitHub had a problem" if status >= 500 else ""


def _not_understood(what: str, detail: str) -> GitHubError:
    return GitHubError(f"GitHub sent an answer promobot does not understand ({what}): {detail}")


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "no details"
    return line[:300]
