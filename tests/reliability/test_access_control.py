"""Access control with MLflow's basic-auth app (`mlflow server --app-name basic-auth`).

The bot acts through its own MLflow user, which holds MANAGE on registered models; a
person's MLflow user can only READ, so the bot is the only way a person can move a stage
or an alias. MLflow's 401 and 403 reach the person as a clear message (exit 1: MLflow answered
and refused; the message names the permission problem), never as a traceback.

Needs `mlflow[auth]` (Flask-WTF); skipped with a message when it is not installed.
"""

from __future__ import annotations

from typing import Any

import pytest
from servers import AUTH_ADMIN, credentials, mlflow_user

from .conftest import Registry, lock_name, make_versions, promobot, report, unique

pytestmark = pytest.mark.server

ADMIN = AUTH_ADMIN
BOT = ("promobot", "promobot-password-for-tests-1234")
PERSON = ("alice", "alice-password-for-tests-1234")
# promobot's own accounts, as the CLI is told them (PROMOBOT_SERVICE_USERS): only they may
# act for someone else with `--as`. alice is named too, so that the read-only case below
# reaches MLflow's own refusal instead of promobot's.
SERVICE_USERS = {"PROMOBOT_SERVICE_USERS": f"{BOT[0]}, {PERSON[0]}"}


@pytest.fixture(scope="module")
def auth_server(mlflow_auth_server: Any) -> Any:
    """The session's basic-auth server (tests/conftest.py), with the bot's user and a
    person's: the bot may manage every registered model (the governed ones, its own locks,
    and a lock someone else planted, which it must be able to delete)."""
    with mlflow_user(ADMIN):
        from mlflow.server import get_app_client

        auth = get_app_client("basic-auth", tracking_uri=mlflow_auth_server.url)
        auth.create_user(username=BOT[0], password=BOT[1])
        auth.create_user(username=PERSON[0], password=PERSON[1])
        role = auth.create_role("default", "promobot-bot")
        auth.add_role_permission(role.id, "registered_model", "*", "MANAGE")
        auth.assign_role(BOT[0], role.id)
    return mlflow_auth_server


@pytest.fixture
def governed(auth_server: Any) -> str:
    """A model registered by the platform's (admin) account, as CI would, with 2 versions."""
    model = unique("fault")
    with mlflow_user(ADMIN):
        make_versions(auth_server.url, model, 2)
    return model


def test_a_read_only_person_cannot_move_stages_or_aliases(auth_server, governed):
    from mlflow.exceptions import MlflowException

    with mlflow_user(PERSON):
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
    with mlflow_user(ADMIN):
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
        **credentials(BOT),
        **SERVICE_USERS,
    )
    assert code == 0 and out["status"] == "done", (out, err)
    with mlflow_user(ADMIN):
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
    with mlflow_user(ADMIN):
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
        **credentials(creds),
        **SERVICE_USERS,
    )
    assert code == 1 and out["status"] == "refused", (out, err)
    message = out["reasons"][0]
    assert "permission" in message.lower(), message
    assert "Traceback" not in err
    if label == "wrong password":
        assert "UNAUTHENTICATED" in message and "MLFLOW_TRACKING_PASSWORD" in message
        assert creds[1] not in message
    else:
        assert "PERMISSION_DENIED" in message
    with mlflow_user(ADMIN):
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
    with mlflow_user(PERSON):
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
        **credentials(BOT),
        **SERVICE_USERS,
    )
    assert code == 0 and out["status"] == "done", (out, err)
    with mlflow_user(ADMIN):
        reg = Registry(auth_server.url)
        assert reg.holders(governed, "Production") == [1]
        assert reg.locks(governed) == []
