"""The guard's benchmark part (bench/guard_bench.py) without its servers: the figures made
from paired timings, the targets and the table, and the in-process timing of the guard's
checks (which must let an engineer's read and own tag through). No timings asserted."""

from __future__ import annotations

from bench import guard_bench
from bench.report import evaluate, table


def test_figures_targets_and_table_from_paired_timings() -> None:
    seconds = {
        "get": {"basic-auth": [0.010, 0.012, 0.011], "promobot-guard": [0.011, 0.012, 0.013]},
        "set-tag": {"basic-auth": [0.020, 0.020, 0.020], "promobot-guard": [0.030, 0.030, 0.030]},
    }
    part = guard_bench.summarise(seconds, calls=5)
    assert part["ops"]["get"] == {
        "basic_auth_ms": 11.0,
        "guard_ms": 12.0,
        "ratio": 1.1,
        "repeats": 3,
    }
    assert part["ops"]["set-tag"]["ratio"] == 1.5
    checks = {name: met for name, _, _, met in guard_bench.targets(part)}
    assert checks == {
        "guard: cost per get call / basic-auth's": True,
        "guard: cost per set-tag call / basic-auth's": False,
    }
    part["in_process_us"] = {"get": 5.0, "set-tag": 150.0}
    results = {"guard": part, "machine": {}, "config": {}}
    results["targets"] = evaluate(results)
    printed = table(results)
    assert "[guard] per MLflow call, 5 pairs of calls a repeat" in printed
    assert "  set-tag        20.0 ms   30.0 ms     1.5\n" in printed
    assert "the guard's own checks per request, in process: get 5.0 µs, set-tag 150.0 µs" in printed
    assert "MISSED guard: cost per set-tag call / basic-auth's: 1.5 (30.0 vs 20.0 ms)" in printed


def test_the_guards_own_checks_are_timed_in_process() -> None:
    found = guard_bench.hooks_us(rounds=5)
    assert set(found) == {"get", "set-tag"} and all(us > 0 for us in found.values())
