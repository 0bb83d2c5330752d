"""Reading a policy file's YAML (bot/core/policy/yaml_safe.py): YAML 1.2 core scalars as
editors read them, within limits on size, aliases and depth checked before any Python
object is built, and the line every field is written on."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from bot.core.policy.yaml_safe import LineMap, read_yaml

EMPTY = (
    "the file is empty (write people, groups and models; see policies/sentiment-classifier.yaml)"
)


def read(tmp_path: Path, content: str | bytes) -> tuple[Any, list[str], Path]:
    path = tmp_path / "policy.yaml"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    found, problems = read_yaml(path)
    return found, problems, path


@pytest.mark.parametrize(
    ("scalar", "value"),
    [
        ("16:00", "16:00"),
        ("no", "no"),
        ("yes", "yes"),
        ("0x1", "0x1"),
        ("1_000", "1_000"),
        ("2024-01-01", "2024-01-01"),
        ("012", 12),
        ("1.5e3", 1500.0),
        ("TRUE", True),
        ("false", False),
        ("~", None),
        ("", None),
    ],
    ids=[
        "time-is-text",
        "no-is-text",
        "yes-is-text",
        "hex-is-text",
        "underscores-are-text",
        "date-is-text",
        "leading-zero-is-decimal",
        "exponent",
        "true-upper-case",
        "false",
        "tilde-is-null",
        "empty-is-null",
    ],
)
def test_scalars_read_as_yaml_1_2_core(tmp_path: Path, scalar: str, value: Any) -> None:
    found, problems, _ = read(tmp_path, f"v: {scalar}\n")
    assert (found.data, problems) == ({"v": value}, [])


def test_infinity_is_a_number(tmp_path: Path) -> None:
    found, _, _ = read(tmp_path, "v: .inf\n")
    assert math.isinf(found.data["v"])


def test_every_field_has_its_line(tmp_path: Path) -> None:
    found, problems, path = read(
        tmp_path,
        "people:\n  bob: {email: bob@example.com}\nmodels:\n  - name: m\n    targets: {}\n",
    )
    assert problems == [] and found.name == str(path)
    assert found.lines.lines == {
        (): 1,
        ("people",): 1,
        ("people", "bob"): 2,
        ("people", "bob", "email"): 2,
        ("models",): 3,
        ("models", "0"): 4,
        ("models", "0", "name"): 4,
        ("models", "0", "targets"): 5,
    }


def test_a_line_not_written_is_its_nearest_parents() -> None:
    lines = LineMap({(): 1, ("models",): 2, ("models", "0"): 3})
    assert lines.line(["models", 0, "targets", "production"]) == 3
    assert lines.line(["people"]) == 1
    assert LineMap({}).line(["x"]) == 1


def test_a_key_written_twice_is_a_problem_and_the_last_is_kept(tmp_path: Path) -> None:
    found, problems, path = read(tmp_path, "people:\n  a: 1\n  a: 2\n")
    assert found.data == {"people": {"a": 2}}
    assert problems == [
        f"{path}:3: people.a: `a` is written twice (first on line 2); YAML would silently keep "
        "only the last one (keep one)"
    ]


def test_merge_keys_are_read(tmp_path: Path) -> None:
    found, problems, _ = read(
        tmp_path, "base: &b\n  requesters: [a]\n  approvals: 0\nt:\n  <<: *b\n  approvals: 1\n"
    )
    assert problems == []
    assert found.data["t"] == {"requesters": ["a"], "approvals": 1}


def test_a_byte_order_mark_is_not_part_of_the_first_key(tmp_path: Path) -> None:
    found, _, _ = read(tmp_path, b"\xef\xbb\xbfa: 1\n")
    assert found.data == {"a": 1}


def laughs(levels: int) -> str:
    """The billion laughs: each level ten aliases of the one before."""
    text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for level in range(1, levels + 1):
        name, before = chr(ord("a") + level), chr(ord("a") + level - 1)
        text += f"{name}: &{name} [{', '.join([f'*{before}'] * 10)}]\n"
    return text


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        (
            "",
            1,
            EMPTY,
        ),
        (
            "# only a comment\n",
            1,
            EMPTY,
        ),
        (
            laughs(6),
            5,
            "the file expands to more than 100,000 YAML values; with YAML aliases that is an "
            "alias bomb, which is not allowed (write the policy out without so many aliases)",
        ),
        (
            "x: &x 1\nl: [" + ", ".join(["*x"] * 101) + "]\n",
            2,
            "the file uses more than 100 YAML aliases (*name); so many aliases are not allowed "
            "(write the repeated parts out)",
        ),
        (
            "&a [*a]\n",
            1,
            "the file contains a YAML alias that refers to itself; recursive aliases are not "
            "allowed",
        ),
        (
            "v: " + "[" * 41 + "]" * 41 + "\n",
            1,
            "the file nests deeper than 40 levels (a policy needs fewer than 10)",
        ),
        (
            "a: [1\n",
            2,
            "this is not valid YAML: expected ',' or ']', but got '<stream end>' (while parsing a "
            "flow sequence) (check the indentation, and quote values that contain ': ' or start "
            "with a special character)",
        ),
        (b"a: 1\nb: \xff\n", 2, "the file is not UTF-8 text (save it as UTF-8)"),
        ("v: !!timestamp 2024-01-01\n", 1, "dates are not used"),
    ],
    ids=[
        "empty",
        "comment-only",
        "alias-bomb",
        "too-many-aliases",
        "recursive-alias",
        "too-deep",
        "not-yaml",
        "not-utf8",
        "timestamp-tag",
    ],
)
def test_what_cannot_be_read_is_one_problem_with_its_line(
    tmp_path: Path, content: str | bytes, line: int, message: str
) -> None:
    found, problems, path = read(tmp_path, content)
    assert found is None
    (problem,) = problems
    assert problem.startswith(f"{path}:{line}: ") and message in problem, problem


def test_a_file_over_1_mb_is_refused_unread(tmp_path: Path) -> None:
    found, problems, path = read(tmp_path, b"a: " + b"x" * 1_000_000 + b"\n")
    assert found is None
    assert problems == [
        f"{path}:1: the file is 1.0 MB; policy files must be at most 1 MB (split it into "
        "several files in the folder)"
    ]


def test_a_missing_file_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    path = tmp_path / "missing.yaml"
    assert read_yaml(path) == (
        None,
        [f"{path}:1: the file cannot be read: No such file or directory"],
    )
