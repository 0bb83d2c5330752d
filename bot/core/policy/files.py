"""Reading the policy files a path names: each read safely, checked against the schema,
then all of them checked together; every problem in one report, in reading order."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from bot.core.policy.cross_checks import cross_check
from bot.core.policy.parsed import ParsedFile
from bot.core.policy.problems import (
    PolicyError,
    describe,
    in_reading_order,
    problem_text,
    schema_problems,
)
from bot.core.policy.remainder import Remainder, remainder
from bot.core.policy.schema import RawPolicyFile
from bot.core.policy.yaml_safe import read_yaml


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
    read, problems = read_yaml(path)
    if read is None:
        return None, problems
    name, data, lines = read.name, read.data, read.lines
    if not isinstance(data, dict):
        problems.append(
            problem_text(
                name,
                lines.line(()),
                (),
                f"the file holds {describe(data)}; it must be a mapping with the keys "
                "people, groups and models",
            )
        )
        return ParsedFile(name, data, lines, None, Remainder(RawPolicyFile())), problems
    try:
        raw = RawPolicyFile.model_validate(data)
    except ValidationError as error:
        problems.extend(schema_problems(error, name, lines.line))
        return ParsedFile(name, data, lines, None, remainder(data, error)), problems
    whole = Remainder(raw, data)
    return ParsedFile(name, data, lines, raw if not problems else None, whole), problems


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
        raise PolicyError(in_reading_order(problems, [str(item) for item in names]))
    return files
