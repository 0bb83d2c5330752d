"""The registry port's values (bot/core/ports/registry.py): which failures are MLflow
saying no (the same command gets the same answer) and which are worth trying again; the
latest version of a model; and a logged model's URI."""

from __future__ import annotations

import pytest

from bot.core.ports.registry import (
    LoggedModel,
    ModelInfo,
    MutexBusy,
    RegistryError,
)


@pytest.mark.parametrize(
    ("kind", "refusal"),
    [
        ("unavailable", False),
        ("conflict", False),
        ("refused", True),
        ("permission", True),
        ("unsupported", True),
        ("invalid", True),
    ],
    ids=["unavailable", "conflict", "refused", "permission", "unsupported", "invalid"],
)
def test_is_refusal(kind: str, refusal: bool) -> None:
    assert RegistryError("x", kind=kind).is_refusal is refusal


def test_by_default_a_registry_error_is_mlflow_out_of_reach() -> None:
    error = RegistryError("MLflow did not answer")
    assert (error.kind, error.code, error.is_refusal, str(error)) == (
        "unavailable",
        "",
        False,
        "MLflow did not answer",
    )


def test_a_lock_still_held_is_a_conflict_to_try_again() -> None:
    busy = MutexBusy("another promotion of m production is in progress")
    assert (busy.kind, busy.is_refusal) == ("conflict", False)


@pytest.mark.parametrize(
    ("stage_latest", "latest"),
    [({"None": 4, "Production": 2, "Archived": 1}, 4), ({"Staging": 7, "None": 3}, 7), ({}, None)],
    ids=["unstaged", "staged", "no-versions"],
)
def test_the_latest_version_is_the_highest_in_any_stage(
    stage_latest: dict[str, int], latest: int | None
) -> None:
    assert ModelInfo("m", {}, {}, stage_latest).latest_version == latest


def test_a_logged_model_is_loaded_by_its_id() -> None:
    assert LoggedModel("m-0123abcd", "model").uri == "models:/m-0123abcd"
