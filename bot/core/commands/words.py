"""The words of a command line: model names, versions, targets, aliases and request ids.

Each reader returns the typed value, or why the word is not one (`Bad`, or a raised
`Invalid` where the whole command cannot go on) with the word to put in its place.
"""

from __future__ import annotations

import difflib
import re
import string

from bot.core.commands.context import Bad, Ctx
from bot.core.commands.echo import code, describe_char
from bot.core.commands.types import STAGES, Target, VersionSpec

MODEL_MAX_LENGTH = 256
ALIAS_MAX_LENGTH = 64  # the longest alias a command can name (the policy's limit too)
VERSION_MAX_DIGITS = 18  # keeps the number inside a signed 64-bit integer

_MODEL_CHARS = frozenset(string.ascii_letters + string.digits + "._-")
_ALIAS_RE = re.compile(rf"[a-z0-9][a-z0-9_-]{{0,{ALIAS_MAX_LENGTH - 1}}}")
_RESERVED_ALIAS_RE = re.compile(r"latest|v[0-9]+")
NUMBER_RE = re.compile(r"[vV]?([0-9]+)")
_NEGATIVE_RE = re.compile(r"[vV]?-[0-9]+")
_REQUEST_RE = re.compile(r"req-[0-9a-f]{6,32}")
_BARE_REQUEST_RE = re.compile(r"[0-9a-f]{6,32}")
DIGITS_RE = re.compile(r"[0-9]+")

_VERSION_WORDS = ("latest", *STAGES)
# Short forms people type; suggested, never accepted, because the contract names the stages.
_ABBREVIATIONS = {
    "prod": "production",
    "prd": "production",
    "stage": "staging",
    "stg": "staging",
    "archive": "archived",
}
# Above this similarity a word where a target may stand is taken as a mistyped target
# rather than the first word of a reason: `rollback m stagin` must not roll back Production.
_NEAR_MISS = 0.85

TARGET_HINT = "Targets are staging, production, archived or an alias like @champion."
VERSION_HINT = (
    "Versions are `v3` or `3`, `latest`, an alias like `@champion`, or a stage such as `staging`."
)
_MODEL_RULE = (
    "Model names use letters, digits, `.`, `_` and `-`, start with a letter or digit, "
    f"contain no `..` and are at most {MODEL_MAX_LENGTH} characters."
)
_ALIAS_RULE = (
    "Alias names use letters, digits, `_` and `-`, start with a letter or digit "
    f"and are at most {ALIAS_MAX_LENGTH} characters."
)
_REQUEST_RULE = (
    "A request id is `req-` and 6 to 32 hex digits, as shown in the request message, "
    "e.g. `{command} req-7f3a2c91bd`."
)


def model_at(ctx: Ctx, index: int) -> str:
    if index >= len(ctx.words):
        raise ctx.fail(f"`{ctx.command}` needs a model name.")
    problem = model_problem(ctx.words[index])
    if problem is not None:
        raise ctx.fail(problem)
    return ctx.words[index]


def only_model(ctx: Ctx) -> str:
    model = model_at(ctx, 0)
    if len(ctx.words) > 1:
        raise ctx.fail(
            f"`{ctx.command}` takes only a model name; {code(' '.join(ctx.words[1:]))} is extra.",
            [model],
        )
    return model


def model_problem(name: str) -> str | None:
    """Why `name` is not an acceptable model name, or None.

    Strict on purpose: the name reaches MLflow queries and URIs, so only a small safe
    alphabet passes.
    """
    if len(name) > MODEL_MAX_LENGTH:
        why = f"it is {len(name)} characters long"
    elif (bad := next((char for char in name if char not in _MODEL_CHARS), None)) is not None:
        why = f"{describe_char(bad)} is not allowed"
    elif not name[0].isalnum():
        why = f"it starts with `{name[0]}`"
    elif ".." in name:
        why = "`..` is not allowed"
    else:
        return None
    return f"{code(name)} is not a valid model name: {why}. {_MODEL_RULE}"


def request_id(ctx: Ctx) -> str:
    if not ctx.words:
        raise ctx.fail(f"`{ctx.command}` needs the request id. {_request_rule(ctx.command)}")
    raw = ctx.words[0]
    lowered = lower_ascii(raw)
    if _REQUEST_RE.fullmatch(lowered):
        return lowered
    if _BARE_REQUEST_RE.fullmatch(lowered):
        fixed = f"req-{lowered}"
        raise ctx.fail(
            f"{code(raw)} is not a request id. Did you mean `{fixed}`?",
            [fixed, *ctx.words[1:]],
        )
    raise ctx.fail(f"{code(raw)} is not a request id. {_request_rule(ctx.command)}")


def _request_rule(command: str) -> str:
    return _REQUEST_RULE.format(command=command)


def read_target(word: str) -> Target | Bad:
    key = lower_ascii(word)
    if key in STAGES:
        return Target("stage", STAGES[key])
    if word.startswith("@"):
        alias = _alias(word, as_version=False)
        if isinstance(alias, Bad):
            return alias
        # `@production` is the target itself in a registry without stages, and the
        # mirror of a stage in one with them: the service, which knows which, decides.
        return Target("alias", alias)
    suggestion = suggest(word, tuple(STAGES))
    did_you_mean = f" Did you mean `{suggestion}`?" if suggestion else ""
    return Bad(f"{code(word)} is not a target.{did_you_mean} {TARGET_HINT}", suggestion)


def read_version(word: str) -> VersionSpec | Bad:
    key = lower_ascii(word)
    if key == "latest":
        return VersionSpec("latest", "latest")
    if key in STAGES:
        return VersionSpec("stage", STAGES[key])
    if word.startswith("@"):
        alias = _alias(word, as_version=True)
        return alias if isinstance(alias, Bad) else VersionSpec("alias", alias)
    number = NUMBER_RE.fullmatch(word)
    if number is not None:
        digits = number.group(1).lstrip("0")
        if not digits:
            return Bad(f"{code(word)} is not a version: versions start at 1.")
        if len(digits) > VERSION_MAX_DIGITS:
            return Bad(
                f"{code(word)} is not a version: the version number is too large "
                f"(at most {VERSION_MAX_DIGITS} digits)."
            )
        return VersionSpec("number", digits)
    if _NEGATIVE_RE.fullmatch(word):
        return Bad(f"{code(word)} is not a version: versions start at 1.")
    suggestion = suggest(word, _VERSION_WORDS)
    did_you_mean = f" Did you mean `{suggestion}`?" if suggestion else ""
    return Bad(f"{code(word)} is not a version.{did_you_mean} {VERSION_HINT}", suggestion)


def _alias(word: str, *, as_version: bool) -> str | Bad:
    """The alias name of `@name`, lower-cased, or why it cannot be one."""
    name = word[1:]
    if not name:
        return Bad("`@` needs an alias name after it, like `@champion`.")
    # ASCII first: lower() maps some non-ASCII letters (the Kelvin sign) onto ASCII ones.
    lowered = name.lower() if name.isascii() else name
    if not _ALIAS_RE.fullmatch(lowered):
        return Bad(f"{code(word)} is not a valid alias. {_ALIAS_RULE}")
    if _RESERVED_ALIAS_RE.fullmatch(lowered):
        problem = (
            f"`@{lowered}` cannot be an alias: MLflow reserves `latest` and `v<number>` "
            "for versions."
        )
        if as_version:
            return Bad(f"{problem} Did you mean `{lowered}`?", lowered)
        return Bad(f"{problem} {TARGET_HINT}")
    return lowered


def looks_like_target(word: str) -> bool:
    return word.startswith("@") or suggest(word, tuple(STAGES), _NEAR_MISS) is not None


def is_plain_version(word: str) -> bool:
    return NUMBER_RE.fullmatch(word) is not None or lower_ascii(word) == "latest"


def suggest(word: str, choices: tuple[str, ...], cutoff: float = 0.6) -> str | None:
    """The choice `word` was probably meant to be (a typo or a short form), or None."""
    key = lower_ascii(word)
    if len(key) > 64:  # nothing that long is a typo of a short word
        return None
    if _ABBREVIATIONS.get(key) in choices:
        return _ABBREVIATIONS[key]
    matches = difflib.get_close_matches(key, choices, n=1, cutoff=cutoff)
    return matches[0] if matches else None


def lower_ascii(word: str) -> str:
    """Lower-case for keyword matching; non-ASCII stays as is and so matches no keyword."""
    return word.lower() if word.isascii() else word
