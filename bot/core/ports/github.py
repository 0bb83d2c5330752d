"""The narrow interfaces to GitHub the core works with, beside bot/core/ports/registry.py's
Registry.

Two calls and nothing more: read the checks on a commit (the `require_checks` gate), and
send a deployment of a commit (the release record). bot/adapters/github/client.py speaks GitHub's
REST API for the first, bot/notifiers/github_deployments.py for the second; bot/app.py
wires them in when GITHUB_TOKEN is set. The core imports this module, never those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from bot.core.policy import ChecksSnapshot


class GitHubError(Exception):
    """GitHub refused, failed, timed out or answered what promobot cannot read. The
    message is a sentence; `deployment_id` is set when a deployment was created before
    the call that failed (its status is then what is missing)."""

    def __init__(
        self, message: str, *, status: int | None = None, deployment_id: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.deployment_id = deployment_id


class CommitChecks(Protocol):
    def commit_checks(self, repository: str, sha: str) -> ChecksSnapshot:
        """Every check run and commit status on `sha`; raises GitHubError."""
        ...


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
