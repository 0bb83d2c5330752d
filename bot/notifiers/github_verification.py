"""Tell GitHub when a promoted version fails its verification: the notifier of
`verification_failed`, through bot/adapters/github/client.py (the client bot/app.py
builds once).

- **The pull request it was promoted from.** When the promotion was asked in a
  pull-request comment (the event's channel `github`, its link
  `https://<host>/<owner>/<repo>/pull/<N>#issuecomment-…`, or `/issues/<N>…`), promobot
  comments there: the outcome as the one renderer words it for GitHub (the failing
  figure against its threshold, what promobot did: rolled back to vX, or the `/rollback`
  command to comment), naming who promoted it and mentioning them (`cc @login`).
- **The deployment.** When GitHub holds a deployment of that promotion (the service puts
  its repository and id in `Result.extra["deployment"]`, read from the version's
  `github_deployment.<target>` record), it gets a `failure` status whose description
  starts `verification failed:`, whichever door the promotion came from (a workflow's
  `request`, the terminal, Slack, a comment).

It writes nothing to MLflow and never raises into the service: GitHub failing is
logged, and the registry holds what the verification left.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from bot.adapters.github.client import GitHubClient
from bot.core import events
from bot.core.results import Result
from bot.core.text import clip, one_line
from bot.render.message import to_markdown

log = logging.getLogger("promobot.github")

KINDS = (events.VERIFICATION_FAILED,)
DOOR = "github"
DESCRIPTION_MAX = 140  # GitHub's limit on a deployment status's description
_PULL_LINK = re.compile(
    r"https?://[^/\s]+/(?P<repository>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)"
    r"/(?:pull|issues)/(?P<number>[0-9]{1,9})(?:[#?/]\S*)?"
)
_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")


def pull_request_of(link: str) -> tuple[str, int] | None:
    """(owner/name, number) of a pull-request or issue comment's URL, else None."""
    found = _PULL_LINK.fullmatch(link.strip())
    return (found["repository"], int(found["number"])) if found else None


def comment_body(result: Result, actor: str) -> str:
    """The comment: the outcome for GitHub, then a mention of the person who promoted it
    (their login, from the door's `github:<login>` identity)."""
    body = to_markdown(result, DOOR)
    login = actor.removeprefix("github:") if actor.startswith("github:") else ""
    return body + (f"\n\ncc @{login}" if _LOGIN.fullmatch(login) else "")


def failure_status(result: Result) -> dict[str, Any]:
    """POST …/deployments/{id}/statuses: `failure`, `verification failed: …` and what
    promobot did, within GitHub's 140 characters; the log links where it was promoted."""
    rolled = result.extra.get("rolled_back_to")
    done = f"; rolled back to v{rolled}" if rolled else "; not rolled back"
    why = result.message or "verification failed"
    body: dict[str, Any] = {
        "state": "failure",
        "description": clip(one_line(why + done), DESCRIPTION_MAX),
    }
    if result.link.startswith(("https://", "http://")):
        body["log_url"] = result.link
    return body


class VerificationNotifier:
    """Subscribed to `verification_failed`: the PR comment and the deployment status."""

    def __init__(self, client: GitHubClient) -> None:
        self.client = client

    def notify(self, event: events.Event) -> None:
        if event.kind != events.VERIFICATION_FAILED:
            return
        result = event.result
        if event.ctx.channel == DOOR and (pull := pull_request_of(event.ctx.link)):
            repository, number = pull
            self._try(
                f"comment on #{number} in {repository}",
                lambda: self.client.create_issue_comment(
                    repository, number, comment_body(result, event.ctx.actor)
                ),
            )
        deployment = result.extra.get("deployment") or {}
        deployment_id, repository = deployment.get("id"), str(deployment.get("repository") or "")
        if isinstance(deployment_id, int) and repository:
            self._try(
                f"mark deployment {deployment_id} of {repository} failed",
                lambda: self.client.create_deployment_status(
                    repository, deployment_id, failure_status(result)
                ),
            )

    def _try(self, what: str, call: Callable[[], object]) -> None:
        """One call to GitHub; its failure is logged, and the other call still made."""
        try:
            call()
        except Exception as exc:  # GitHubError, or anything else: never into the service
            log.warning("could not %s after a failed verification: %s", what, exc)
