"""The MLflow gateway against a real SQLite registry."""

from __future__ import annotations

import threading

from bot.registry import Registry


def test_concurrent_writes_of_one_tag_all_succeed(tracking_uri, models):
    """Two clicks on Approve write the same approval tag at once; MLflow's SQL store fails
    the loser of the insert with a unique-constraint error, which the gateway retries."""
    models.version("m", accuracy=0.9)
    registry = Registry(tracking_uri)
    registry.get_model("m")  # make the client before the threads start
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def write(n: int) -> None:
        try:
            barrier.wait()
            registry.set_model_tag("m", "promobot.request.req-abcdef.approval.alice", str(n))
        except BaseException as exc:  # collected, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert models.model_tags("m")["promobot.request.req-abcdef.approval.alice"] in {
        str(n) for n in range(8)
    }


def test_making_a_registry_opens_no_database(tmp_path):
    """help and policy build a Registry but never call it: making one must not create
    (or migrate) the SQLite file."""
    db = tmp_path / "never.db"
    registry = Registry(f"sqlite:///{db}")
    assert registry.tracking_uri.endswith("never.db")
    assert not db.exists()


def test_missing_things_are_none_not_errors(tracking_uri, models):
    models.version("m", accuracy=0.9)
    registry = Registry(tracking_uri)
    assert registry.get_model("nope") is None
    assert registry.get_version("m", 99) is None
    assert registry.find_model_with_tag("promobot.request.req-abcdef") is None
    assert registry.find_model_with_tag("x' OR name='y") is None
    assert registry.run_info("0" * 32) is None
    assert registry.versions_for_commit("m", "not-a-sha") == []
