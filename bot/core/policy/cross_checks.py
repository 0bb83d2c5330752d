"""Checks across policy files, on their typed models.

Names, handles and counts span files (people in people.yaml, models elsewhere), so they
are checked on all files together: a name no file defines, a person or group defined
differently twice, a handle two people share, approvals nobody can give, an entry an
earlier glob always matches first. A file whose schema check failed is checked on its
valid remainder (`bot.core.policy.remainder`), so one report lists every problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Generic, TypeVar

from bot.core.policy.groups import is_external
from bot.core.policy.problems import suggest
from bot.core.policy.quorum import assign
from bot.core.policy.registry_checks import registry_problems
from bot.core.policy.schema import RawPerson, RawRule

if TYPE_CHECKING:
    from bot.core.policy.parsed import ParsedFile

T = TypeVar("T")
_Path = tuple[str | int, ...]


@dataclass(frozen=True)
class _Defined(Generic[T]):
    """Where a person or group is first defined, and as what."""

    file: ParsedFile
    value: T


@dataclass(frozen=True)
class _Names:
    people: dict[str, _Defined[RawPerson]]
    groups: dict[str, _Defined[list[str]]]

    def known(self, name: str) -> bool:
        return name in self.people or name in self.groups

    def external(self, names: Iterable[str]) -> bool:
        """Whether a named group holds a team or user group (its members are not known
        offline, so counts of who can approve are not checked here)."""
        return any(
            is_external(member)
            for name in names
            if name in self.groups
            for member in self.groups[name].value
        )

    def members(self, names: Iterable[str]) -> set[str]:
        """The people the names stand for, through groups."""
        found: set[str] = set()
        for name in names:
            if name in self.people:
                found.add(name)
            elif name in self.groups:
                found.update(m for m in self.groups[name].value if m in self.people)
        return found


def cross_check(files: Sequence[ParsedFile]) -> list[str]:
    """Every problem across the files, in the order the files and their entries come."""
    names, problems = _definitions(files)
    problems.extend(registry_problems(files))
    problems.extend(_group_problems(names))
    problems.extend(_identity_problems(names.people))
    problems.extend(_model_problems(files, names))
    return problems


def _definitions(files: Sequence[ParsedFile]) -> tuple[_Names, list[str]]:
    names = _Names({}, {})
    problems: list[str] = []
    for file in files:
        raw = file.checked.raw
        problems.extend(_first_definitions(file, "people", raw.people, names.people, _as_written))
        problems.extend(_first_definitions(file, "groups", raw.groups, names.groups, list))
    return names, problems


def _as_written(person: RawPerson) -> object:
    # `{slack: null}` and `{}` are written differently, so two files holding them
    # define the person differently.
    return person.model_dump(exclude_unset=True)


def _first_definitions(
    file: ParsedFile,
    section: str,
    entries: Mapping[str, T],
    seen: dict[str, _Defined[T]],
    as_written: Callable[[T], object],
) -> list[str]:
    """Record the entries a file defines first; a later, different definition is a problem."""
    problems = []
    for key, value in entries.items():
        first = seen.setdefault(key, _Defined(file, value))
        if as_written(first.value) != as_written(value):
            where = first.file.where((section, key))
            message = (
                f"`{key}` is also defined, differently, in {where} (define it once, in one file)"
            )
            problems.append(file.problem((section, key), message))
    return problems


def _group_problems(names: _Names) -> list[str]:
    problems: list[str] = []
    for key, group in names.groups.items():
        if key in names.people:
            problems.append(
                group.file.problem(
                    ("groups", key),
                    f"`{key}` is both a person and a group, so requesters and approvers "
                    "naming it are ambiguous (rename the group)",
                )
            )
        for index, member in enumerate(group.value):
            if member in names.people or is_external(member):
                continue
            nested = " (groups list people, not other groups)" if member in names.groups else ""
            problems.append(
                group.file.problem(
                    ("groups", key, index),
                    f"`{member}` is not in people{nested} ({suggest(member, names.people)}add "
                    f"{member} to people, or fix the spelling)",
                )
            )
    return problems


def _identity_problems(people: dict[str, _Defined[RawPerson]]) -> list[str]:
    """Each handle belongs to one person, else self-approval could not be told apart."""
    problems: list[str] = []
    owners: dict[tuple[str, str], str] = {}
    for key, person in people.items():
        raw = person.value
        handles = [
            ("email", raw.email, "e-mail"),
            ("github", raw.github, "GitHub login"),
            ("slack", raw.slack, "Slack ID"),
            ("cli", raw.cli or key, "CLI name"),
            ("mlflow", raw.mlflow, "MLflow username"),
        ]
        for field, handle, label in handles:
            if handle is None:
                continue
            norm = handle if field in ("cli", "slack", "mlflow") else handle.lower()
            owner = owners.setdefault((field, norm), key)
            if owner == key:
                continue
            path = ("people", key, field) if field in raw.model_fields_set else ("people", key)
            problems.append(
                person.file.problem(
                    path,
                    f"{label} `{handle}` already belongs to {owner} (each handle names "
                    "one person; fix the handle, or give one of them a `cli:` name)",
                )
            )
    return problems


def _shadowing(name: str, earlier: list[tuple[str, str]]) -> tuple[str, str] | None:
    """The earlier entry (pattern, where) that always matches `name` first, if any."""
    for pattern, where in earlier:
        if pattern == name or (not re.search(r"[*?\[]", name) and fnmatchcase(name, pattern)):
            return pattern, where
    return None


def _model_problems(files: Sequence[ParsedFile], names: _Names) -> list[str]:
    problems: list[str] = []
    earlier: list[tuple[str, str]] = []  # (pattern, where) of the entries read so far
    for file in files:
        for index, entry in enumerate(file.checked.raw.models):
            if shadow := _shadowing(entry.name, earlier):
                problems.append(
                    file.problem(
                        ("models", index, "name"),
                        f"this entry never applies: the entry `{shadow[0]}` at {shadow[1]} "
                        "matches it first (move this entry above it, or remove it)",
                    )
                )
            earlier.append((entry.name, file.where(("models", index))))
            rules: list[tuple[_Path, RawRule]] = [
                (("models", index, "targets", key), rule) for key, rule in entry.targets.items()
            ]
            if entry.rollback is not None:
                rules.append((("models", index, "rollback"), entry.rollback))
            for path, rule in rules:
                problems.extend(_rule_problems(file, path, rule, names))
            if entry.locks is not None:
                path = ("models", index, "locks", "requesters")
                problems.extend(_unknown_names(file, path, entry.locks.requesters, names))
    return problems


def _unknown_names(file: ParsedFile, path: _Path, listed: list[str], names: _Names) -> list[str]:
    """A problem for each name in `listed` (at `path`) that is neither group nor person."""
    known = [*names.people, *names.groups]
    return [
        file.problem(
            (*path, index),
            f"`{name}` is neither a group nor a person ({suggest(name, known)}define it "
            "under groups or people, or fix the spelling)",
        )
        for index, name in enumerate(listed)
        if not names.known(name)
    ]


def _rule_problems(file: ParsedFile, path: _Path, rule: RawRule, names: _Names) -> list[str]:
    problems: list[str] = []
    for field, listed in (("requesters", rule.requesters), ("approvers", rule.approvers)):
        for index, name in enumerate(listed):
            if not names.known(name):
                known = [*names.people, *names.groups]
                problems.append(
                    file.problem(
                        (*path, field, index),
                        f"`{name}` is neither a group nor a person ({suggest(name, known)}"
                        "define it under groups or people, or fix the spelling)",
                    )
                )
    if isinstance(rule.approvals, dict):
        problems.extend(_quorum_problems(file, path, rule, names))
    elif rule.approvals > 0:
        problems.extend(_approvals_problems(file, path, rule, names))
    return problems


def _approvals_problems(file: ParsedFile, path: _Path, rule: RawRule, names: _Names) -> list[str]:
    assert isinstance(rule.approvals, int)
    where = (*path, "approvals")
    if not rule.approvers:
        return [
            file.problem(
                where,
                f"`approvals: {rule.approvals}` needs approvers (add `approvers: [ml-leads]` "
                "naming who approves, or write `approvals: 0`)",
            )
        ]
    if not all(names.known(name) for name in rule.approvers):
        return []  # the unknown names are the problem already reported
    able = names.members(rule.approvers)
    if rule.approvals <= len(able) or names.external(rule.approvers):
        return []
    who = ", ".join(sorted(able)) or "nobody"
    count = f"{len(able)} person" if len(able) == 1 else f"{len(able)} people"
    return [
        file.problem(
            where,
            f"needs {rule.approvals} approvals but only {count} can approve "
            f"({who}) (lower approvals, or add people to the approvers)",
        )
    ]


def _quorum_problems(file: ParsedFile, path: _Path, rule: RawRule, names: _Names) -> list[str]:
    """`approvals: {ml-leads: 1, sre: 1}`: each group known, `approvers` absent or the same
    groups, and (where every member is known offline) enough different people."""
    assert isinstance(rule.approvals, dict)
    needs = list(rule.approvals.items())
    problems = []
    for group, _ in needs:
        if not names.known(group):
            known = [*names.people, *names.groups]
            problems.append(
                file.problem(
                    (*path, "approvals", group),
                    f"`{group}` is neither a group nor a person ({suggest(group, known)}"
                    "define it under groups or people, or fix the spelling)",
                )
            )
    groups = [group for group, _ in needs]
    if rule.approvers and set(rule.approvers) != set(groups):
        problems.append(
            file.problem(
                (*path, "approvers"),
                f"with one count per group in `approvals`, `approvers` must name the same "
                f"groups (remove `approvers`, or write `approvers: [{', '.join(groups)}]`)",
            )
        )
    if problems or names.external(groups):
        return problems
    people = [
        (key, [group for group in groups if key in names.members([group])])
        for key in sorted(names.members(groups))
    ]
    filled = sum(len(taken) for taken in assign(needs, people).values())
    total = sum(count for _, count in needs)
    if filled < total:
        problems.append(
            file.problem(
                (*path, "approvals"),
                f"needs {total} approvals from different people, one per place "
                f"({', '.join(f'{g}: {n}' for g, n in needs)}), but the people in these "
                f"groups can fill only {filled}: one person's approval counts toward one "
                "group only (lower the counts, or add people to the groups)",
            )
        )
    return problems
