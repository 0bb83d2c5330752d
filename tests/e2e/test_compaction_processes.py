"""Compaction through real processes (issue 22): a real `mlflow server` on SQLite holding
a model with a long history, compacted by two `promobot serve` replicas (their audit pass,
every second) and a `promobot compact` at once; and a `promobot compact` killed with
SIGKILL between its first ledger page and its deletes, finished by the next.

Two servers: promobot's guard (as its service account) with the issue's 2,000 past
executions, where promobot deletes through the guard's bulk delete; and a plain `mlflow
server`, where it deletes one tag per call, with a shorter history (PAST).

What must hold: promobot's tags on the model end within the bound
(bot/core/state/compaction.py `bound`); `audit export` writes the same bytes before and
after; `history --limit 5 --json` and the default `rollback … --dry-run --json` answer
the same; the ledger holds each record once. The history is written straight into the
server's database (bench/history_seed.py: promobot's own records, cloned), so the test
spends its time compacting, not seeding.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from fake_slack import FakeSlack
from servers import PROMOBOT, MlflowServer, PromobotServe, guarded_sqlite, promobot_env
from slow_proxy import SlowProxy
from test_verify_replicas import side_by_side

from bench import paths, seed
from bench.history_seed import add_past_executions
from bot.adapters.mlflow.gateway import Registry
from bot.core.service import archive
from bot.core.state import compaction
from bot.core.state.keys import (
    LEDGER_COPYING_PREFIX,
    LOCK_OWNER_TAG,
    compaction_bucket,
    ledger_mark,
    ledger_model_name,
    lock_model_name,
)

pytestmark = pytest.mark.server

M = seed.MODEL
KILLED = "filler-model-0001"  # the same history on a second model, for the kill
# Through a plain `mlflow server` the first compaction of a long-grown model takes
# minutes, whoever runs it: MLflow's server reads every tag of the model after each delete
# (0.4 s each at 5,000 tags, 6 a second at best, docs/contract.md "Cost"). So the plain
# server's history is shorter (PROMOBOT_TEST_COMPACTION_PAST=2000: the issue's); the
# guard's bulk delete costs the same per tag whatever the model holds.
PAST = int(os.environ.get("PROMOBOT_TEST_COMPACTION_PAST", "200"))
GUARDED_PAST = 2000
KILLED_PAST = 100  # the kill needs a few pages, not a long history
# The seeded model: Staging, Production and @champion; one approval per request; nothing
# open, no webhook delivery; + the mark and slack.posted (docs/contract.md).
BOUND = compaction.bound(0, targets=3, approvals=1) + 2


@dataclass
class Where:
    """A server holding the seeded history, as promobot's processes and this one reach
    it."""

    url: str
    env: dict[str, str]  # of a `promobot` process
    signed_in: Callable[[], AbstractContextManager[Any]]  # for reads in this process
    past: int

    @property
    def wait(self) -> float:
        return 150.0 + self.past * 0.5

    def registry(self) -> Registry:
        return Registry(self.url)


def _seeded(folder: Path, past: int) -> str:
    uri, _ = seed.sqlite_registry(seed.TINY, folder)
    add_past_executions(uri, KILLED, KILLED_PAST, source=M)  # before M's own: templates stay 3
    add_past_executions(uri, M, past)
    return uri


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Where]:
    folder = tmp_path_factory.mktemp("compaction")
    mlflow = MlflowServer(backend_uri=_seeded(folder, PAST), workdir=folder).start()
    env = promobot_env({"MLFLOW_TRACKING_URI": mlflow.url, "PROMOBOT_POLICY": str(paths.POLICY)})
    try:
        yield Where(mlflow.url, env, contextlib.nullcontext, PAST)
    finally:
        mlflow.stop()


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Where]:
    folder = tmp_path_factory.mktemp("compaction-guarded")
    uri = _seeded(folder, GUARDED_PAST)
    with guarded_sqlite(folder, paths.POLICY, backend=uri) as guard:
        env = guard.cli_env("promobot")
        yield Where(guard.url, env, lambda: guard.as_user("promobot"), GUARDED_PAST)


def promobot(where: Where, *words: str) -> str:
    done = subprocess.run(
        [str(PROMOBOT), *words], env=where.env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode in (0, 1), f"promobot {' '.join(words)}: {done.stderr}"
    return done.stdout


def reads(where: Where, model: str, folder: Path, name: str) -> tuple[bytes, str, str]:
    """The audit export (through a file, compared as bytes), `history --limit 5` and the
    default rollback's dry run."""
    export = folder / f"{model}-{name}.jsonl"
    with export.open("wb") as out:
        subprocess.run(
            [str(PROMOBOT), "audit", "export", model],
            env=where.env,
            stdout=out,
            check=True,
            timeout=300,
        )
    history = promobot(where, "history", model, "--limit", "5", "--json")
    rollback = promobot(
        where, "rollback", model, "staging", "why", "--dry-run", "--as", "carol", "--json"
    )
    return export.read_bytes(), history, rollback


def tags(where: Where, model: str) -> dict[str, str]:
    with where.signed_in():
        info = where.registry().get_model(model)
    assert info is not None
    return info.tags


def ledger_keys(where: Where, model: str) -> list[str]:
    with where.signed_in():
        return [key for page in archive.pages(where.registry(), model) for key in page]


def until(
    what: str,
    done: Callable[[], bool],
    wait: float,
    logs: Callable[[], str] = str,
    every: float = 0.5,
) -> None:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(every)
    raise AssertionError(f"never got to: {what}\n{logs()}")


@contextlib.contextmanager
def replicas(where: Where, folder: Path) -> Iterator[list[PromobotServe]]:
    """Two `promobot serve` whose only pass is the audit, every second (the Slack app
    needs a Slack: a fake one); the test launches them."""
    with FakeSlack() as slack:
        env = {
            **where.env,
            "PROMOBOT_AUDIT_SECONDS": "1",
            "PROMOBOT_SWEEP_SECONDS": "0",
            "PROMOBOT_VERIFY_SECONDS": "0",
            "SLACK_SIGNING_SECRET": "slack-signing-secret",
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_API_URL": slack.api_url,
            "PROMOBOT_SLACK_CHANNEL": "C0COMPACT",
        }
        serves = [PromobotServe(env, folder / f"replica-{n}") for n in (1, 2)]
        try:
            yield serves
        finally:
            side_by_side([serve.stop for serve in serves])


@pytest.mark.parametrize("kind", ["guarded", "server"], ids=["guarded-2000", "plain"])
def test_two_replicas_and_the_cli_compact_at_once_and_nothing_read_changes(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    where: Where = request.getfixturevalue(kind)
    before = reads(where, M, tmp_path, "before")
    grown = len(tags(where, M))
    assert grown > 2 * where.past  # nothing moved yet

    with replicas(where, tmp_path) as serves:
        # The CLI starts as the replicas boot: their first passes and it overlap.
        side_by_side([serve.launch for serve in serves])
        cli = subprocess.Popen(
            [str(PROMOBOT), "compact", M], env=where.env, stdout=subprocess.PIPE, text=True
        )
        side_by_side([serve.ready for serve in serves])
        said, _ = cli.communicate(timeout=where.wait)
        assert cli.returncode == 0, said

        def logs() -> str:
            return "\n".join(serve.log()[-3000:] for serve in serves)

        counts: list[int] = []

        def settled() -> bool:
            counts.append(len(tags(where, M)))
            return counts[-1] <= BOUND and len(counts) >= 4 and len(set(counts[-4:])) == 1

        until(f"at most {BOUND} tags on {M}, unchanged for 2 s", settled, where.wait, logs)

    assert ledger_mark(tags(where, M)) is not None
    assert archive.own_tags(tags(where, M)) <= BOUND < grown
    keys = ledger_keys(where, M)
    assert len(keys) == len(set(keys))  # no record twice
    assert len(keys) + len(tags(where, M)) == grown + 1  # + the mark: nothing lost
    after = reads(where, M, tmp_path, "after")
    assert after[0] == before[0]  # the export, byte for byte
    assert after[1:] == before[1:]


def test_a_compaction_killed_mid_run_is_finished_by_the_next(server: Where, tmp_path: Path) -> None:
    before = reads(server, KILLED, tmp_path, "before")
    grown_tags = tags(server, KILLED)
    grown = len(grown_tags)
    client = server.registry().rc
    ledger = ledger_model_name(KILLED)

    def pages() -> int:
        return len(client.search_model_versions(f"name = '{ledger}'", max_results=50))

    # Through a slow proxy, each of its calls taking 0.4 s: its pages come one by one,
    # so the kill lands after the first and well before its deletes.
    with SlowProxy(server.url, delay_ms=400) as slow:
        cli = subprocess.Popen(
            [str(PROMOBOT), "compact", KILLED],
            env={**server.env, "MLFLOW_TRACKING_URI": slow.url},
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            until(
                "the ledger's first page",
                lambda: _alive_with(cli, pages),
                server.wait,
                every=0.05,
            )
        finally:
            os.killpg(cli.pid, signal.SIGKILL)
            cli.wait()
    # Killed between its copy and its deletes: the model still holds everything, the tag
    # saying a run was copying and, if the kill came after it, the new mark.
    left = tags(server, KILLED)
    copying = [k for k in left if k.startswith(LEDGER_COPYING_PREFIX)]
    assert pages() > 0 and len(copying) == 1
    assert set(left) >= set(grown_tags) and len(left) - len(grown_tags) in (1, 2)
    assert reads(server, KILLED, tmp_path, "killed") == before

    # The killed run left the model's compaction lock behind: the next run takes it over
    # once it expires (PROMOBOT_LOCK_TTL_SECONDS, short here; it waits until then, saying
    # so), then finishes the work.
    lock = lock_model_name(compaction_bucket(KILLED))
    assert client.get_registered_model(lock).tags[LOCK_OWNER_TAG]
    short_lived = replace(server, env={**server.env, "PROMOBOT_LOCK_TTL_SECONDS": "10"})
    assert "records moved" in promobot(short_lived, "compact", KILLED)

    keys = ledger_keys(server, KILLED)
    assert len(keys) == len(set(keys))  # what the killed run copied, copied once
    after = tags(server, KILLED)
    assert copying[0] not in after  # the killed run's tag goes with what it moved
    assert len(keys) + len(after) == grown + 1  # + the mark
    assert reads(server, KILLED, tmp_path, "after") == before


def _alive_with(proc: subprocess.Popen[Any], pages: Callable[[], int]) -> bool:
    if proc.poll() is not None:
        raise AssertionError("`promobot compact` ended before it could be killed")
    return pages() > 0


def test_a_full_page_of_the_largest_records_goes_through_a_real_server(
    server: Where,
) -> None:
    """A page is one create call holding 250 records; a record may be 5,000 characters
    (the most a model tag holds on MLflow's SQL stores): 1.25 MB in one request."""
    from bot.adapters.mlflow.ledger import PAGE_RECORDS

    registry = server.registry()
    records = {
        f"mlflow.promobot.request.req-ffff{i:06x}": ("{" + str(i) + "x" * 5000)[:5000]
        for i in range(PAGE_RECORDS)
    }
    registry.append_ledger("big-records", records)
    read, token = registry.ledger_page("big-records", None)
    assert read == records and token is None
