"""Access control with MLflow's basic-auth app (`mlflow server --app-name basic-auth`).

The bot acts through its own MLflow user, which holds MANAGE on registered models; a
person's MLflow user can only READ, so the bot is the only way a person can move a stage
or an alias. MLflow's 401 and 403 reach the person as a clear message (exit 3, naming
the permission problem), never as a traceback.

Needs `mlflow[auth]` (Flask-WTF); skipped with a message when it is not installed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import Registry, lock_name, make_versions, promobot, report, unique

pytestmark = pytest.mark.server

ADMIN = ("admin", "admin-password-for-tests-1234")
BOT = ("promobot", "promobot-password-for-tests-1234")
PERSON = ("alice", "alice-password-for-tests-1234")


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    pytest.importorskip(
        "flask_wtf", reason="basic-auth needs `mlflow[auth]` (Flask-WTF); pip install it"
    )
    from servers import MlflowServer

    workdir = tmp_path_factory.mktemp("mlflow-auth")
    ini = workdir / "auth.ini"
    ini.write_text(
        "[mlflow]\n"
        "default_permission = READ\n"
        f"database_uri = sqlite:///{workdir / 'basic_auth.db'}\n"
        f"admin_username = {ADMIN[0]}\n"
        f"admin_password = {ADMIN[1]}\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n"
    )
    server = MlflowServer(
        backend_uri=f"sqlite:///{workdir / 'mlflow.db'}",
        workdir=workdir,
        extra_args=("--app-name", "basic-auth"),
        env={
            "MLFLOW_AUTH_CONFIG_PATH": str(ini),
            "MLFLOW_FLASK_SERVER_SECRET_KEY": os.urandom(16).hex(),
        },
    )
    started = time.monotonic()
    server.start()
    took = round(time.monotonic() - started, 1)
    try:
        with _as(ADMIN):
            from mlflow.server import get_app_client

            auth = get_app_client("basic-auth", tracking_uri=server.url)
            auth.create_user(username=BOT[0], password=BOT[1])
            auth.create_user(username=PERSON[0], password=PERSON[1])
            # The bot may manage every registered model: the governed ones, its own locks,
            # and a lock someone else planted (it must be able to delete that).
            role = auth.create_role("default", "promobot-bot")
            auth.add_role_permission(role.id, "registered_model", "*", "MANAGE")
            auth.assign_role(BOT[0], role.id)
        yield server
    finally:
        server.stop()
        report("basic-auth server", "sqlite", start_s=took)


class _as:
    """MLflow credentials for the code inside (MlflowClient reads them per request)."""

    def __init__(self, who: tuple[str, str]) -> None:
        self.env = {"MLFLOW_TRACKING_USERNAME": who[0], "MLFLOW_TRACKING_PASSWORD": who[1]}

    def __enter__(self) -> None:
        self.saved = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)

    def __exit__(self, *exc: object) -> None:
        for key, value in self.saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _creds(who: tuple[str, str]) -> dict[str, str]:
    return {"MLFLOW_TRACKING_USERNAME": who[0], "MLFLOW_TRACKING_PASSWORD": who[1]}


@pytest.fixture
def governed(auth_server: Any) -> str:
    """A model registered by the platform's (admin) account, as CI would, with 2 versions."""
    model = unique("fault")
    with _as(ADMIN):
        make_versions(auth_server.url, model, 2)
    return model


def test_a_read_only_person_cannot_move_stages_or_aliases(auth_server, governed):
    from mlflow.exceptions import MlflowException

    with _as(PERSON):
        reg = Registry(auth_server.url)
        assert reg.client.get_registered_model(governed).name == governed  # may read
        attempts = {
            "transition": lambda: reg.client.transition_model_version_stage(
                governed, "1", "Production"
            ),
            "set alias": lambda: reg.client.set_registered_model_alias(governed, "production", "1"),
            "forge an approval tag": lambda: reg.client.set_registered_model_tag(
                governed, "mlflow.promobot.request.req-abcdef.approval.alice", "{}"
            ),
            "tag a version": lambda: reg.client.set_model_version_tag(
                governed, "1", "approved_by", "alice"
            ),
        }
        denied = {}
        for what, attempt in attempts.items():
            with pytest.raises(MlflowException) as caught:
                attempt()
            denied[what] = caught.value.error_code
    assert set(denied.values()) == {"PERMISSION_DENIED"}, denied
    with _as(ADMIN):
        assert Registry(auth_server.url).holders(governed, "Production") == []
    report("basic-auth: READ-only person", "sqlite", direct_writes_denied=denied)


def test_the_bot_promotes_through_its_own_user(auth_server, governed, reliability_policy):
    code, out, err = promobot(
        auth_server.url,
        reliability_policy,
        "promote",
        governed,
        "v2",
        "production",
        "through the bot",
        "--as",
        "github:eng0",
        **_creds(BOT),
    )
    assert code == 0 and out["status"] == "done", (out, err)
    with _as(ADMIN):
        reg = Registry(auth_server.url)
        assert reg.holders(governed, "Production") == [2]
        assert reg.aliases(governed)["production"] == 2
        assert reg.locks(governed) == []


@pytest.mark.parametrize(
    "who",
    [("wrong password", (BOT[0], "not-the-password")), ("read-only user", PERSON)],
    ids=["wrong-credentials", "read-only-user"],
)
def test_401_and_403_reach_the_person_as_a_clear_message(
    auth_server, governed, reliability_policy, who
):
    label, creds = who
    with _as(ADMIN):
        before = Registry(auth_server.url).snapshot(governed)
    code, out, err = promobot(
        auth_server.url,
        reliability_policy,
        "promote",
        governed,
        "v1",
        "production",
        "x",
        "--as",
        "github:eng0",
        **_creds(creds),
    )
    assert code == 3, (out, err)
    message = out["reasons"][0]
    assert "permission" in message.lower(), message
    assert "Traceback" not in err
    if label == "wrong password":
        assert "UNAUTHENTICATED" in message and "MLFLOW_TRACKING_PASSWORD" in message
        assert creds[1] not in message
    else:
        assert "PERMISSION_DENIED" in message
    with _as(ADMIN):
        reg = Registry(auth_server.url)
        assert reg.snapshot(governed) == before  # nothing written
        assert reg.locks(governed) == []  # the read-only user's lock (it may create models) is gone
    report(f"basic-auth: promobot as {label}", "sqlite", exit=code, message=message[:140])


def test_a_lock_planted_by_a_person_does_not_block_promotions(
    auth_server, governed, reliability_policy
):
    """Any MLflow user may create a registered model, so a person could plant the lock
    model of a target with an expiry far in the future. The bot trusts the expiry only up
    to the server's creation time plus its TTL, then takes the lock over."""
    name = lock_name(governed, "production")
    with _as(PERSON):
        Registry(auth_server.url).client.create_registered_model(
            name,
            tags={"promobot.lock.owner": "mallory", "promobot.lock.expires": "99999999999"},
        )
    code, out, err = promobot(
        auth_server.url,
        reliability_policy,
        "promote",
        governed,
        "v1",
        "production",
        "x",
        "--as",
        "github:eng0",
        PROMOBOT_LOCK_TTL_SECONDS="3",
        **_creds(BOT),
    )
    assert code == 0 and out["status"] == "done", (out, err)
    with _as(ADMIN):
        reg = Registry(auth_server.url)
        assert reg.holders(governed, "Production") == [1]
        assert reg.locks(governed) == []
