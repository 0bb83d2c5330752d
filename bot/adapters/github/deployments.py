"""The DeploymentSender port (bot/core/ports/github.py): the release record of a promotion
on GitHub (docs/contract.md, "Deployment records").

    POST /repos/{owner}/{repo}/deployments                    the deployment of the commit
    POST /repos/{owner}/{repo}/deployments/{id}/statuses      `success`, then `inactive`
                                                              on the ones it replaced

What to send, and writing down what was sent, is the service's
(bot/core/service/deployments.py); this is only the sequence of calls.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.adapters.github.client import GitHubClient, not_understood, repo_path
from bot.core.ports.github import DeploymentPlan, GitHubError, SentDeployment

log = logging.getLogger("promobot.github")


class GitHubDeployments:
    def __init__(self, client: GitHubClient) -> None:
        self.client = client

    def send(self, plan: DeploymentPlan) -> SentDeployment:
        deployment_id = plan.existing_id
        if deployment_id is None:
            deployment_id = self._create(plan)
        try:
            self.client.create_deployment_status(
                plan.repository, deployment_id, status_body(plan, "success")
            )
        except GitHubError as exc:
            raise GitHubError(
                f"{exc} (deployment {deployment_id} was created; only its status is missing)",
                status=exc.status,
                short=exc.short,
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

    def _create(self, plan: DeploymentPlan) -> int:
        what = f"create a deployment in {plan.repository}"
        answer = self.client.request(
            "POST",
            f"{repo_path(plan.repository)}/deployments",
            what,
            "deployments",
            body=deployment_body(plan),
        )
        deployment_id = answer.data.get("id") if isinstance(answer.data, dict) else None
        if not isinstance(deployment_id, int) or isinstance(deployment_id, bool):
            # 202 means GitHub tried to merge the default branch into the ref instead
            # (auto_merge), which promobot never asks for.
            raise not_understood(what, "without a deployment id")
        return deployment_id


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
