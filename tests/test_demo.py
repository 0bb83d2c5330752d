"""`promobot demo` as a newcomer runs it: a real process, a real SQLite registry."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fake_slack import FakeSlack
from mlflow import MlflowClient

PROMOBOT = str(Path(sys.executable).with_name("promobot"))


def test_demo_tells_the_whole_story(tmp_path):
    where = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    with FakeSlack() as slack:
        # A shell set up for Slack: the demo's throwaway story is announced nowhere.
        env.update(
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_API_URL=slack.api_url,
            PROMOBOT_SLACK_CHANNEL="C0RELEASES",
        )
        out = subprocess.run(
            [PROMOBOT, "demo", "--dir", str(where)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert slack.calls == []
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
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
    assert client.get_model_version("sentiment-classifier", "1").current_stage == "Production"
    assert client.get_model_version("sentiment-classifier", "2").current_stage == "Archived"
    assert (
        str(client.get_model_version_by_alias("sentiment-classifier", "production").version) == "1"
    )
    assert not (tmp_path / "mlruns").exists()
