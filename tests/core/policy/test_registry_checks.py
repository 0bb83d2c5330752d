"""`registry: {stages: …}` across the policy files: what a target key and `require_stage`
may be in a registry with stages and in one without, the files agreeing, and the rules
loaded from them. Every problem is named by file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.policy import PolicyError, check, load_policy

PEOPLE = """\
people:
  alice: {email: alice@example.com}
groups:
  leads: [alice]
"""
NO_STAGES = "registry: {stages: false}\n"


def _model(targets: str) -> str:
    return f"models:\n  - name: m\n    targets:\n{targets}"


def _files(tmp_path: Path, *texts: str) -> Path:
    for name, text in zip("abc", texts, strict=False):
        (tmp_path / f"{name}.yaml").write_text(text)
    return tmp_path


RULE = "{requesters: [leads], approvals: 0}"
ALIASES = _model(f'      "@staging": {RULE}\n      "@production": {RULE}\n')
STAGES = _model(f"      staging: {RULE}\n      production: {RULE}\n")


@pytest.mark.parametrize(
    ("texts", "problems"),
    [
        ((NO_STAGES + PEOPLE + ALIASES,), []),
        ((PEOPLE + STAGES,), []),
        (
            (NO_STAGES + PEOPLE + STAGES,),
            [
                "a.yaml:9: models[0].targets.staging: `staging` is a stage, and this registry "
                "has no stages (`registry: {stages: false}`): write `@staging`",
                "a.yaml:10: models[0].targets.production: `production` is a stage, and this "
                "registry has no stages (`registry: {stages: false}`): write `@production`",
            ],
        ),
        (
            (PEOPLE + ALIASES,),
            [
                "a.yaml:8: models[0].targets.@staging: @staging mirrors the Staging stage and "
                "moves with it (write the stage `staging` instead, or set `registry: {stages: "
                "false}` for a registry without stages)",
                "a.yaml:9: models[0].targets.@production: @production mirrors the Production "
                "stage and moves with it (write the stage `production` instead, or set "
                "`registry: {stages: false}` for a registry without stages)",
            ],
        ),
        (
            (
                NO_STAGES
                + PEOPLE
                + _model(
                    f'      "@staging": {RULE}\n      "@production":\n'
                    "        requesters: [leads]\n        approvals: 0\n"
                    "        require_stage: staging\n"
                ),
            ),
            [
                "a.yaml:13: models[0].targets.@production.require_stage: `staging` is a stage, "
                "and this registry has no stages (`registry: {stages: false}`): write "
                '`"@staging"`, the alias the version must hold first',
            ],
        ),
        (
            (
                PEOPLE
                + _model(
                    f"      staging: {RULE}\n      production:\n"
                    "        requesters: [leads]\n        approvals: 0\n"
                    '        require_stage: "@staging"\n'
                ),
            ),
            [
                "a.yaml:12: models[0].targets.production.require_stage: `@staging` is an "
                "alias, and in a registry with stages `require_stage` names a stage (write "
                "staging or production, or set `registry: {stages: false}` for a registry "
                "without stages)",
            ],
        ),
        (
            # The registry is said in one file, the models are in another: one registry.
            (NO_STAGES + PEOPLE, STAGES),
            [
                "b.yaml:4: models[0].targets.staging: `staging` is a stage, and this registry "
                "has no stages (`registry: {stages: false}`): write `@staging`",
                "b.yaml:5: models[0].targets.production: `production` is a stage, and this "
                "registry has no stages (`registry: {stages: false}`): write `@production`",
            ],
        ),
        ((NO_STAGES + PEOPLE, NO_STAGES + ALIASES), []),
        (
            (NO_STAGES + PEOPLE + ALIASES, "registry:\n  stages: true\n"),
            [
                "b.yaml:2: registry.stages: `stages: true` here, but `stages: false` in "
                "a.yaml:1: the files govern one registry (write the same in each, or say it in "
                "one file only)",
            ],
        ),
    ],
    ids=[
        "aliases-only",
        "stages",
        "stage-target-without-stages",
        "mirrored-alias-with-stages",
        "require-stage-names-a-stage-without-stages",
        "require-stage-names-an-alias-with-stages",
        "said-in-another-file",
        "two-files-agree",
        "two-files-disagree",
    ],
)
def test_what_the_registry_allows(tmp_path: Path, texts: tuple[str, ...], problems: list[str]):
    folder = _files(tmp_path, *texts)
    found = [problem.replace(f"{folder}/", "") for problem in check(folder)]
    assert found == problems


@pytest.mark.parametrize(
    ("registry", "problem"),
    [
        ('{stages: "no"}', 'registry.stages: expected true or false, got "no"'),
        ("{stage: false}", "registry.stage: unknown key `stage`"),
    ],
    ids=["not-a-boolean", "unknown-key"],
)
def test_the_registry_key_is_strict(tmp_path: Path, registry: str, problem: str):
    (tmp_path / "a.yaml").write_text(f"registry: {registry}\n" + PEOPLE)
    (found,) = check(tmp_path / "a.yaml")
    assert f"a.yaml:1: {problem}" in found


def test_the_rules_of_a_registry_without_stages(tmp_path: Path):
    text = (
        NO_STAGES
        + PEOPLE
        + _model(
            f'      "@staging": {RULE}\n      "@production":\n'
            "        requesters: [leads]\n        approvals: 0\n"
            '        require_stage: "@staging"\n        soak: 1h\n'
            '        metrics: {f1: ">= production - 0.01", accuracy: ">= 0.8"}\n'
        )
    )
    (tmp_path / "a.yaml").write_text(text)
    policy = load_policy(tmp_path / "a.yaml")
    assert policy.stages is False
    rule = policy.models[0].targets["@production"]
    assert (rule.require_stage, rule.soak is not None) == ("@staging", True)
    gates = {gate.metric: (gate.relative_to, gate.label) for gate in rule.metrics}
    assert gates == {
        "f1": ("@production", "f1 ≥ production − 0.01"),
        "accuracy": (None, "accuracy ≥ 0.8"),
    }


def test_a_registry_has_stages_unless_a_file_says_otherwise(tmp_path: Path):
    (tmp_path / "a.yaml").write_text(PEOPLE + STAGES)
    policy = load_policy(tmp_path / "a.yaml")
    assert policy.stages is True
    rule = policy.models[0].targets["production"]
    assert rule.require_stage is None


def test_load_refuses_what_check_reports(tmp_path: Path):
    (tmp_path / "a.yaml").write_text(NO_STAGES + PEOPLE + STAGES)
    with pytest.raises(PolicyError) as raised:
        load_policy(tmp_path / "a.yaml")
    assert "write `@staging`" in str(raised.value)
