"""`python -m bench` (`make bench`): run the benchmarks, print one table, write results.

    python -m bench                  everything (~9 min on 2 cores): SQLite, and
                                     PostgreSQL when it answers on 127.0.0.1:5432
    python -m bench --quick          a smoke run (~2 min): SQLite, 10-version registry
                                     only, few repeats; writes bench/.cache/results-quick.json
    python -m bench --only overhead  one part (repeatable): overhead, scale, drift, slack,
                                     coldstart, replicas (1/2/4 serves + memory, PostgreSQL),
                                     verify, latency, guard, slow_clients, door, receipts,
                                     history, board
    python -m bench --only verify --repeats 5
                                     verification: one pass's MLflow and Prometheus calls at
                                     10 and 10,000 versions, and exporter bad → rollback (~3 min)
    python -m bench --only latency   promote, approve, rollback through a 20 ms link, vs
                                     the floor (SQLite and PostgreSQL; ~3 min)
    python -m bench --only guard     promobot's guard: the cost of one MLflow call (get,
                                     set-tag) through it vs through basic-auth alone (~3 min)
    python -m bench --only slow_clients
                                     /healthz and a signed command alone and while 100
                                     clients drip headers: p50 / p95 (~1 min)
    python -m bench --only door      promobot serve's command door vs the same command run
                                     locally: a process each, and in process (~3 min)
    python -m bench --only receipts  promobot.serving.load_model vs mlflow.pyfunc.load_model
                                     on a 50 MB model, and signing's cost per command:
                                     MLflow calls by endpoint and times, without and with
                                     a signing key (~3 min)
    python -m bench --only history --no-postgres
                                     a long history, compacted: status, promote, approve,
                                     rollback, an audit pass at 10 and 10,000 past
                                     executions: ms, REST calls, bytes read (~3 min)
    python -m bench --only board --no-postgres
                                     the release board: /releases and /releases/<model>
                                     over HTTP at 100 governed models and 10,000 past
                                     executions: p50 / p95 ms, bytes; --repeats N:
                                     N requests a page (default 60; ~2 min)
    python -m bench --only drift --no-postgres --repeats 3
                                     drift detection's cost alone: status and audit at 10
                                     and 10,000 versions (SQLite; ~2 min)
    python -m bench --profile        also pyinstrument profiles of promobot's commands
                                     (bench/.cache/profiles/; `pip install pyinstrument`)
    python -m bench --patched-mlflow --only scale --no-postgres
                                     the experiment: MLflow servers with their two
                                     O(versions) paths patched out (bench/mlflow_patch/)

See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime

# Benchmarks talk only to 127.0.0.1: keep MLflow 3's telemetry from every process
# (this one and the servers and CLIs it starts) off the network and out of the counts.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
from pathlib import Path
from typing import Any

PARTS = (
    "overhead",
    "scale",
    "drift",
    "slack",
    "coldstart",
    "replicas",
    "verify",
    "latency",
    "guard",
    "slow_clients",
    "door",
    "receipts",
    "history",
    "board",
)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    warnings.simplefilter("ignore")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    from bench import (
        coldstart,
        drift_bench,
        latency_bench,
        paths,
        registry_bench,
        slack_bench,
        verify_bench,
    )
    from bench.env import registries
    from bench.report import evaluate, extra_calls, table
    from bench.seed import LARGE, SMALL, postgres_available
    from bot.core.policy import load_policy

    started = time.monotonic()
    budget = args.budget
    parts = set(args.only or PARTS)
    quick = args.quick
    repeats = args.repeats or (3 if quick else 9)
    large_repeats = args.large_repeats or (0 if quick else 3)
    if quick:
        parts.discard("scale")
    policy = load_policy(paths.POLICY)
    server_env: dict[str, str] = {}
    if args.patched_mlflow:
        server_env = {
            "PYTHONPATH": str(paths.BENCH / "mlflow_patch"),
            "PROMOBOT_BENCH_PATCH_MLFLOW": "1",
        }
        parts -= {"slack", "coldstart", "replicas", "latency"}
    out = args.out or (
        paths.CACHE / "results-quick.json"
        if quick
        else paths.CACHE / "results-patched-mlflow.json"
        if args.patched_mlflow
        else paths.RESULTS
    )

    def say(text: str) -> None:
        print(f"[{time.monotonic() - started:5.0f} s] {text}", file=sys.stderr, flush=True)

    results: dict[str, Any] = {
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "mlflow": _mlflow_version(),
            "load_start": _load(),
        },
        "config": {
            "mode": "quick" if quick else "patched-mlflow" if args.patched_mlflow else "full",
            "parts": sorted(parts),
            "repeats": repeats,
            "large_repeats": large_repeats,
            "patched_mlflow": bool(args.patched_mlflow),
        },
        "registry": {},
    }
    want_registry = bool(parts & {"overhead", "scale"})
    want_drift = "drift" in parts
    # drift needs the 10,000-version registry too, except in a quick run (10 only)
    large = "scale" in parts or (want_drift and not quick)
    shapes = [SMALL] + ([LARGE] if large else [])
    workdir = Path(tempfile.mkdtemp(prefix="promobot-bench-"))

    def registry_phase(
        regs: dict[str, Any], backend: str, deadline: float, floor_large: bool
    ) -> dict[str, Any]:
        part: dict[str, Any] = {"rest_calls": {}}
        for label, reg in regs.items():
            contenders = registry_bench.CONTENDERS
            if label == "large" and floor_large and not args.count_large:
                # the floor is timed at 10k; its call list is the one it makes at 10
                contenders = ("promobot",)
            say(f"{backend}/{label}: counting REST calls (and warming up)")
            part["rest_calls"][label] = registry_bench.count_calls(
                reg, policy, registry_bench.COMMANDS, contenders
            )
        say(f"{backend}: timing promote, approve, rollback, status")
        timings = registry_bench.time_commands(
            regs,
            policy,
            registry_bench.COMMANDS,
            repeats=repeats,
            large_repeats=large_repeats,
            contenders_large=("promobot", "floor") if floor_large else ("promobot",),
            deadline=deadline,
            min_repeats=3,
            progress=say,
        )
        part["timings"] = registry_bench.summarise(timings, list(regs), registry_bench.COMMANDS)
        small = part["rest_calls"]["small"]
        part["breakdown"] = {
            command: {
                "promobot": small[command]["promobot"]["calls"],
                "floor": small[command]["floor"]["calls"],
                "promobot_minus_floor": extra_calls(
                    small[command]["promobot"]["calls"], small[command]["floor"]["calls"]
                ),
            }
            for command in small
        }
        if args.profile:
            say(f"{backend}: profiling promobot's commands")
            written, shares = registry_bench.profile_commands(
                regs, policy, registry_bench.COMMANDS, paths.CACHE / "profiles"
            )
            part["profiles"] = [str(p.relative_to(paths.REPO)) for p in written]
            part["time_in_mlflow_http"] = shares
        return part

    try:
        if want_registry or want_drift or parts & {"slack", "coldstart"}:
            say("sqlite: seeding and starting mlflow servers")
            with registries(
                "sqlite", shapes if want_registry or want_drift else [SMALL], workdir, server_env
            ) as regs:
                small = regs["small"]
                if want_drift:
                    # First, on the registries as seeded: the part leaves them as it found them.
                    say("drift: status and audit, REST calls and times")
                    results["drift"] = drift_bench.run(
                        {label: drift_bench.subject_of(label, reg) for label, reg in regs.items()},
                        policy,
                        repeats=repeats,
                        progress=say,
                    )
                if "slack" in parts:
                    say("slack: signed slash commands against `promobot serve`")
                    candidate = registry_bench.Bench(small, policy).other(
                        (small.seeded.roles["C"], small.seeded.roles["D"]), "Production"
                    )
                    results["slack"] = slack_bench.run(
                        small.url,
                        small.seeded.model,
                        {**small.seeded.roles, "C": candidate},
                        workdir / "slack",
                        rounds=1 if quick else 3,
                        count=20 if quick else 50,
                        progress=say,
                    )
                if "coldstart" in parts:
                    say("cold start: import mlflow, promobot --help, promobot github")
                    results["coldstart"] = coldstart.run(
                        small, workdir / "coldstart", repeats=2 if quick else 5, progress=say
                    )
                if want_registry:
                    share = 1.0 if quick or args.no_postgres else 0.55
                    deadline = started + budget * share - 20
                    timed = {k: r for k, r in regs.items() if k == "small" or "scale" in parts}
                    results["registry"]["sqlite"] = registry_phase(
                        timed, "sqlite", deadline, floor_large=not args.no_floor_large
                    )
        if "verify" in parts:
            say("verify: one pass at 10 and 10,000 versions; exporter bad → rollback")
            where = workdir / "verify"  # copies of their own: the part promotes and rolls back
            verify_shapes = [SMALL] if quick else [SMALL, LARGE]
            with registries("sqlite", verify_shapes, where, server_env) as regs:
                results["verify"] = verify_bench.run(
                    {label: verify_bench.subject_of(label, reg) for label, reg in regs.items()},
                    where,
                    repeats=repeats,
                    rollback_repeats={"small": 2 if quick else 5, "large": 0 if quick else 3},
                    progress=say,
                )
        if want_registry and not quick and not args.no_postgres:
            why = postgres_available()
            if why:
                results["registry"]["postgresql"] = {"skipped": why}
                say(f"postgresql skipped: {why}")
            else:
                say("postgresql: creating databases, seeding, starting mlflow servers")
                pg_shapes = [SMALL] + ([LARGE] if "scale" in parts else [])  # drift: SQLite only
                with registries("postgresql", pg_shapes, workdir, server_env) as regs:
                    deadline = started + budget - 40
                    results["registry"]["postgresql"] = registry_phase(
                        regs, "postgresql", deadline, floor_large=args.floor_large
                    )
        if "replicas" in parts and not args.no_postgres:
            from bench import replica_bench

            say("replicas: 1, 2, 4 `promobot serve` behind a round-robin, one mlflow server")
            small_run = replica_bench.Options(commands=40, memory_commands=100, rounds=1)
            both = replica_bench.run(workdir / "replicas", small_run if quick else None, say)
            results["replicas"], results["memory"] = both["replicas"], both["memory"]
        if "guard" in parts:
            from bench import guard_bench

            say("guard: one MLflow call through basic-auth alone and through the guard")
            results["guard"] = guard_bench.run(
                workdir / "guard", repeats=repeats, calls=10 if quick else 30, progress=say
            )
        if "slow_clients" in parts:
            from bench import slow_clients_bench

            say("slow_clients: /healthz and a signed command while 100 clients drip headers")
            results["slow_clients"] = slow_clients_bench.run(
                workdir / "slow_clients", samples=20 if quick else 60, progress=say
            )
        if "door" in parts:
            from bench import door_bench

            say("door: promobot serve's command door vs the same command run here")
            results["door"] = door_bench.run(
                workdir / "door",
                repeats=repeats,
                calls=3 if quick else 5,
                processes=1 if quick else 2,
                progress=say,
            )
        if "receipts" in parts:
            from bench import receipts_bench

            say("receipts: load_model vs pyfunc's on 50 MB; signing's cost per command")
            results["receipts"] = receipts_bench.run(
                workdir / "receipts", repeats=repeats, rounds=1 if quick else 3, progress=say
            )
        if "history" in parts:
            from bench import history_bench

            say("history: 10 and 10,000 past executions, compacted, through a mlflow server")
            results["history"] = history_bench.run(
                workdir / "history", repeats=args.repeats or (3 if quick else 5), progress=say
            )
        if "board" in parts:
            from bench import board_bench

            say("board: /releases and /releases/<model> at 100 models, 10,000 past executions")
            results["board"] = board_bench.run(
                workdir / "board", samples=args.repeats or (20 if quick else 60), progress=say
            )
        if "latency" in parts:
            say("latency: promote, approve, rollback through a 20 ms link")
            results["latency"] = latency_bench.run(
                policy,
                workdir / "latency",
                ("sqlite",) if quick or args.no_postgres else ("sqlite", "postgresql"),
                latency_bench.Settings(repeats=args.repeats or (3 if quick else 5)),
                progress=say,
            )
    finally:
        results["machine"]["load_end"] = _load()
        results["elapsed_s"] = round(time.monotonic() - started)
        results["targets"] = evaluate(results)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
        tmp.replace(out)
        print(table(results))
        print(f"\nwritten: {out} ({results['elapsed_s']} s)")
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="a fast smoke run (no 10k, no pg)")
    p.add_argument("--only", action="append", choices=PARTS, help="run only this part")
    p.add_argument("--repeats", type=int, help="repeats per command (default 9; quick 3)")
    p.add_argument("--large-repeats", type=int, help="of which on the 10k registry (default 5)")
    p.add_argument("--no-postgres", action="store_true", help="SQLite only")
    p.add_argument(
        "--floor-large", action="store_true", help="time the floor at 10k on PostgreSQL too"
    )
    p.add_argument(
        "--no-floor-large", action="store_true", help="do not time the floor at 10k on SQLite"
    )
    p.add_argument("--count-large", action="store_true", help="count promobot's calls at 10k too")
    p.add_argument("--profile", action="store_true", help="pyinstrument profiles")
    p.add_argument(
        "--patched-mlflow",
        action="store_true",
        help="experiment: mlflow servers without their O(versions) paths (bench/mlflow_patch)",
    )
    p.add_argument("--budget", type=float, default=570, help="seconds (repeats stop early)")
    p.add_argument("--out", type=Path, help="where to write the results (JSON)")
    return p


def _load() -> float | None:
    try:
        return round(os.getloadavg()[0], 1)
    except OSError:
        return None


def _mlflow_version() -> str:
    from importlib.metadata import version

    return version("mlflow")


if __name__ == "__main__":
    sys.exit(main())
