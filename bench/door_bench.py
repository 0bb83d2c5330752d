"""The command door's latency against the local CLI (`python -m bench --only door`).

One `mlflow server --app-name promobot-guard` (SQLite, passwords cached) with two users
holding MANAGE on every registered model: `promobot`, the service account, and
`engineer`, a person (eve in the part's policy, `mlflow: engineer`, written in the
workdir: she may lock, unlock and promote `bench-door` to staging, no approvals). The
model is registered by the service account with two versions, v1 put in Staging. A real
`promobot serve` (gunicorn; Slack faked by tests/fake_slack.py, no passes) signed in as
the service account carries the door's commands.

Each repeat times, side by side, the door first or second in turn:

    cli status   a process each, as a person types it: `promobot --server URL status
                 bench-door` (the engineer's credentials) vs `promobot status bench-door`
                 run here against the same MLflow. Locally with the service account's
                 credentials: a person's own are refused writes on a guarded registry
                 (the CLI says to use --server), so the service account is what can run
                 a command locally; a read is allowed to any account anyway.
    status       in this process, one call each: a POST to the door (requests, the
                 engineer's credentials, a new connection each) vs the same words through
                 a Service built here as `promobot serve` builds its own (bot.app
                 build_service, the serve's settings: the service account's credentials)
                 and run as the door runs them (actor mlflow:engineer, channel cli)
    lock         the same for `lock bench-door staging bench --for 1h`,
    unlock       then `unlock bench-door staging` (each side locks, then unlocks)

and, beside them, the door's own extra call: the sign-in (`GET users/current` with the
engineer's credentials) made alone from this process. Every answer must be `done`, or
the part stops. The figures: median ms of each side, door ÷ local and door − local
(medians over repeats of the paired batches). No target: the issue asks for the figures.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from bench import paths
from bench.replica_bench import worker_deaths
from bench.stats import median, median_ratio, r2, run_notes
from bench.stats import shown as _shown

paths.add_tests()

from fake_slack import FakeSlack  # noqa: E402  (tests/fake_slack.py)
from servers import (  # noqa: E402  (tests/servers.py)
    PROMOBOT,
    PromobotServe,
    auth_server,
    create_user,
    grant,
    mlflow_user,
    promobot_env,
)

MODEL = "bench-door"
SERVICE = ("promobot", "promobot-service-password-for-the-bench")
ENGINEER = ("engineer", "engineer-password-for-the-bench")
ACTOR = f"mlflow:{ENGINEER[0]}"  # who the door acts as for the engineer
AUTH_CACHE_SECONDS = 600  # as the guard part: the password hash does not drown the rest
SIDES = ("door", "local")
ROWS = ("cli status", "status", "lock", "unlock")
STATUS = f"status {MODEL}"
WRITES = (f"lock {MODEL} staging bench --for 1h", f"unlock {MODEL} staging")
PAUSE_S = 0.2  # before each timed call: no kept-alive connection's stall (bench/README.md)
POLICY = f"""\
# The door part's policy (bench/door_bench.py): eve signs in to MLflow as `engineer`.
people:
  eve: {{email: eve@example.com, mlflow: {ENGINEER[0]}}}
groups:
  engineers: [eve]
models:
  - name: {MODEL}
    targets:
      staging: {{requesters: [engineers], approvals: 0}}
"""


@dataclass
class Rig:
    mlflow: str  # the guarded MLflow server's URL
    serve: str  # promobot serve's URL
    settings: dict[str, str]  # promobot serve's own settings (service account)
    terminal: dict[str, str]  # a terminal's settings, without credentials


@contextmanager
def rig(workdir: Path) -> Iterator[Rig]:
    """The guarded MLflow, its users and model, and `promobot serve`; stopped afterwards."""
    with ExitStack() as stack:
        workdir.mkdir(parents=True, exist_ok=True)
        policy = workdir / "policy.yaml"
        policy.write_text(POLICY)
        where = workdir / "mlflow"
        users_at = f"sqlite:///{where / 'basic_auth.db'}"
        server = auth_server(
            f"sqlite:///{where / 'mlflow.db'}",
            where,
            app="promobot-guard",
            auth_db=users_at,
            env={"PROMOBOT_POLICY": str(policy), "PROMOBOT_SERVICE_USERS": SERVICE[0]},
            auth_cache_seconds=AUTH_CACHE_SECONDS,
        )
        _migrate_users(users_at)
        server.start()
        stack.callback(server.stop)
        for user, password in (SERVICE, ENGINEER):
            create_user(server.url, user, password)
            grant(server.url, user, "registered_model", "*", "MANAGE")
        _register(server.url)
        slack = stack.enter_context(FakeSlack())
        terminal = {
            "MLFLOW_TRACKING_URI": server.url,
            "MLFLOW_HTTP_REQUEST_TIMEOUT": "120",
            "PROMOBOT_POLICY": str(policy),
            "PROMOBOT_SERVICE_USERS": SERVICE[0],
            "PYTHONPATH": _pythonpath(),
        }
        settings = {
            **terminal,
            **_credentials(SERVICE),
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": "8f14e45fceea167a5a36dedd4bea2543",
            "SLACK_API_URL": slack.api_url,
            "PROMOBOT_SWEEP_SECONDS": "0",
            "PROMOBOT_AUDIT_SECONDS": "0",
            "PROMOBOT_VERIFY_SECONDS": "0",
        }
        serve = PromobotServe(promobot_env(settings), workdir / "serve").start(timeout=120)
        stack.callback(serve.stop)
        yield Rig(server.url, serve.url, settings, terminal)


def _migrate_users(users_at: str) -> None:
    """MLflow's user store made once, before the server starts. `mlflow server` does this
    before starting its workers for `--app-name basic-auth` only; under another app name
    each worker migrates a new store itself, and two at once can collide: one dies
    ("table … already exists", seen in one run of three) and uvicorn starts another only
    after its health-check timeout (120 s here), mid-run, with its password cache cold."""
    from mlflow.server.auth.db.utils import migrate_if_needed
    from mlflow.store.db.utils import create_sqlalchemy_engine_with_retry

    engine = create_sqlalchemy_engine_with_retry(users_at)
    try:
        migrate_if_needed(engine, "head")
    finally:
        engine.dispose()


def _register(url: str) -> None:
    """`bench-door` with two versions, registered by the service account."""
    from mlflow import MlflowClient

    with mlflow_user(SERVICE):
        client = MlflowClient(tracking_uri=url)
        experiment = client.create_experiment("bench-door")
        run_id = client.create_run(experiment).info.run_id
        client.log_metric(run_id, "accuracy", 0.9)
        client.create_registered_model(MODEL)
        for _ in range(2):
            client.create_model_version(MODEL, f"runs:/{run_id}/model", run_id)


def _pythonpath() -> str:
    """This checkout first, for every process the part starts."""
    return os.pathsep.join(p for p in (str(paths.REPO), os.environ.get("PYTHONPATH")) if p)


def _credentials(who: tuple[str, str]) -> dict[str, str]:
    return {"MLFLOW_TRACKING_USERNAME": who[0], "MLFLOW_TRACKING_PASSWORD": who[1]}


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """`values` in this process's environment while the block runs (MLflow's client
    reads the credentials at every call), then as before."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class Sides:
    """The two ways of running each step: through the door, and here."""

    def __init__(self, found: Rig) -> None:
        from bot.app import build_service
        from bot.config import load_settings

        self.rig = found
        self.service = build_service(load_settings())  # as promobot serve's Services.get

    def door(self, text: str) -> None:
        answer = requests.post(
            f"{self.rig.serve}/api/v1/commands", json={"text": text}, auth=ENGINEER, timeout=120
        )
        said = answer.json() if answer.headers.get("Content-Type") == "application/json" else {}
        if answer.status_code != 200 or said.get("status") != "done":
            raise RuntimeError(f"door: {text}: {answer.status_code} {answer.text[:300]}")

    def local(self, text: str) -> None:
        from bot.core.commands import parse
        from bot.core.context import Context

        command = parse(text).command
        assert command is not None, text
        result = self.service.handle(command, Context(actor=ACTOR, channel="cli"))
        if result.status != "done":
            raise RuntimeError(f"local: {text}: {result.status} {result.reasons}")

    def cli(self, side: str) -> None:
        """`promobot status bench-door` in a process of its own, through the door or here."""
        remote = side == "door"
        words = ["--server", self.rig.serve] if remote else []
        env = promobot_env({**self.rig.terminal, **_credentials(ENGINEER if remote else SERVICE)})
        done = subprocess.run(
            [str(PROMOBOT), *words, "status", MODEL],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0 or MODEL not in done.stdout:
            raise RuntimeError(f"cli ({side}): exit {done.returncode}: {done.stderr[-300:]}")

    def sign_in(self) -> None:
        answer = requests.get(
            f"{self.rig.mlflow}/api/2.0/mlflow/users/current", auth=ENGINEER, timeout=120
        )
        if answer.status_code != 200:
            raise RuntimeError(f"users/current: {answer.status_code} {answer.text[:300]}")

    def steps(self) -> dict[str, dict[str, list[Callable[[], None]]]]:
        """Per figure, each side's steps (one timing each): cli status, status, lock+unlock."""
        on: dict[str, Callable[[str], None]] = {"door": self.door, "local": self.local}
        return {
            "cli": {side: [lambda side=side: self.cli(side)] for side in SIDES},
            "status": {side: [lambda run=on[side]: run(STATUS)] for side in SIDES},
            "writes": {
                side: [lambda run=on[side], text=text: run(text) for text in WRITES]
                for side in SIDES
            },
        }


def paired(
    steps: Mapping[str, Sequence[Callable[[], None]]], rounds: int, first: str
) -> dict[str, list[float]]:
    """Seconds per step, averaged over `rounds`, each side's steps run in turn (`first`
    first) so both see the same moment's load; each step after a pause."""
    order = [first, *(side for side in steps if side != first)]
    spent = {side: [0.0] * len(found) for side, found in steps.items()}
    for _ in range(rounds):
        for side in order:
            for index, step in enumerate(steps[side]):
                time.sleep(PAUSE_S)
                started = time.perf_counter()
                step()
                spent[side][index] += time.perf_counter() - started
    return {side: [total / rounds for total in totals] for side, totals in spent.items()}


def run(
    workdir: Path,
    *,
    repeats: int,
    calls: int,
    processes: int,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    """Time the door and the local CLI side by side; the part's results (results["door"])."""
    seconds: dict[str, dict[str, list[float]]] = {row: {s: [] for s in SIDES} for row in ROWS}
    sign_in: list[float] = []
    with rig(workdir) as found, environment(found.settings):
        sides = Sides(found)
        steps = sides.steps()
        sides.local(f"promote {MODEL} v1 staging set-up")  # a holder for status to show
        # Warm up: imports, serve's lazily built Service, and the password cache of each
        # of MLflow's two workers (a password's first check there hashes it: ~110 ms).
        for group in steps.values():
            paired(group, 2, SIDES[0])
        paired({"door": [sides.sign_in]}, 6, "door")
        progress("door: mlflow, promobot serve and the model ready")
        for repeat in range(repeats):
            first = SIDES[repeat % 2]
            taken = {
                "cli status": paired(steps["cli"], processes, first),
                "status": paired(steps["status"], calls, first),
            }
            writes = paired(steps["writes"], calls, first)
            for index, row in enumerate(("lock", "unlock")):
                taken[row] = {side: [writes[side][index]] for side in SIDES}
            for row, by_side in taken.items():
                for side in SIDES:
                    seconds[row][side].append(by_side[side][0])
            sign_in.append(paired({"door": [sides.sign_in]}, calls, "door")["door"][0])
            progress(f"door: repeat {repeat + 1} of {repeats}")
    part = summarise(seconds, sign_in, calls=calls, processes=processes)
    part["mlflow_worker_deaths"] = worker_deaths(workdir / "mlflow")
    return part


def summarise(
    seconds: Mapping[str, Mapping[str, Sequence[float]]],
    sign_in: Sequence[float],
    *,
    calls: int,
    processes: int,
) -> dict[str, Any]:
    """Per row: each side's median ms, door ÷ local and door − local (medians of the
    ratios and differences of the batches run side by side); the sign-in's median ms."""
    rows: dict[str, Any] = {}
    for row, by_side in seconds.items():
        door, local = by_side["door"], by_side["local"]
        extra = median([d - x for d, x in zip(door, local, strict=True)])
        rows[row] = {
            "door_ms": _ms(median(door)),
            "local_ms": _ms(median(local)),
            "ratio": r2(median_ratio(door, local)),
            "extra_ms": _ms(extra),
            "repeats": len(door),
        }
    return {
        "calls_per_batch": calls,
        "processes_per_batch": processes,
        "auth_cache_seconds": AUTH_CACHE_SECONDS,
        "rows": rows,
        "sign_in_ms": _ms(median(sign_in)),
    }


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 2)


def targets(part: dict[str, Any]) -> list[tuple[str, Any, str, bool | None]]:
    """(target, figure, limit, met) for bench/report.py: figures only, no target."""
    checks: list[tuple[str, Any, str, bool | None]] = []
    for row, entry in part.get("rows", {}).items():
        checks.append(
            (
                f"door: {row} / local",
                f"{entry.get('ratio')} ({entry.get('door_ms')} vs {entry.get('local_ms')} ms)",
                "—",
                None,
            )
        )
    if part.get("sign_in_ms") is not None:
        checks.append(
            ("door: its sign-in (users/current) alone", f"{part['sign_in_ms']} ms", "—", None)
        )
    return checks


def table_lines(part: dict[str, Any] | None) -> list[str]:
    """The door part's lines of the printed table."""
    if not part:
        return []
    lines = [
        f"[door] promobot serve's command door (the engineer signed in) vs the same command "
        f"run here (the service account): cli status a process each "
        f"({part.get('processes_per_batch')} a repeat), the rest in process "
        f"({part.get('calls_per_batch')} a repeat); median ms, door ÷ local and door − "
        "local (medians over repeats)",
        f"  {'command':<12}{'door':>11}{'local':>11}{'ratio':>8}{'door − local':>14}",
    ]
    for row, entry in part.get("rows", {}).items():
        lines.append(
            f"  {row:<12}{_shown(entry.get('door_ms'), ' ms'):>11}"
            f"{_shown(entry.get('local_ms'), ' ms'):>11}{_shown(entry.get('ratio')):>8}"
            f"{_shown(entry.get('extra_ms'), ' ms'):>14}"
        )
    lines.append(
        f"  the door's sign-in alone (GET users/current, passwords cached): "
        f"{_shown(part.get('sign_in_ms'), ' ms')}"
    )
    lines.extend(run_notes(part))
    lines.append("")
    return lines
