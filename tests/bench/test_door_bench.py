"""The command door's benchmark part (bench/door_bench.py) without its servers: the figures
made from paired timings, the targets (figures only: none is met or missed) and the table
(with the MLflow worker deaths the server's log shows), and the order in which paired
batches run each side's steps. No timings asserted."""

from __future__ import annotations

import pytest

from bench import door_bench
from bench.report import evaluate, table


def test_figures_targets_and_table_from_paired_timings() -> None:
    seconds = {
        "cli status": {"door": [1.0, 1.2, 1.1], "local": [2.0, 2.0, 2.0]},
        "status": {"door": [0.050, 0.060, 0.055], "local": [0.040, 0.050, 0.050]},
    }
    part = door_bench.summarise(seconds, [0.008, 0.010, 0.012], calls=5, processes=2)
    assert part["rows"]["cli status"] == {
        "door_ms": 1100.0,
        "local_ms": 2000.0,
        "ratio": 0.55,
        "extra_ms": -900.0,
        "repeats": 3,
    }
    assert part["rows"]["status"] == {
        "door_ms": 55.0,
        "local_ms": 50.0,
        "ratio": 1.2,
        "extra_ms": 10.0,
        "repeats": 3,
    }
    assert part["sign_in_ms"] == 10.0
    checks = door_bench.targets(part)
    assert [(name, limit, met) for name, _, limit, met in checks] == [
        ("door: cli status / local", "—", None),
        ("door: status / local", "—", None),
        ("door: its sign-in (users/current) alone", "—", None),
    ]
    part["mlflow_worker_deaths"] = 1
    results = {"door": part, "machine": {}, "config": {}}
    results["targets"] = evaluate(results)
    printed = table(results)
    assert "cli status a process each (2 a repeat), the rest in process (5 a repeat)" in printed
    assert "  status          55.0 ms    50.0 ms     1.2       10.0 ms\n" in printed
    assert "the door's sign-in alone (GET users/current, passwords cached): 10.0 ms" in printed
    assert "n/a    door: status / local: 1.2 (55.0 vs 50.0 ms) (—)" in printed
    assert "  MLflow worker deaths during the run: 1 (the server's log)\n" in printed


def test_a_paired_batch_runs_each_sides_steps_in_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(door_bench, "PAUSE_S", 0.0)
    ran: list[str] = []
    steps = {
        "door": [lambda: ran.append("door lock"), lambda: ran.append("door unlock")],
        "local": [lambda: ran.append("local lock"), lambda: ran.append("local unlock")],
    }
    taken = door_bench.paired(steps, 2, first="local")
    assert ran == ["local lock", "local unlock", "door lock", "door unlock"] * 2
    assert {side: len(times) for side, times in taken.items()} == {"door": 2, "local": 2}
    assert all(t >= 0 for times in taken.values() for t in times)
