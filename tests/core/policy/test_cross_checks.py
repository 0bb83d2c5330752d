"""Checks across files, on the typed models: every problem named by file, line and field.

Each case is one or more files (a.yaml, b.yaml, ...) and the exact problems the
cross-file checks find in them, in the order they report them. A file that fails the
schema is checked on its valid remainder: its broken values say nothing, the rest does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.core.policy.cross_checks import cross_check
from bot.core.policy.files import ParsedFile, parse_file

PEOPLE = """\
people:
  alice: {email: alice@example.com, github: alice}
  bob: {email: bob@example.com, github: bob}
groups:
  ml-leads: [alice]
"""


def _model(rule: str, name: str = "m") -> str:
    return f"models:\n  - name: {name}\n    targets:\n      production: {rule}\n"


@dataclass(frozen=True)
class Case:
    files: tuple[str, ...]
    problems: tuple[str, ...]
    schema_valid: bool = True  # does every file pass the schema on its own


CASES = {
    "all-good": Case((PEOPLE + _model("{requesters: [ml-leads], approvals: 0}"),), ()),
    "unknown-name-with-suggestion": Case(
        (PEOPLE + _model("{requesters: [ml-lead], approvals: 0}"),),
        (
            "a.yaml:9: models[0].targets.production.requesters[0]: `ml-lead` is neither a "
            "group nor a person (did you mean `ml-leads`? define it under groups or people, "
            "or fix the spelling)",
        ),
    ),
    "group-member-not-in-people": Case(
        ("people:\n  alice: {}\ngroups:\n  team: [alice, bobby]\n  leads: [team]\n",),
        (
            "a.yaml:4: groups.team[1]: `bobby` is not in people (add bobby to people, or fix "
            "the spelling)",
            "a.yaml:5: groups.leads[0]: `team` is not in people (groups list people, not "
            "other groups) (add team to people, or fix the spelling)",
        ),
    ),
    "person-and-group-share-a-name": Case(
        ("people:\n  alice: {}\ngroups:\n  alice: [alice]\n",),
        (
            "a.yaml:4: groups.alice: `alice` is both a person and a group, so requesters and "
            "approvers naming it are ambiguous (rename the group)",
        ),
    ),
    "github-login-ignores-case": Case(
        ("people:\n  alice: {github: alice}\n  bob: {github: Alice}\n",),
        (
            "a.yaml:3: people.bob.github: GitHub login `Alice` already belongs to alice (each "
            "handle names one person; fix the handle, or give one of them a `cli:` name)",
        ),
    ),
    "cli-name-defaults-to-the-key": Case(
        ("people:\n  alice: {}\n  bob: {cli: alice}\n",),
        (
            "a.yaml:3: people.bob.cli: CLI name `alice` already belongs to alice (each handle "
            "names one person; fix the handle, or give one of them a `cli:` name)",
        ),
    ),
    "mlflow-username-is-one-persons": Case(
        ("people:\n  alice: {mlflow: alice}\n  bob: {mlflow: alice}\n",),
        (
            "a.yaml:3: people.bob.mlflow: MLflow username `alice` already belongs to alice "
            "(each handle names one person; fix the handle, or give one of them a `cli:` name)",
        ),
    ),
    "approvals-without-approvers": Case(
        (PEOPLE + _model("{requesters: [ml-leads], approvals: 1}"),),
        (
            "a.yaml:9: models[0].targets.production.approvals: `approvals: 1` needs approvers "
            "(add `approvers: [ml-leads]` naming who approves, or write `approvals: 0`)",
        ),
    ),
    "more-approvals-than-approvers": Case(
        (PEOPLE + _model("{requesters: [bob], approvers: [ml-leads, bob], approvals: 3}"),),
        (
            "a.yaml:9: models[0].targets.production.approvals: needs 3 approvals but only 2 "
            "people can approve (alice, bob) (lower approvals, or add people to the approvers)",
        ),
    ),
    "rollback-rules-are-checked-too": Case(
        (
            PEOPLE
            + _model("{requesters: [bob], approvals: 0}")
            + "    rollback: {requesters: [x], "
            "approvals: 0}\n",
        ),
        (
            "a.yaml:10: models[0].rollback.requesters[0]: `x` is neither a group nor a person "
            "(define it under groups or people, or fix the spelling)",
        ),
    ),
    "glob-shadows-a-later-entry": Case(
        (
            PEOPLE
            + "models:\n  - name: m-*\n    targets: {}\n  - name: m-one\n    targets: {}\n"
            + "  - name: m-?\n    targets: {}\n",
        ),
        (
            "a.yaml:9: models[1].name: this entry never applies: the entry `m-*` at a.yaml:7 "
            "matches it first (move this entry above it, or remove it)",
        ),
    ),
    "defined-differently-in-two-files": Case(
        ("people:\n  bob: {email: bob@example.com}\n", "people:\n  bob: {email: b@example.com}\n"),
        (
            "b.yaml:2: people.bob: `bob` is also defined, differently, in a.yaml:2 (define it "
            "once, in one file)",
        ),
    ),
    "defined-alike-in-two-files": Case(
        ("groups:\n  team: [bob]\npeople:\n  bob: {}\n", "groups:\n  team: [bob]\n"), ()
    ),
    "a-handle-written-as-null-is-written-differently": Case(
        ("people:\n  bob: {}\n", "people:\n  bob: {slack: null}\n"),
        (
            "b.yaml:2: people.bob: `bob` is also defined, differently, in a.yaml:2 (define it "
            "once, in one file)",
        ),
    ),
    # ---- files that fail the schema: checked on what is left
    "a-person-with-a-bad-handle-is-still-known": Case(
        ("people:\n  alice: {githb: alice}\ngroups:\n  leads: [alice]\n",), (), False
    ),
    "a-person-written-as-text-is-still-known": Case(
        ("people:\n  alice: yes\ngroups:\n  leads: [alice]\n",), (), False
    ),
    "names-are-checked-beside-a-bad-metric": Case(
        (PEOPLE + _model('{requesters: [ghost], approvals: 0, metrics: {f1: "~ 1"}}'),),
        (
            "a.yaml:9: models[0].targets.production.requesters[0]: `ghost` is neither a group "
            "nor a person (define it under groups or people, or fix the spelling)",
        ),
        False,
    ),
    "a-refused-member-keeps-the-others-where-they-are-written": Case(
        ("people:\n  alice: {}\ngroups:\n  team:\n    - 42\n    - bobby\n",),
        (
            "a.yaml:6: groups.team[1]: `bobby` is not in people (add bobby to people, or fix "
            "the spelling)",
        ),
        False,
    ),
    "a-refused-entry-keeps-later-entries-where-they-are-written": Case(
        (
            PEOPLE
            + "models:\n  - {name: 5, targets: {}}\n  - name: m\n    targets:\n"
            + "      staging: {requesters: [ghost], approvals: 0}\n",
        ),
        (
            "a.yaml:10: models[1].targets.staging.requesters[0]: `ghost` is neither a group "
            "nor a person (define it under groups or people, or fix the spelling)",
        ),
        False,
    ),
    "a-rule-missing-a-required-field-is-left-out": Case(
        (PEOPLE + _model("{requesters: [ghost]}"),), (), False
    ),
}


def _parsed(tmp_path: Path, texts: tuple[str, ...]) -> tuple[list[ParsedFile], list[str]]:
    files, schema = [], []
    for name, text in zip("abcdef", texts, strict=False):
        path = tmp_path / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        parsed, problems = parse_file(path)
        assert parsed is not None, problems
        files.append(parsed)
        schema.extend(problems)
    return files, schema


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_cross_check(case: Case, tmp_path: Path) -> None:
    files, schema_problems = _parsed(tmp_path, case.files)

    problems = cross_check(files)

    assert (schema_problems == []) is case.schema_valid, schema_problems
    assert [problem.replace(f"{tmp_path}/", "") for problem in problems] == list(case.problems)


def test_the_checks_read_the_typed_models(tmp_path: Path) -> None:
    (file,), _ = _parsed(tmp_path, (PEOPLE + _model("{requesters: [bob], approvals: 0}"),))

    raw = file.checked.raw

    assert raw is file.raw
    assert raw.people["alice"].github == "alice"
    assert raw.models[0].targets["production"].requesters == ["bob"]
