"""Compaction through real processes (issue 22): a real `mlflow server` on SQLite holding
a model with 2,000 past executions (by default fewer: PAST), compacted by two `promobot
serve` replicas (their audit pass, every second) and a `promobot compact` at once; and a
`promobot compact` killed with SIGKILL between its first ledger page and its deletes,
finished by the next.

What must hold: promobot's tags on the model end within the bound
(bot/core/state/compaction.py `bound`); `audit export` writes the same bytes before and
after; `history --limit 5 --json` and the default `rollback … --dry-run --json` answer
the same; the ledger holds each record once. The history is written straight into the
server's database (bench/history_seed.py: promobot's own records, cloned), so the test
spends its time compacting, not seeding.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_slack import FakeSlack
from servers import PROMOBOT, MlflowServer, PromobotServe, promobot_env
from slow_proxy import SlowProxy
from test_verify_replicas import side_by_side

from bench import paths, seed
from bench.history_seed import add_past_executions
from bot.adapters.mlflow.gateway import Registry
from bot.core.service import archive
from bot.core.state import compaction
from bot.core.state.keys import LEDGER_COPYING_PREFIX, ledger_mark, ledger_model_name

pytestmark = pytest.mark.server

M = seed.MODEL
KILLED = "filler-model-0001"  # the same history on a second model, for the kill
# The issue asks for 2,000 past executions. Through a SQLite-backed server the first
# compaction of so grown a model takes minutes, whoever runs it: MLflow's SQL store reads
# every tag of the model to delete one (0.4 s each at 5,000 tags, 6 a second at best, see
# bot/core/service/archive.py DELETES_AT_ONCE), and REST has no bulk delete. So `make
# test-servers` runs a smaller history; PROMOBOT_TEST_COMPACTION_PAST=2000 the full one.
PAST = int(os.environ.get("PROMOBOT_TEST_COMPACTION_PAST", "200"))
KILLED_PAST = 100  # the kill needs a few pages, not a long history
# The seeded model: Staging, Production and @champion; one approval per request; nothing
# open, no webhook delivery; + the mark and slack.posted (docs/contract.md).
BOUND = compaction.bound(0, targets=3, approvals=1) + 2
WAIT = 150.0 + PAST * 0.5


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    folder = tmp_path_factory.mktemp("compaction")
    uri, _ = seed.sqlite_registry(seed.TINY, folder)
    add_past_executions(uri, KILLED, KILLED_PAST, source=M)  # before M's own: templates stay 3
    add_past_executions(uri, M, PAST)
    mlflow = MlflowServer(backend_uri=uri, workdir=folder).start()
    try:
        yield mlflow
    finally:
        mlflow.stop()


def _env(server: MlflowServer, **more: str) -> dict[str, str]:
    return promobot_env(
        {"MLFLOW_TRACKING_URI": server.url, "PROMOBOT_POLICY": str(paths.POLICY), **more}
    )


def promobot(server: MlflowServer, *words: str) -> str:
    done = subprocess.run(
        [str(PROMOBOT), *words], env=_env(server), capture_output=True, text=True, timeout=120
    )
    assert done.returncode in (0, 1), f"promobot {' '.join(words)}: {done.stderr}"
    return done.stdout


def reads(server: MlflowServer, model: str, folder: Path, name: str) -> tuple[bytes, str, str]:
    """The audit export (through a file, compared as bytes), `history --limit 5` and the
    default rollback's dry run."""
    export = folder / f"{model}-{name}.jsonl"
    with export.open("wb") as out:
        subprocess.run(
            [str(PROMOBOT), "audit", "export", model],
            env=_env(server),
            stdout=out,
            check=True,
            timeout=120,
        )
    history = promobot(server, "history", model, "--limit", "5", "--json")
    rollback = promobot(
        server, "rollback", model, "staging", "why", "--dry-run", "--as", "carol", "--json"
    )
    return export.read_bytes(), history, rollback


def tags(server: MlflowServer, model: str) -> dict[str, str]:
    info = Registry(server.url).get_model(model)
    assert info is not None
    return info.tags


def ledger_keys(server: MlflowServer, model: str) -> list[str]:
    return [key for page in archive.pages(Registry(server.url), model) for key in page]


def until(
    what: str, done: Callable[[], bool], logs: Callable[[], str] = str, every: float = 0.5
) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if done():
            return
        time.sleep(every)
    raise AssertionError(f"never got to: {what}\n{logs()}")


@pytest.fixture
def replicas(server: MlflowServer, tmp_path: Path) -> Iterator[list[PromobotServe]]:
    """Two `promobot serve` whose only pass is the audit, every second (the Slack app
    needs a Slack: a fake one); the test launches them."""
    with FakeSlack() as slack:
        env = _env(
            server,
            PROMOBOT_AUDIT_SECONDS="1",
            PROMOBOT_SWEEP_SECONDS="0",
            PROMOBOT_VERIFY_SECONDS="0",
            SLACK_SIGNING_SECRET="slack-signing-secret",
            SLACK_BOT_TOKEN="xoxb-test-token",
            SLACK_API_URL=slack.api_url,
            PROMOBOT_SLACK_CHANNEL="C0COMPACT",
        )
        serves = [PromobotServe(env, tmp_path / f"replica-{n}") for n in (1, 2)]
        try:
            yield serves
        finally:
            side_by_side([serve.stop for serve in serves])


def test_two_replicas_and_the_cli_compact_at_once_and_nothing_read_changes(
    server: MlflowServer, replicas: list[PromobotServe], tmp_path: Path
) -> None:
    before = reads(server, M, tmp_path, "before")
    grown = len(tags(server, M))
    assert grown > 2 * PAST  # nothing moved yet

    # The CLI starts as the replicas boot: their first passes and it overlap.
    side_by_side([serve.launch for serve in replicas])
    cli = subprocess.Popen(
        [str(PROMOBOT), "compact", M], env=_env(server), stdout=subprocess.PIPE, text=True
    )
    side_by_side([serve.ready for serve in replicas])
    said, _ = cli.communicate(timeout=WAIT)
    assert cli.returncode == 0, said

    def logs() -> str:
        return "\n".join(serve.log()[-3000:] for serve in replicas)

    counts: list[int] = []

    def settled() -> bool:
        counts.append(len(tags(server, M)))
        return counts[-1] <= BOUND and len(counts) >= 4 and len(set(counts[-4:])) == 1

    until(f"at most {BOUND} tags on {M}, unchanged for 2 s", settled, logs)
    side_by_side([serve.stop for serve in replicas])

    assert ledger_mark(tags(server, M)) is not None
    assert archive.own_tags(tags(server, M)) <= BOUND < grown
    keys = ledger_keys(server, M)
    assert len(keys) == len(set(keys))  # no record twice
    assert len(keys) + len(tags(server, M)) == grown + 1  # + the mark: nothing lost
    after = reads(server, M, tmp_path, "after")
    assert after[0] == before[0]  # the export, byte for byte
    assert after[1:] == before[1:]


def test_a_compaction_killed_mid_run_is_finished_by_the_next(
    server: MlflowServer, tmp_path: Path
) -> None:
    before = reads(server, KILLED, tmp_path, "before")
    grown = len(tags(server, KILLED))
    client = Registry(server.url).rc
    ledger = ledger_model_name(KILLED)

    def pages() -> int:
        return len(client.search_model_versions(f"name = '{ledger}'", max_results=50))

    # Through a slow proxy, each of its calls taking 0.4 s: its pages come one by one,
    # so the kill lands after the first and well before its deletes.
    with SlowProxy(server.url, delay_ms=400) as slow:
        cli = subprocess.Popen(
            [str(PROMOBOT), "compact", KILLED],
            env={**_env(server), "MLFLOW_TRACKING_URI": slow.url},
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            until("the ledger's first page", lambda: _alive_with(cli, pages), every=0.05)
        finally:
            os.killpg(cli.pid, signal.SIGKILL)
            cli.wait()
    # Killed between its copy and its deletes: the model still holds everything, and the
    # tag saying a run was copying.
    left = tags(server, KILLED)
    copying = [k for k in left if k.startswith(LEDGER_COPYING_PREFIX)]
    assert pages() > 0 and len(copying) == 1 and len(left) == grown + 1
    assert reads(server, KILLED, tmp_path, "killed") == before

    assert "records moved" in promobot(server, "compact", KILLED)

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
    server: MlflowServer,
) -> None:
    """A page is one create call holding 250 records; a record may be 5,000 characters
    (the most a model tag holds on MLflow's SQL stores): 1.25 MB in one request."""
    from bot.adapters.mlflow.ledger import PAGE_RECORDS

    registry = Registry(server.url)
    records = {
        f"mlflow.promobot.request.req-ffff{i:06x}": ("{" + str(i) + "x" * 5000)[:5000]
        for i in range(PAGE_RECORDS)
    }
    registry.append_ledger("big-records", records)
    read, token = registry.ledger_page("big-records", None)
    assert read == records and token is None
