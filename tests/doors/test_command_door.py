"""The command door (`POST /api/v1/commands`) and `promobot --server`, over real HTTP:
the door on a local WSGI server in this process, signing people in against a real
`mlflow server --app-name basic-auth`, carrying commands out on a SQLite registry. The
door inside a real `promobot serve` before a guarded MLflow:
tests/e2e/test_command_door_guarded.py."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
import requests
from conftest import SERVICE_POLICY, ModelFactory
from servers import AUTH_ADMIN, create_user

from bot.adapters.mlflow.gateway import Registry
from bot.adapters.mlflow.identity import MlflowIdentity
from bot.cli import main
from bot.core.policy import load_policy
from bot.core.service import Service
from bot.doors.command_door import CommandDoor
from bot.doors.signin import basic_credentials

MODEL = "sentiment-classifier"


@dataclass(frozen=True)
class Accounts:
    bob: tuple[str, str]  # a person: bob in the policy (people.bob.mlflow)
    stranger: tuple[str, str]  # an MLflow account no person in the policy has
    service: tuple[str, str]  # promobot's own (PROMOBOT_SERVICE_USERS)


@pytest.fixture(scope="module")
def accounts(mlflow_auth_server: Any) -> Accounts:
    tag = uuid.uuid4().hex[:6]
    made = Accounts(
        (f"bob-{tag}", "bob-password-123456"),
        (f"zed-{tag}", "zed-password-123456"),
        (f"svc-{tag}", "svc-password-123456"),
    )
    for username, password in (made.bob, made.stranger, made.service):
        create_user(mlflow_auth_server.url, username, password, by=AUTH_ADMIN)
    return made


@pytest.fixture
def policy(tmp_path: Path, accounts: Accounts) -> Path:
    """The service tests' policy, with bob's MLflow username."""
    text = SERVICE_POLICY.read_text().replace(
        "bob:   {email: bob@example.com,   github: bob,   slack: U01BOB}",
        f"bob:   {{email: bob@example.com, github: bob, slack: U01BOB, mlflow: {accounts.bob[0]}}}",
    )
    assert accounts.bob[0] in text
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    return path


@dataclass
class Door:
    url: str
    registry: Registry


@pytest.fixture
def door(
    tracking_uri: str, policy: Path, accounts: Accounts, mlflow_auth_server: Any
) -> Iterator[Door]:
    """The command door on 127.0.0.1: people signed in by the basic-auth server, commands
    carried out on the test's SQLite registry."""
    registry = Registry(tracking_uri)
    service = Service(registry, load_policy(policy))
    app = CommandDoor(
        MlflowIdentity(mlflow_auth_server.url),
        lambda: service,
        frozenset({accounts.service[0]}),
    )

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Door(f"http://127.0.0.1:{server.server_port}", registry)
    finally:
        server.shutdown()
        server.server_close()


def post(door: Door, who: tuple[str, str] | None, body: Any, **headers: str) -> requests.Response:
    return requests.post(
        f"{door.url}/api/v1/commands",
        data=json.dumps(body),
        headers={"Content-Type": "application/json", **headers},
        auth=who,
        timeout=60,
    )


def stage(models: ModelFactory, version: int) -> str:
    return models.client.get_model_version(MODEL, str(version)).current_stage


def test_a_person_signed_in_acts_as_themselves(
    door: Door, accounts: Accounts, models: ModelFactory
) -> None:
    version = models.version(MODEL, accuracy=0.9, f1=0.9)
    answer = post(door, accounts.bob, {"text": f"promote {MODEL} v{version} staging first cut"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["X-Promobot-Exit-Code"] == "0"
    envelope = answer.json()
    assert envelope["status"] == "done"
    assert (envelope["model"], envelope["version"], envelope["target"]) == (
        MODEL,
        version,
        "Staging",
    )
    assert stage(models, version) == "Staging"
    # The tags name the person MLflow signed in, by the e-mail the policy gives bob.
    tags = models.client.get_model_version(MODEL, str(version)).tags
    assert tags["requested_by"] == "bob@example.com"


def test_someone_else_is_refused_for_a_person_and_nothing_is_written(
    door: Door, accounts: Accounts, models: ModelFactory
) -> None:
    version = models.version(MODEL, accuracy=0.9, f1=0.9)
    answer = post(
        door, accounts.bob, {"text": f"promote {MODEL} v{version} staging", "as": "alice"}
    )
    assert answer.status_code == 403
    assert answer.headers["X-Promobot-Exit-Code"] == "1"
    assert answer.json()["status"] == "refused"
    assert "only promobot's service accounts" in answer.json()["reasons"][0]
    assert stage(models, version) == "None"


def test_a_service_account_acts_for_whom_it_names(
    door: Door, accounts: Accounts, models: ModelFactory
) -> None:
    version = models.version(MODEL, accuracy=0.9, f1=0.9)
    answer = post(
        door,
        accounts.service,
        {"text": f"promote {MODEL} v{version} staging", "as": "github:carol"},
    )
    assert answer.status_code == 200, answer.text
    assert models.client.get_model_version(MODEL, str(version)).tags["requested_by"] == (
        "carol@example.com"
    )


def test_an_account_no_person_has_may_ask_nothing(
    door: Door, accounts: Accounts, models: ModelFactory
) -> None:
    version = models.version(MODEL, accuracy=0.9, f1=0.9)
    answer = post(door, accounts.stranger, {"text": f"promote {MODEL} v{version} staging"})
    assert answer.status_code == 200
    assert answer.json()["status"] == "refused"
    assert f"mlflow:{accounts.stranger[0]}" in " ".join(answer.json()["reasons"])
    assert stage(models, version) == "None"


@pytest.mark.parametrize(
    "who",
    [None, "wrong-password", "unknown-user"],
    ids=["no-credentials", "wrong-password", "unknown-user"],
)
def test_without_good_credentials_401_and_nothing_is_read_or_written(
    door: Door, accounts: Accounts, models: ModelFactory, who: str | None
) -> None:
    version = models.version(MODEL, accuracy=0.9, f1=0.9)
    creds = {
        None: None,
        "wrong-password": (accounts.bob[0], "not-the-password"),
        "unknown-user": ("nobody-at-all", "whatever-password"),
    }[who]
    answer = post(door, creds, {"text": f"promote {MODEL} v{version} staging"})
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Basic realm=")
    assert answer.json()["status"] == "refused"
    assert stage(models, version) == "None"


def test_text_is_what_the_cli_prints_here(
    door: Door,
    accounts: Accounts,
    models: ModelFactory,
    policy: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    models.version(MODEL, accuracy=0.9, f1=0.9)
    answer = post(door, accounts.bob, {"text": f"status {MODEL}"}, Accept="text/plain")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain")
    monkeypatch.setenv("PROMOBOT_POLICY", str(policy))
    assert main(["status", MODEL]) == 0
    assert answer.text == capsys.readouterr().out.rstrip("\n")
    assert answer.text.startswith(f"📦 {MODEL}\n")


@pytest.mark.parametrize(
    ("body", "content_type", "status", "said"),
    [
        ({"text": "promote"}, "application/json", 400, "promote"),
        ({"txt": "status x"}, "application/json", 400, '{"text": "<command words>"}'),
        ("status x", "application/json", 400, '{"text": "<command words>"}'),
        ({"text": "status x --as alice"}, "application/json", 400, "--as"),
        ({"text": "status x"}, "application/x-www-form-urlencoded", 415, "application/json"),
        ({"text": "x" * 70_000}, "application/json", 413, "over 64000 bytes"),
    ],
    ids=["usage", "no-text", "not-an-object", "as-in-the-words", "a-form", "too-large"],
)
def test_what_cannot_be_read_gets_a_sentence(
    door: Door, accounts: Accounts, body: Any, content_type: str, status: int, said: str
) -> None:
    answer = requests.post(
        f"{door.url}/api/v1/commands",
        data=json.dumps(body),
        headers={"Content-Type": content_type},
        auth=accounts.bob,
        timeout=60,
    )
    assert answer.status_code == status, answer.text
    assert said in " ".join(answer.json()["reasons"])


def test_a_local_store_signs_nobody_in(tracking_uri: str, policy: Path) -> None:
    app = CommandDoor(MlflowIdentity(tracking_uri), lambda: None, frozenset())  # type: ignore[arg-type,return-value]
    seen: list[str] = []
    body = json.dumps({"text": "status x"}).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"bob:pw").decode(),
        "wsgi.input": __import__("io").BytesIO(body),
    }
    answer = json.loads(b"".join(app(environ, lambda status, headers: seen.append(status))))
    assert seen == ["503 Service Unavailable"]
    assert "local store" in answer["reasons"][0]


@pytest.mark.parametrize(
    ("header", "found"),
    [
        ("Basic " + base64.b64encode(b"bob:pa:ss").decode(), ("bob", "pa:ss")),
        ("basic " + base64.b64encode("zoë:pw".encode()).decode(), ("zoë", "pw")),
        ("Basic " + base64.b64encode(b"bob").decode(), None),
        ("Basic " + base64.b64encode(b":pw").decode(), None),
        ("Basic not base64!", None),
        ("Bearer abc", None),
        ("", None),
    ],
)
def test_basic_credentials(header: str, found: tuple[str, str] | None) -> None:
    assert basic_credentials(header) == found


# ---- promobot --server ------------------------------------------------------------------


def cli(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    who: tuple[str, str],
    *args: str,
) -> tuple[int, str, str]:
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", who[0])
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", who[1])
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_cli_with_server_answers_as_it_does_here(
    door: Door,
    accounts: Accounts,
    models: ModelFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    version = models.version(MODEL, accuracy=0.9, f1=0.9)
    code, out, _ = cli(
        monkeypatch, capsys, accounts.bob, "--server", door.url, "promote", MODEL, f"v{version}",
        "staging", "first cut",
    )  # fmt: skip
    assert code == 0
    assert "Staging" in out and f"v{version}" in out
    assert stage(models, version) == "Staging"

    monkeypatch.setenv("PROMOBOT_SERVER_URL", door.url)
    code, out, _ = cli(monkeypatch, capsys, accounts.bob, "status", MODEL, "--json")
    assert code == 0
    assert json.loads(out)["status"] == "done"

    code, _, err = cli(monkeypatch, capsys, accounts.bob, "status", MODEL, "--as", "alice")
    assert code == 1
    assert "only promobot's service accounts" in err

    code, _, err = cli(monkeypatch, capsys, (accounts.bob[0], "wrong"), "status", MODEL)
    assert code == 1
    assert "MLflow refused the username and password" in err

    code, _, err = cli(monkeypatch, capsys, accounts.bob, "promote", MODEL)
    assert code == 2


def test_the_cli_with_server_says_when_nothing_answers(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(
        monkeypatch, capsys, ("bob", "pw"), "--server", "http://127.0.0.1:9", "status", MODEL
    )
    assert code == 3
    assert "cannot be reached" in err and "nothing was done" in err
    code, _, err = cli(monkeypatch, capsys, ("bob", "pw"), "--server", "ftp://x", "status", MODEL)
    assert code == 2
    # Credentials in the URL: urllib would look the host up with them ("Name or service
    # not known"); the sentence says where they go instead, the URL masked.
    code, _, err = cli(
        monkeypatch,
        capsys,
        ("bob", "pw"),
        "--server",
        "http://u:secret@127.0.0.1:9",
        "status",
        MODEL,
    )
    assert code == 2
    assert "without credentials" in err and "MLFLOW_TRACKING_USERNAME" in err
    assert "secret" not in err


def test_the_cli_with_server_carries_policy_and_keeps_policy_check_here(
    door: Door,
    accounts: Accounts,
    models: ModelFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # `policy <model>` is a command word (docs/contract.md, "Commands"): the door answers it.
    models.version(MODEL, accuracy=0.9, f1=0.9)
    code, out, err = cli(
        monkeypatch, capsys, accounts.bob, "--server", door.url, "policy", MODEL, "--json"
    )
    assert code == 0, err
    answer = json.loads(out)
    assert (answer["status"], answer["action"]) == ("done", "policy")
    # `policy check` validates files where it is typed.
    code, _, err = cli(monkeypatch, capsys, accounts.bob, "--server", door.url, "policy", "check")
    assert code == 2
    assert "`promobot policy check` runs here: leave out --server" in err


def test_the_cli_with_server_and_no_credentials_says_to_set_them(
    door: Door, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_USERNAME", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_PASSWORD", raising=False)
    code = main(["--server", door.url, "status", MODEL])
    _, err = capsys.readouterr()
    assert code == 1
    assert err.strip() == (
        "promobot serve signs you in with your MLflow account, and none is set: set "
        "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD; nothing was done"
    )
