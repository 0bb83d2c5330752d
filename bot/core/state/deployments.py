"""The GitHub deployment of a promotion, as promobot records it on the model version, and
the facts it is built from (docs/contract.md, "Deployment records"). Pure: tag dicts in,
values out.

A version registered by CI carries `git_repository` and `git_commit`; each promotion or
rollback that puts such a version on a target is recorded in the version's tag
`github_deployment.<target>` (bot/core/state/keys.py): the deployment's id once GitHub made
it, or why it could not be made. The record names the request it belongs to, so a later
promotion of the same version to the same target is a new deployment, not the old one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot.core.state.codec import dumps, format_time, loads
from bot.core.state.history_event import HistoryEvent
from bot.core.state.keys import deployment_tag
from bot.core.state.records import all_events, outcome

REPOSITORY_TAG = "git_repository"
COMMIT_TAG = "git_commit"
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_SHA = re.compile(r"[0-9a-f]{40}")

RECORD_SUCCESS, RECORD_FAILED, RECORD_INACTIVE = "success", "failed", "inactive"


@dataclass(frozen=True)
class DeploymentRecord:
    state: str  # success | failed | inactive (replaced since)
    request: str  # the promotion it records
    environment: str  # `<model>/<target label>`
    repository: str
    sha: str
    at: str  # when promobot wrote it, ISO 8601 UTC
    id: int | None = None  # GitHub's deployment id, once it exists
    why: str = ""  # for `failed`: what went wrong

    def to_tag(self) -> str:
        return dumps(
            {
                "state": self.state,
                "request": self.request,
                "environment": self.environment,
                "repository": self.repository,
                "sha": self.sha,
                "at": self.at,
                "id": self.id,
                "why": self.why[:1000],
            }
        )


def deployment_record(version_tags: dict[str, str], target_label: str) -> DeploymentRecord | None:
    """The deployment recorded on a version for its promotion to `target_label`."""
    data = loads(version_tags.get(deployment_tag(target_label)))
    if not data.get("state"):
        return None
    raw_id = data.get("id")
    return DeploymentRecord(
        state=str(data["state"]),
        request=str(data.get("request") or ""),
        environment=str(data.get("environment") or ""),
        repository=str(data.get("repository") or ""),
        sha=str(data.get("sha") or ""),
        at=str(data.get("at") or ""),
        id=raw_id if isinstance(raw_id, int) and not isinstance(raw_id, bool) else None,
        why=str(data.get("why") or ""),
    )


def new_record(
    model: str,
    event: HistoryEvent,
    source: tuple[str, str],
    at: datetime,
    *,
    deployment_id: int | None,
    why: str = "",
) -> DeploymentRecord:
    """The record of `event`'s deployment from `source` (repository, commit): `success`
    with GitHub's id, or `failed` with why (and the id when only its status is missing)."""
    repository, sha = source
    return DeploymentRecord(
        state=RECORD_FAILED if why else RECORD_SUCCESS,
        request=event.request,
        environment=environment_name(model, event.target_label),
        repository=repository,
        sha=sha,
        at=format_time(at),
        id=deployment_id,
        why=why,
    )


def git_source(version_tags: dict[str, str]) -> tuple[str, str] | None:
    """(owner/name, commit) of a version registered from a GitHub repository, or None
    when it lacks either tag or they are not a repository and a full commit SHA."""
    repository = version_tags.get(REPOSITORY_TAG, "").strip()
    sha = version_tags.get(COMMIT_TAG, "").strip().lower()
    if _REPOSITORY.fullmatch(repository) and _SHA.fullmatch(sha):
        return repository, sha
    return None


def environment_name(model: str, target_label: str) -> str:
    """The GitHub environment of a target: `sentiment-classifier/Production`."""
    return f"{model}/{target_label}"


def executions(model_tags: dict[str, str]) -> list[HistoryEvent]:
    """Every promotion and rollback carried out (its event with the whole intent, whose
    request ended `done`), oldest first."""
    return [
        event
        for event in all_events(model_tags)
        if event.is_intent
        and (done := outcome(model_tags, event.request)) is not None
        and done.state == "done"
    ]


def execution_of(model_tags: dict[str, str], request_id: str) -> HistoryEvent | None:
    """The execution that carried out `request_id`."""
    return next((e for e in executions(model_tags) if e.request == request_id), None)


def latest_executions(model_tags: dict[str, str]) -> dict[str, HistoryEvent]:
    """The latest execution on each target, by target key."""
    return {e.target_key: e for e in executions(model_tags) if e.target_key}
