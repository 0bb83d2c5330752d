"""A command asked in a pull request: `promote <model> <target>` without a version means
the newest version registered from the pull request's head commit, the version's
`git_commit` tag (docs/contract.md, "Comment commands"). The door passes the commit; the
choice is made here."""

from __future__ import annotations

from dataclasses import replace

from bot.core.commands import Command, Promote, VersionSpec
from bot.core.results import REFUSED, Action, MoveResult, Result
from bot.core.service.common import Deps


def version_from_head(deps: Deps, command: Command, head_sha: str) -> tuple[Command, Result | None]:
    """The command with its version filled from `head_sha`, or the refusal saying none
    was registered from it. Other commands, and a promote naming its version, pass."""
    if not isinstance(command, Promote) or command.version is not None:
        return command, None
    sha = head_sha.lower()
    found = deps.registry.versions_for_commit(command.model, sha)
    if not found:
        return command, MoveResult(
            status=REFUSED,
            action=Action.PROMOTE,
            model=command.model,
            target=command.target.label,
            reason=command.reason,
            reasons=[
                f"No version of {command.model} was registered from this pull request's "
                f"head commit `{sha[:12]}` (model-version tag `git_commit`). Register it "
                "first (the train-and-register workflow), or name a version: "
                f"`/promote {command.model} v3 {command.target.key}`."
            ],
        )
    return replace(command, version=VersionSpec("number", str(found[0]))), None
