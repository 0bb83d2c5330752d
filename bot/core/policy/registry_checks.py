"""The registry the policy files govern (`registry: {stages: …}`), checked across the files.

Whether the registry has stages decides what a target key may be: with stages, `staging`,
`production` and `archived` move MLflow's stages and `@staging`, `@production` and
`@archived` are their mirrors, which only the stage moves; without stages
(`registry: {stages: false}`) every target is an alias, so the stage names are refused
and the mirrors are ordinary aliases. People, groups and models may sit in other files
than the one that says which registry it is, so all of it is checked on all files.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.policy.parsed import ParsedFile

STAGE_KEYS = ("staging", "production", "archived")
SWITCH = "`registry: {stages: false}`"


def stated_stages(files: Sequence[ParsedFile]) -> bool:
    """Whether the registry has stages: as the first file that says so has it (true when
    none does, today's registries)."""
    for file in files:
        registry = file.checked.raw.registry
        if registry is not None and "stages" in registry.model_fields_set:
            return registry.stages
    return True


def registry_problems(files: Sequence[ParsedFile]) -> list[str]:
    """Files that disagree about the registry, and every target key and `require_stage`
    the registry cannot have, in file order."""
    problems = _disagreements(files)
    stages = stated_stages(files)
    for file in files:
        for index, entry in enumerate(file.checked.raw.models):
            for key, rule in entry.targets.items():
                path = ("models", index, "targets", key)
                if problem := target_key_problem(key, stages):
                    problems.append(file.problem(path, problem))
                if rule.require_stage and (
                    problem := _required_problem(rule.require_stage, stages)
                ):
                    problems.append(file.problem((*path, "require_stage"), problem))
    return problems


def target_key_problem(key: str, stages: bool) -> str | None:
    """Why `key` cannot be a target of this registry, or None."""
    if stages and key.startswith("@") and key[1:] in STAGE_KEYS:
        return (
            f"{key} mirrors the {key[1:].capitalize()} stage and moves with it "
            f"(write the stage `{key[1:]}` instead, or set {SWITCH} for a registry "
            "without stages)"
        )
    if not stages and key in STAGE_KEYS:
        return f"`{key}` is a stage, and this registry has no stages ({SWITCH}): write `@{key}`"
    return None


def _required_problem(need: str, stages: bool) -> str | None:
    if stages and need.startswith("@"):
        return (
            f"`{need}` is an alias, and in a registry with stages `require_stage` names a "
            f"stage (write staging or production, or set {SWITCH} for a registry without "
            "stages)"
        )
    if not stages and not need.startswith("@"):
        return (
            f"`{need}` is a stage, and this registry has no stages ({SWITCH}): write "
            f'`"@{need}"`, the alias the version must hold first'
        )
    return None


def _disagreements(files: Sequence[ParsedFile]) -> list[str]:
    first: tuple[ParsedFile, bool] | None = None
    problems: list[str] = []
    for file in files:
        registry = file.checked.raw.registry
        if registry is None or "stages" not in registry.model_fields_set:
            continue
        if first is None:
            first = (file, registry.stages)
        elif registry.stages != first[1]:
            said, here = _word(first[1]), _word(registry.stages)
            problems.append(
                file.problem(
                    ("registry", "stages"),
                    f"`stages: {here}` here, but `stages: {said}` in "
                    f"{first[0].where(('registry', 'stages'))}: the files govern one registry "
                    "(write the same in each, or say it in one file only)",
                )
            )
    return problems


def _word(value: bool) -> str:
    return "true" if value else "false"
