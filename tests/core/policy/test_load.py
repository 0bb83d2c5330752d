"""Loading policy files: good files load, bad ones fail with file, line and field."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest

from bot.core.policy import (
    FreezeWindow,
    MetricGate,
    PolicyError,
    check,
    explain,
    load_policy,
    write_json_schema,
)
from bot.core.policy.files import parse_file
from bot.core.policy.values import metric_expr

ROOT = Path(__file__).resolve().parents[3]
POLICIES = ROOT / "policies"
EXAMPLE = POLICIES / "sentiment-classifier.yaml"
FIXTURES = ROOT / "tests" / "fixtures" / "policies"
GOOD = FIXTURES / "good"
BAD = FIXTURES / "bad"


# ---------------------------------------------------------------- good files


def test_example_policy_loads_with_defaults_filled() -> None:
    policy = load_policy(POLICIES)

    assert policy.sources == (str(EXAMPLE),)
    assert set(policy.people) == {"alice", "bob", "carol", "dave"}
    assert policy.groups == {
        "ml-engineers": ("alice", "bob", "carol", "dave"),
        "ml-leads": ("alice", "dave"),
        "oncall": ("carol",),
    }
    rules = policy.rules_for("sentiment-classifier")
    assert rules is not None
    assert rules.source == f"{EXAMPLE}:{_line_of(EXAMPLE, '- name: sentiment-classifier')}"
    assert list(rules.targets) == ["staging", "production", "@champion"]

    production = rules.targets["production"]
    assert production.requesters == ("ml-engineers",)
    assert production.approvers == ("ml-leads",)
    assert production.approvals == 1
    assert production.self_approval is False
    assert production.require_stage == "Staging"
    assert production.require_reason is True
    assert production.metrics == (
        MetricGate("accuracy", metric_expr(">= 0.70")),
        MetricGate("f1", metric_expr(">= production - 0.02")),
    )
    assert [gate.label for gate in production.metrics] == [
        "accuracy ≥ 0.70",
        "f1 ≥ production − 0.02",
    ]
    assert production.freeze == (
        FreezeWindow(
            ("fri",),
            datetime.time(16, 0),
            datetime.time(23, 59),
            "Europe/Berlin",
            "no Friday-evening releases",
        ),
    )
    assert production.request_ttl == datetime.timedelta(hours=24)

    staging = rules.targets["staging"]
    assert (staging.approvals, staging.approvers, staging.self_approval) == (0, (), False)
    assert (staging.require_stage, staging.require_reason) == (None, False)
    assert (staging.metrics, staging.freeze) == ((), ())
    assert staging.request_ttl == datetime.timedelta(hours=24)

    assert rules.rollback is not None
    assert rules.rollback.target_key == "rollback"
    assert rules.rollback.requesters == ("oncall", "ml-leads")
    assert rules.rollback.require_reason is True


def test_people_get_every_handle_and_cli_defaults_to_the_key() -> None:
    policy = load_policy(GOOD / "rules.yaml")

    alice = policy.people["alice"]
    assert (alice.email, alice.github, alice.slack, alice.cli) == (
        "alice@example.com",
        "alice",
        "U01ALICE",
        "alice",
    )
    assert policy.display("slack:U01ALICE") == "alice@example.com"
    assert policy.display("cli:erin-cli") == "cli:erin-cli"  # erin has no e-mail
    assert policy.person_for("cli:frank") == policy.people["frank"]
    assert policy.person_for("cli:erin-cli") == policy.people["erin"]
    assert policy.person_for("cli:erin") is None  # erin chose another CLI name


def test_unquoted_times_read_as_times_not_base_60_numbers() -> None:
    policy = load_policy(GOOD / "rules.yaml")

    rules = policy.rules_for("fraud-detector")
    assert rules is not None
    (window,) = rules.targets["production"].freeze
    assert (window.start, window.end) == (datetime.time(22, 0), datetime.time(6, 0))
    assert rules.targets["production"].request_ttl == datetime.timedelta(hours=1, minutes=30)


def test_a_folder_merges_its_yaml_files_in_name_order_and_ignores_schema_json() -> None:
    folder = GOOD / "split"

    policy = load_policy(folder)

    assert policy.sources == tuple(
        str(folder / name) for name in ("groups.yml", "models.yaml", "people.yaml")
    )
    assert set(policy.people) == {"alice", "bob"}
    assert policy.groups["ml-leads"] == ("alice",)
    rules = policy.rules_for("sentiment-analyzer")
    assert rules is not None
    assert rules.pattern == "sentiment-*"
    assert rules.source == f"{folder / 'models.yaml'}:2"


def test_anchors_and_merge_keys_are_allowed_in_moderation() -> None:
    policy = load_policy(GOOD / "anchors.yaml")

    rules = policy.rules_for("churn-model")
    assert rules is not None
    production = rules.targets["production"]
    assert (production.requesters, production.approvers, production.approvals) == (
        ("team",),
        ("leads",),
        1,
    )
    assert rules.targets["archived"].requesters == ("team",)


@pytest.mark.parametrize(
    ("ttl", "value", "explained"),
    [
        ("90s", datetime.timedelta(seconds=90), "1m30s"),
        ("1m30s", datetime.timedelta(seconds=90), "1m30s"),
        ("2d12h", datetime.timedelta(days=2, hours=12), "60h"),
    ],
    ids=["seconds", "minutes-and-seconds", "days-and-hours"],
)
def test_a_request_ttl_may_be_written_in_seconds(
    ttl: str, value: datetime.timedelta, explained: str, tmp_path: Path
) -> None:
    path = tmp_path / "ttl.yaml"
    path.write_text(
        "people: {ann: {}, bo: {}}\ngroups: {team: [ann, bo]}\nmodels:\n  - name: m\n"
        "    targets:\n      production:\n        requesters: [team]\n"
        f"        approvers: [team]\n        approvals: 1\n        request_ttl: {ttl}\n"
    )

    policy = load_policy(path)

    rules = policy.rules_for("m")
    assert rules is not None
    assert rules.targets["production"].request_ttl == value
    assert explain(policy, "m") == [
        (
            "Production",
            [
                "requested by team (ann, bo)",
                "needs 1 approval from team (ann, bo); nobody approves their own request",
                f"requests expire after {explained}",
            ],
        )
    ]


@pytest.mark.parametrize(
    "path",
    [
        POLICIES,
        EXAMPLE,
        GOOD / "rules.yaml",
        GOOD / "anchors.yaml",
        GOOD / "split",
        GOOD / "locks.yaml",
    ],
    ids=["policies-folder", "example", "rules", "anchors", "split-folder", "locks"],
)
def test_check_finds_no_problem_in_good_files(path: Path) -> None:
    assert check(path) == []


# ---------------------------------------------------------------- bad files


def _line_of(path: Path, text: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


def _ten_megabytes(tmp_path: Path) -> Path:
    path = tmp_path / "huge.yaml"
    line = b"  - name: sentiment-classifier-0000000000000000000000000000000000000000\n"
    with path.open("wb") as handle:
        handle.write(b"models:\n")
        handle.write(line * (10_000_000 // len(line) + 1))
    return path


@dataclass(frozen=True)
class Bad:
    file: str  # under tests/fixtures/policies/bad, or made by `make`
    line: int
    needles: tuple[str, ...]  # all in the one problem reported on that line
    make: Callable[[Path], Path] | None = None


BAD_FILES = {
    "unknown-key": Bad(
        "unknown_key.yaml",
        12,
        ("models[0].targets.production.approver", "unknown key `approver`", "`approvers`"),
    ),
    "wrong-type": Bad(
        "wrong_type.yaml",
        13,
        ("models[0].targets.production.approvals", "expected a whole number", '"one"'),
    ),
    "unknown-group": Bad(
        "unknown_group.yaml",
        12,
        ("models[0].targets.production.approvers[0]", "`ml-lead`", "did you mean `ml-leads`"),
    ),
    "unknown-person-in-group": Bad(
        "unknown_person.yaml", 4, ("groups.ml-engineers[1]", "`bobby` is not in people")
    ),
    "missing-requesters": Bad(
        "missing_requesters.yaml",
        6,
        ("models[0].targets.staging.requesters", "`requesters` is required"),
    ),
    "broken-yaml": Bad("broken_yaml.yaml", 13, ("not valid YAML", "flow sequence")),
    "bad-metric": Bad(
        "bad_metric.yaml",
        14,
        ("models[0].targets.production.metrics.f1", '"~ 0.80" is not a metric gate', '">= 0.80"'),
    ),
    "bad-timezone": Bad(
        "bad_timezone.yaml",
        17,
        ("freeze[0].timezone", '"Europe/Berlinn" is not a time zone', "Europe/Berlin"),
    ),
    "bad-day": Bad("bad_freeze.yaml", 14, ("freeze[0].days[0]", '"friday"', "fri")),
    "bad-time": Bad("bad_freeze.yaml", 15, ("freeze[0].from", '"25:00" is not a time of day')),
    "bad-ttl": Bad(
        "bad_ttl.yaml",
        13,
        (
            "production.request_ttl",
            '"1 day" is not a duration (write it like "30s", "30m", "24h", "7d" or "1h30m")',
        ),
    ),
    "bad-target": Bad(
        "bad_target.yaml", 13, ("models[0].targets.Staging", "lower case", "`staging`")
    ),
    "mirrored-alias": Bad(
        "mirrored_alias.yaml", 13, ("targets.@production", "write the stage `production`")
    ),
    "approvals-without-approvers": Bad(
        "approvals_without_approvers.yaml",
        12,
        ("models[0].targets.production.approvals", "needs approvers", "approvals: 0"),
    ),
    "more-approvals-than-approvers": Bad(
        "too_many_approvals.yaml",
        13,
        ("production.approvals", "needs 2 approvals but only 1 person can approve (alice)"),
    ),
    "duplicate-key": Bad(
        "duplicate_key.yaml",
        13,
        ("production.approvals", "`approvals` is written twice (first on line 12)"),
    ),
    "duplicate-handle": Bad(
        "duplicate_handle.yaml",
        3,
        ("people.bob.github", "GitHub login `Alice` already belongs to alice"),
    ),
    "shadowed-entry": Bad(
        "shadowed_entry.yaml", 13, ("models[1].name", "never applies", "shadowed_entry.yaml:8")
    ),
    "yes-is-not-a-boolean": Bad(
        "yes_no.yaml", 13, ("production.self_approval", 'expected true or false, got "no"')
    ),
    "empty-file": Bad("empty.yaml", 1, ("the file is empty",)),
    "comments-only": Bad("comments_only.yaml", 1, ("the file is empty",)),
    "not-a-mapping": Bad("not_a_mapping.yaml", 1, ("holds a list", "people, groups and models")),
    "ten-megabytes": Bad("huge.yaml", 1, ("10.0 MB", "at most 1 MB"), make=_ten_megabytes),
    "anchor-bomb": Bad("anchor_bomb.yaml", 7, ("YAML aliases", "alias bomb", "not allowed")),
    "too-many-aliases": Bad(
        "too_many_aliases.yaml", 104, ("more than 100 YAML aliases", "not allowed")
    ),
    "recursive-alias": Bad("recursive_alias.yaml", 1, ("alias that refers to itself",)),
    "unknown-locker": Bad(
        "unknown_locker.yaml",
        12,
        ("models[0].locks.requesters[1]", "`on-call-leads` is neither a group nor a person"),
    ),
    "respect-locks-on-a-target": Bad(
        "bad_locks.yaml", 11, ("models[0].targets.staging.respect_locks", "unknown key")
    ),
    "deny-requires-reason-not-a-boolean": Bad(
        "bad_locks.yaml",
        12,
        ("targets.staging.deny_requires_reason", 'expected true or false, got "yes"'),
    ),
    "respect-locks-not-a-boolean": Bad(
        "bad_locks.yaml", 16, ("models[0].rollback.respect_locks", "expected true or false")
    ),
    "locks-requesters-not-a-list": Bad(
        "bad_locks.yaml", 18, ("models[0].locks.requesters", "expected a list")
    ),
    "locks-without-requesters": Bad(
        "bad_locks.yaml", 24, ("models[1].locks.requesters", "`requesters` is required")
    ),
}


@pytest.mark.parametrize("case", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_file_is_refused_with_file_line_and_field(case: Bad, tmp_path: Path) -> None:
    path = case.make(tmp_path) if case.make else BAD / case.file

    with pytest.raises(PolicyError) as raised:
        load_policy(path)

    problems = raised.value.problems
    assert all(problem.startswith(f"{path}:") for problem in problems), problems
    on_line = [p for p in problems if p.startswith(f"{path}:{case.line}: ")]
    assert any(all(needle in p for needle in case.needles) for p in on_line), problems
    assert str(raised.value) == "\n".join(problems)
    assert check(path) == problems


def test_every_problem_is_reported_in_line_order() -> None:
    path = BAD / "many_problems.yaml"

    problems = check(path)

    assert [problem.split(": ", 1)[0] for problem in problems] == [
        f"{path}:2",
        f"{path}:9",
        f"{path}:13",
        f"{path}:16",
    ]
    assert "unknown key `githb` (did you mean `github`?" in problems[0]
    assert "`engineers` is neither a group nor a person" in problems[1]
    assert '">= prod" is not a metric gate' in problems[2]
    assert "models[0].rollback.approvals: must be 0 or more" in problems[3]


def test_a_person_defined_differently_in_two_files_names_both() -> None:
    folder = BAD / "split_conflict"

    problems = check(folder)

    assert problems == [
        f"{folder / 'b.yaml'}:3: people.bob: `bob` is also defined, differently, in "
        f"{folder / 'a.yaml'}:3 (define it once, in one file)"
    ]


def test_missing_path_is_a_policy_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"

    with pytest.raises(PolicyError) as raised:
        load_policy(missing)

    assert raised.value.problems == [
        f"{missing}: no such file or folder (point PROMOBOT_POLICY or `promobot policy check` "
        "at a policy .yaml file or a folder of them)"
    ]


def test_a_folder_without_yaml_files_is_a_policy_error(tmp_path: Path) -> None:
    (tmp_path / "schema.json").write_text("{}")

    (problem,) = check(tmp_path)

    assert problem.startswith(f"{tmp_path}: this folder has no .yaml or .yml policy files")


@pytest.mark.parametrize(
    ("content", "line", "needle"),
    [
        (b"people:\n  alice: {email: \xff}\n", 2, "not UTF-8"),
        (b"people:\n  alice: {email: a\x07@example.com}\n", 2, "character YAML does not allow"),
        (b"people: " + b"[" * 5000 + b"]" * 5000 + b"\n", 1, "nests deeper than"),
        (b"people: !!python/object/apply:os.system [echo hi]\n", 1, "not valid YAML"),
        (b"people: !!timestamp 2024-01-01\n", 1, "dates are not used"),
        (b"people:\n  alice: !!bool maybe\n", 2, "write true or false"),
        (
            b"models:\n  - name: x\n"
            b"    targets: {staging: {requesters: [a], approvals: !!int 0x1}}\n",
            3,
            "whole number",
        ),
        (b"models: [{name: '', targets: {}}]\n", 1, "models[0].name: must not be empty"),
        (
            b"models:\n  - name: m\n    targets:\n"
            b"      '@latest': {requesters: [a], approvals: 0}\n",
            4,
            "MLflow reserves the alias @latest",
        ),
    ],
    ids=[
        "not-utf8",
        "control-character",
        "deep-nesting",
        "python-tag",
        "timestamp-tag",
        "bool-tag",
        "hex-int-tag",
        "empty-name",
        "reserved-alias",
    ],
)
def test_hostile_or_odd_yaml_is_refused_with_a_line(
    content: bytes, line: int, needle: str, tmp_path: Path
) -> None:
    path = tmp_path / "odd.yaml"
    path.write_bytes(content)

    problems = check(path)

    assert any(p.startswith(f"{path}:{line}: ") and needle in p for p in problems), problems


# ---------------------------------------------------------------- JSON Schema


def test_committed_schema_json_is_the_generated_one(tmp_path: Path) -> None:
    generated = tmp_path / "schema.json"

    write_json_schema(generated)

    assert (POLICIES / "schema.json").read_text() == generated.read_text(), (
        "policies/schema.json is stale; regenerate it with "
        '`python -c "from bot.core.policy import write_json_schema as w; '
        "w('policies/schema.json')\"`"
    )


def _schema_validator() -> jsonschema.protocols.Validator:
    schema = json.loads((POLICIES / "schema.json").read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


@pytest.mark.parametrize(
    "path", [EXAMPLE, GOOD / "rules.yaml", GOOD / "anchors.yaml"], ids=lambda p: p.name
)
def test_schema_json_accepts_the_good_policies(path: Path) -> None:
    parsed, problems = parse_file(path)
    assert parsed is not None and problems == []

    errors = list(_schema_validator().iter_errors(parsed.data))

    assert errors == []


@pytest.mark.parametrize(
    "name",
    ["unknown_key", "wrong_type", "bad_metric", "bad_freeze", "bad_ttl", "bad_target"],
)
def test_schema_json_refuses_what_the_loader_refuses(name: str) -> None:
    parsed, problems = parse_file(BAD / f"{name}.yaml")
    assert parsed is not None and problems

    errors = list(_schema_validator().iter_errors(parsed.data))

    assert errors


def test_lock_and_denial_keys_load_into_the_rules() -> None:
    rules = load_policy(GOOD / "locks.yaml").rules_for("sentiment-classifier")

    assert rules is not None
    assert rules.lock_requesters == ("oncall", "alice")
    assert rules.targets["production"].deny_requires_reason is True
    assert rules.targets["production"].respect_locks is False
    assert rules.rollback is not None
    assert (rules.rollback.respect_locks, rules.rollback.deny_requires_reason) == (True, True)
    example = load_policy(EXAMPLE).rules_for("sentiment-classifier")
    assert example is not None and example.lock_requesters == ()
    assert example.rollback is not None and example.rollback.respect_locks is False
    assert example.targets["production"].deny_requires_reason is False
