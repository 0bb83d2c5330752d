"""Faults in the middle of a command, against real `mlflow server` processes.

A FaultProxy sits between promobot and the server and, just before a chosen request
(the stage move, the description), SIGKILLs the server's process group or SIGSTOPs it.
Then: the command says MLflow is unreachable (CLI exit 3, no traceback), the target
still has exactly one holder, and once the server is back the same command finishes
the job without a duplicate tag, description line or history event.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import time
from typing import Any

import pytest
from state_facts import unfinished

from .conftest import (
    PROMOBOT,
    Registry,
    cli_env,
    lock_name,
    make_versions,
    promobot,
    report,
    unique,
)
from .fault_proxy import FaultProxy
from .test_concurrency import run, service_for

pytestmark = pytest.mark.server

# Short lock expiry and client timeouts so a fault test takes seconds, not minutes. The
# shipped defaults are measured on their own in test_paused_server_fails_in_bounded_time.
FAST = {
    "PROMOBOT_LOCK_TTL_SECONDS": "4",
    "PROMOBOT_LOCK_WAIT_SECONDS": "30",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "3",
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
}


def production_history(url: str, policy: Any, count: int = 4) -> tuple[str, list[int]]:
    """A model whose v1, v2, v3 have held Production in turn (v3 now), and a v4."""
    model = unique("fault")
    versions = make_versions(url, model, count)
    service = service_for(url, policy)
    for v in versions[:3]:
        assert run(service, "github:eng0", f"promote {model} v{v} production ok").status == "done"
    return model, versions


def assert_clean(reg: Registry, model: str, holder: int) -> list[dict]:
    """One holder, its alias, one event and one description line per promotion, nothing
    left in flight, no lock."""
    assert reg.holders(model, "Production") == [holder]
    assert reg.aliases(model).get("production") == holder
    events = [e for e in reg.events(model) if e["target_key"] == "production"]
    requests = [e["request"] for e in events]
    assert len(requests) == len(set(requests)), events
    for before, after in itertools.pairwise(events):
        assert after["previous"] == before["version"], events
    assert events[-1]["version"] == holder
    for version in {e["version"] for e in events}:
        lines = [ln for ln in reg.description_lines(model, version) if "→ Production" in ln]
        assert len(lines) == len([e for e in events if e["version"] == version]), lines
    tags = reg.model_tags(model)
    assert not unfinished(tags)
    assert reg.locks(model) == []
    return events


# (backend, fault) → (command, the request the fault hits). Each backend gets one kill
# (a restart costs 10-20 s) and one pause; together they cover every command x fault.
CASES = {
    ("sqlite", "kill"): ("promote", "transition-stage"),
    ("sqlite", "pause"): ("rollback", "transition-stage"),
    ("postgres", "kill"): ("rollback", "model-versions/update"),
    ("postgres", "pause"): ("promote", "model-versions/update"),
}


@pytest.mark.parametrize("fault", ["kill", "pause"])
def test_fault_in_the_middle_then_the_same_command_finishes(backend, reliability_policy, fault):
    """On SQLite the pause runs with the shipped client settings (timeouts, retries), so
    it also measures how long a command takes to give up on a server that stopped
    answering; only the lock's TTL is shortened, so the retry need not wait 2 minutes."""
    action, point = CASES[(backend.name, fault)]
    env = dict(FAST)
    shipped = backend.name == "sqlite" and fault == "pause"
    if shipped:
        from bot.adapters.mlflow.gateway import CLIENT_DEFAULTS

        env = {**CLIENT_DEFAULTS, "PROMOBOT_LOCK_TTL_SECONDS": FAST["PROMOBOT_LOCK_TTL_SECONDS"]}
    model, versions = production_history(backend.url, reliability_policy)
    reg = Registry(backend.url)
    words = (
        ["promote", model, f"v{versions[3]}", "production", "shadow", "ok", "--as", "github:eng1"]
        if action == "promote"
        else ["rollback", model, "latency", "spike", "--as", "slack:UCAROL"]
    )
    expected = versions[3] if action == "promote" else versions[1]
    proxy = FaultProxy(backend.url).start()
    try:
        proxy.fault_on(point, backend.kill if fault == "kill" else backend.pause)
        started = time.monotonic()
        code, out, err = promobot(proxy.url, reliability_policy, *words, **env)
        failed_after = time.monotonic() - started
        assert proxy.faulted_at and point in proxy.faulted_at, proxy.paths
        assert code == 3, (out, err)
        assert out["status"] == "error"
        assert "MLflow is unreachable" in out["reasons"][0], out
        assert "run the same command" in out["reasons"][0], out
        assert "Traceback" not in err
        if shipped:
            assert failed_after < 60, f"gave up only after {failed_after:.0f} s"
        if fault == "kill":
            backend.restart()
        else:
            backend.resume()
        # Whatever the fault interrupted: the target has exactly one holder.
        assert len(reg.holders(model, "Production")) == 1

        proxy.reset()
        again_started = time.monotonic()
        code, again, err = promobot(proxy.url, reliability_policy, *words, **env)
        again_took = time.monotonic() - again_started
        assert code == 0, (again, err)
        assert again["status"] == "done" and again["version"] == expected, again
        events = assert_clean(reg, model, expected)
        # The interrupted command's own request was rolled forward: exactly one event for
        # the move it started, none twice, and no second move.
        assert [e["version"] for e in events] == [*versions[:3], expected]
    finally:
        proxy.stop()
        backend.ensure_running()
    report(
        f"{fault} mid-{action} (at {point.split('/')[-1]})",
        backend.name,
        client_settings="shipped" if shipped else "short (test)",
        message=out["reasons"][0][:150],
        first_exit=3,
        failed_after_s=round(failed_after, 1),
        retry_exit=0,
        retry_s=round(again_took, 1),
        events=len(events),
    )


def test_stale_lock_of_a_dead_process_is_taken_over(backend, reliability_policy):
    """A lock as a dead bot leaves it: expired → the next command takes it over at once;
    not yet expired → the command waits, then says another promotion is in progress and
    writes nothing; once expired → it goes through."""
    model, versions = production_history(backend.url, reliability_policy)
    reg = Registry(backend.url)
    client = reg.client

    def leave_lock(expires_in: float) -> None:
        client.create_registered_model(
            lock_name(model, "production"),
            tags={
                "promobot.lock.owner": "dead-host:4242:deadbeef",
                "promobot.lock.expires": f"{time.time() + expires_in:.3f}",
                "promobot.lock.model": model,
                "promobot.lock.target": "production",
            },
        )

    leave_lock(-60)  # expired a minute ago
    words = ["promote", model, f"v{versions[3]}", "production", "after", "crash"]
    started = time.monotonic()
    code, out, err = promobot(backend.url, reliability_policy, *words, "--as", "github:eng1")
    took_expired = time.monotonic() - started
    assert code == 0 and out["status"] == "done", (out, err)
    assert_clean(reg, model, versions[3])

    leave_lock(6)  # a live holder, from the command's point of view
    before = reg.snapshot(model)
    words = ["rollback", model, "bad", "--as", "slack:UCAROL"]
    code, out, err = promobot(
        backend.url, reliability_policy, *words, PROMOBOT_LOCK_WAIT_SECONDS="1"
    )
    assert code == 3 and "in progress" in out["reasons"][0], (out, err)
    assert reg.snapshot(model) == before  # nothing written
    # The default wait (30 s) outlasts what is left of the lock's 6 s: this one goes through.
    code, out, err = promobot(backend.url, reliability_policy, *words)
    assert code == 0 and out["version"] == versions[2], (out, err)
    assert_clean(reg, model, versions[2])
    report(
        "stale lock",
        backend.name,
        expired_lock_command_s=round(took_expired, 1),
        live_lock_refused_exit=3,
        after_expiry_exit=0,
    )


def test_bot_killed_while_holding_the_lock(backend, reliability_policy):
    """SIGKILL the promobot process itself just as it moves the stage: its lock and its
    event (its intent, with no outcome) stay behind. The next command on the target waits
    out the lock's expiry, finishes the dead process's promotion and then does its own."""
    model, versions = production_history(backend.url, reliability_policy, count=5)
    reg = Registry(backend.url)
    proxy = FaultProxy(backend.url).start()
    try:
        env = cli_env(proxy.url, reliability_policy, **FAST)
        words = ["promote", model, f"v{versions[3]}", "production", "x", "--as", "github:eng1"]
        proc = subprocess.Popen(
            [PROMOBOT, *words, "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        proxy.fault_on("transition-stage", lambda: os.kill(proc.pid, signal.SIGKILL))
        proc.communicate(timeout=120)
        assert proc.returncode == -signal.SIGKILL
        tags = reg.model_tags(model)
        assert unfinished(tags)  # its event (the intent) is written, its outcome is not
        assert reg.locks(model) == [lock_name(model, "production")]
        assert len(reg.holders(model, "Production")) == 1

        started = time.monotonic()
        code, out, err = promobot(
            backend.url,
            reliability_policy,
            "promote",
            model,
            f"v{versions[4]}",
            "production",
            "next",
            "--as",
            "github:eng2",
            **FAST,
        )
        took = time.monotonic() - started
        assert code == 0 and out["status"] == "done", (out, err)
        events = assert_clean(reg, model, versions[4])
        assert [e["version"] for e in events] == [*versions[:3], versions[3], versions[4]]
    finally:
        proxy.stop()
    report(
        "bot SIGKILLed holding the lock",
        backend.name,
        lock_ttl_s=float(FAST["PROMOBOT_LOCK_TTL_SECONDS"]),
        next_command_s=round(took, 1),
        rolled_forward=f"v{versions[3]}",
        then_done=f"v{versions[4]}",
    )


def test_chat_message_when_mlflow_is_down(reliability_policy):
    """What a person reads in Slack or on GitHub when MLflow is down: that it is
    unreachable, and to try again; never a traceback."""
    from servers import free_port

    from bot.core.commands import parse
    from bot.core.ports.registry import RegistryError
    from bot.core.results import ErrorResult
    from bot.core.service import Context
    from bot.render.message import to_markdown, to_text

    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    service = service_for(dead, reliability_policy)
    command = parse("promote fault-x v2 production go").command
    with pytest.raises(RegistryError) as caught:
        service.handle(command, Context(actor="slack:UENG0", channel="slack"))
    assert caught.value.kind == "unavailable"
    shown = ErrorResult(action="promote", message=str(caught.value))
    for text in (to_markdown(shown), to_text(shown)):
        assert "MLflow is unreachable" in text and "try again" in text
        assert "Traceback" not in text
    try:
        from bot.render.slack_blocks import fallback_text
    except ImportError:  # the Slack door is optional here
        return
    assert "MLflow is unreachable" in fallback_text(shown)


def test_many_waiters_on_a_stale_lock_never_hold_it_together(backend):
    """A dead process's lock, and eight bots waiting for it at once (threads, each with
    its own MLflow client): exactly one takes it over at a time; the critical sections
    never overlap."""
    import threading

    from bot.adapters.mlflow.gateway import Registry as BotRegistry
    from bot.core.state import mutex_bucket

    model = unique("fault")
    client = Registry(backend.url).client
    client.create_registered_model(
        lock_name(model, "production"),
        tags={
            "promobot.lock.owner": "dead-host:1:cafebabe",
            "promobot.lock.expires": f"{time.time() - 1:.3f}",
        },
    )
    held: list[tuple[float, float]] = []
    errors: list[BaseException] = []
    go = threading.Event()

    def contender() -> None:
        registry = BotRegistry(backend.url, lock_ttl_s=30, lock_wait_s=90)
        go.wait()
        try:
            with registry.mutex(mutex_bucket(model, "production"), model, "production"):
                entered = time.monotonic()
                time.sleep(0.3)
                held.append((entered, time.monotonic()))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=contender) for _ in range(8)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    go.set()
    for thread in threads:
        thread.join(timeout=180)
    took = time.monotonic() - started
    assert not errors, errors
    assert len(held) == 8
    spans = sorted(held)
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start >= end, f"two holders at once: {spans}"
    assert Registry(backend.url).locks(model) == []
    report(
        "8 waiters on a stale lock",
        backend.name,
        holders=len(held),
        overlaps=0,
        wall_s=round(took, 1),
    )
