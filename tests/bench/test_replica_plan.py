"""The replicas benchmark's commands (bench/replica_bench.py, bench/serve_memory.py) are
what its figures claim: every promotion moves Staging to another version, and the
commands in flight together are on different models. No servers, no timings."""

from __future__ import annotations

import itertools
from collections import Counter

from bench import replica_bench, serve_memory


def test_every_promotion_changes_the_holder_and_ten_in_a_row_are_on_ten_models() -> None:
    commands = replica_bench.plan("r1x0", 200)
    per_model: dict[str, list[int]] = {}
    for c in commands:
        per_model.setdefault(c.model, []).append(c.version)
    assert len(per_model) == replica_bench.MODELS
    for versions in per_model.values():
        # each a version not yet in Staging; the warm-up took the last one
        assert len(set(versions)) == len(versions) == 10
        assert replica_bench.VERSIONS not in versions
    for start in range(0, 200, 10):
        assert len({c.model for c in commands[start : start + 10]}) == 10
    assert len({c.key for c in commands}) == 200


def test_the_memory_mix_promotes_one_in_five_and_never_the_holder_again() -> None:
    commands = serve_memory.plan(1000)
    kinds = Counter(c.kind for c in commands)
    assert kinds == {kind: 200 for kind in serve_memory.MIX}
    promoted: dict[str, list[int]] = {}
    for c in commands:
        if c.kind == "promote":
            promoted.setdefault(c.model, []).append(c.version)
    for versions in promoted.values():
        assert all(a != b for a, b in itertools.pairwise(versions))
