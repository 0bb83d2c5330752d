"""`promobot github`: the pull-request comment door, run by Actions on `issue_comment`.

It reads the event from $GITHUB_EVENT_PATH and, for a new comment on a pull request
whose first line is a promobot command:

1. checks the commenter's repository permission before anything else (no registry
   read or write happens for someone below the minimum);
2. reacts 👀, runs the command through the core as `github:<login>` (a promote without a
   version with the pull request's head commit, from which the core takes the version),
   replies with one Markdown comment (render.to_markdown), and reacts 🚀 (done or
   pending) or 👎.

Everything else (edited comments, plain issues, comments that are not commands) is
ignored without a single API call. The comment text is only ever data for the parser.

Exit status (docs/contract.md, bot.doors.common.ExitCode): 0 done, pending or ignored;
1 refused or invalid; 2 usage or set-up error; 3 GitHub or MLflow unreachable or failing.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.adapters.github.comments import PERMISSION_LEVELS, GitHubPullRequests
from bot.app import build_github_client, build_service
from bot.config import MIN_PERMISSION_VARIABLE, Settings, load_settings
from bot.core.commands import Command, Help, Promote, help_text, parse, parse_comment, vocabulary
from bot.core.policy import Check, PolicyError
from bot.core.ports.github import GitHubError, Permission, PullRequests
from bot.core.ports.registry import RegistryError
from bot.core.results import REFUSED, Action, ErrorResult, MoveResult
from bot.core.service import Context
from bot.doors.common import ExitCode, exit_code, registry_exit, run_url
from bot.render.message import to_markdown

# The first word of a comment that makes it a command (docs/contract.md, "Commands").
COMMAND_WORDS = vocabulary.COMMENT_WORDS
ENV_MIN_PERMISSION = MIN_PERMISSION_VARIABLE
DEFAULT_MIN_PERMISSION = Settings.model_fields["promobot_github_min_permission"].default
COMMENT_MAX = 65_000  # GitHub refuses comment bodies over 65,536 characters

HELP = f"""\
promobot github: handle the issue_comment event in $GITHUB_EVENT_PATH.

Run by the chatops workflow (actions/chatops) on every new comment. A comment on a
pull request whose first line starts with {", ".join(COMMAND_WORDS)} is a command;
everything else is ignored (exit 0, no API calls).

Environment:
  GITHUB_EVENT_PATH   the event payload (set by Actions)
  GITHUB_TOKEN        a token with issues: write and pull-requests: read; also
                      checks: read, statuses: read (require_checks) and
                      deployments: write (each promotion's GitHub deployment)
  PROMOBOT_MLFLOW_UI_URL  the MLflow UI a deployment links (default: the comment)
  GITHUB_REPOSITORY   owner/name (default: the event's repository)
  GITHUB_API_URL      the REST API (default GitHub's; GitHub Enterprise:
                      https://<host>/api/v3)
  {ENV_MIN_PERMISSION}
                      the least repository permission a commenter needs:
                      {"|".join(PERMISSION_LEVELS[1:])} (default {DEFAULT_MIN_PERMISSION})
  MLFLOW_TRACKING_URI, PROMOBOT_POLICY   as for every promobot command

Exit status: 0 done, pending or ignored; 1 refused or invalid; 2 set-up error;
3 GitHub or MLflow unreachable.
"""


class EventError(Exception):
    """The event file is missing, unreadable or not an issue_comment payload."""


@dataclass(frozen=True)
class CommentEvent:
    action: str
    repository: str
    issue_number: int
    is_pull_request: bool
    comment_id: int
    comment_url: str
    login: str
    body: str


def read_event(path: str) -> CommentEvent:
    if not path:
        raise EventError(
            "GITHUB_EVENT_PATH is not set; `promobot github` runs inside the "
            "issue_comment workflow (see docs/github.md)."
        )
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise EventError(f"cannot read the event file {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise EventError(f"the event file {path} is not JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise EventError(f"the event file {path} does not hold a JSON object")
    issue, comment = raw.get("issue"), raw.get("comment")
    if not isinstance(issue, dict) or not isinstance(comment, dict):
        raise EventError(
            f"the event in {path} is not an issue_comment event (it has no `issue` and `comment`)"
        )
    user = comment.get("user") if isinstance(comment.get("user"), dict) else {}
    repo = raw.get("repository") if isinstance(raw.get("repository"), dict) else {}
    body = comment.get("body")
    return CommentEvent(
        action=str(raw.get("action") or ""),
        repository=str(repo.get("full_name") or ""),
        issue_number=_int(issue.get("number")),
        is_pull_request=bool(issue.get("pull_request")),
        comment_id=_int(comment.get("id")),
        comment_url=str(comment.get("html_url") or ""),
        login=str(user.get("login") or ""),
        body=body if isinstance(body, str) else "",
    )


def is_command(body: str) -> bool:
    """Does the comment's first line start with one of the command words?"""
    return not parse_comment(body).ignore


def ignore_reason(event: CommentEvent) -> str | None:
    """Why this event is none of promobot's business, or None when it is a command."""
    if event.action != "created":
        return f"the comment was {event.action or 'not created'}, not created"
    if not event.is_pull_request:
        return "the comment is on an issue, not a pull request"
    if not is_command(event.body):
        return "the comment is not a promobot command"
    return None


def run_github(args: list[str]) -> int:
    if any(arg in ("-h", "--help") for arg in args):
        print(HELP)
        return ExitCode.OK
    if args:
        return _setup_error(f"`promobot github` takes no arguments, not {' '.join(args)!r}")
    try:
        settings = load_settings()
    except ValidationError as exc:
        return _setup_error(f"invalid settings in the environment: {exc.errors()[0]['msg']}")
    except Exception as exc:
        return _internal_error(exc, None)
    try:
        return _run(settings)
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        return _internal_error(exc, settings)


def _internal_error(exc: Exception, settings: Settings | None) -> int:
    """A bug: say so in one line, never a traceback in the log (unless PROMOBOT_DEBUG)."""
    print(f"promobot github: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
    if settings is not None and settings.promobot_debug:
        traceback.print_exc()
    return ExitCode.UNAVAILABLE


def _run(settings: Settings) -> int:
    try:
        event = read_event(settings.github_event_path)
    except EventError as exc:
        return _setup_error(str(exc))
    why = ignore_reason(event)
    if why is not None:
        print(f"promobot: {why}; nothing to do.")
        return ExitCode.OK
    if problem := settings.problem(ENV_MIN_PERMISSION):
        return _setup_error(problem)
    minimum = settings.promobot_github_min_permission
    client = build_github_client(settings)
    if client is None:
        return _setup_error(
            "GITHUB_TOKEN is not set; pass the workflow's token to the action "
            "(github-token: ${{ github.token }})."
        )
    repository = settings.github_repository or event.repository
    if "/" not in repository or not event.login or not event.comment_id or not event.issue_number:
        return _setup_error(
            "the event lacks the repository, commenter, comment id or pull request number"
        )
    api = GitHubPullRequests(client, repository)
    handler = _CommentHandler(api, repository, event, settings, minimum)
    try:
        return handler.run()
    except GitHubError as exc:
        print(f"promobot github: {exc}", file=sys.stderr)
        handler.react_quietly("-1")
        return ExitCode.UNAVAILABLE
    except Exception as exc:  # a bug: one line in the log, a 👎 on the comment
        code = _internal_error(exc, settings)
        handler.react_quietly("-1")
        return code


class _CommentHandler:
    def __init__(
        self,
        api: PullRequests,
        repository: str,
        event: CommentEvent,
        settings: Settings,
        minimum: str,
    ) -> None:
        self.api = api
        self.repository = repository
        self.event = event
        self.settings = settings
        self.minimum = minimum
        self.actor = f"github:{event.login}"

    def run(self) -> int:
        # The gate comes first: nothing below it runs for someone without the permission.
        permission = self.api.permission(self.event.login)
        self.react("eyes")
        if not at_least(permission.level, self.minimum):
            return self.finish(self._permission_refusal(permission), ExitCode.REFUSED)
        parsed = parse(self.event.body)
        if parsed.command is None:
            return self.finish(
                _usage_reply(parsed.reply or "promobot could not read that."), ExitCode.REFUSED
            )
        if isinstance(parsed.command, Help):
            return self.finish(_help_reply(help_text(parsed.command.topic)), ExitCode.OK)
        return self._command(parsed.command)

    def _command(self, command: Command) -> int:
        try:
            service = build_service(self.settings)
        except PolicyError as exc:
            print("promobot github: the policy files are invalid:", file=sys.stderr)
            for line in exc.problems:
                print(f"  {line}", file=sys.stderr)
            return self.finish(
                "❌ **promobot cannot check this command: the policy files on the default "
                "branch are invalid.**\n\nRun `promobot policy check` to see the problems; "
                "nothing was changed.",
                ExitCode.REFUSED,
            )
        # A promote without a version stands for the pull request's head commit: the
        # core takes the version registered from it.
        unversioned = isinstance(command, Promote) and command.version is None
        head_sha = self.api.head_sha(self.event.issue_number) if unversioned else ""
        ctx = Context(actor=self.actor, channel="github", link=self.event.comment_url)
        try:
            result = service.handle(command, ctx, head_sha=head_sha)
        except RegistryError as exc:
            print(f"promobot github: {exc}", file=sys.stderr)
            return self.finish(self._mlflow_failed(exc), registry_exit(exc))
        # A decision made here reaches the request's Slack message through the service's
        # events (bot/app.py wires the Slack notifier when SLACK_BOT_TOKEN is set).
        return self.finish(to_markdown(result, door="github"), exit_code(result))

    # ---- replies and reactions ------------------------------------------------------------

    def finish(self, body: str, code: int) -> int:
        """Reply once, then react 🚀 on success (done or pending) or 👎 on anything else."""
        if len(body) > COMMENT_MAX:
            body = body[: COMMENT_MAX - 40] + "\n\n… (cut: the reply was too long)"
        self.api.create_comment(self.event.issue_number, body)
        self.react("rocket" if code == ExitCode.OK else "-1")
        return code

    def react(self, content: str) -> None:
        self.api.add_reaction(self.event.comment_id, content)

    def react_quietly(self, content: str) -> None:
        try:
            self.react(content)
        except GitHubError as exc:
            print(
                f"promobot github: could not add the {content} reaction either: {exc}",
                file=sys.stderr,
            )

    def _permission_refusal(self, permission: Permission) -> str:
        who = f"@{self.event.login}"
        has = (
            f"{who} has {permission.level} access to {self.repository}"
            if permission.collaborator
            else f"{who} is not a collaborator on {self.repository}"
        )
        return to_markdown(
            MoveResult(
                status=REFUSED,
                action=Action.COMMAND,
                reasons=[
                    f"{has}; promobot commands here need "
                    f"{self.minimum} access or higher. Nothing was read or changed."
                ],
                checks=[
                    Check(
                        "repository permission",
                        "fail",
                        f"{permission.level} (needs {self.minimum} or higher)",
                        fix=f"ask someone with {self.minimum} access to comment the "
                        "command, or a maintainer to raise your access",
                    )
                ],
            )
        )

    def _mlflow_failed(self, exc: RegistryError) -> str:
        # The details (host names) go to the workflow log, not into a public comment.
        where = run_url(os.environ)
        detail = (
            f"The details are in the workflow log: {where}"
            if where
            else "The details are in the workflow log."
        )
        return to_markdown(
            ErrorResult(
                message=(
                    f"MLflow refused what promobot asked of it ({exc.code or exc.kind}); "
                    "the command was not carried out"
                    if exc.is_refusal
                    else "promobot could not reach MLflow; the command may not have been "
                    "carried out"
                ),
                reasons=[detail],
                extra={"mlflow": "refused"} if exc.is_refusal else {},
            )
        )


def at_least(level: str, wanted: str) -> bool:
    """Is the role `level` the role `wanted` or a stronger one?"""
    return _rank(level) >= _rank(wanted)


def _rank(level: str) -> int:
    return PERMISSION_LEVELS.index(level) if level in PERMISSION_LEVELS else 0


def _usage_reply(reply: str) -> str:
    problem, _, rest = reply.partition("\n")
    parts = [f"❓ **promobot could not read that command.** {problem}"]
    if rest.strip():
        parts.append(rest.strip("\n"))
    parts.append("Next: fix the command and comment it again, or comment `/promobot help`.")
    return "\n\n".join(parts)


def _help_reply(text: str) -> str:
    return (
        "📖 **promobot help**\n\n"
        + text
        + (
            "\n\nIn a pull request, start the comment with `/` (e.g. `/status <model>`); "
            "`/promote <model> <target>` without a version takes the version registered from "
            "the pull request's head commit."
        )
    )


def _setup_error(problem: str) -> int:
    print(f"promobot github: {problem}", file=sys.stderr)
    print("Run `promobot github --help` for what it needs.", file=sys.stderr)
    return ExitCode.USAGE


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
