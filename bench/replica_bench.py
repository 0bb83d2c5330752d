"""Replicas side by side, and memory under load: `promobot serve` processes against one
`mlflow server` on PostgreSQL.

Replicas: for 1, 2 and 4 real `promobot serve` processes behind a round-robin TCP proxy
on 127.0.0.1 (bench/round_robin.py), 200 signed `/promote <model> v<N> staging` slash
commands over 20 models, 10 requests in flight at a time. Staging needs no approval in
bench/policy.yaml, so each command is a promotion carried out after the ack, and each
promotes a version that does not hold Staging yet: every one changes the holder. A
command is complete when its final answer reaches the fake Slack (tests/fake_slack.py):
the announcement posted to the command's channel (chat.postMessage; every command gets
a channel of its own so that answers are told apart), or a refusal or error through its
response_url. Reported per replica count: promotions completed per second (commands ÷
from the first send to the last answer), ack p50/p99, the CPU time each server used
over that window (MLflow's, PostgreSQL's, the replicas', this process's), and the check
that none was lost or done twice: MLflow's history events per model against the
commands sent, each request id once, one final answer per command.

Memory: one `promobot serve`, VmRSS of its process group (gunicorn's master and worker)
after start and one warm-up promotion, and after 1,000 more promotions.

Every replica count gets its own 20 models (seeded straight into MLflow's tables, as
bench/seed.py does), so each starts from the same registry.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import paths, procstat
from bench.round_robin import RoundRobin
from bench.seed import create_pg_database, drop_pg_database, postgres_available
from bench.slack_bench import SECRET, post, slash_body
from bench.stats import median, ms, percentile, r2

paths.add_tests()

from fake_slack import FakeSlack  # noqa: E402  (tests/fake_slack.py)
from servers import MlflowServer, PromobotServe  # noqa: E402

REPLICAS = (1, 2, 4)
MODELS = 20
VERSIONS = 11  # per model: 10 commands each promote another one; one for the warm-up
COMMANDS = 200
CONCURRENCY = 10
MEMORY_COMMANDS = 1000
# uvicorn worker processes of `mlflow server` (its default is 4): one per CPU on the
# 2-CPU machine the figures come from; more only add processes competing for the same
# two cores with PostgreSQL and the replicas.
MLFLOW_WORKERS = 2

USER = "U01BOB"  # an ml-engineer: may promote to staging


@dataclass(frozen=True)
class Options:
    replicas: tuple[int, ...] = REPLICAS
    commands: int = COMMANDS
    memory_commands: int = MEMORY_COMMANDS
    mlflow_workers: int = MLFLOW_WORKERS
    work_threads: int = 16  # PROMOBOT_WORK_THREADS of each replica (its default)
    # Each replica count runs this often, the counts in turn (1, 2, 4, 1, 2, 4, …): the
    # speed-ups are medians of ratios taken side by side, so load from elsewhere on the
    # machine weighs on every count alike.
    rounds: int = 2


@dataclass
class Rig:
    """What every measurement shares: the fake Slack, the MLflow server and its
    database, where logs go."""

    fake: FakeSlack
    mlflow: MlflowServer
    db: str
    workdir: Path
    progress: Any
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Command:
    key: str  # the response_url's key; the channel is "C" + key
    model: str
    version: int
    # "promote" (carried out, announced in the channel), or a read answered through the
    # response_url: "status", "history", "policy", "dry-run" (promote --dry-run)
    kind: str = "promote"

    def body(self, fake: FakeSlack) -> bytes:
        slash, text = {
            "promote": ("/promote", f"{self.model} v{self.version} staging"),
            "dry-run": ("/promote", f"{self.model} v{self.version} staging --dry-run"),
        }.get(self.kind, ("/promobot", f"{self.kind} {self.model}"))
        return slash_body(slash, text, USER, fake.response_url(self.key), channel=f"C{self.key}")


def run(workdir: Path, options: Options | None = None, progress: Any = print) -> dict[str, Any]:
    """{"replicas": ..., "memory": ...}; both say "skipped" without PostgreSQL."""
    from bench import serve_memory  # it builds on this module

    opts = options or Options()
    why = postgres_available()
    if why:
        return {"replicas": {"skipped": why}, "memory": {"skipped": why}}
    db = f"promobot_bench_replicas_{os.getpid()}"
    uri = create_pg_database(db)
    try:
        turns = [(r, n) for r in range(opts.rounds) for n in opts.replicas]
        groups = [f"r{n}x{r}" for r, n in turns] + (["mem"] if opts.memory_commands else [])
        progress(f"replicas: seeding {len(groups) * MODELS} models of {VERSIONS} versions")
        seed_models(uri, groups)
        server = MlflowServer(
            backend_uri=uri,
            workdir=workdir / "mlflow",
            # MLflow 3's server also starts a job runner and huey consumers (8 processes
            # polling for GenAI jobs) that a model registry never uses.
            env={"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
            # uvicorn kills a worker that does not answer its supervisor's ping in 5 s;
            # on a loaded machine busy workers miss it, die with the requests they hold
            # and take ~10 s to come back (seen here: 3 in one run). Not what is measured.
            extra_args=(
                "--workers",
                str(opts.mlflow_workers),
                "--uvicorn-opts",
                "--timeout-worker-healthcheck 120",
            ),
        )
        server.start(timeout=180)
        try:
            with FakeSlack() as fake:
                env = serve_env(fake, server.url, opts.work_threads)
                rig = Rig(fake, server, db, workdir, progress, env)
                rows = [replicated(rig, n, opts.commands, f"r{n}x{r}") for r, n in turns]
                memory = serve_memory.run(rig, opts.memory_commands) if opts.memory_commands else {}
        finally:
            server.stop()
        deaths = worker_deaths(workdir / "mlflow")
    finally:
        drop_pg_database(db)
    return {
        "replicas": {
            "commands": opts.commands,
            "models": MODELS,
            "concurrency": CONCURRENCY,
            "work_threads_per_replica": opts.work_threads,
            "mlflow_workers": opts.mlflow_workers,
            "mlflow_worker_deaths": deaths,
            "backend": "postgresql",
            "rounds": opts.rounds,
            "runs": rows,
            "summary": summarise(rows),
        },
        "memory": memory,
    }


def worker_deaths(where: Path) -> int:
    """How often uvicorn reported an MLflow worker dead (its log): 0 in a clean run."""
    return sum(
        log.read_text(errors="replace").count("died") for log in where.glob("mlflow-server-*.log")
    )


def serve_env(fake: FakeSlack, mlflow_url: str, work_threads: int) -> dict[str, str]:
    return {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        "MLFLOW_TRACKING_URI": mlflow_url,
        "PROMOBOT_POLICY": str(paths.POLICY),
        # The scheduled passes would add MLflow calls of their own to the window.
        "PROMOBOT_SWEEP_SECONDS": "0",
        "PROMOBOT_AUDIT_SECONDS": "0",
        "PROMOBOT_VERIFY_SECONDS": "0",
        "PROMOBOT_LOG_LEVEL": "WARNING",
        "PROMOBOT_WORK_THREADS": str(work_threads),
    }


def seed_models(uri: str, groups: list[str]) -> None:
    """MODELS models per group (`bench-<group>-NN`), VERSIONS versions each, none in a
    stage, bulk-inserted into MLflow's tables once MLflow has created them."""
    import sqlalchemy
    from mlflow import MlflowClient
    from mlflow.store.model_registry.dbmodels.models import SqlModelVersion, SqlRegisteredModel
    from mlflow.utils.workspace_utils import DEFAULT_WORKSPACE_NAME as WS

    from bench.seed import _version

    MlflowClient(tracking_uri=uri, registry_uri=uri).search_registered_models(max_results=1)
    now = int(time.time() * 1000)
    names = [model_name(g, i) for g in groups for i in range(MODELS)]
    models = [
        {"workspace": WS, "name": n, "creation_time": now, "last_updated_time": now} for n in names
    ]
    versions = [
        _version(WS, n, v, now, archived=False) for n in names for v in range(1, VERSIONS + 1)
    ]
    engine = sqlalchemy.create_engine(uri)
    try:
        with engine.begin() as conn:
            conn.execute(SqlRegisteredModel.__table__.insert(), models)
            conn.execute(SqlModelVersion.__table__.insert(), versions)
    finally:
        engine.dispose()


def model_name(group: str, index: int) -> str:
    return f"bench-{group}-{index:02d}"


def plan(group: str, count: int) -> list[Command]:
    """`count` promotions, the models in turn (so that the commands in flight together
    are on different models) and each model's versions 1..VERSIONS-1 in turn, so that
    each one moves Staging to another version (the warm-ups promote the last one)."""
    return [
        Command(
            f"{group}-{k:04d}", model_name(group, k % MODELS), 1 + (k // MODELS) % (VERSIONS - 1)
        )
        for k in range(count)
    ]


def start_serves(rig: Rig, n: int, where: str) -> list[PromobotServe]:
    serves = [PromobotServe(rig.env, rig.workdir / where) for _ in range(n)]
    errors: list[BaseException] = []

    def start(serve: PromobotServe) -> None:
        try:
            serve.start(timeout=90)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(s,)) for s in serves]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        for serve in serves:
            serve.stop()
        raise errors[0]
    return serves


def warm_up(rig: Rig, serves: list[PromobotServe], group: str) -> list[Command]:
    """One promotion through each replica directly (its worker builds its Service and
    loads every module a promotion needs), answered end to end."""
    done = []
    for i, serve in enumerate(serves):
        command = Command(f"{group}-warm-{i}", model_name(group, i), VERSIONS)
        status, _ = post(f"{serve.url}/slack/events", command.body(rig.fake))
        if status != 200:
            raise RuntimeError(f"promobot serve answered {status} to a signed command")
        wait_answers(rig.fake, [command.key], timeout=120)
        done.append(command)
    return done


def replicated(rig: Rig, n: int, count: int, group: str) -> dict[str, Any]:
    serves = start_serves(rig, n, group)
    try:
        warm = warm_up(rig, serves, group)
        with RoundRobin([s.url for s in serves]) as rr:
            sent = plan(group, count)
            measured = send(rig, rr.url, sent, pgids=[s.proc.pid for s in serves if s.proc])
            measured["per_replica_connections"] = list(rr.connections)
    finally:
        for serve in serves:
            serve.stop()
    measured["replicas"] = n
    finals = {**answers(rig.fake, {c.key for c in warm}), **measured.pop("answers")}
    measured["correctness"] = check(rig, warm + sent, finals)
    rig.progress(
        f"    {n} replica(s): {measured['promotions_per_s']} promotions/s, ack p50 "
        f"{measured['ack_p50_ms']} ms p99 {measured['ack_p99_ms']} ms, MLflow CPU "
        f"{measured['cpu']['mlflow']} cores, replicas {measured['cpu']['replicas']}, "
        f"correct: {measured['correctness']['ok']}"
    )
    return measured


def send(rig: Rig, url: str, commands: list[Command], *, pgids: list[int]) -> dict[str, Any]:
    """Send `commands` to `url`, CONCURRENCY at a time, wait for every final answer, and
    measure: acks, completions per second, the CPU each server used meanwhile."""
    events = f"{url}/slack/events"
    bodies = [c.body(rig.fake) for c in commands]
    cpu = CpuWindow(rig.mlflow.proc.pid if rig.mlflow.proc else 0, pgids, rig.db)
    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        answers = list(pool.map(lambda b: post(events, b), bodies))
    sent_s = time.monotonic() - t0
    bad = [s for s, _ in answers if s != 200]
    if bad:
        raise RuntimeError(f"promobot serve answered {bad[:3]} to signed commands")
    finals = wait_answers(rig.fake, [c.key for c in commands], timeout=600)
    last = max((a[0] for ats in finals.values() for a in ats), default=time.monotonic())
    used = cpu.stop()
    acks = [t for _, t in answers]
    window = max(last - t0, 1e-9)
    done = sum(1 for c in commands if finals.get(c.key))
    # Carried out: announced in the channel. A refusal is an answer, not a promotion.
    carried = sum(1 for c in commands if finals.get(c.key) and finals[c.key][0][1] == "posted")
    return {
        "promotions_per_s": round(carried / window, 2),
        "answers_per_s": round(done / window, 2),
        "completed": done,
        "carried_out": carried,
        "window_s": round(window, 2),
        "all_acked_s": round(sent_s, 2),
        "ack_p50_ms": ms(percentile(acks, 50)),
        "ack_p99_ms": ms(percentile(acks, 99)),
        "cpu": used,
        "answers": finals,
    }


class CpuWindow:
    """CPU seconds used by each server between construction and stop(), as cores busy
    on average (1.0 = one CPU the whole window). PostgreSQL: the backends serving the
    run's database (MLflow's pooled connections; one that closed meanwhile is lost)."""

    def __init__(self, mlflow_pgid: int, serve_pgids: list[int], db: str) -> None:
        self.mlflow, self.serves, self.db = mlflow_pgid, serve_pgids, db
        self.started = time.monotonic()
        self.before = self._read()
        self.pg_before = self._postgres()
        self.workers_before = self._mlflow_processes()

    def _read(self) -> dict[str, float]:
        busy, _ = procstat.machine_busy_seconds()
        return {
            "mlflow": procstat.cpu_seconds(procstat.group_pids(self.mlflow)),
            "replicas": sum(procstat.cpu_seconds(procstat.group_pids(g)) for g in self.serves),
            "bench": procstat.cpu_seconds([os.getpid()]),
            "machine": busy,
        }

    def _mlflow_processes(self) -> dict[int, float]:
        return {pid: procstat.cpu_seconds([pid]) for pid in procstat.group_pids(self.mlflow)}

    def _postgres(self) -> dict[int, float]:
        return {pid: procstat.cpu_seconds([pid]) for pid in pg_backends(self.db)}

    def stop(self) -> dict[str, Any]:
        after, pg_after = self._read(), self._postgres()
        wall = time.monotonic() - self.started
        used: dict[str, Any] = {k: round((after[k] - self.before[k]) / wall, 2) for k in after}
        pg = sum(t - self.pg_before.get(pid, 0.0) for pid, t in pg_after.items())
        used["postgres"] = round(pg / wall, 2)
        # Each MLflow process (uvicorn's supervisor and its workers): is one worker busy
        # while another idles?
        workers = self._mlflow_processes()
        used["mlflow_processes"] = sorted(
            (
                round((t - self.workers_before.get(pid, 0.0)) / wall, 2)
                for pid, t in workers.items()
            ),
            reverse=True,
        )
        used["cpus"] = os.cpu_count()
        used["load"] = round(os.getloadavg()[0], 1)
        return used


def pg_backends(db: str) -> list[int]:
    """The PostgreSQL backend processes connected to database `db`."""
    import psycopg2

    from bench.seed import PG_DSN

    conn = psycopg2.connect(**PG_DSN)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (db,))
            return [int(row[0]) for row in cur.fetchall()]
    finally:
        conn.close()


def wait_answers(fake: FakeSlack, keys: list[str], timeout: float) -> dict[str, list[Any]]:
    """Every final answer to the commands `keys` — (time, "posted" | "replied") — waiting
    until each has one (or time runs out)."""
    wanted = set(keys)
    deadline = time.monotonic() + timeout
    while True:
        found = answers(fake, wanted)
        if len(found) == len(wanted) or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def answers(fake: FakeSlack, wanted: set[str]) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for call in fake:
        if call.kind == "api" and call.method == "chat.postMessage":
            key = str(call.body.get("channel", ""))[1:]
            how = "posted"
        elif call.kind == "response":
            key, how = call.method, "replied"
        else:
            continue
        if key in wanted:
            found.setdefault(key, []).append((call.at, how, call.text.splitlines()[0][:160]))
    return found


def check(rig: Rig, sent: list[Command], finals: dict[str, list[Any]]) -> dict[str, Any]:
    """None lost, none done twice: MLflow's history against the commands sent. A
    promotion that was refused and told so (its target's lock stayed busy longer than
    PROMOBOT_LOCK_WAIT_SECONDS) is not lost: it is counted as `refused`, and must then
    have left no event."""
    from bot.adapters.mlflow.gateway import Registry
    from bot.core.state.records import events

    registry = Registry(rig.mlflow.url)
    promotions = [c for c in sent if c.kind == "promote"]
    replied = [c for c in promotions if finals.get(c.key) and finals[c.key][0][1] != "posted"]
    sent_p = Counter((c.model, c.version) for c in promotions)
    expected = sent_p - Counter((c.model, c.version) for c in replied)
    seen: Counter[tuple[str, int]] = Counter()
    request_ids: Counter[str] = Counter()
    for model in sorted({c.model for c in sent}):
        info = registry.get_model(model)
        for event in events(info.tags if info else {}):
            seen[(model, event.version)] += 1
            request_ids[event.request] += 1
    finals_of = Counter({c.key: len(finals.get(c.key, [])) for c in sent})
    result = {
        "sent": len(sent),
        "history_events": sum(seen.values()),
        "refused": len(replied),
        "lost": sum((expected - seen).values()),
        "done_twice": sum((seen - sent_p).values()),
        "refused_but_done": sum((seen - expected).values()) - sum((seen - sent_p).values()),
        "request_ids_repeated": sum(n - 1 for n in request_ids.values() if n > 1),
        "unanswered": sum(1 for n in finals_of.values() if n == 0),
        "answered_twice": sum(1 for n in finals_of.values() if n > 1),
    }
    fine = ("sent", "history_events", "refused")
    result["ok"] = not any(v for k, v in result.items() if k not in fine)
    # What the promotions not carried out were told (a refusal, an error), for the report.
    result["refused_said"] = sorted({finals[c.key][0][2] for c in replied})[:5]
    return result


def summarise(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per replica count: medians over the rounds, and the speed-up over one replica as
    the median of the ratios of each round (runs taken side by side)."""
    by_n: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_n.setdefault(row["replicas"], []).append(row)
    ones = [r["promotions_per_s"] for r in by_n.get(1, [])]
    out: dict[str, dict[str, Any]] = {}
    for n, runs in sorted(by_n.items()):
        rates = [r["promotions_per_s"] for r in runs]
        ratios = [a / b for a, b in zip(rates, ones, strict=False) if b]
        out[str(n)] = {
            "promotions_per_s": r2(median(rates)),
            "speedup": r2(median(ratios)),
            "ack_p50_ms": r2(median([r["ack_p50_ms"] for r in runs])),
            "ack_p99_ms": r2(median([r["ack_p99_ms"] for r in runs])),
            **{
                f"cpu_{k}": r2(median([r["cpu"][k] for r in runs]))
                for k in ("mlflow", "postgres", "replicas", "bench", "machine")
            },
            "cpus": os.cpu_count(),
            "correct": all(r["correctness"]["ok"] for r in runs),
            "lost": sum(r["correctness"]["lost"] for r in runs),
            "done_twice": sum(r["correctness"]["done_twice"] for r in runs),
            "refused": sum(r["correctness"].get("refused", 0) for r in runs),
        }
    return out
