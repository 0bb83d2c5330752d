"""A model entry's `slack_channel`: where its requests, promotions, drift and new versions
are announced. Loaded, explained by `policy <model>`, refused with file:line:field."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from bot.core.policy import PolicyError, explain, load_policy

ROOT = Path(__file__).resolve().parents[3]
ANNOUNCE = ROOT / "tests" / "fixtures" / "announce_policy.yaml"

ENTRY = """\
people:
  bob: {{email: bob@example.com}}
groups:
  eng: [bob]
models:
  - name: sentiment-classifier
    slack_channel: {channel}
    targets:
      staging:
        requesters: [eng]
        approvals: 0
"""


def write(tmp_path: Path, channel: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(ENTRY.format(channel=channel), encoding="utf-8")
    return path


@pytest.mark.parametrize("channel", ["C0123ABCD", "G0PRIVATE1", '"C0MODELS"'])
def test_a_channel_id_loads_into_the_rules(tmp_path: Path, channel: str) -> None:
    policy = load_policy(write(tmp_path, channel))

    rules = policy.rules_for("sentiment-classifier")
    assert rules is not None and rules.slack_channel == channel.strip('"')


def test_an_entry_without_one_has_none_and_explains_nothing_more() -> None:
    policy = load_policy(ANNOUNCE)

    rules = policy.rules_for("fraud-detector")
    assert rules is not None and rules.slack_channel is None
    assert [label for label, _ in explain(policy, "fraud-detector") or []] == ["Staging"]


def test_policy_model_says_where_it_is_announced() -> None:
    explained = explain(load_policy(ANNOUNCE), "sentiment-classifier")

    assert explained is not None
    assert explained[-1] == (
        "announcements",
        [
            "in Slack channel C0MODELS: requests waiting for approval (with Approve / Deny), "
            "promotions and rollbacks done, drift found, new versions"
        ],
    )


@pytest.mark.parametrize(
    ("channel", "problem"),
    [
        (
            '"#releases"',
            '"#releases" is not a Slack channel ID (write the ID from the channel\'s details, '
            "e.g. C0123ABCD, not its #name)",
        ),
        ("c0123abcd", '"c0123abcd" is not a Slack channel ID'),
        ("U01BOB", '"U01BOB" is not a Slack channel ID'),
        ("123", "expected text, got the number 123"),
    ],
    ids=["a name", "lower case", "a member id", "a number"],
)
def test_anything_but_a_channel_id_is_refused_with_file_line_and_field(
    tmp_path: Path, channel: str, problem: str
) -> None:
    path = write(tmp_path, channel)

    with pytest.raises(PolicyError) as refused:
        load_policy(path)

    [line] = refused.value.problems
    assert line.startswith(f"{path}:7: models[0].slack_channel: ")
    assert problem in line


def test_the_published_json_schema_knows_the_key() -> None:
    schema = json.loads((ROOT / "policies" / "schema.json").read_text(encoding="utf-8"))
    good = yaml.safe_load(ENTRY.format(channel="C0123ABCD"))
    bad = yaml.safe_load(ENTRY.format(channel="'#releases'"))

    jsonschema.validate(good, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
