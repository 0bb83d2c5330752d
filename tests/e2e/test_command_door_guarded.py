"""The command door in a real `promobot serve`, before a real `mlflow server --app-name
promobot-guard` (SQLite, and PostgreSQL where it runs): people sign in with their own
MLflow accounts, made through MLflow's auth API, and promobot acts for them with its
service account. The guard's side is tests/adapters/mlflow/test_guard_server.py."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from fake_slack import FakeSlack
from servers import PASSWORDS, PROMOBOT, Guarded, PromobotServe

pytestmark = pytest.mark.server

SHA = "0123456789abcdef0123456789abcdef01234567"
GIT_TAGS = {"git_commit": SHA, "git_repository": "acme/models", "git_branch": "main"}


SIGNING_SECRET = "8f14e45fceea167a5a36dedd4bea2543"


@pytest.fixture(scope="module")
def serve(guarded_mlflow: Guarded, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`promobot serve` signed in to the guarded MLflow as promobot's service account."""
    workdir = tmp_path_factory.mktemp("serve-guarded")
    with guarded_mlflow.serving(workdir, SLACK_SIGNING_SECRET=SIGNING_SECRET) as url:
        yield url


def cli(guarded: Guarded, user: str, *words: str, **env: str) -> tuple[int, str, str]:
    done = subprocess.run(
        [str(PROMOBOT), *words],
        env=guarded.cli_env(user, **env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def scene(guarded: Guarded) -> str:
    """A governed model: v1 then v2 put in Production by promobot."""
    model = f"governed-{uuid.uuid4().hex[:8]}"
    guarded.ci_versions(model, 2, GIT_TAGS)
    guarded.promobot_does(
        f"promote {model} v1 production first", f"promote {model} v2 production second"
    )
    return model


def holders(guarded: Guarded, model: str) -> dict[str, Any]:
    with guarded.as_user("promobot") as client:
        versions = client.search_model_versions(f"name='{model}'")
        return {
            "aliases": dict(client.get_registered_model(model).aliases),
            "stages": sorted((v.version, v.current_stage) for v in versions),
            "tags": sorted((v.version, sorted(v.tags.items())) for v in versions),
        }


def test_the_on_call_engineer_rolls_back_through_the_door_as_themselves(
    guarded_mlflow: Guarded, serve: str
) -> None:
    model = scene(guarded_mlflow)
    before = holders(guarded_mlflow, model)

    # Straight to the guarded registry, a person is told in one line where to go.
    code, out, err = cli(guarded_mlflow, "eng", "rollback", model, "production", "p99 doubled")
    assert code == 1, out + err
    assert err.strip().splitlines() == [
        "This registry is guarded by promobot: people's commands go through `promobot serve`. "
        "Run `promobot --server <its URL> <the same words>`, or set PROMOBOT_SERVER_URL."
    ]
    assert holders(guarded_mlflow, model) == before

    # Through the door, with the engineer's own MLflow account: bob in the policy.
    code, out, err = cli(
        guarded_mlflow, "eng", "--server", serve, "rollback", model, "production", "p99 doubled"
    )
    assert code == 0, out + err
    assert "rolled back" in out
    with guarded_mlflow.as_user("eng") as client:
        v1 = client.get_model_version(model, "1")
    assert v1.current_stage == "Production"
    assert v1.tags["requested_by"] == "bob@example.com"
    assert v1.tags["promotion_channel"] == "cli"


def test_a_person_may_not_name_someone_else_and_nothing_is_written(
    guarded_mlflow: Guarded, serve: str
) -> None:
    model = scene(guarded_mlflow)
    before = holders(guarded_mlflow, model)
    words = ("rollback", model, "production", "x", "--as", "github:alice", "--json")
    code, out, err = cli(guarded_mlflow, "eng", "--server", serve, *words)
    assert code == 1, out + err
    said = json.loads(out)
    assert said["status"] == "refused"
    assert "signed in to MLflow as eng" in said["reasons"][0]
    # The same `--as` from promobot's own account (automation) is honoured.
    code, out, err = cli(guarded_mlflow, "promobot", "--server", serve, *words)
    assert code == 0, out + err
    assert json.loads(out)["status"] == "done"
    with guarded_mlflow.as_user("eng") as client:
        assert client.get_model_version(model, "1").tags["requested_by"] == "alice@example.com"
    assert holders(guarded_mlflow, model) != before


def test_wrong_or_missing_credentials_get_401_and_nothing_is_written(
    guarded_mlflow: Guarded, serve: str
) -> None:
    model = scene(guarded_mlflow)
    before = holders(guarded_mlflow, model)
    code, out, err = cli(
        guarded_mlflow,
        "eng",
        "--server",
        serve,
        "rollback",
        model,
        "production",
        "x",
        MLFLOW_TRACKING_PASSWORD="not-the-password",
    )
    assert code == 1, out + err
    assert "MLflow refused the username and password" in err
    for auth in (None, ("eng", "not-the-password"), ("nobody", PASSWORDS["eng"])):
        answer = requests.post(
            f"{serve}/api/v1/commands",
            json={"text": f"rollback {model} production x"},
            auth=auth,
            timeout=60,
        )
        assert answer.status_code == 401, (auth, answer.text)
        assert answer.json()["status"] == "refused"
    assert holders(guarded_mlflow, model) == before


def test_the_door_answers_the_json_envelope(guarded_mlflow: Guarded, serve: str) -> None:
    model = scene(guarded_mlflow)
    answer = requests.post(
        f"{serve}/api/v1/commands",
        json={"text": f"status {model}"},
        auth=("eng", PASSWORDS["eng"]),
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["X-Promobot-Exit-Code"] == "0"
    said = answer.json()
    assert (said["status"], said["action"], said["model"]) == ("done", "status", model)
    assert [h["version"] for h in said["data"]["holders"] if h["target"] == "Production"] == [2]


def test_slack_commands_work_with_promobots_service_account(
    guarded_mlflow: Guarded, serve: str
) -> None:
    """The Slack door, in the same serve: a signed slash command from alice's Slack id is
    carried out with the service account, and the tags name alice."""
    import time
    import urllib.parse

    from fake_slack import slack_signature

    model = scene(guarded_mlflow)
    body = urllib.parse.urlencode(
        {
            "team_id": "T0FAKE",
            "channel_id": "C0RELEASES",
            "user_id": "U01ALICE",
            "user_name": "alice",
            "command": "/promobot",
            "text": f"promote {model} v1 staging checked",
            "api_app_id": "A0PROMOBOT",
            "response_url": "http://127.0.0.1:9/unused",
            "trigger_id": "1.2.3",
        }
    ).encode()
    stamp = str(int(time.time()))
    answer = requests.post(
        f"{serve}/slack/events",
        data=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": slack_signature(SIGNING_SECRET, stamp, body),
        },
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    # The stage move and the version's tags are written at once, between the event and
    # the outcome: the stage can show before the tags do, so wait for all of them.
    wanted = ("Staging", "Staging", "alice@example.com", "slack")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with guarded_mlflow.as_user("eng") as client:
            v1 = client.get_model_version(model, "1")
        seen = (
            v1.current_stage,
            v1.tags.get("promoted_to"),
            v1.tags.get("requested_by"),
            v1.tags.get("promotion_channel"),
        )
        if seen == wanted:
            break
        time.sleep(0.5)
    assert seen == wanted


def test_the_door_needs_a_server_that_signs_people_in(tmp_path: Path, _template_db: Path) -> None:
    """serve on a local store still serves Slack; its command door answers 503 with why."""
    import shutil

    from servers import promobot_env

    db = tmp_path / "mlflow.db"
    shutil.copy(_template_db, db)
    with FakeSlack() as fake:
        env = promobot_env(
            {
                "MLFLOW_TRACKING_URI": f"sqlite:///{db}",
                "SLACK_BOT_TOKEN": "xoxb-test-token",
                "SLACK_SIGNING_SECRET": "8f14e45fceea167a5a36dedd4bea2543",
                "SLACK_API_URL": fake.api_url,
                "PROMOBOT_SWEEP_SECONDS": "0",
                "PROMOBOT_AUDIT_SECONDS": "0",
            }
        )
        server = PromobotServe(env, tmp_path / "serve").start(timeout=60)
        try:
            answer = requests.post(
                f"{server.url}/api/v1/commands",
                json={"text": "status m"},
                auth=("bob", "pw"),
                timeout=60,
            )
        finally:
            server.stop()
    assert answer.status_code == 503
    assert "local store" in answer.json()["reasons"][0]
