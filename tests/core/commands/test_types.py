"""What the parser produces (bot/core/commands/types.py): a version and a target as people
read them, as policy files and tag keys write them, and the alias a target mirrors."""

from __future__ import annotations

import pytest

from bot.core.commands import Target, VersionSpec


@pytest.mark.parametrize(
    ("spec", "shown"),
    [
        (VersionSpec("number", "3"), "v3"),
        (VersionSpec("alias", "champion"), "@champion"),
        (VersionSpec("stage", "Staging"), "Staging"),
        (VersionSpec("latest", "latest"), "latest"),
    ],
    ids=["number", "alias", "stage", "latest"],
)
def test_a_version_reads_as_people_write_it(spec: VersionSpec, shown: str) -> None:
    assert str(spec) == shown


@pytest.mark.parametrize(
    ("target", "label", "key", "alias"),
    [
        (Target("stage", "Production"), "Production", "production", "production"),
        (Target("stage", "Archived"), "Archived", "archived", "archived"),
        (Target("alias", "champion"), "@champion", "@champion", "champion"),
    ],
    ids=["stage", "archived", "alias"],
)
def test_a_target_as_shown_as_keyed_and_the_alias_it_mirrors(
    target: Target, label: str, key: str, alias: str
) -> None:
    assert (target.label, target.key, target.alias) == (label, key, alias)
