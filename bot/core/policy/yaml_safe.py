"""Reading a policy file's YAML safely, and knowing the line each field is written on.

The file is untrusted input that may arrive in a pull request, so reading is bounded:
size is checked before reading, YAML is composed with the safe loader while counting
aliases and depth, and the alias-expanded size is measured before any Python object
is built from it. Scalars follow YAML 1.2 core, as editors read them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.core.policy.problems import problem_text

MAX_FILE_BYTES = 1_000_000
MAX_ALIASES = 100
MAX_VALUES = 100_000  # after expanding aliases; a real policy has a few hundred
MAX_DEPTH = 40  # a real policy nests 7 levels deep


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


# ---------------------------------------------------------------- reading a file


@dataclass(frozen=True)
class YamlFile:
    """One file read: its name as messages show it, the data, and where fields are."""

    name: str
    data: Any
    lines: LineMap


def _read_text(path: Path, name: str) -> tuple[str | None, list[str]]:
    """The file's text, or why it cannot be had; a huge file is refused unread."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
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
        return content.decode("utf-8-sig"), []
    except UnicodeDecodeError as error:
        line = content.count(b"\n", 0, error.start) + 1
        return None, [problem_text(name, line, (), "the file is not UTF-8 text (save it as UTF-8)")]


def read_yaml(path: Path) -> tuple[YamlFile | None, list[str]]:
    """Read one file's YAML within the limits above; never raises for bad content.

    Keys written twice are problems, yet the file is still read (YAML keeps the last).
    """
    name = str(path)
    text, problems = _read_text(path, name)
    if text is None:
        return None, problems
    key_problems: list[tuple[_KeyPath, int, str]] = []
    loader: _Loader | None = None
    try:
        loader = _Loader(text)  # the reader already refuses control characters here
        root = loader.get_single_node()
        if root is None:
            empty = (
                "the file is empty (write people, groups and models; see "
                "policies/sentiment-classifier.yaml)"
            )
            return None, [problem_text(name, 1, (), empty)]
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
    return YamlFile(name, data, lines), problems
