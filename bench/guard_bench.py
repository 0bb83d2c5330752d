"""The guard's cost per MLflow call (`python -m bench --only guard`).

Two `mlflow server` processes side by side, each on a SQLite registry of its own with
the same governed model (bench/policy.yaml names `bench-*`), the same users and the same
MLflow auth config: one `--app-name basic-auth` (MLflow's own), one `--app-name
promobot-guard` (basic-auth, then the guard's checks). Through each, as an engineer who
holds MANAGE on every registered model (the guard judges the request and lets it
through, the longest path it has for an allowed call):

    get      GET  registered-models/get      a read: the guard only matches the route
    set-tag  POST registered-models/set-tag  a person's own tag on a governed model: the
                                             guard reads the body, the policy and the key

Each repeat makes `calls` pairs of calls, one through each server, each call on a new
connection (so no kept-alive connection's stall, bench/README.md, adds to either), the
server called first alternating between repeats; the figure is the median over repeats
of guard ÷ basic-auth, with both servers' median ms per call beside it. The target:
≤ 1.1. Beside it, the guard's own time per request, in this process without a server
(`in_process_us`): its checks alone, which no machine's load can hide.
Both servers cache checked passwords (AUTH_CACHE_SECONDS), so the password hash does
not drown what the guard adds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import requests

from bench import paths
from bench.stats import median, median_ratio, r2
from bench.stats import shown as _shown

paths.add_tests()

from servers import MlflowServer, auth_server, create_user, grant  # noqa: E402  (tests/servers.py)

TARGET = 1.1
# MLflow's cache of checked passwords, on for both servers. Without it (MLflow's default)
# every call hashes the password again, which takes most of a call's time on a loaded
# machine and would hide what the guard adds; with it, a call is the app's own work.
AUTH_CACHE_SECONDS = 600
MODEL = "bench-guarded"
USER, PASSWORD = "engineer", "engineer-password-for-the-bench"
SERVICE = "promobot"
APPS = ("basic-auth", "promobot-guard")
OPS = ("get", "set-tag")


@contextmanager
def servers(workdir: Path) -> Iterator[dict[str, MlflowServer]]:
    """Both servers, started one after the other and stopped as groups afterwards."""
    with ExitStack() as stack:
        found: dict[str, MlflowServer] = {}
        for app in APPS:
            where = workdir / app
            env = {"PROMOBOT_POLICY": str(paths.POLICY), "PROMOBOT_SERVICE_USERS": SERVICE}
            server = auth_server(
                f"sqlite:///{where / 'mlflow.db'}",
                where,
                app=app,
                env=env,
                auth_cache_seconds=AUTH_CACHE_SECONDS,
            )
            server.start()
            stack.callback(server.stop)
            _prepare(server.url)
            found[app] = server
        yield found


def _prepare(url: str) -> None:
    create_user(url, USER, PASSWORD)
    grant(url, USER, "registered_model", "*", "MANAGE")
    answer = requests.post(
        f"{url}/api/2.0/mlflow/registered-models/create",
        json={"name": MODEL},
        auth=(USER, PASSWORD),
        timeout=120,
    )
    answer.raise_for_status()


def _call(url: str, op: str, index: int) -> None:
    auth = (USER, PASSWORD)
    if op == "get":
        answer = requests.get(
            f"{url}/api/2.0/mlflow/registered-models/get",
            params={"name": MODEL},
            auth=auth,
            timeout=120,
        )
    else:
        answer = requests.post(
            f"{url}/api/2.0/mlflow/registered-models/set-tag",
            json={"name": MODEL, "key": "bench.note", "value": str(index)},
            auth=auth,
            timeout=120,
        )
    if answer.status_code != 200:
        raise RuntimeError(f"{op} through {url}: {answer.status_code} {answer.text[:300]}")


def paired(urls: dict[str, str], op: str, calls: int, first: str) -> dict[str, float]:
    """Seconds per call through each server: `calls` pairs of calls, one through each
    server (`first` first), so both see the same moment's load."""
    spent = dict.fromkeys(urls, 0.0)
    order = [first, *(app for app in urls if app != first)]
    for index in range(calls):
        for app in order:
            started = time.perf_counter()
            _call(urls[app], op, index)
            spent[app] += time.perf_counter() - started
    return {app: total / calls for app, total in spent.items()}


def run(
    workdir: Path, *, repeats: int, calls: int, progress: Callable[[str], None]
) -> dict[str, Any]:
    """Time both servers side by side; the part's results (bench/results.json "guard")."""
    seconds: dict[str, dict[str, list[float]]] = {op: {app: [] for app in APPS} for op in OPS}
    with servers(workdir) as found:
        urls = {app: server.url for app, server in found.items()}
        for op in OPS:  # warm up: imports, caches, the password cache
            paired(urls, op, 3, APPS[0])
        progress("guard: both servers ready")
        for repeat in range(repeats):
            for op in OPS:
                taken = paired(urls, op, calls, APPS[repeat % 2])
                for app in APPS:
                    seconds[op][app].append(taken[app])
            progress(f"guard: repeat {repeat + 1} of {repeats}")
    part = summarise(seconds, calls)
    part["in_process_us"] = hooks_us()
    return part


def hooks_us(rounds: int = 2000) -> dict[str, float]:
    """The guard's own work per request, timed in this process without a server: its two
    checks (the screen before basic-auth, the judgement after) under Flask's request
    context for each call, as the engineer."""
    from flask import g
    from mlflow.server import app

    from bot.adapters.mlflow.guard import Guard, start
    from bot.config import GuardSettings

    guard: Guard = start(
        GuardSettings(promobot_policy=str(paths.POLICY), promobot_service_users=SERVICE)
    )
    requests_of = {
        "get": ("GET", "/api/2.0/mlflow/registered-models/get", None),
        "set-tag": (
            "POST",
            "/api/2.0/mlflow/registered-models/set-tag",
            {"name": MODEL, "key": "bench.note", "value": "1"},
        ),
    }
    found: dict[str, float] = {}
    for op, (method, path, body) in requests_of.items():
        with app.test_request_context(path, method=method, json=body, query_string={"name": MODEL}):
            g.mlflow_authenticated_user = USER
            started = time.perf_counter()
            for _ in range(rounds):
                assert guard.screen() is None and guard.check() is None
            found[op] = round((time.perf_counter() - started) / rounds * 1e6, 1)
    return found


def summarise(seconds: dict[str, dict[str, list[float]]], calls: int) -> dict[str, Any]:
    """Per call: the median ms through each server, and guard ÷ basic-auth (median of the
    ratios of the batches run side by side)."""
    ops: dict[str, Any] = {}
    for op, by_app in seconds.items():
        plain, guarded = by_app["basic-auth"], by_app["promobot-guard"]
        ops[op] = {
            "basic_auth_ms": _ms(median(plain)),
            "guard_ms": _ms(median(guarded)),
            "ratio": r2(median_ratio(guarded, plain)),
            "repeats": len(plain),
        }
    return {"calls_per_batch": calls, "auth_cache_seconds": AUTH_CACHE_SECONDS, "ops": ops}


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 2)


def targets(part: dict[str, Any]) -> list[tuple[str, Any, str, bool | None]]:
    """(target, figure, limit, met) for bench/report.py."""
    checks: list[tuple[str, Any, str, bool | None]] = []
    for op, entry in part.get("ops", {}).items():
        ratio = entry.get("ratio")
        checks.append(
            (
                f"guard: cost per {op} call / basic-auth's",
                f"{ratio} ({entry.get('guard_ms')} vs {entry.get('basic_auth_ms')} ms)",
                f"≤ {TARGET}",
                None if ratio is None else ratio <= TARGET,
            )
        )
    return checks


def table_lines(part: dict[str, Any] | None) -> list[str]:
    """The guard part's lines of the printed table."""
    if not part:
        return []
    lines = [
        f"[guard] per MLflow call, {part.get('calls_per_batch')} pairs of calls a repeat, as an "
        "engineer on a governed model, passwords cached: basic-auth alone vs promobot's guard "
        "(median ms; guard ÷ basic-auth, median over repeats)",
        f"  {'call':<10}{'basic-auth':>12}{'guard':>10}{'ratio':>8}",
    ]
    for op, entry in part.get("ops", {}).items():
        lines.append(
            f"  {op:<10}{_shown(entry.get('basic_auth_ms'), ' ms'):>12}"
            f"{_shown(entry.get('guard_ms'), ' ms'):>10}{_shown(entry.get('ratio')):>8}"
        )
    own = part.get("in_process_us")
    if own:
        shown = ", ".join(f"{op} {us} µs" for op, us in own.items())
        lines.append(f"  the guard's own checks per request, in process: {shown}")
    lines.append("")
    return lines
