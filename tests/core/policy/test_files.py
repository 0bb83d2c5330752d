"""Reading the policy files a path names (bot/core/policy/files.py): which files, each
read safely and checked against the schema, then all of them together; every problem
of every file in one report, in reading order."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.policy import PolicyError
from bot.core.policy.files import parse_file, policy_files, read_policy_files

MAPPING = "it must be a mapping with the keys people, groups and models"


def test_a_folder_names_its_yaml_files_sorted_and_nothing_else(tmp_path: Path) -> None:
    for name in ("b.yml", "a.yaml", ".hidden.yaml", "schema.json", "notes.txt"):
        (tmp_path / name).write_text("models: []\n")
    (tmp_path / "sub.yaml").mkdir()
    assert policy_files(tmp_path) == [tmp_path / "a.yaml", tmp_path / "b.yml"]


def test_a_file_names_itself_whatever_its_suffix(tmp_path: Path) -> None:
    path = tmp_path / "policy.txt"
    path.write_text("models: []\n")
    assert policy_files(str(path)) == [path]


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (
            lambda root: root / "missing",
            "no such file or folder (point PROMOBOT_POLICY or `promobot policy check` at a "
            "policy .yaml file or a folder of them)",
        ),
        (
            lambda root: root,
            "this folder has no .yaml or .yml policy files (add one, e.g. "
            "policies/sentiment-classifier.yaml)",
        ),
    ],
    ids=["missing", "empty-folder"],
)
def test_a_path_without_policy_files_is_a_policy_error(tmp_path: Path, make, problem: str) -> None:
    path = make(tmp_path)
    with pytest.raises(PolicyError) as raised:
        policy_files(path)
    assert raised.value.problems == [f"{path}: {problem}"]


def test_a_good_file_is_parsed_into_the_raw_schema(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("groups:\n  eng: [bob]\n")
    parsed, problems = parse_file(path)
    assert problems == [] and parsed is not None
    assert (parsed.name, parsed.data) == (str(path), {"groups": {"eng": ["bob"]}})
    assert parsed.raw is not None and parsed.raw.groups == {"eng": ["bob"]}
    assert parsed.checked.raw == parsed.raw


@pytest.mark.parametrize(
    ("content", "problem", "kept"),
    [
        ("- a\n- b\n", f"1: the file holds a list; {MAPPING}", {}),
        ('"text"\n', f'1: the file holds "text"; {MAPPING}', {}),
        (
            "groups:\n  eng: [bob]\ngroups:\n  eng: [bob]\n",
            "3: groups: `groups` is written twice (first on line 1); YAML would silently keep "
            "only the last one (keep one)",
            {"eng": ["bob"]},
        ),
        (
            "groups:\n  eng: [bob]\n  ops: bob\n",
            '3: groups.ops: expected a list, got "bob"',
            {"eng": ["bob"], "ops": []},  # emptied, so the group's name stays known
        ),
    ],
    ids=["a-list", "text", "key-written-twice", "schema-problem"],
)
def test_a_file_with_a_problem_has_no_raw_policy_but_its_valid_part_is_checked(
    tmp_path: Path, content: str, problem: str, kept: dict[str, list[str]]
) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(content)
    parsed, problems = parse_file(path)
    assert problems == [f"{path}:{problem}"]
    assert parsed is not None and parsed.raw is None
    assert parsed.checked.raw.groups == kept


def test_an_unreadable_file_is_not_parsed_at_all(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("a: [1\n")
    parsed, problems = parse_file(path)
    assert parsed is None and len(problems) == 1 and problems[0].startswith(f"{path}:2: ")


def test_every_problem_of_every_file_is_reported_at_once_in_reading_order(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("- a\n")
    (tmp_path / "a.yaml").write_text("people:\n  bob: {email: nope}\n  eve: {email: nah}\n")
    (tmp_path / "b.yaml").write_text("a: [1\n")
    with pytest.raises(PolicyError) as raised:
        read_policy_files(tmp_path)
    found = raised.value.problems
    assert [problem.split(": ")[0] for problem in found] == [
        f"{tmp_path / 'a.yaml'}:2",
        f"{tmp_path / 'a.yaml'}:3",
        f"{tmp_path / 'b.yaml'}:2",
        f"{tmp_path / 'c.yaml'}:1",
    ]


def test_good_files_are_read_in_name_order(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text("groups:\n  eng: [bob]\n")
    (tmp_path / "a.yaml").write_text("people:\n  bob: {email: bob@example.com}\n")
    assert [file.name for file in read_policy_files(tmp_path)] == [
        str(tmp_path / "a.yaml"),
        str(tmp_path / "b.yaml"),
    ]
