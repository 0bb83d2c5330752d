"""The critical path as data, and the calls in a row found from recorded times (pure)."""

from __future__ import annotations

from bench import latency_path
from bench.latency_path import CRITICAL_PATH, in_a_row, most_in_flight, unlisted
from bench.rest_calls import Call


def call(name: str, start: float, end: float) -> Call:
    return Call(name, (end - start) * 1000, start, end)


def test_calls_one_after_another_are_all_in_a_row() -> None:
    calls = [call(f"c{i}", i, i + 0.5) for i in range(5)]
    assert [c.call for c in in_a_row(calls)] == ["c0", "c1", "c2", "c3", "c4"]
    assert most_in_flight(calls) == 1


def test_calls_made_at_once_count_as_one_in_the_row() -> None:
    calls = [
        call("lock", 0, 1),
        call("read", 1.1, 2),
        *(call(f"write{i}", 2.1 + i * 0.01, 3 + i * 0.05) for i in range(4)),
        call("outcome", 3.3, 4),
        call("release", 4.1, 5),
    ]
    chain = [c.call for c in in_a_row(calls)]
    assert len(chain) == 5
    assert chain[:2] == ["lock", "read"] and chain[-2:] == ["outcome", "release"]
    assert chain[2].startswith("write")
    assert most_in_flight(calls) == 4
    assert in_a_row([]) == [] and most_in_flight([]) == 0


def test_a_write_begun_before_another_ended_is_not_after_it() -> None:
    # two pool threads for three writes: the third waits for a thread, so it is a
    # second round after the first write, though it overlaps the second
    calls = [call("a", 0, 1), call("b", 0.01, 1.5), call("c", 1.1, 2)]
    assert [c.call for c in in_a_row(calls)] == ["a", "c"]


def test_every_call_the_commands_make_today_is_on_their_paths() -> None:
    promote = [
        "POST registered-models/create",
        "GET registered-models/search [name =]",
        "GET model-versions/get",
        "GET runs/get",
        "POST registered-models/set-tag",
        "POST model-versions/transition-stage",
        "POST registered-models/alias",
        *["POST model-versions/set-tag"] * 10,
        *["DELETE model-versions/delete-tag"] * 3,
        "PATCH model-versions/update",
        "POST registered-models/set-tag",
        "DELETE registered-models/delete",
    ]
    assert unlisted("promote", promote) == {}
    assert unlisted("rollback", promote) == {}
    assert unlisted("approve", promote) == {
        "GET model-versions/get": 1,
        "GET registered-models/search [name =]": 1,
    }


def test_the_paths_are_printed_round_by_round() -> None:
    assert [len(CRITICAL_PATH[c]) for c in ("promote", "approve", "rollback")] == [8, 7, 8]
    shown = latency_path.shown("approve")
    assert shown.startswith("1. POST registered-models/create → 2. GET registered-models/search")
    assert "3. POST registered-models/set-tag ‖ GET runs/get" in shown
    assert shown.endswith("7. DELETE registered-models/delete")
    data = latency_path.as_data("promote")
    assert len(data) == 8 and all(step["why"] for step in data)
