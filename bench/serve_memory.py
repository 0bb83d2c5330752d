"""Memory under load: the resident memory of one `promobot serve` at idle and after
1,000 slash commands (run from bench/replica_bench.py, on its MLflow server).

RSS is VmRSS from /proc, summed over the serve's process group: gunicorn's master and
its one worker (the worker is the process that handles commands; the master only
supervises). Idle is read after the start and one warm-up promotion (the worker has
built its Service and imported mlflow, bolt and everything a promotion runs), a second
after its answer. The commands are a mix that goes through every path a team uses
most — for every five: a promotion carried out (announced in the channel), `status`,
`history`, `policy`, and a promotion's dry run (answered through the response_url) —
sent 10 at a time in four batches, RSS read after each, and once more a second after
the last answer.
"""

from __future__ import annotations

import time
from typing import Any

from bench import procstat
from bench.replica_bench import (
    MODELS,
    VERSIONS,
    Command,
    Rig,
    answers,
    check,
    model_name,
    send,
    start_serves,
    warm_up,
)

MIX = ("promote", "status", "history", "policy", "dry-run")
GROUP = "mem"


def plan(count: int) -> list[Command]:
    """`count` commands in MIX's turn; the promotions take the models in turn and each
    model's versions 1..VERSIONS-1 in turn (every one moves Staging to another version)."""
    out = []
    for k in range(count):
        kind = MIX[k % len(MIX)]
        p = k // len(MIX)  # the how-manieth promotion (or dry run) this is
        model, version = model_name(GROUP, p % MODELS), 1 + (p // MODELS) % (VERSIONS - 1)
        if kind not in ("promote", "dry-run"):
            model = model_name(GROUP, k % MODELS)
        out.append(Command(f"{GROUP}-{k:04d}", model, version, kind))
    return out


def run(rig: Rig, count: int, checkpoints: int = 4) -> dict[str, Any]:
    serves = start_serves(rig, 1, GROUP)
    serve = serves[0]
    assert serve.proc is not None
    pgid = serve.proc.pid
    try:
        warm = warm_up(rig, serves, GROUP)
        time.sleep(1.0)
        idle = _rss(pgid)
        commands = plan(count)
        step = max(1, len(commands) // checkpoints)
        trail: list[dict[str, Any]] = []
        finals = answers(rig.fake, {c.key for c in warm})
        started = time.monotonic()
        for start in range(0, len(commands), step):
            batch = commands[start : start + step]
            measured = send(rig, serve.url, batch, pgids=[pgid])
            finals.update(measured["answers"])
            trail.append({"after": start + len(batch), "rss_kib": _rss(pgid)["total"]})
            rig.progress(f"    memory: {trail[-1]['after']} commands, {trail[-1]['rss_kib']} KiB")
        elapsed = time.monotonic() - started
        time.sleep(1.0)
        after = _rss(pgid)
    finally:
        serve.stop()
    return {
        "commands": len(commands),
        "mix": list(MIX),
        "idle_rss_kib": idle["total"],
        "after_rss_kib": after["total"],
        "ratio": round(after["total"] / idle["total"], 3) if idle["total"] else None,
        "worker_idle_rss_kib": idle["worker"],
        "worker_after_rss_kib": after["worker"],
        "worker_ratio": round(after["worker"] / idle["worker"], 3) if idle["worker"] else None,
        "processes": after["processes"],
        "trail": trail,
        "elapsed_s": round(elapsed, 1),
        "correctness": check(rig, warm + commands, finals),
    }


def _rss(pgid: int) -> dict[str, int]:
    """VmRSS of the group in all, and of its largest process (the worker), in KiB."""
    sizes = [procstat.rss_kib([pid]) for pid in procstat.group_pids(pgid)]
    return {"total": sum(sizes), "worker": max(sizes, default=0), "processes": len(sizes)}
