"""Policy files, step one: read the YAML safely and check it against the raw schema.

This module knows the file format (design.md, "Policy files") and nothing about
decisions. It turns files into `RawPolicyFile` objects, or into a list of problems,
each `file:line: field: what is wrong (what to write instead)`. `bot.policy` then turns
the raw objects into normalized rules (Atlantis' raw → valid).

The file is untrusted input that may arrive in a pull request, so reading is bounded:
size is checked before reading, YAML is composed with the safe loader while counting
aliases and depth, and the alias-expanded size is measured before any Python object
is built from it.
"""

from __future__ import annotations

import difflib
import json
import re
import types
import typing
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
)
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_FILE_BYTES = 1_000_000
MAX_ALIASES = 100
MAX_VALUES = 100_000  # after expanding aliases; a real policy has a few hundred
MAX_DEPTH = 40  # a real policy nests 7 levels deep
MAX_TTL_DAYS = 365

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
STAGE_KEYS = ("staging", "production", "archived")
# Aliases MLflow refuses, or that mirror a stage (design.md: mirrored aliases always
# agree with the stages, so only the stage target may move them).
_MIRRORED_ALIASES = {"@staging", "@production", "@archived"}

# Metric gate: "<op> <number>" or "<op> production|staging [+|- <number>]".
# The Unicode forms are accepted so a line copied from `policy <model>` output reads back.
_NUM = r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
_UNUM = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
METRIC_PATTERN = (
    rf"^\s*(>=|<=|==|>|<|≥|≤)\s*(?:({_NUM})|(production|staging)(?:\s*([-+−])\s*({_UNUM}))?)\s*$"
)
_METRIC_RE = re.compile(METRIC_PATTERN)
_OPS = {">=": ">=", "<=": "<=", "==": "==", ">": ">", "<": "<", "≥": ">=", "≤": "<="}

TIME_PATTERN = r"^([01]?[0-9]|2[0-3]):[0-5][0-9]$"
TTL_PATTERN = r"^(?=[0-9])(?:([0-9]{1,5})d)?(?:([0-9]{1,5})h)?(?:([0-9]{1,5})m)?$"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
TARGET_PATTERN = r"^(staging|production|archived|@[a-z0-9][a-z0-9_-]*)$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
GITHUB_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\[bot\])?$"
SLACK_PATTERN = r"^[A-Z0-9]{2,}$"
CLI_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


class PolicyError(Exception):
    """Invalid policy file(s).

    `problems` holds one sentence per problem, `file:line: field: what is wrong (what
    to write instead)`; `str(e)` joins them with newlines.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: list[str] = list(problems)
        super().__init__("\n".join(self.problems))


# ---------------------------------------------------------------- value parsers
# Shared by the schema validators (which say what is wrong) and by bot.policy
# (which builds rules from values already known to be valid).


@dataclass(frozen=True)
class MetricExpr:
    op: str  # ASCII: ">=", ">", "<=", "<", "=="
    threshold: float | None
    relative_to: str | None  # "production" / "staging"
    offset: float
    number_text: str  # the number as written: "0.80", or the offset "0.01"


def parse_metric(text: str) -> MetricExpr | None:
    match = _METRIC_RE.match(text)
    if match is None:
        return None
    op_text, number, stage, sign, offset = match.groups()
    op = _OPS[op_text]
    if number is not None:
        return MetricExpr(op, float(number), None, 0.0, number)
    value = float(offset) if offset else 0.0
    return MetricExpr(op, None, stage, -value if sign in ("-", "−") else value, offset or "")


def parse_duration(text: str) -> tuple[int, int, int] | None:
    """(days, hours, minutes) of "7d", "24h", "30m", "1h30m"; None when malformed."""
    match = re.match(TTL_PATTERN, text)
    if match is None:
        return None
    days, hours, minutes = (int(part) if part else 0 for part in match.groups())
    return days, hours, minutes


def parse_hhmm(text: str) -> tuple[int, int] | None:
    if re.match(TIME_PATTERN, text) is None:
        return None
    hours, minutes = text.split(":")
    return int(hours), int(minutes)


def _metric_problem(text: str) -> str | None:
    if parse_metric(text) is not None:
        return None
    hint = ""
    if re.search(r"[A-Z]", text) and parse_metric(text.lower()):
        hint = "write production or staging in lower case; "
    return (
        f'"{text}" is not a metric gate ({hint}write a comparison such as ">= 0.80", '
        f'or ">= production - 0.01" to compare with the version now in production)'
    )


def _ttl_problem(text: str) -> str | None:
    parts = parse_duration(text)
    if parts is None:
        return f'"{text}" is not a duration (write it like "30m", "24h", "7d" or "1h30m")'
    days, hours, minutes = parts
    total_minutes = (days * 24 + hours) * 60 + minutes
    if total_minutes == 0:
        return f'"{text}" is zero (a request needs some time to be approved, e.g. "24h")'
    if total_minutes > MAX_TTL_DAYS * 24 * 60:
        return f'"{text}" is longer than {MAX_TTL_DAYS} days (write "{MAX_TTL_DAYS}d" at most)'
    return None


def _time_problem(text: str) -> str | None:
    if parse_hhmm(text) is not None:
        return None
    return f'"{text}" is not a time of day (write 24-hour "HH:MM" in quotes, e.g. "16:00")'


def _timezone_problem(text: str) -> str | None:
    try:
        zoneinfo.ZoneInfo(text)
    except (ValueError, KeyError, OSError):
        # ZoneInfoNotFoundError is a KeyError; names such as "../x" or "Europe" (a
        # folder) raise ValueError or OSError depending on the platform's tz database.
        return f'"{text}" is not a time zone (write an IANA name such as Europe/Berlin or UTC)'
    return None


def _target_problem(text: str) -> str | None:
    if text in _MIRRORED_ALIASES:
        return (
            f"{text} mirrors the {text[1:].capitalize()} stage and moves with it "
            f"(write the stage `{text[1:]}` instead)"
        )
    if text == "@latest" or re.fullmatch(r"@v[0-9]+", text):
        return f"MLflow reserves the alias {text} (choose another name, e.g. @champion)"
    if re.match(TARGET_PATTERN, text):
        return None
    lowered = text.lower()
    if re.match(TARGET_PATTERN, lowered):
        return f"`{text}` must be written in lower case (write `{lowered}`)"
    return (
        f"`{text}` is not a target (write staging, production, archived, or an alias "
        f"such as @champion)"
    )


def _pattern_problem(pattern: str, what: str) -> Callable[[str], str | None]:
    def problem(text: str) -> str | None:
        return None if re.match(pattern, text) else f'"{text}" is not {what}'

    return problem


def _checked_text(check: Callable[[str], str | None], pattern: str, description: str) -> Any:
    """A string type whose validator explains itself and whose JSON Schema has a pattern."""

    def validate(value: str) -> str:
        problem = check(value)
        if problem:
            raise ValueError(problem)
        return value

    return Annotated[
        str,
        AfterValidator(validate),
        WithJsonSchema({"type": "string", "pattern": pattern, "description": description}),
    ]


Name = _checked_text(
    _pattern_problem(
        NAME_PATTERN, "a valid name (use letters, digits, '.', '_' and '-', e.g. ml-leads)"
    ),
    NAME_PATTERN,
    "A person or group name.",
)
Email = _checked_text(
    _pattern_problem(EMAIL_PATTERN, "an e-mail address (write it like bob@example.com)"),
    EMAIL_PATTERN,
    "E-mail address; tags name the person by it.",
)
GitHubLogin = _checked_text(
    _pattern_problem(GITHUB_PATTERN, "a GitHub login (write the login without @, e.g. octocat)"),
    GITHUB_PATTERN,
    "GitHub login, without @.",
)
SlackId = _checked_text(
    _pattern_problem(
        SLACK_PATTERN,
        "a Slack member ID (write the ID from the profile's ⋯ menu, e.g. U01ABCDEF)",
    ),
    SLACK_PATTERN,
    "Slack member ID, e.g. U01ABCDEF (not the display name).",
)
CliName = _checked_text(
    _pattern_problem(CLI_PATTERN, "a CLI name (use letters, digits, '.', '_' and '-')"),
    CLI_PATTERN,
    "Name used with `promobot --as cli:<name>`; defaults to the person's key.",
)
MetricGateText = _checked_text(
    _metric_problem,
    METRIC_PATTERN,
    'Comparison such as ">= 0.80", or ">= production - 0.01" against the version now in '
    "production.",
)
TimeOfDay = _checked_text(_time_problem, TIME_PATTERN, '24-hour time "HH:MM", quoted.')
TimeZone = _checked_text(
    _timezone_problem, r"^[A-Za-z0-9_+/-]+$", "IANA time zone, e.g. Europe/Berlin."
)
Duration = _checked_text(
    _ttl_problem, TTL_PATTERN, 'How long a request waits for approval: "30m", "24h", "7d".'
)
TargetKey = _checked_text(
    _target_problem,
    TARGET_PATTERN,
    "A stage (staging, production, archived) or an alias written @name.",
)
NonEmptyText = Annotated[str, Field(min_length=1)]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


# ---------------------------------------------------------------- raw schema


class _Strict(BaseModel):
    # strict: YAML gives real types, so "1" is not a number and "no" is not false.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class RawPerson(_Strict):
    """One person and all their handles, so one person is recognised in every door."""

    email: Email | None = None
    github: GitHubLogin | None = None
    slack: SlackId | None = None
    cli: CliName | None = None


class RawFreeze(_Strict):
    """A weekly window in which promotions are refused (rollbacks never are)."""

    days: list[Day] = Field(
        default_factory=list, description="Days the window starts on; empty means every day."
    )
    start: TimeOfDay = Field(alias="from", description='Start, e.g. "16:00".')
    end: TimeOfDay = Field(
        alias="to",
        description='Last minute inside the window, e.g. "23:59"; earlier than `from` '
        "means the window crosses midnight.",
    )
    timezone: TimeZone
    reason: str = ""


class _RawRule(_Strict):
    requesters: list[Name] = Field(min_length=1, description="Groups or people who may ask.")
    approvers: list[Name] = Field(default_factory=list, description="Groups or people who approve.")
    approvals: int = Field(ge=0, description="Approvals needed; 0 means the requester acts alone.")
    self_approval: bool = Field(
        default=False, description="May the requester approve their own request."
    )


class RawTarget(_RawRule):
    """The rules for promoting a version to one stage or alias."""

    require_stage: Literal["staging", "production"] | None = Field(
        default=None, description="The stage the version must hold first."
    )
    require_reason: bool = False
    metrics: dict[NonEmptyText, MetricGateText] = Field(default_factory=dict)
    freeze: list[RawFreeze] = Field(default_factory=list)
    request_ttl: Duration = "24h"


class RawRollback(_RawRule):
    """Who may roll a model back, and who must approve (freezes never apply)."""

    require_reason: bool = False
    request_ttl: Duration = "24h"


class RawModel(_Strict):
    name: NonEmptyText = Field(
        description='Registered model name, or a glob such as "sentiment-*".'
    )
    targets: dict[TargetKey, RawTarget] = Field(json_schema_extra={"additionalProperties": False})
    rollback: RawRollback | None = None


class RawPolicyFile(_Strict):
    """A promobot policy file (policies/*.yaml)."""

    people: dict[Name, RawPerson] = Field(default_factory=dict)
    groups: dict[Name, list[Name]] = Field(default_factory=dict)
    models: list[RawModel] = Field(default_factory=list)


def json_schema() -> dict[str, Any]:
    schema = RawPolicyFile.model_json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": "Generated by bot.policy_schema.write_json_schema; do not edit.",
        **schema,
    }


def write_json_schema(path: str | Path) -> None:
    """Write the JSON Schema of a policy file (for editors and check-jsonschema)."""
    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    Path(path).write_text(text, encoding="utf-8")


# ---------------------------------------------------------------- safe YAML


class _Refused(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


class _Loader(yaml.SafeLoader):
    """Safe loader with YAML 1.2 core scalars and limits on aliases and depth.

    YAML 1.2 scalars because editors (yaml-language-server) read files that way: `16:00`
    is text, not the base-60 number 960, `no` is text, and there are no timestamps.
    """

    yaml_implicit_resolvers: ClassVar[dict[str, Any]] = {}
    yaml_constructors: ClassVar[dict[Any, Any]] = dict(yaml.SafeLoader.yaml_constructors)

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases = 0
        self.depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                line = self.peek_event().start_mark.line + 1
                raise _Refused(
                    f"uses more than {MAX_ALIASES} YAML aliases (*name); so many aliases "
                    "are not allowed (write the repeated parts out)",
                    line,
                )
            return super().compose_node(parent, index)
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                line = self.peek_event().start_mark.line + 1
                raise _Refused(
                    f"nests deeper than {MAX_DEPTH} levels (a policy needs fewer than 10)", line
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _construct_int(loader: yaml.SafeLoader, node: ScalarNode) -> int:
    try:
        return int(str(loader.construct_scalar(node)).replace("_", ""), 10)
    except ValueError:
        raise yaml.constructor.ConstructorError(
            None, None, "cannot read this as a whole number", node.start_mark
        ) from None


def _construct_float(loader: yaml.SafeLoader, node: ScalarNode) -> float:
    text = str(loader.construct_scalar(node)).lower()
    special = {".inf": "inf", "+.inf": "inf", "-.inf": "-inf", ".nan": "nan"}
    try:
        return float(special.get(text, text))
    except ValueError:
        raise yaml.constructor.ConstructorError(
            None, None, "cannot read this as a number", node.start_mark
        ) from None


def _construct_bool(loader: yaml.SafeLoader, node: ScalarNode) -> bool:
    text = str(loader.construct_scalar(node)).lower()
    if text not in ("true", "false"):
        raise yaml.constructor.ConstructorError(None, None, "write true or false", node.start_mark)
    return text == "true"


def _construct_timestamp(loader: yaml.SafeLoader, node: Node) -> None:
    raise yaml.constructor.ConstructorError(
        None, None, "dates are not used in policy files", node.start_mark
    )


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
_Loader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_RESOLVERS = [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^[-+]?[0-9]+$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", "<"),
]
for _tag, _regexp, _first in _RESOLVERS:
    _Loader.add_implicit_resolver(_tag, re.compile(_regexp), list(_first))


_KeyPath = tuple[str, ...]


@dataclass(frozen=True)
class LineMap:
    """Field path → line (1-based) where it is written; unknown paths use the nearest parent."""

    lines: dict[_KeyPath, int]

    def line(self, path: Iterable[str | int]) -> int:
        key = tuple(str(part) for part in path)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get((), 1)


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def _measure(root: Node) -> None:
    """Refuse alias bombs and alias cycles before any Python object is built.

    Aliased nodes are shared, so composing is cheap however big the expansion; building
    objects from them and validating those is not. Sizes are memoized per node, so this
    is linear in the composed tree.
    """
    sizes: dict[int, tuple[int, int]] = {}
    active: set[int] = set()

    def visit(node: Node, depth: int) -> tuple[int, int]:
        key = id(node)
        if key in sizes:
            size, height = sizes[key]
        else:
            if key in active:
                raise _Refused(
                    "contains a YAML alias that refers to itself; recursive aliases are "
                    "not allowed",
                    node.start_mark.line + 1,
                )
            active.add(key)
            size, height = 1, 1
            for child in _children(node):
                child_size, child_height = visit(child, depth + 1)
                size += child_size
                height = max(height, child_height + 1)
                if size > MAX_VALUES:
                    raise _Refused(
                        f"expands to more than {MAX_VALUES:,} YAML values; with YAML aliases "
                        "that is an alias bomb, which is not allowed (write the policy out "
                        "without so many aliases)",
                        node.start_mark.line + 1,
                    )
            active.discard(key)
            sizes[key] = (size, height)
        if depth + height > MAX_DEPTH * 2:
            raise _Refused(
                f"nests deeper than {MAX_DEPTH * 2} levels once YAML aliases are expanded",
                node.start_mark.line + 1,
            )
        return size, height

    visit(root, 0)


def _map_lines(root: Node, problems: list[tuple[_KeyPath, int, str]]) -> LineMap:
    lines: dict[_KeyPath, int] = {(): root.start_mark.line + 1}
    seen: set[int] = set()

    def walk(node: Node, path: _KeyPath) -> None:
        # An aliased node is walked once; its other uses fall back to the line of the
        # key that uses the alias, which is where a reader looks.
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, MappingNode):
            keys: dict[str, int] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    walk(value_node, path)
                    continue
                if not isinstance(key_node, ScalarNode):
                    continue
                key, line = str(key_node.value), key_node.start_mark.line + 1
                if key in keys:
                    problems.append(
                        (
                            (*path, key),
                            line,
                            f"`{key}` is written twice (first on line {keys[key]}); YAML "
                            "would silently keep only the last one (keep one)",
                        )
                    )
                keys[key] = line
                lines.setdefault((*path, key), line)
                walk(value_node, (*path, key))
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                lines.setdefault((*path, str(index)), item.start_mark.line + 1)
                walk(item, (*path, str(index)))

    walk(root, ())
    return LineMap(lines)


def _yaml_problem(error: yaml.YAMLError, text: str) -> tuple[int, str]:
    if isinstance(error, yaml.reader.ReaderError):
        line = text.count("\n", 0, max(error.position, 0)) + 1
        code = f"U+{error.character:04X}" if isinstance(error.character, int) else "?"
        return line, f"the file contains a character YAML does not allow ({code}; remove it)"
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line = mark.line + 1 if mark is not None else 1
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    detail = f"{problem} ({context})" if context else problem
    return line, (
        f"this is not valid YAML: {detail} (check the indentation, and quote values "
        "that contain ': ' or start with a special character)"
    )


# ---------------------------------------------------------------- problems


def field_path(path: Iterable[str | int]) -> str:
    """`models[0].targets.production.approvals`, as people read it."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z0-9_@-]+", str(part)):
            out += f".{part}" if out else str(part)
        else:
            out += f"[{json.dumps(str(part), ensure_ascii=False)}]"
    return out


def problem_text(file: str, line: int, path: Iterable[str | int], message: str) -> str:
    where = field_path(path)
    return f"{file}:{line}: {where}: {message}" if where else f"{file}:{line}: {message}"


_HINTS = {
    "requesters": "list the groups or people who may ask, e.g. [ml-engineers]",
    "approvers": "list the groups or people who approve, e.g. [ml-leads]",
    "approvals": "write how many approvals are needed; 0 when nobody needs to approve",
    "name": 'write the registered model name, or a glob such as "sentiment-*"',
    "targets": "map each target to its rules, e.g. production: {requesters: [...], ...}",
    "from": 'write the start time in quotes, e.g. "16:00"',
    "to": 'write the last minute in quotes, e.g. "23:59"',
    "timezone": "write an IANA time zone such as Europe/Berlin",
    "days": "write days as [mon, tue, wed, thu, fri, sat, sun]",
    "metrics": 'map metric names to gates, e.g. accuracy: ">= 0.80"',
    "freeze": 'write a list of windows, e.g. [{days: [fri], from: "16:00", ...}]',
    "people": "map each person to their handles, e.g. bob: {email: bob@example.com}",
    "groups": "map each group to a list of people, e.g. ml-leads: [alice]",
    "models": "write a list of model entries, each with name and targets",
}


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return json.dumps(shown, ensure_ascii=False)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def _unwrap(annotation: Any) -> Any:
    """The model class that describes values at this annotation (through list/dict/Optional)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            annotation = options[0]
        else:
            return annotation


def _allowed_keys(loc: Sequence[str | int]) -> list[str]:
    """The keys a mapping at `loc` may have (for "unknown key" messages)."""
    current: Any = RawPolicyFile
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            fields = {(info.alias or name): info for name, info in current.model_fields.items()}
            if str(part) not in fields:
                return []
            current = fields[str(part)].annotation
        elif typing.get_origin(current) in (list, dict):
            current = typing.get_args(current)[-1]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [info.alias or name for name, info in current.model_fields.items()]
    return []


def _error_message(error: Any, loc: Sequence[str | int]) -> str:
    kind, value = error["type"], error.get("input")
    last = str(loc[-1]) if loc else ""
    hint = _HINTS.get(last)
    with_hint = f" ({hint})" if hint else ""
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        close = difflib.get_close_matches(last, allowed, n=1, cutoff=0.6)
        suggestion = f"did you mean `{close[0]}`? " if close else ""
        return f"unknown key `{last}` ({suggestion}allowed here: {', '.join(allowed)})"
    if kind == "missing":
        return f"`{last}` is required{with_hint}"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind == "literal_error":
        expected = error["ctx"]["expected"].replace("'", "")
        lowered = value.lower() if isinstance(value, str) else None
        case = " in lower case" if lowered and lowered in expected else ""
        return f"{_describe(value)} is not allowed here (write one of {expected}{case})"
    if kind == "int_type":
        return f"expected a whole number, got {_describe(value)}{with_hint}"
    if kind == "bool_type":
        return f"expected true or false, got {_describe(value)}"
    if kind == "string_type":
        return f"expected text, got {_describe(value)}{with_hint}"
    if kind == "list_type":
        return f"expected a list, got {_describe(value)}{with_hint}"
    if kind in ("dict_type", "model_type"):
        return f"expected a mapping (key: value), got {_describe(value)}{with_hint}"
    if kind == "greater_than_equal":
        return f"must be {error['ctx']['ge']} or more, got {_describe(value)}"
    if kind in ("too_short", "string_too_short"):
        return f"must not be empty{with_hint}"
    return f"{error['msg']}{with_hint}"


def _pydantic_problems(error: ValidationError, file: str, lines: LineMap) -> list[str]:
    problems = []
    for item in error.errors():
        loc = [part for part in item["loc"] if part != "[key]"]
        problems.append(problem_text(file, lines.line(loc), loc, _error_message(item, loc)))
    return problems


# ---------------------------------------------------------------- files


@dataclass(frozen=True)
class ParsedFile:
    """One policy file: its name as shown in messages, the data, and where fields are."""

    name: str
    data: Any
    lines: LineMap
    raw: RawPolicyFile | None  # None when the schema check failed


def policy_files(path: str | Path) -> list[Path]:
    """The files a path names: itself, or the *.yaml/*.yml directly in a folder, sorted."""
    root = Path(path)
    if root.is_dir():
        files = sorted(
            item
            for item in root.iterdir()
            if item.suffix in (".yaml", ".yml") and item.is_file() and not item.name.startswith(".")
        )
        if not files:
            raise PolicyError(
                [
                    f"{root}: this folder has no .yaml or .yml policy files (add one, e.g. "
                    "policies/sentiment-classifier.yaml)"
                ]
            )
        return files
    if root.is_file():
        return [root]
    raise PolicyError(
        [
            f"{root}: no such file or folder (point PROMOBOT_POLICY or `promobot policy check` "
            "at a policy .yaml file or a folder of them)"
        ]
    )


def parse_file(path: Path) -> tuple[ParsedFile | None, list[str]]:
    """Read one file and check it against the raw schema; never raises for bad content."""
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            # Checked before reading: a huge file is refused without touching its content.
            return None, [
                problem_text(
                    name,
                    1,
                    (),
                    f"the file is {size / 1_000_000:.1f} MB; policy files must be at most "
                    f"{MAX_FILE_BYTES // 1_000_000} MB (split it into several files in the folder)",
                )
            ]
        with path.open("rb") as handle:
            content = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        return None, [
            problem_text(name, 1, (), f"the file cannot be read: {error.strerror or error}")
        ]
    if len(content) > MAX_FILE_BYTES:
        return None, [problem_text(name, 1, (), "the file grew past 1 MB while being read")]
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content.count(b"\n", 0, error.start) + 1
        return None, [problem_text(name, line, (), "the file is not UTF-8 text (save it as UTF-8)")]

    key_problems: list[tuple[_KeyPath, int, str]] = []
    loader: _Loader | None = None
    try:
        loader = _Loader(text)  # the reader already refuses control characters here
        root = loader.get_single_node()
        if root is None:
            return None, [
                problem_text(
                    name,
                    1,
                    (),
                    "the file is empty (write people, groups and models; see "
                    "policies/sentiment-classifier.yaml)",
                )
            ]
        _measure(root)
        lines = _map_lines(root, key_problems)
        data = loader.construct_document(root)
    except _Refused as refused:
        return None, [problem_text(name, refused.line, (), f"the file {refused}")]
    except yaml.YAMLError as error:
        line, message = _yaml_problem(error, text)
        return None, [problem_text(name, line, (), message)]
    except (RecursionError, ValueError, TypeError, AttributeError, OverflowError) as error:
        # PyYAML's safe constructors can still trip on odd explicit tags (!!omap, !!set
        # with strange content); report it as unreadable rather than crash the bot.
        return None, [problem_text(name, 1, (), f"this YAML cannot be read ({error})")]
    finally:
        if loader is not None:
            loader.dispose()

    problems = [problem_text(name, line, path, msg) for path, line, msg in key_problems]
    if not isinstance(data, dict):
        problems.append(
            problem_text(
                name,
                lines.line(()),
                (),
                f"the file holds {_describe(data)}; it must be a mapping with the keys "
                "people, groups and models",
            )
        )
        return ParsedFile(name, data, lines, None), problems
    try:
        raw = RawPolicyFile.model_validate(data)
    except ValidationError as error:
        problems.extend(_pydantic_problems(error, name, lines))
        raw = None
    return ParsedFile(name, data, lines, raw if not problems else None), problems


# ---------------------------------------------------------------- across files
# Names, handles and counts span files (people in people.yaml, models elsewhere), so
# they are checked on the merged data. The checks read the plain data defensively, so
# that they also run on files whose schema check failed: all problems in one report.


def _mapping(data: Any, key: str) -> dict[Any, Any]:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`? " if close else ""


@dataclass
class _Seen:
    file: ParsedFile
    value: Any


def cross_check(files: Sequence[ParsedFile]) -> list[str]:
    problems: list[str] = []
    people: dict[str, _Seen] = {}
    groups: dict[str, _Seen] = {}
    for file in files:
        for section, seen in (("people", people), ("groups", groups)):
            for key, value in _mapping(file.data, section).items():
                if not isinstance(key, str):
                    continue
                first = seen.get(key)
                if first is None:
                    seen[key] = _Seen(file, value)
                elif first.value != value:
                    where = f"{first.file.name}:{first.file.lines.line((section, key))}"
                    problems.append(
                        problem_text(
                            file.name,
                            file.lines.line((section, key)),
                            (section, key),
                            f"`{key}` is also defined, differently, in {where} (define it "
                            "once, in one file)",
                        )
                    )

    for key, seen in groups.items():
        where = seen.file.lines.line(("groups", key))
        if key in people:
            problems.append(
                problem_text(
                    seen.file.name,
                    where,
                    ("groups", key),
                    f"`{key}` is both a person and a group, so requesters and approvers "
                    "naming it are ambiguous (rename the group)",
                )
            )
        for index, member in enumerate(seen.value if isinstance(seen.value, list) else []):
            if isinstance(member, str) and member not in people:
                nested = " (groups list people, not other groups)" if member in groups else ""
                problems.append(
                    problem_text(
                        seen.file.name,
                        seen.file.lines.line(("groups", key, index)),
                        ("groups", key, index),
                        f"`{member}` is not in people{nested} ({_suggest(member, people)}add "
                        f"{member} to people, or fix the spelling)",
                    )
                )

    problems.extend(_identity_problems(people))

    def members(names: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for name in names:
            if name in people:
                found.add(name)
            elif name in groups:
                found.update(m for m in _strings(groups[name].value) if m in people)
        return found

    patterns: list[tuple[str, str]] = []  # (pattern, where) of earlier model entries
    for file in files:
        models = file.data.get("models") if isinstance(file.data, dict) else None
        for index, entry in enumerate(models if isinstance(models, list) else []):
            if not isinstance(entry, dict):
                continue
            name = entry.get("name")
            here = file.lines.line(("models", index))
            if isinstance(name, str):
                for pattern, where in patterns:
                    if pattern == name or (
                        not re.search(r"[*?\[]", name) and fnmatchcase(name, pattern)
                    ):
                        problems.append(
                            problem_text(
                                file.name,
                                file.lines.line(("models", index, "name")),
                                ("models", index, "name"),
                                f"this entry never applies: the entry `{pattern}` at {where} "
                                "matches it first (move this entry above it, or remove it)",
                            )
                        )
                        break
                patterns.append((name, f"{file.name}:{here}"))
            rules: list[tuple[tuple[str | int, ...], Any]] = [
                (("models", index, "targets", key), value)
                for key, value in _mapping(entry, "targets").items()
            ]
            if isinstance(entry.get("rollback"), dict):
                rules.append((("models", index, "rollback"), entry["rollback"]))
            for path, rule in rules:
                problems.extend(_rule_problems(file, path, rule, people, groups, members))
    return problems


def _identity_problems(people: dict[str, _Seen]) -> list[str]:
    """Each handle belongs to one person, else self-approval could not be told apart."""
    problems: list[str] = []
    owners: dict[tuple[str, str], str] = {}
    for key, seen in people.items():
        value = seen.value if isinstance(seen.value, dict) else {}
        handles = [
            ("email", value.get("email"), "e-mail"),
            ("github", value.get("github"), "GitHub login"),
            ("slack", value.get("slack"), "Slack ID"),
            ("cli", value.get("cli") or key, "CLI name"),
        ]
        for field, handle, label in handles:
            if not isinstance(handle, str):
                continue
            norm = handle if field in ("cli", "slack") else handle.lower()
            owner = owners.setdefault((field, norm), key)
            if owner != key:
                path = ("people", key, field) if field in value else ("people", key)
                problems.append(
                    problem_text(
                        seen.file.name,
                        seen.file.lines.line(path),
                        path,
                        f"{label} `{handle}` already belongs to {owner} (each handle names "
                        "one person; fix the handle, or give one of them a `cli:` name)",
                    )
                )
    return problems


def _rule_problems(
    file: ParsedFile,
    path: tuple[str | int, ...],
    rule: Any,
    people: dict[str, Any],
    groups: dict[str, Any],
    members: Callable[[Iterable[str]], set[str]],
) -> list[str]:
    if not isinstance(rule, dict):
        return []
    problems: list[str] = []
    known = set(people) | set(groups)
    for field in ("requesters", "approvers"):
        names = rule.get(field)
        for index, name in enumerate(names if isinstance(names, list) else []):
            if isinstance(name, str) and name not in known:
                problems.append(
                    problem_text(
                        file.name,
                        file.lines.line((*path, field, index)),
                        (*path, field, index),
                        f"`{name}` is neither a group nor a person ({_suggest(name, known)}"
                        "define it under groups or people, or fix the spelling)",
                    )
                )
    approvals = rule.get("approvals")
    if isinstance(approvals, int) and not isinstance(approvals, bool) and approvals > 0:
        approvers = _strings(rule.get("approvers"))
        where = file.lines.line((*path, "approvals"))
        if not approvers:
            problems.append(
                problem_text(
                    file.name,
                    where,
                    (*path, "approvals"),
                    f"`approvals: {approvals}` needs approvers (add `approvers: [ml-leads]` "
                    "naming who approves, or write `approvals: 0`)",
                )
            )
        elif all(name in people or name in groups for name in approvers):
            able = members(approvers)
            if approvals > len(able):
                who = ", ".join(sorted(able)) or "nobody"
                count = f"{len(able)} person" if len(able) == 1 else f"{len(able)} people"
                problems.append(
                    problem_text(
                        file.name,
                        where,
                        (*path, "approvals"),
                        f"needs {approvals} approvals but only {count} can approve "
                        f"({who}) (lower approvals, or add people to the approvers)",
                    )
                )
    return problems


def read_policy_files(path: str | Path) -> list[ParsedFile]:
    """Parse and check every file a path names; raise PolicyError with every problem."""
    files: list[ParsedFile] = []
    problems: list[str] = []
    names = policy_files(path)
    for item in names:
        parsed, found = parse_file(item)
        problems.extend(found)
        if parsed is not None:
            files.append(parsed)
    problems.extend(cross_check(files))
    if problems:
        raise PolicyError(_in_reading_order(problems, [str(item) for item in names]))
    return files


def _in_reading_order(problems: list[str], names: list[str]) -> list[str]:
    """Sort by file (in load order), then line, as a reader fixes them top to bottom."""

    def key(problem: str) -> tuple[int, int]:
        for index, name in enumerate(names):
            match = re.match(rf"{re.escape(name)}:(\d+):", problem)
            if match:
                return index, int(match.group(1))
        return len(names), 0

    return sorted(problems, key=key)
