"""bot/core/service/pull_requests.py through the facade: a command asked in a pull request
carries its head commit, and `promote <model> <target>` takes the newest version
registered from it. A real SQLite registry; the door's half is
tests/doors/github/test_comment.py."""

from __future__ import annotations

from typing import Any

from service_helpers import M

from bot.core.commands import parse
from bot.core.results import Result
from bot.core.service import Context, Service

HEAD = "0123456789abcdef0123456789abcdef01234567"
OTHER = "fedcba9876543210fedcba9876543210fedcba98"


def asked_on_head(service: Service, text: str, head: str = HEAD) -> Result:
    parsed = parse(text)
    assert parsed.command is not None, parsed.reply
    ctx = Context(actor="github:bob", channel="github", link="https://github.com/a/b/pull/7")
    return service.handle(parsed.command, ctx, head_sha=head)


def from_commit(models: Any, sha: str) -> int:
    version = models.version(M, accuracy=0.91, f1=0.88)
    models.client.set_model_version_tag(M, str(version), "git_commit", sha)
    return version


def test_a_promote_without_a_version_takes_the_newest_from_the_head(
    service: Service, models: Any
) -> None:
    from_commit(models, HEAD)
    newest = from_commit(models, HEAD)
    other = from_commit(models, OTHER)

    done = asked_on_head(service, f"promote {M} staging try the PR build", HEAD.upper())

    assert (done.status, done.version) == ("done", newest)
    assert models.stage(M, newest) == "Staging"
    assert models.stage(M, other) == "None"


def test_no_version_from_the_head_is_a_refusal_that_moves_nothing(
    service: Service, models: Any
) -> None:
    from_commit(models, OTHER)
    before = models.snapshot(M)

    refused = asked_on_head(service, f"promote {M} staging")

    assert refused.status == "refused"
    assert refused.reasons == (
        f"No version of {M} was registered from this pull request's head commit "
        f"`{HEAD[:12]}` (model-version tag `git_commit`). Register it first (the "
        f"train-and-register workflow), or name a version: `/promote {M} v3 staging`.",
    )
    assert models.snapshot(M) == before


def test_a_named_version_and_other_commands_ignore_the_head(service: Service, models: Any) -> None:
    named = from_commit(models, OTHER)

    assert asked_on_head(service, f"promote {M} v{named} staging").version == named
    assert asked_on_head(service, f"status {M}").status == "done"
