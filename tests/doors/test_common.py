"""bot/doors/common.py: the exit status every door ends with, and the workflow run link."""

from __future__ import annotations

import pytest

from bot.core.results import DONE, ERROR, PENDING, REFUSED, MoveResult
from bot.doors.common import ExitCode, exit_code, registry_exit, run_url


def test_exit_codes_are_the_contracts_numbers():
    assert [(code.name, int(code)) for code in ExitCode] == [
        ("OK", 0),
        ("REFUSED", 1),
        ("USAGE", 2),
        ("UNAVAILABLE", 3),
    ]


@pytest.mark.parametrize(
    ("status", "code"),
    [(DONE, 0), (PENDING, 0), (REFUSED, 1), (ERROR, 3)],
    ids=["done", "pending", "refused", "error"],
)
def test_a_result_maps_to_its_exit_code(status, code):
    assert exit_code(MoveResult(status=status, action="promote")) == code


ACTIONS = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/models",
    "GITHUB_RUN_ID": "9876",
}


@pytest.mark.parametrize(
    ("env", "attempt", "expected"),
    [
        (ACTIONS, False, "https://github.com/acme/models/actions/runs/9876"),
        (
            {**ACTIONS, "GITHUB_RUN_ATTEMPT": "2"},
            False,
            "https://github.com/acme/models/actions/runs/9876",
        ),
        (
            {**ACTIONS, "GITHUB_RUN_ATTEMPT": "2"},
            True,
            "https://github.com/acme/models/actions/runs/9876/attempts/2",
        ),
        (
            {**ACTIONS, "GITHUB_RUN_ATTEMPT": "1"},
            True,
            "https://github.com/acme/models/actions/runs/9876",
        ),
        (
            {**ACTIONS, "GITHUB_RUN_ATTEMPT": ""},
            True,
            "https://github.com/acme/models/actions/runs/9876",
        ),
        (
            {**ACTIONS, "GITHUB_SERVER_URL": "https://ghe.example.com/"},
            False,
            "https://ghe.example.com/acme/models/actions/runs/9876",
        ),
        ({k: v for k, v in ACTIONS.items() if k != "GITHUB_RUN_ID"}, True, ""),
        ({}, False, ""),
    ],
    ids=[
        "comment-door",
        "comment-door-ignores-attempt",
        "registration-rerun",
        "registration-first-attempt",
        "registration-no-attempt",
        "enterprise-trailing-slash",
        "no-run-id",
        "outside-actions",
    ],
)
def test_run_url(env, attempt, expected):
    assert run_url(env, attempt=attempt) == expected


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("refused", 1),
        ("permission", 1),
        ("invalid", 1),
        ("unsupported", 1),
        ("unavailable", 3),
        ("conflict", 3),
    ],
)
def test_mlflow_refusing_is_1_and_no_answer_is_3(kind, code):
    from bot.core.ports.registry import RegistryError

    assert registry_exit(RegistryError("…", kind=kind)) == code
