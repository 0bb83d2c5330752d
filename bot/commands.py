"""Text → typed command. Pure: no I/O, never raises on user input.

The grammar (design.md, "Commands"):

    promote  <model> <version> <target> [reason…]   [--dry-run]
    rollback <model> [<target>] [to <version>] [reason…]   [--dry-run]
    approve  <request-id> [comment…]
    deny     <request-id> [reason…]
    status   <model>
    history  <model> [--limit N]
    policy   <model>
    help     [command]
"""

from __future__ import annotations

import difflib
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

STAGES = {"staging": "Staging", "production": "Production", "archived": "Archived"}


@dataclass(frozen=True)
class VersionSpec:
    """How the user named a version.

    kind "number": value is the decimal string of a positive int ("3").
    kind "latest": value is "latest".
    kind "alias":  value is the alias name without "@", lower-cased ("champion").
    kind "stage":  value is the canonical stage name ("Staging", "Production", "Archived").
    """

    kind: Literal["number", "latest", "alias", "stage"]
    value: str

    def __str__(self) -> str:
        if self.kind == "number":
            return f"v{self.value}"
        if self.kind == "alias":
            return f"@{self.value}"
        return self.value


@dataclass(frozen=True)
class Target:
    """Where a version goes.

    kind "stage": name is canonical ("Staging", "Production", "Archived").
    kind "alias": name is the alias without "@", lower-cased ("champion").
    """

    kind: Literal["stage", "alias"]
    name: str

    @property
    def label(self) -> str:
        """As shown to people and written in `promoted_to`: `Production` or `@champion`."""
        return self.name if self.kind == "stage" else f"@{self.name}"

    @property
    def key(self) -> str:
        """As written in policy files and tag keys: `production` or `@champion`."""
        return self.name.lower() if self.kind == "stage" else f"@{self.name}"

    @property
    def alias(self) -> str:
        """The alias that always mirrors this target (`production` for Production)."""
        return self.name.lower()


@dataclass(frozen=True)
class Promote:
    model: str
    version: VersionSpec | None  # None only when the door may fill it in (PR head)
    target: Target
    reason: str = ""
    dry_run: bool = False


@dataclass(frozen=True)
class Rollback:
    model: str
    target: Target  # defaults to Production
    to_version: VersionSpec | None = None
    reason: str = ""
    dry_run: bool = False


@dataclass(frozen=True)
class Approve:
    request_id: str
    comment: str = ""


@dataclass(frozen=True)
class Deny:
    request_id: str
    reason: str = ""


@dataclass(frozen=True)
class Status:
    model: str


@dataclass(frozen=True)
class History:
    model: str
    limit: int = 20


@dataclass(frozen=True)
class PolicyExplain:
    model: str


@dataclass(frozen=True)
class Help:
    topic: str = ""  # "" or a command word


Command = Promote | Rollback | Approve | Deny | Status | History | PolicyExplain | Help


@dataclass(frozen=True)
class ParseResult:
    """Exactly one of: a command, a reply (what is wrong + the right form), or ignore.

    `reply` is plain text with `code` in backticks, fit for every door.
    """

    command: Command | None = None
    reply: str | None = None
    ignore: bool = False


# --------------------------------------------------------------------------------------
# The words of the grammar. Other modules (render, CLI, Slack, GitHub) show these.

COMMANDS: tuple[str, ...] = (
    "promote",
    "rollback",
    "approve",
    "deny",
    "status",
    "history",
    "policy",
    "help",
)

USAGE: dict[str, str] = {
    "promote": "promote <model> <version> <target> [reason…] [--dry-run]",
    "rollback": "rollback <model> [<target>] [to <version>] [reason…] [--dry-run]",
    "approve": "approve <request-id> [comment…]",
    "deny": "deny <request-id> [reason…]",
    "status": "status <model>",
    "history": "history <model> [--limit N]",
    "policy": "policy <model>",
    "help": "help [command]",
}

HELP: dict[str, str] = {
    "promote": (
        "Moves a model version to a stage or an alias; the policy decides whether it happens "
        "now, waits for approvals, or is refused.\n"
        "<version> is `v3` or `3`, `latest`, an alias like `@champion`, or a stage such as "
        "`staging`. <target> is `staging`, `production`, `archived` or an alias like "
        "`@champion`.\n"
        "Words after the target are the reason; `--dry-run` checks the policy without "
        "moving anything.\n"
        "Example: `promote sentiment-classifier v3 production passed shadow test, F1 0.89`"
    ),
    "rollback": (
        "Puts back the version that held a target before the current one (the target "
        "defaults to `production`), or the version named after `to`.\n"
        "Words after that are the reason; `--dry-run` shows what would happen.\n"
        "Example: `rollback sentiment-classifier production to v2 latency doubled`"
    ),
    "approve": (
        "Approves a pending request; it goes ahead once it has the approvals its policy "
        "needs. Nobody approves their own request.\n"
        "Words after the request id are a comment.\n"
        "Example: `approve req-7f3a2c91bd looks good`"
    ),
    "deny": (
        "Denies a pending request: it is closed and nothing moves.\n"
        "Words after the request id are the reason.\n"
        "Example: `deny req-7f3a2c91bd accuracy dropped on the holdout set`"
    ),
    "status": (
        "Shows which version of a model holds each stage and alias.\n"
        "Example: `status sentiment-classifier`"
    ),
    "history": (
        "Shows a model's promotions and rollbacks, newest first: who, when and why.\n"
        "`--limit N` shows N entries (1 to 1000, default 20).\n"
        "Example: `history sentiment-classifier --limit 5`"
    ),
    "policy": (
        "Explains the rules that apply to a model, per target: who may ask, who must "
        "approve, metric gates and freeze windows.\n"
        "Example: `policy sentiment-classifier`"
    ),
    "help": ("Lists all commands, or explains one of them.\nExample: `help promote`"),
}

HISTORY_DEFAULT_LIMIT = 20
HISTORY_MAX_LIMIT = 1000
MODEL_MAX_LENGTH = 256
VERSION_MAX_DIGITS = 18  # keeps the number inside a signed 64-bit integer

_FLAGS: dict[str, tuple[str, ...]] = {
    "promote": ("--dry-run",),
    "rollback": ("--dry-run",),
    "history": ("--limit",),
}
_KNOWN_FLAG_NAMES = frozenset({"dry-run", "limit", "help"})
# Phone and macOS keyboards turn "--" into an en or em dash; "—dry-run" is still a flag.
_SMART_DASHES = ("\u2014", "\u2013")

_FLAG_RE = re.compile(r"--([A-Za-z][A-Za-z0-9-]*)(?:=(.*))?", re.DOTALL)
_MODEL_CHARS = frozenset(string.ascii_letters + string.digits + "._-")
_ALIAS_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_RESERVED_ALIAS_RE = re.compile(r"latest|v[0-9]+")
_NUMBER_RE = re.compile(r"[vV]?([0-9]+)")
_NEGATIVE_RE = re.compile(r"[vV]?-[0-9]+")
_REQUEST_RE = re.compile(r"req-[0-9a-f]{6,32}")
_BARE_REQUEST_RE = re.compile(r"[0-9a-f]{6,32}")
_DIGITS_RE = re.compile(r"[0-9]+")

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
_SHOW_MAX = 60  # user text echoed in a reply
_TRY_MAX = 400  # a suggested command line

_TARGET_HINT = "Targets are staging, production, archived or an alias like @champion."
_VERSION_HINT = (
    "Versions are `v3` or `3`, `latest`, an alias like `@champion`, or a stage such as `staging`."
)
_MODEL_RULE = (
    "Model names use letters, digits, `.`, `_` and `-`, start with a letter or digit, "
    f"contain no `..` and are at most {MODEL_MAX_LENGTH} characters."
)
_ALIAS_RULE = (
    "Alias names use letters, digits, `_` and `-`, start with a letter or digit "
    "and are at most 64 characters."
)
_REQUEST_RULE = (
    "A request id is `req-` and 6 to 32 hex digits, as shown in the request message, "
    "e.g. `{command} req-7f3a2c91bd`."
)


def help_text(topic: str = "") -> str:
    """All commands when `topic` is "" (or unknown), else the usage and help of one command."""
    key = _lower_ascii(topic.strip().removeprefix("/"))
    if key in HELP:
        return f"Usage: `{USAGE[key]}`\n{HELP[key]}"
    lines = [
        "promobot moves MLflow model versions through stages and aliases, with approvals.",
        "Commands:",
        *(f"  `{USAGE[command]}`" for command in COMMANDS),
        "Type `help <command>` for details and an example.",
    ]
    return "\n".join(lines)


def parse(text: str) -> ParseResult:
    """Turn command text (without the leading `/`) into a command or a reply.

    Only the first line holds command words and flags; further lines are prose and are
    appended to the reason or comment.
    """
    first, extra = _split_lines(text)
    tokens = first.split()
    if tokens and _lower_ascii(tokens[0]) == "promobot":
        tokens = tokens[1:]
    if not tokens:
        return ParseResult(reply=_reply("No command given.", None))
    word = _lower_ascii(tokens[0].removeprefix("/"))
    if word not in _PARSERS:
        return ParseResult(reply=_unknown_command(tokens))
    try:
        return ParseResult(command=_parse_command(word, tokens[1:], extra))
    except _Invalid as invalid:
        return ParseResult(reply=invalid.reply)


# --------------------------------------------------------------------------------------
# Internals. Helpers raise _Invalid (carrying the finished reply) so that each command's
# parser reads as the grammar; parse() turns it into a ParseResult and never lets it out.


class _Invalid(Exception):
    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


@dataclass(frozen=True)
class _Bad:
    """Why a word is not a version or target, and the word to put in its place if known."""

    problem: str
    suggestion: str | None = None


@dataclass
class _Ctx:
    command: str
    words: list[str]  # the first line after the command word, flags removed
    extra: str  # the lines after the first
    dry_run: bool = False
    limit: int | None = None

    def reason(self, start: int) -> str:
        inline = " ".join(self.words[start:])
        return "\n".join(part for part in (inline, self.extra) if part)

    def fail(self, problem: str, try_words: list[str] | None = None) -> _Invalid:
        try_line = None
        if try_words is not None:
            flags = ["--dry-run"] if self.dry_run else []
            if self.limit is not None:
                flags += ["--limit", str(self.limit)]
            try_line = _command_line([self.command, *try_words, *flags])
        return _Invalid(_reply(problem, self.command, try_line))

    def fail_at(self, index: int, bad: _Bad) -> _Invalid:
        fixed = None
        if bad.suggestion is not None:
            fixed = [*self.words[:index], bad.suggestion, *self.words[index + 1 :]]
        return self.fail(bad.problem, fixed)


def _parse_command(command: str, tokens: list[str], extra: str) -> Command:
    # `--help` anywhere wins over everything else, so a confused user always gets help.
    if any(_as_flag(token) == ("--help", None) for token in tokens):
        return Help(command)
    ctx = _take_flags(command, tokens, extra)
    return _PARSERS[command](ctx)


def _parse_promote(ctx: _Ctx) -> Promote:
    words = ctx.words
    model = _model_at(ctx, 0)
    if len(words) < 2:
        raise ctx.fail(f"`promote` needs a version and a target after {_code(model)}.")
    second = _target(words[1])
    third = _target(words[2]) if len(words) > 2 else None
    if isinstance(second, Target) and not isinstance(third, Target):
        # The version-less form, for doors that know the version (a pull request's head).
        if third is not None:
            _reject_misplaced_after_target(ctx, 2, third)
        return Promote(model, None, second, ctx.reason(2), ctx.dry_run)
    version = _version(words[1])
    if isinstance(version, _Bad):
        raise ctx.fail_at(1, version)
    if third is None:
        raise ctx.fail(
            f"`promote {_clean(model)} {_clean(words[1])}` is missing the target: "
            f"where should {version} go? {_TARGET_HINT}"
        )
    if isinstance(third, _Bad):
        raise ctx.fail_at(2, third)
    return Promote(model, version, third, ctx.reason(3), ctx.dry_run)


def _reject_misplaced_after_target(ctx: _Ctx, index: int, bad: _Bad) -> None:
    """Refuse the version-less promote when the word after the target was meant as more.

    A mistyped second target or a version written after the target would otherwise be
    swallowed into the reason, and the door would promote a version nobody named.
    """
    word = ctx.words[index]
    if _looks_like_target(word):
        raise ctx.fail_at(index, bad)
    if _NUMBER_RE.fullmatch(word) or _lower_ascii(word) == "latest":
        swapped = [ctx.words[0], word, ctx.words[1], *ctx.words[index + 1 :]]
        raise ctx.fail(
            f"The version comes before the target: {_code(word)} after "
            f"{_code(ctx.words[1])} reads as the start of the reason.",
            swapped,
        )


def _parse_rollback(ctx: _Ctx) -> Rollback:
    words = ctx.words
    model = _model_at(ctx, 0)
    index = 1
    target = Target("stage", STAGES["production"])
    if index < len(words):
        candidate = _target(words[index])
        if isinstance(candidate, Target):
            target = candidate
            index += 1
        elif _looks_like_target(words[index]):
            raise ctx.fail_at(index, candidate)
    to_version: VersionSpec | None = None
    if index < len(words) and _lower_ascii(words[index]) == "to":
        if index + 1 >= len(words):
            raise ctx.fail(f"`to` needs a version after it. {_VERSION_HINT}")
        version = _version(words[index + 1])
        if isinstance(version, _Bad):
            raise ctx.fail_at(index + 1, version)
        to_version = version
        index += 2
    elif index < len(words) and _is_plain_version(words[index]):
        # `rollback m v2` would otherwise restore the previous version with reason "v2".
        raise ctx.fail(
            f"To roll back to {_code(words[index])}, write `to` before it.",
            [*words[:index], "to", *words[index:]],
        )
    return Rollback(model, target, to_version, ctx.reason(index), ctx.dry_run)


def _parse_approve(ctx: _Ctx) -> Approve:
    return Approve(_request_id(ctx), ctx.reason(1))


def _parse_deny(ctx: _Ctx) -> Deny:
    return Deny(_request_id(ctx), ctx.reason(1))


def _parse_status(ctx: _Ctx) -> Status:
    return Status(_only_model(ctx))


def _parse_policy(ctx: _Ctx) -> PolicyExplain:
    return PolicyExplain(_only_model(ctx))


def _parse_history(ctx: _Ctx) -> History:
    model = _model_at(ctx, 0)
    if len(ctx.words) > 1:
        extra = ctx.words[1]
        if _DIGITS_RE.fullmatch(extra) and len(ctx.words) == 2:
            raise ctx.fail(
                f"Give the number of entries with `--limit`: {_code(extra)} alone is not "
                "understood.",
                [model, "--limit", extra],
            )
        raise ctx.fail(
            f"`history` takes one model name; {_code(' '.join(ctx.words[1:]))} is extra.",
            [model],
        )
    limit = HISTORY_DEFAULT_LIMIT if ctx.limit is None else ctx.limit
    return History(model, limit)


def _parse_help(ctx: _Ctx) -> Help:
    # Words after the topic are ignored: help is harmless, and "help me with promote"
    # style chatter should still get an answer rather than an error.
    if not ctx.words:
        return Help("")
    topic = _lower_ascii(ctx.words[0].removeprefix("/"))
    if topic == "promobot":
        return Help("")
    if topic in COMMANDS:
        return Help(topic)
    suggestion = _suggest(ctx.words[0].removeprefix("/"), COMMANDS)
    did_you_mean = f" Did you mean `{suggestion}`?" if suggestion else ""
    try_line = f"help {suggestion}" if suggestion else None
    raise _Invalid(_reply(f"There is no command {_code(topic)}.{did_you_mean}", None, try_line))


_PARSERS: dict[str, Callable[[_Ctx], Command]] = {
    "promote": _parse_promote,
    "rollback": _parse_rollback,
    "approve": _parse_approve,
    "deny": _parse_deny,
    "status": _parse_status,
    "history": _parse_history,
    "policy": _parse_policy,
    "help": _parse_help,
}


# ---- Words ---------------------------------------------------------------------------


def _model_at(ctx: _Ctx, index: int) -> str:
    if index >= len(ctx.words):
        raise ctx.fail(f"`{ctx.command}` needs a model name.")
    problem = _model_problem(ctx.words[index])
    if problem is not None:
        raise ctx.fail(problem)
    return ctx.words[index]


def _only_model(ctx: _Ctx) -> str:
    model = _model_at(ctx, 0)
    if len(ctx.words) > 1:
        raise ctx.fail(
            f"`{ctx.command}` takes only a model name; {_code(' '.join(ctx.words[1:]))} is extra.",
            [model],
        )
    return model


def _model_problem(name: str) -> str | None:
    """Why `name` is not an acceptable model name, or None.

    Strict on purpose: the name reaches MLflow queries and URIs, so only a small safe
    alphabet passes.
    """
    if len(name) > MODEL_MAX_LENGTH:
        why = f"it is {len(name)} characters long"
    elif (bad := next((char for char in name if char not in _MODEL_CHARS), None)) is not None:
        why = f"{_describe_char(bad)} is not allowed"
    elif not name[0].isalnum():
        why = f"it starts with `{name[0]}`"
    elif ".." in name:
        why = "`..` is not allowed"
    else:
        return None
    return f"{_code(name)} is not a valid model name: {why}. {_MODEL_RULE}"


def _request_id(ctx: _Ctx) -> str:
    if not ctx.words:
        raise ctx.fail(f"`{ctx.command}` needs the request id. {_request_rule(ctx.command)}")
    raw = ctx.words[0]
    request_id = _lower_ascii(raw)
    if _REQUEST_RE.fullmatch(request_id):
        return request_id
    if _BARE_REQUEST_RE.fullmatch(request_id):
        fixed = f"req-{request_id}"
        raise ctx.fail(
            f"{_code(raw)} is not a request id. Did you mean `{fixed}`?",
            [fixed, *ctx.words[1:]],
        )
    raise ctx.fail(f"{_code(raw)} is not a request id. {_request_rule(ctx.command)}")


def _request_rule(command: str) -> str:
    return _REQUEST_RULE.format(command=command)


def _target(word: str) -> Target | _Bad:
    key = _lower_ascii(word)
    if key in STAGES:
        return Target("stage", STAGES[key])
    if word.startswith("@"):
        alias = _alias(word, as_version=False)
        if isinstance(alias, _Bad):
            return alias
        if alias in STAGES:
            # Stage aliases mirror their stage; setting one alone would break that.
            return _Bad(
                f"`@{alias}` mirrors the {STAGES[alias]} stage and moves with it; "
                f"name the stage `{alias}` instead.",
                alias,
            )
        return Target("alias", alias)
    suggestion = _suggest(word, tuple(STAGES))
    did_you_mean = f" Did you mean `{suggestion}`?" if suggestion else ""
    return _Bad(f"{_code(word)} is not a target.{did_you_mean} {_TARGET_HINT}", suggestion)


def _version(word: str) -> VersionSpec | _Bad:
    key = _lower_ascii(word)
    if key == "latest":
        return VersionSpec("latest", "latest")
    if key in STAGES:
        return VersionSpec("stage", STAGES[key])
    if word.startswith("@"):
        alias = _alias(word, as_version=True)
        return alias if isinstance(alias, _Bad) else VersionSpec("alias", alias)
    number = _NUMBER_RE.fullmatch(word)
    if number is not None:
        digits = number.group(1).lstrip("0")
        if not digits:
            return _Bad(f"{_code(word)} is not a version: versions start at 1.")
        if len(digits) > VERSION_MAX_DIGITS:
            return _Bad(
                f"{_code(word)} is not a version: the version number is too large "
                f"(at most {VERSION_MAX_DIGITS} digits)."
            )
        return VersionSpec("number", digits)
    if _NEGATIVE_RE.fullmatch(word):
        return _Bad(f"{_code(word)} is not a version: versions start at 1.")
    suggestion = _suggest(word, _VERSION_WORDS)
    did_you_mean = f" Did you mean `{suggestion}`?" if suggestion else ""
    return _Bad(f"{_code(word)} is not a version.{did_you_mean} {_VERSION_HINT}", suggestion)


def _alias(word: str, *, as_version: bool) -> str | _Bad:
    """The alias name of `@name`, lower-cased, or why it cannot be one."""
    name = word[1:]
    if not name:
        return _Bad("`@` needs an alias name after it, like `@champion`.")
    # ASCII first: lower() maps some non-ASCII letters (the Kelvin sign) onto ASCII ones.
    lowered = name.lower() if name.isascii() else name
    if not _ALIAS_RE.fullmatch(lowered):
        return _Bad(f"{_code(word)} is not a valid alias. {_ALIAS_RULE}")
    if _RESERVED_ALIAS_RE.fullmatch(lowered):
        problem = (
            f"`@{lowered}` cannot be an alias: MLflow reserves `latest` and `v<number>` "
            "for versions."
        )
        if as_version:
            return _Bad(f"{problem} Did you mean `{lowered}`?", lowered)
        return _Bad(f"{problem} {_TARGET_HINT}")
    return lowered


def _looks_like_target(word: str) -> bool:
    return word.startswith("@") or _suggest(word, tuple(STAGES), _NEAR_MISS) is not None


def _is_plain_version(word: str) -> bool:
    return _NUMBER_RE.fullmatch(word) is not None or _lower_ascii(word) == "latest"


def _suggest(word: str, choices: tuple[str, ...], cutoff: float = 0.6) -> str | None:
    key = _lower_ascii(word)
    if len(key) > 64:  # nothing that long is a typo of a short word
        return None
    if _ABBREVIATIONS.get(key) in choices:
        return _ABBREVIATIONS[key]
    matches = difflib.get_close_matches(key, choices, n=1, cutoff=cutoff)
    return matches[0] if matches else None


# ---- Flags ---------------------------------------------------------------------------


def _as_flag(token: str) -> tuple[str, str | None] | None:
    """("--name", value or None) when `token` is a flag; None when it is an ordinary word.

    Only `--` followed by a letter makes a flag, so "--", "-->" and "-1" stay words.
    """
    if token[:1] in _SMART_DASHES and token[1:].partition("=")[0].lower() in _KNOWN_FLAG_NAMES:
        token = "--" + token[1:]
    match = _FLAG_RE.fullmatch(token)
    if match is None:
        return None
    return "--" + match.group(1).lower(), match.group(2)


def _take_flags(command: str, tokens: list[str], extra: str) -> _Ctx:
    ctx = _Ctx(command, [], extra)
    valid = _FLAGS.get(command, ())
    index = 0
    while index < len(tokens):
        token = tokens[index]
        flag = _as_flag(token)
        index += 1
        if flag is None:
            ctx.words.append(token)
            continue
        name, value = flag
        if name not in valid:
            raise _Invalid(_unknown_flag(command, tokens, index - 1))
        if name == "--dry-run":
            if value is not None:
                raise _Invalid(_reply("`--dry-run` takes no value.", command))
            ctx.dry_run = True
            continue
        # --limit
        if ctx.limit is not None:
            raise _Invalid(_reply("`--limit` is given twice.", command))
        if value is None:
            if index >= len(tokens) or _as_flag(tokens[index]) is not None:
                raise _Invalid(_reply("`--limit` needs a number, like `--limit 5`.", command))
            value = tokens[index]
            index += 1
        ctx.limit = _limit(value, command)
    return ctx


def _limit(value: str, command: str) -> int:
    if _DIGITS_RE.fullmatch(value):
        digits = value.lstrip("0")
        # Length first: int() refuses (raises on) strings of thousands of digits.
        if digits and len(digits) <= 4 and int(digits) <= HISTORY_MAX_LIMIT:
            return int(digits)
    raise _Invalid(
        _reply(
            f"`--limit` must be a whole number from 1 to {HISTORY_MAX_LIMIT}, "
            f"not {_code(value) if value else 'empty'}.",
            command,
        )
    )


def _unknown_flag(command: str, tokens: list[str], index: int) -> str:
    token = tokens[index]
    valid = _FLAGS.get(command, ())
    name = token.partition("=")[0]
    suggestion = _suggest(name.lstrip("-\u2014\u2013"), tuple(f[2:] for f in valid))
    try_line = None
    if suggestion is not None:
        fixed = [*tokens[:index], f"--{suggestion}", *tokens[index + 1 :]]
        try_line = _command_line([command, *fixed])
        problem = f"{_code(name)} is not a flag of `{command}`. Did you mean `--{suggestion}`?"
    elif valid:
        listed = ", ".join(f"`{flag}`" for flag in valid)
        problem = f"{_code(name)} is not a flag of `{command}`; it takes {listed}."
    else:
        problem = f"{_code(name)} is not a flag of `{command}`, which takes no flags."
    return _reply(problem, command, try_line)


# ---- Replies -------------------------------------------------------------------------


def _unknown_command(tokens: list[str]) -> str:
    word = tokens[0].removeprefix("/")
    suggestion = _suggest(word, COMMANDS)
    if suggestion is None:
        return _reply(f"Unknown command {_code(word)}.", None)
    try_line = _command_line([suggestion, *tokens[1:]])
    return _reply(f"Unknown command {_code(word)}. Did you mean `{suggestion}`?", None, try_line)


def _reply(problem: str, command: str | None, try_line: str | None = None) -> str:
    """What was wrong, what to type, and the usage of the command (or of all commands)."""
    lines = [problem]
    if try_line:
        lines.append(f"Try: `{try_line}`")
    if command is not None:
        lines.append(f"Usage: `{USAGE[command]}`")
    else:
        lines.append("Commands:")
        lines.extend(f"  `{USAGE[name]}`" for name in COMMANDS)
    return "\n".join(lines)


def _command_line(words: list[str]) -> str:
    line = " ".join(_clean(word) for word in words)
    return line if len(line) <= _TRY_MAX else line[: _TRY_MAX - 1] + "…"


def _code(text: str) -> str:
    """User text as `code` in a reply: short, printable, and unable to break the quoting."""
    shown = text if len(text) <= _SHOW_MAX else text[: _SHOW_MAX - 1] + "…"
    return f"`{_clean(shown)}`"


def _clean(text: str) -> str:
    # A backtick would end the code span early; invisible and control characters (and
    # lone surrogates, which no door can encode) would hide what the user typed.
    return "".join(
        "'" if char == "`" else char if char.isprintable() else "\ufffd" for char in text
    )


def _describe_char(char: str) -> str:
    if char == "`":
        return "the backtick"
    if char.isprintable() and char.isascii():
        return f"`{char}`"
    if char.isprintable():
        return f"`{char}` (U+{ord(char):04X})"
    return f"the invisible character U+{ord(char):04X}"


def _lower_ascii(word: str) -> str:
    """Lower-case for keyword matching; non-ASCII stays as is and so matches no keyword."""
    return word.lower() if word.isascii() else word


def _split_lines(text: str) -> tuple[str, str]:
    """(first line without one leading "/", the remaining lines) of the stripped text."""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    first, _, rest = normalised.partition("\n")
    return first.removeprefix("/"), rest.strip()
