"""Every promotion a GitHub deployment: the notifier of `executed`, and the deployment
sequence it sends through bot/adapters/github/client.py.

When a promotion or rollback puts a version carrying `git_repository` and `git_commit`
on a target, GitHub gets a deployment of that commit to the environment
`<model>/<target>` with a `success` status, and the deployment it replaced an `inactive`
one. The notifier runs synchronously, inside the execution's lock, before the door shows
the result: it asks the service to record the deployment (the service builds it from
MLflow and writes what happened on the version) and replies with the service's sentence,
which the use case adds to the result's notes, so the person sees "recorded" or "not
recorded, and why". It never
raises into the service: GitHub failing leaves the promotion done, and the record says
`failed` until `promobot deployments repair` sends it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

from bot.core import events
from bot.core.ports.github import DeploymentPlan, GitHubError, SentDeployment

if TYPE_CHECKING:
    from bot.adapters.github.client import GitHubClient
    from bot.core.results import Result

log = logging.getLogger("promobot.github")

KINDS = (events.EXECUTED,)


class DeploymentRecords(Protocol):
    """What the notifier asks the service (bot/service)."""

    def record_deployment(self, result: Result) -> events.Reply | None: ...


class DeploymentNotifier:
    """Subscribed to `executed`: the deployment of what was just put in place."""

    def __init__(self, service: DeploymentRecords) -> None:
        self.service = service

    def notify(self, event: events.Event) -> None:
        if event.kind != events.EXECUTED:
            return
        try:
            reply = self.service.record_deployment(event.result)
        except Exception:
            # MLflow failing to take the record: the promotion itself is in place, and
            # the deployment is listed as missing until it is repaired.
            log.warning("recording the GitHub deployment failed", exc_info=True)
            return
        if reply is not None:
            event.reply(reply)


class GitHubDeploymentSender:
    """The DeploymentSender port (bot/core/ports/github.py) on GitHub's REST API: a deployment,
    its `success` status, and `inactive` on the deployments it replaced."""

    def __init__(self, client: GitHubClient) -> None:
        self.client = client

    def send(self, plan: DeploymentPlan) -> SentDeployment:
        deployment_id = plan.existing_id
        if deployment_id is None:
            deployment_id = self.client.create_deployment(plan.repository, deployment_body(plan))
        try:
            self.client.create_deployment_status(
                plan.repository, deployment_id, status_body(plan, "success")
            )
        except GitHubError as exc:
            raise GitHubError(
                f"{exc} (deployment {deployment_id} was created; only its status is missing)",
                status=exc.status,
                deployment_id=deployment_id,
            ) from exc
        inactive: list[int] = []
        problems: list[str] = []
        for repository, old_id in plan.replaced:
            try:
                self.client.create_deployment_status(
                    repository, old_id, status_body(plan, "inactive")
                )
            except GitHubError as exc:
                log.warning("could not mark deployment %s inactive: %s", old_id, exc)
                problems.append(str(exc))
            else:
                inactive.append(old_id)
        return SentDeployment(deployment_id, tuple(inactive), tuple(problems))


def deployment_body(plan: DeploymentPlan) -> dict[str, Any]:
    """POST /repos/{owner}/{repo}/deployments: the commit, to the target's environment."""
    return {
        "ref": plan.sha,
        "environment": plan.environment,
        # promobot records what the registry already serves: GitHub must neither merge
        # the default branch into the ref nor wait for commit statuses first.
        "auto_merge": False,
        "required_contexts": [],
        "production_environment": plan.production,
        "payload": plan.payload,
        "description": plan.description,
    }


def status_body(plan: DeploymentPlan, state: str) -> dict[str, Any]:
    """POST …/deployments/{id}/statuses: `success` links the version's page; `inactive`
    says what replaced it."""
    if state == "inactive":
        version = plan.payload.get("version")
        return {"state": "inactive", "description": f"replaced by v{version}"}
    body: dict[str, Any] = {"state": "success", "description": plan.description}
    if plan.environment_url:
        body["environment_url"] = plan.environment_url
    return body
