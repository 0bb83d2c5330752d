"""`promobot demo` as a newcomer runs it: a real process, a real SQLite registry. The
demo runs once for this module; the audit export reads the registry it leaves."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO
from fake_slack import FakeSlack
from mlflow import MlflowClient
from prometheus_servers import missing_reason, prometheus_binary, required

from bot.doors.demo.watch import HOW_TO_SEE

PROMOBOT = str(Path(sys.executable).with_name("promobot"))
MODEL = "sentiment-classifier"


@dataclass(frozen=True)
class DemoRun:
    cwd: Path
    where: Path
    out: subprocess.CompletedProcess[str]
    env: dict[str, str]
    slack_calls: list[object]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    cwd = tmp_path_factory.mktemp("demo-cwd")
    where = cwd / "demo"
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    with FakeSlack() as slack:
        # A shell set up for Slack: the demo's throwaway story is announced nowhere.
        story_env = {
            **env,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_API_URL": slack.api_url,
            "PROMOBOT_SLACK_CHANNEL": "C0RELEASES",
        }
        out = subprocess.run(
            [PROMOBOT, "demo", "--dir", str(where)],
            cwd=cwd,
            env=story_env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        calls = list(slack.calls)
    return DemoRun(cwd, where, out, env, calls)


def test_demo_tells_the_whole_story(demo: DemoRun) -> None:
    out, where = demo.out, demo.where
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert demo.slack_calls == []  # nothing of the demo reaches a Slack it finds set up
    text = out.stdout
    assert "Traceback" not in text + out.stderr
    # the story, in order
    marks = [
        "→ Staging done",
        "is waiting for 1 approval from ml-leads",
        "cannot approve their own request",
        "registry serves v1",
        "registry serves v2",
        "rolled back (v2 moved out)",
        "registry serves v1",
        "mlflow ui",
    ]
    at = 0
    for mark in marks:
        found = text.find(mark, at)
        assert found >= 0, f"{mark!r} missing after position {at}:\n{text[at : at + 2000]}"
        at = found + len(mark)
    # and what MLflow holds afterwards
    client = MlflowClient(tracking_uri=f"sqlite:///{where / 'mlflow.db'}")
    assert client.get_model_version(MODEL, "1").current_stage == "Production"
    assert client.get_model_version(MODEL, "2").current_stage == "Archived"
    assert str(client.get_model_version_by_alias(MODEL, "production").version) == "1"
    assert not (demo.cwd / "mlruns").exists()


# What each of the demo's commands leaves, in order: (event, version, target, by,
# approved_by, reason, channel). bob's refused self-approval from GitHub leaves nothing.
STORY = [
    ("promotion", 1, "Staging", "bob@example.com", "", "first candidate", "slack"),
    ("request", 1, "Production", "bob@example.com", "", "passed offline eval", "slack"),
    ("approval", 1, "Production", "alice@example.com", "", "looks good", "github"),
    (
        "promotion",
        1,
        "Production",
        "bob@example.com",
        "alice@example.com",
        "passed offline eval",
        "slack",
    ),
    ("promotion", 2, "Staging", "bob@example.com", "", "bigram features", "slack"),
    ("request", 2, "Production", "bob@example.com", "", "better F1 on holdout", "slack"),
    ("approval", 2, "Production", "alice@example.com", "", "", "slack"),
    (
        "promotion",
        2,
        "Production",
        "bob@example.com",
        "alice@example.com",
        "better F1 on holdout",
        "slack",
    ),
    (
        "rollback",
        1,
        "Production",
        "carol@example.com",
        "",
        "rollback: p99 latency doubled after v2",
        "slack",
    ),
]
STORY_FIELDS = ("event", "version", "target", "by", "approved_by", "reason", "channel")


def test_audit_export_lists_every_event_of_the_demo_in_order(demo: DemoRun) -> None:
    assert demo.out.returncode == 0, demo.out.stdout[-3000:] + demo.out.stderr[-3000:]
    env = {
        **demo.env,
        "MLFLOW_TRACKING_URI": f"sqlite:///{demo.where / 'mlflow.db'}",
        "PROMOBOT_POLICY": str(REPO / "policies"),  # the demo's
    }

    def export(*args: str) -> str:
        done = subprocess.run(
            [PROMOBOT, "audit", "export", *args],
            cwd=demo.cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert done.stderr.startswith("audit export: "), done.stderr
        return done.stdout

    records = [json.loads(line) for line in export().splitlines()]
    assert [tuple(r[f] for f in STORY_FIELDS) for r in records] == STORY
    assert {r["model"] for r in records} == {MODEL}
    assert all(r["link"] == "" for r in records)
    # oldest first, and each request's records share its id; the actors as they typed
    assert [r["at"] for r in records] == sorted(r["at"] for r in records)
    production_v1 = records[1:4]
    assert len({r["request"] for r in production_v1}) == 1
    assert [r["actor"] for r in production_v1] == ["slack:U01BOB", "github:alice", "slack:U01BOB"]
    assert records[6]["actor"] == "slack:U01ALICE" and records[8]["actor"] == "slack:U01CAROL"
    assert [r["previous"] for r in records] == [None, None, None, None, None, 1, 1, 1, 2]
    # the same records as CSV, in the same order
    rows = list(csv.DictReader(io.StringIO(export("--format", "csv"), newline="")))
    assert rows == [{k: "" if v is None else str(v) for k, v in r.items()} for r in records]
    # and from a moment on
    since = records[4]["at"]
    later = [json.loads(line) for line in export("--since", since).splitlines()]
    assert later == [r for r in records if r["at"] >= since]


# ---- the watch part: promobot rolling a bad version back on its own ---------------------

WATCHED = "sentiment-watched"
REASON = "verification failed: error rate 0.071 (pass < 0.02), 2 checks in a row"


def _answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_demo_rolls_a_bad_version_back_on_its_own_with_prometheus(demo: DemoRun) -> None:
    if prometheus_binary() is None:
        if required():
            pytest.fail(missing_reason())
        pytest.skip(missing_reason())
    out = demo.out
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    text = out.stdout
    assert HOW_TO_SEE not in text
    marks = [
        "rolls a bad version back on its own",
        f"promote {WATCHED} v2 production",
        "reports error rate 0.071",
        "pass 1: 🔎 sentiment-watched v2 on Production: running: error rate 0.071 (pass < 0.02)",
        f"pass 2: ❌ sentiment-watched v2 on Production: failed: {REASON}",
        f"history {WATCHED}",
        f"→ Production by promobot: rollback: {REASON}",
        "mlflow ui",
    ]
    at = 0
    for mark in marks:
        found = text.find(mark, at)
        assert found >= 0, f"{mark!r} missing after position {at}:\n{text[at : at + 3000]}"
        at = found + len(mark)
    # what MLflow holds: promobot itself put v1 back, through the one execution
    client = MlflowClient(tracking_uri=f"sqlite:///{demo.where / 'mlflow.db'}")
    v1, v2 = (client.get_model_version(WATCHED, v) for v in ("1", "2"))
    assert (v1.current_stage, v2.current_stage) == ("Production", "Archived")
    assert str(client.get_model_version_by_alias(WATCHED, "production").version) == "1"
    assert v2.tags["verification"] == "failed"
    assert v2.tags["rolled_back_by"] == "promobot"
    assert v2.tags["rollback_reason"] == REASON
    assert v1.tags["promotion_channel"] == "verify"
    # and Prometheus and the exporter were stopped
    ports = [int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", text.split(WATCHED, 1)[0])]
    assert len(ports) == 2, ports
    assert not any(_answers(port) for port in ports)
