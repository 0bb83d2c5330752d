"""Every call promobot makes on GitHub, as the narrow interfaces the core and the comment
door work with. bot/adapters/github/ implements them all, over one client; bot/app.py
wires them in when GITHUB_TOKEN is set. The core imports this module, never the adapter.

    CommitChecks      the `require_checks` gate: the checks on a commit
    DeploymentSender  the release record: a deployment of a commit, and its statuses
    PullRequests      the comment door: a commenter's permission, reactions, the reply,
                      and the pull request's head commit

A call that fails raises GitHubError, whose message is a sentence; a port that promises
a result (the directory's team lookups, bot/core/ports/directory.py) never raises.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from bot.core.policy import ChecksSnapshot


class GitHubError(Exception):
    """GitHub refused, failed, timed out or answered what promobot cannot read.

    The message is a sentence naming the call. `status` is the HTTP status GitHub
    answered with (None when it answered none); `short` is the same failure without the
    call, for callers that say which call themselves ("GitHub answered 502", "GitHub did
    not answer within 5 s"). `deployment_id` is set when a deployment was created before
    the call that failed (its status is then what is missing)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        short: str = "",
        deployment_id: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.short = short or message
        self.deployment_id = deployment_id


# ---- the checks gate ---------------------------------------------------------------------------


class CommitChecks(Protocol):
    def commit_checks(self, repository: str, sha: str) -> ChecksSnapshot:
        """Every check run and commit status on `sha`; raises GitHubError."""
        ...


# ---- the release record ------------------------------------------------------------------------


@dataclass(frozen=True)
class DeploymentPlan:
    """One GitHub deployment to send: what promobot records for a promotion."""

    repository: str  # owner/name
    sha: str  # the commit (the deployment's `ref`)
    environment: str  # `<model>/<target label>`
    production: bool  # `production_environment`
    description: str  # at most 140 characters
    payload: dict[str, Any]
    environment_url: str  # the version's MLflow page, else where it was asked; may be ""
    # A deployment made before whose `success` status is missing: send only the status.
    existing_id: int | None = None
    # Deployments to mark `inactive` once this one is in place: (repository, id).
    replaced: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class SentDeployment:
    id: int  # GitHub's deployment id
    inactive: tuple[int, ...] = ()  # the replaced deployments marked inactive
    problems: tuple[str, ...] = ()  # why others of them could not be marked


class DeploymentSender(Protocol):
    def send(self, plan: DeploymentPlan) -> SentDeployment:
        """Create the deployment (unless `existing_id`) and its `success` status, then mark
        the replaced ones inactive; raises GitHubError when the deployment or its status
        could not be made."""
        ...


@dataclass(frozen=True)
class GitHubPorts:
    """What the service may ask of GitHub. `checks` and `deployer` are None without a
    token: the checks gate then refuses, saying so, and no deployment is sent."""

    checks: CommitChecks | None = None
    deployer: DeploymentSender | None = None
    mlflow_ui_url: str = ""  # PROMOBOT_MLFLOW_UI_URL: the versions' pages link there


# ---- the comment door --------------------------------------------------------------------------


@dataclass(frozen=True)
class Permission:
    """What GitHub says a user may do in the repository."""

    level: str  # GitHub's role name: none, read, triage, write, maintain or admin
    collaborator: bool  # False when GitHub answered 404 (not a collaborator, or no user)


class PullRequests(Protocol):
    """The calls the comment door makes on the repository of the event; each raises
    GitHubError."""

    def permission(self, login: str) -> Permission:
        """The user's permission on the repository (a non-collaborator has `none`)."""
        ...

    def add_reaction(self, comment_id: int, content: str) -> None:
        """React to an issue or pull-request comment: `eyes`, `rocket` or `-1`."""
        ...

    def create_comment(self, number: int, body: str) -> str:
        """Comment on the pull request; the new comment's URL."""
        ...

    def head_sha(self, number: int) -> str:
        """The pull request's head commit, 40 hex digits in lower case."""
        ...
