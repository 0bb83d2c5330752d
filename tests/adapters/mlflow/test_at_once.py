"""bot/adapters/mlflow/at_once.py: independent calls at once against a server, in order on a
local store, and a busy store's refusal made again rather than reported."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from bot.adapters.mlflow.at_once import again_when_busy, busy
from bot.adapters.mlflow.gateway import Registry


class StoreError(Exception):
    def __init__(self, message: str, error_code: str = "INTERNAL_ERROR") -> None:
        super().__init__(message)
        self.error_code = error_code


def test_against_a_server_the_calls_run_at_the_same_time() -> None:
    registry = Registry("http://127.0.0.1:9")  # never called: the calls are local
    # Each call waits for the other: run one after another, the first would wait alone
    # and the barrier would break (its timeout only keeps a failure from hanging).
    both = threading.Barrier(2, timeout=10)

    def meet(name: str) -> str:
        both.wait()
        return name

    assert registry.at_once([lambda: meet("a"), lambda: meet("b")]) == ["a", "b"]


def test_on_a_local_store_the_calls_run_in_order(tmp_path: Any) -> None:
    registry = Registry(f"sqlite:///{tmp_path}/mlflow.db")
    seen: list[str] = []
    registry.at_once([lambda: seen.append("a"), lambda: seen.append("b")])
    assert seen == ["a", "b"]
    assert not registry.remote


def test_every_call_runs_and_then_the_first_failure_is_raised() -> None:
    registry = Registry("http://127.0.0.1:9")
    done: list[str] = []

    def fails() -> None:
        raise StoreError("first")

    with pytest.raises(StoreError, match="first"):
        registry.at_once([fails, lambda: done.append("second")])
    assert done == ["second"]


@pytest.mark.parametrize(
    "exc",
    [
        StoreError("(sqlite3.OperationalError) database is locked"),
        StoreError("anything", error_code="TEMPORARILY_UNAVAILABLE"),
        StoreError("deadlock detected"),
    ],
)
def test_a_busy_store_is_asked_again(monkeypatch: pytest.MonkeyPatch, exc: StoreError) -> None:
    monkeypatch.setattr("bot.adapters.mlflow.at_once.BUSY_PAUSES_S", (0.0, 0.0))
    answers: list[Any] = [exc, exc, "written"]

    def write() -> Any:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert busy(exc)
    assert again_when_busy(write, StoreError) == "written"
    assert answers == []


def test_any_other_failure_is_raised_at_once() -> None:
    calls: list[int] = []

    def write() -> None:
        calls.append(1)
        raise StoreError("RESOURCE_DOES_NOT_EXIST: no such version")

    with pytest.raises(StoreError):
        again_when_busy(write, StoreError)
    assert calls == [1]
