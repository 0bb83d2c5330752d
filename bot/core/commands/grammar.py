"""One parser per command: the command's words (flags already taken out) → its command.

Each reads as the command's usage line in the vocabulary (docs/contract.md, "Commands").
`help`'s parser lives in the vocabulary itself: its topics are the vocabulary's names.
"""

from __future__ import annotations

from bot.core.commands import types as command
from bot.core.commands.context import Bad, Ctx
from bot.core.commands.echo import clean, code
from bot.core.commands.types import HISTORY_DEFAULT_LIMIT, STAGES, Target, VersionSpec
from bot.core.commands.words import (
    DIGITS_RE,
    NUMBER_RE,
    TARGET_HINT,
    VERSION_HINT,
    is_plain_version,
    looks_like_target,
    lower_ascii,
    model_at,
    only_model,
    read_target,
    read_version,
    request_id,
)


def parse_promote(ctx: Ctx) -> command.Promote:
    words = ctx.words
    model = model_at(ctx, 0)
    if len(words) < 2:
        raise ctx.fail(f"`promote` needs a version and a target after {code(model)}.")
    second = read_target(words[1])
    third = read_target(words[2]) if len(words) > 2 else None
    if isinstance(second, Target) and not isinstance(third, Target):
        # The version-less form, for doors that know the version (a pull request's head).
        if third is not None:
            _reject_misplaced_after_target(ctx, 2, third)
        return command.Promote(model, None, second, ctx.reason(2), ctx.dry_run)
    version = read_version(words[1])
    if isinstance(version, Bad):
        raise ctx.fail_at(1, version)
    if third is None:
        raise ctx.fail(
            f"`promote {clean(model)} {clean(words[1])}` is missing the target: "
            f"where should {version} go? {TARGET_HINT}"
        )
    if isinstance(third, Bad):
        raise ctx.fail_at(2, third)
    return command.Promote(model, version, third, ctx.reason(3), ctx.dry_run)


def _reject_misplaced_after_target(ctx: Ctx, index: int, bad: Bad) -> None:
    """Refuse the version-less promote when the word after the target was meant as more.

    A mistyped second target or a version written after the target would otherwise be
    swallowed into the reason, and the door would promote a version nobody named.
    """
    word = ctx.words[index]
    if looks_like_target(word):
        raise ctx.fail_at(index, bad)
    if NUMBER_RE.fullmatch(word) or lower_ascii(word) == "latest":
        swapped = [ctx.words[0], word, ctx.words[1], *ctx.words[index + 1 :]]
        raise ctx.fail(
            f"The version comes before the target: {code(word)} after "
            f"{code(ctx.words[1])} reads as the start of the reason.",
            swapped,
        )


def parse_rollback(ctx: Ctx) -> command.Rollback:
    words = ctx.words
    model = model_at(ctx, 0)
    index = 1
    target, named = Target("stage", STAGES["production"]), False
    if index < len(words):
        candidate = read_target(words[index])
        if isinstance(candidate, Target):
            target, named = candidate, True
            index += 1
        elif looks_like_target(words[index]):
            raise ctx.fail_at(index, candidate)
    to_version: VersionSpec | None = None
    if index < len(words) and lower_ascii(words[index]) == "to":
        if index + 1 >= len(words):
            raise ctx.fail(f"`to` needs a version after it. {VERSION_HINT}")
        version = read_version(words[index + 1])
        if isinstance(version, Bad):
            raise ctx.fail_at(index + 1, version)
        to_version = version
        index += 2
    elif index < len(words) and is_plain_version(words[index]):
        # `rollback m v2` would otherwise restore the previous version with reason "v2".
        raise ctx.fail(
            f"To roll back to {code(words[index])}, write `to` before it.",
            [*words[:index], "to", *words[index:]],
        )
    return command.Rollback(
        model, target, to_version, ctx.reason(index), ctx.dry_run, default_target=not named
    )


def parse_approve(ctx: Ctx) -> command.Approve:
    return command.Approve(request_id(ctx), ctx.reason(1))


def parse_deny(ctx: Ctx) -> command.Deny:
    return command.Deny(request_id(ctx), ctx.reason(1))


def parse_status(ctx: Ctx) -> command.Status:
    return command.Status(only_model(ctx))


def parse_policy(ctx: Ctx) -> command.PolicyExplain:
    return command.PolicyExplain(only_model(ctx))


def parse_history(ctx: Ctx) -> command.History:
    model = model_at(ctx, 0)
    if len(ctx.words) > 1:
        extra = ctx.words[1]
        if DIGITS_RE.fullmatch(extra) and len(ctx.words) == 2:
            raise ctx.fail(
                f"Give the number of entries with `--limit`: {code(extra)} alone is not "
                "understood.",
                [model, "--limit", extra],
            )
        raise ctx.fail(
            f"`history` takes one model name; {code(' '.join(ctx.words[1:]))} is extra.",
            [model],
        )
    limit = HISTORY_DEFAULT_LIMIT if ctx.limit is None else ctx.limit
    return command.History(model, limit)


def parse_lock(ctx: Ctx) -> command.Lock:
    target, index = _optional_target(ctx)
    return command.Lock(ctx.words[0], target, ctx.reason(index), ctx.duration)


def parse_unlock(ctx: Ctx) -> command.Unlock:
    target, index = _optional_target(ctx)
    if index < len(ctx.words):
        kept = ctx.words[:index]
        raise ctx.fail(
            f"`unlock` takes a model and, optionally, a target; "
            f"{code(' '.join(ctx.words[index:]))} is extra.",
            kept,
        )
    return command.Unlock(ctx.words[0], target)


def _optional_target(ctx: Ctx) -> tuple[Target | None, int]:
    """The target after the model, if one stands there, and the index of the next word.
    A word that looks like a mistyped target (`prod`, `@`) is refused rather than read
    as the reason: `lock m prod` must not lock every target."""
    model_at(ctx, 0)
    if len(ctx.words) < 2:
        return None, 1
    candidate = read_target(ctx.words[1])
    if isinstance(candidate, Target):
        return candidate, 2
    if looks_like_target(ctx.words[1]):
        raise ctx.fail_at(1, candidate)
    return None, 1
