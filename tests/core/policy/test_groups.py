"""GitHub teams and Slack user groups in a policy's groups (bot/core/policy/groups.py): the
syntax, checked offline with file:line errors, and what their members stand for."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.policy import Membership, PolicyError, check, explain, load_policy
from bot.core.policy.groups import member_problem

ROOT = Path(__file__).resolve().parents[3]
GROUPS_POLICY = ROOT / "tests" / "fixtures" / "groups_policy.yaml"


def _policy(tmp_path: Path, members: str, approvers: str = "[leads]") -> Path:
    path = tmp_path / "teams.yaml"
    path.write_text(
        "people:\n"
        "  alice: {email: alice@example.com, github: alice, slack: U01ALICE}\n"
        "  bob: {github: bob, slack: U01BOB}\n"
        "groups:\n"
        "  engineers: [alice, bob]\n"
        f"  leads: {members}\n"
        "models:\n"
        "  - name: m\n"
        "    targets:\n"
        "      production:\n"
        "        requesters: [engineers]\n"
        f"        approvers: {approvers}\n"
        "        approvals: 1\n",
        encoding="utf-8",
    )
    return path


def test_teams_and_user_groups_load_beside_people() -> None:
    policy = load_policy(GROUPS_POLICY)

    assert policy.groups["ml-leads"] == ()
    assert policy.external == {
        "ml-leads": ("github-team:acme/ml-leads",),
        "sre": ("slack-group:S0SRE",),
    }
    assert policy.sources_for(["ml-engineers", "sre", "ml-leads"]) == (
        "slack-group:S0SRE",
        "github-team:acme/ml-leads",
    )


def test_a_group_may_mix_people_and_a_team(tmp_path: Path) -> None:
    path = _policy(tmp_path, '[alice, "github-team:acme/ml-leads", "slack-group:S0LEADS"]')

    policy = load_policy(path)

    assert policy.groups["leads"] == ("alice",)
    assert policy.external["leads"] == ("github-team:acme/ml-leads", "slack-group:S0LEADS")


BAD_MEMBERS = {
    "slug-with-spaces": (
        '"github-team:acme/ML Leads!"',
        "`ML Leads!` in `github-team:acme/ML Leads!` is not a team slug",
        "lower-case letters, digits, '-' and '_'",
    ),
    "slug-in-capitals": (
        '"github-team:acme/ML-Leads"',
        "team slugs are lower case",
        "write `github-team:acme/ml-leads`",
    ),
    "slug-with-a-dot": ('"github-team:acme/ml.leads"', "is not a team slug", "e.g."),
    "no-org": (
        '"github-team:ml-leads"',
        "needs the organisation and the team's slug",
        "`github-team:<org>/<team-slug>`",
    ),
    "empty-team": ('"github-team:"', "names no team", "`github-team:<org>/<team-slug>`"),
    "no-slug": ('"github-team:acme/"', "has no team slug after the `/`", "github-team:acme"),
    "odd-org": ('"github-team:ac_me/leads"', "`ac_me` in", "is not a GitHub organisation"),
    "empty-user-group": (
        '"slack-group:"',
        "`slack-group:` has no user group id",
        "`slack-group:<user group id>`",
    ),
    "user-group-handle": (
        '"slack-group:@sre"',
        "`@sre` in `slack-group:@sre` is not a Slack user group id",
        "starts with S",
    ),
    "user-group-lower-case": ('"slack-group:s0sre"', "upper case", "`slack-group:S0SRE`"),
    "unknown-prefix": (
        '"gitlab-group:acme/leads"',
        "`gitlab-group:acme/leads` has an unknown prefix `gitlab-group:`",
        "`github-team:<org>/<team-slug>` or `slack-group:<user group id>`",
    ),
    "prefix-misspelt": ('"github-teams:acme/leads"', "did you mean `github-team:`?", "prefix"),
    "a-handle": (
        '"github:carol"',
        "`github:carol` is a handle, and groups list people by their key",
        "`github: carol`",
    ),
}


@pytest.mark.parametrize("case", BAD_MEMBERS.values(), ids=BAD_MEMBERS.keys())
def test_a_bad_group_entry_is_refused_with_file_line_and_field(
    case: tuple[str, ...], tmp_path: Path
) -> None:
    written, *needles = case
    path = _policy(tmp_path, f"[alice, {written}]")

    with pytest.raises(PolicyError) as raised:
        load_policy(path)

    (problem,) = raised.value.problems
    assert problem.startswith(f"{path}:6: groups.leads[1]: "), problem
    assert all(needle in problem for needle in needles), problem
    assert check(path) == [problem]


def test_a_team_named_directly_as_approver_says_to_list_it_in_a_group(tmp_path: Path) -> None:
    path = _policy(tmp_path, "[alice]", approvers='["github-team:acme/leads"]')

    problem = check(path)[0]  # then, as for any refused approver: approvals without approvers

    assert problem == (
        f"{path}:12: models[0].targets.production.approvers[0]: "
        '"github-team:acme/leads" is not a group or person name (list it in a group, e.g. '
        'groups: {leads: ["github-team:acme/leads"]}, and name the group here)'
    )


def test_a_team_is_not_a_person_that_must_be_in_people(tmp_path: Path) -> None:
    # No "is not in people" for the team, and no "only 0 people can approve" either: its
    # members are not known offline.
    path = _policy(tmp_path, '["github-team:acme/ml-leads"]')

    assert check(path) == []


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("alice", True),
        ("github-team:acme/ml-leads", True),
        ("github-team:Acme-Corp/ml_leads-2", True),
        ("slack-group:S0SRE", True),
        ("slack-group:S", False),
        ("github-team:acme/ml-leads/extra", False),
        ("github-team:-acme/x", False),
        ("slack-group:S0SRE ", False),
    ],
)
def test_member_syntax(text: str, ok: bool) -> None:
    assert (member_problem(text) is None) is ok


# ---------------------------------------------------------------- what members stand for


def test_found_members_match_people_by_handle_or_stand_as_themselves() -> None:
    policy = load_policy(GROUPS_POLICY)
    membership = Membership(
        {
            "github-team:acme/ml-leads": ("github:Alice", "github:zed"),
            "slack-group:S0SRE": ("slack:U01CAROL", "slack:U0SAM"),
        }
    )

    assert policy.members(["ml-leads"], membership) == {"alice", "github:zed"}
    assert policy.members(["sre"], membership) == {"carol", "slack:U0SAM"}
    assert policy.members(["ml-leads", "sre"]) == set()  # without lookups: nobody


def test_a_failed_lookup_is_named_with_its_reason() -> None:
    membership = Membership({}, {"github-team:acme/ml-leads": "GitHub answered 502"})

    assert membership.unread(["github-team:acme/ml-leads", "slack-group:S0SRE"]) == [
        "github-team:acme/ml-leads could not be read: GitHub answered 502",
        "slack-group:S0SRE could not be read: it was not looked up",
    ]


def test_explain_shows_members_as_found_and_lookups_that_failed() -> None:
    policy = load_policy(GROUPS_POLICY)
    membership = Membership(
        {"github-team:acme/ml-leads": ("github:alice", "github:zed")},
        {"slack-group:S0SRE": "Slack answered invalid_auth (check SLACK_BOT_TOKEN)"},
    )

    lines = dict(explain(policy, "fraud-detector", membership) or [])

    assert lines["Production"][1] == (
        "needs 1 approval from ml-leads (github-team:acme/ml-leads: alice, github:zed) and 1 "
        "from sre (slack-group:S0SRE could not be read: Slack answered invalid_auth (check "
        "SLACK_BOT_TOKEN)); one person's approval counts toward one group only; nobody "
        "approves their own request"
    )
    assert lines["rollback"][1] == (
        "needs 2 approvals from sre (slack-group:S0SRE could not be read: Slack answered "
        "invalid_auth (check SLACK_BOT_TOKEN)); nobody approves their own request"
    )
    offline = dict(explain(policy, "sentiment-classifier") or [])
    assert offline["Production"][1] == (
        "needs 1 approval from ml-leads (github-team:acme/ml-leads); nobody approves their "
        "own request"
    )


def test_the_json_schema_publishes_the_syntax() -> None:
    import json

    import jsonschema

    from bot.core.policy.files import parse_file

    schema = json.loads((ROOT / "policies" / "schema.json").read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    parsed, problems = parse_file(GROUPS_POLICY)
    assert parsed is not None and problems == []

    assert list(validator.iter_errors(parsed.data)) == []
    for bad in ("github-team:acme/ML Leads", "slack-group:", "gitlab-team:acme/x"):
        data = {**parsed.data, "groups": {"leads": ["alice", bad]}}
        assert list(validator.iter_errors(data)), bad
    for approvals in ({}, {"leads": 0}, -1):
        data = {
            "models": [
                {"name": "m", "targets": {"staging": {"requesters": ["a"], "approvals": approvals}}}
            ]
        }
        assert list(validator.iter_errors(data)), approvals
