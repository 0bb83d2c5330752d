"""What is left of a policy file once the values its schema refuses are taken out.

A file with a schema problem is still cross-checked (unknown names, handles used twice,
entries that never apply), so one report lists every problem. The cross-file checks read
typed models only; this module gives them the file's valid remainder: each refused value
is emptied where its type has an empty value (a person with no handles keeps the name
known) and taken out otherwise, until what is left validates. Items taken out of a list
are remembered, so a problem found in the remainder still names the field and line as
written in the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from bot.core.policy.schema import RawPolicyFile, empty_at

_ROUNDS = 12  # each round takes out what the last left invalid; real files need 2 or 3
_Path = tuple[str | int, ...]
_MISSING = object()


@dataclass(frozen=True)
class Remainder:
    """The valid part of one file, and how its list positions map to the file's."""

    raw: RawPolicyFile
    tree: Any = None  # the data that validated into `raw`
    # id(list) → (that list, the index in the file of each item left in it)
    origins: dict[int, tuple[list[Any], list[int]]] = field(default_factory=dict)

    def written_path(self, path: Sequence[str | int]) -> _Path:
        """A path into `raw` as it is written in the file (list positions before pruning)."""
        node, out = self.tree, []
        for part in path:
            if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                _, origin = self.origins.get(id(node), (node, None))
                out.append(part if origin is None else origin[part])
                node = node[part]
            else:
                out.append(part)
                node = node.get(part) if isinstance(node, dict) else None
        return tuple(out)


def remainder(data: dict[Any, Any], error: ValidationError) -> Remainder:
    """The valid remainder of `data`, whose validation raised `error`."""
    tree = _copy(data)
    origins: dict[int, tuple[list[Any], list[int]]] = {}
    for _ in range(_ROUNDS):
        if not _prune(tree, error, origins):
            break
        try:
            return Remainder(RawPolicyFile.model_validate(tree), tree, origins)
        except ValidationError as again:
            error = again
    return Remainder(RawPolicyFile())


def _copy(value: Any) -> Any:
    # Unshared: YAML aliases make one object appear in several places, and taking a
    # refused value out of one place must leave the others alone.
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def _key_in(node: Any, part: str | int) -> Any:
    """The key or index of `node` that a location part names, or _MISSING. Pydantic
    writes a key that is neither text nor a whole number as text (`1.5`, `None`)."""
    if isinstance(node, list):
        return part if isinstance(part, int) and 0 <= part < len(node) else _MISSING
    if not isinstance(node, dict):
        return _MISSING
    if part in node:
        return part
    return next((key for key in node if str(key) == str(part)), _MISSING)


def _target(tree: Any, loc: Sequence[str | int]) -> tuple[Any, Any, _Path] | None:
    """(container, key, schema path) of the value an error is about: the deepest part of
    its location that exists (a missing field points at the model that lacks it)."""
    parts = list(loc)
    if "[key]" in parts:
        parts = parts[: parts.index("[key]")]
    node, found, path = tree, None, ()
    for part in parts:
        key = _key_in(node, part)
        if key is _MISSING:
            break
        found, path, node = (node, key), (*path, part), node[key]
    return (*found, path) if found else None


def _prune(tree: Any, error: ValidationError, origins: dict[int, Any]) -> bool:
    """Empty or take out each value an error is about; False when none could be found."""
    emptied: dict[tuple[int, Any], tuple[Any, Any, Any]] = {}
    removed: dict[tuple[int, Any], tuple[Any, Any]] = {}
    for item in error.errors():
        target = _target(tree, item["loc"])
        if target is None:
            continue
        container, key, path = target
        empty = empty_at(path)
        # A refused key takes its entry with it; a value already empty goes too.
        if "[key]" in item["loc"] or empty is None or container[key] == empty:
            removed[(id(container), key)] = (container, key)
        else:
            emptied[(id(container), key)] = (container, key, empty)
    for where, (container, key, empty) in emptied.items():
        if where not in removed:
            container[key] = empty
    _remove(removed.values(), origins)
    return bool(emptied or removed)


def _remove(places: Iterable[tuple[Any, Any]], origins: dict[int, Any]) -> None:
    by_list: dict[int, tuple[list[Any], set[int]]] = {}
    for container, key in places:
        if isinstance(container, dict):
            container.pop(key, None)
        else:
            by_list.setdefault(id(container), (container, set()))[1].add(key)
    for items, indices in by_list.values():
        _, origin = origins.setdefault(id(items), (items, list(range(len(items)))))
        for index in sorted(indices, reverse=True):
            del items[index]
            del origin[index]
