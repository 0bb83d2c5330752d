"""promobot's MLflow accounts, made once by MLflow's admin (docs/deploy.md, "Accounts and
permissions").

    promobot     password PROMOBOT_MLFLOW_PASSWORD: MANAGE on every registered model (the
                 role `promobot-bot`): it moves stages and aliases, writes its tags, and
                 makes and deletes its lock models. Name it in the guard's
                 PROMOBOT_SERVICE_USERS.
    promobot-ci  password PROMOBOT_CI_MLFLOW_PASSWORD (optional): CI's account, which
                 creates runs, models and versions (any signed-in user may).

Runs in the mlflow image (`python3 /opt/promobot-mlflow/accounts.py`) with the admin's
MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD and the server's MLFLOW_TRACKING_URI:
a compose one-shot service, a Kubernetes Job. It waits up to five minutes for the server,
and may run again: an account or grant that exists is left as it is (its password too;
change one with MLflow's `update_user_password`).
"""

from __future__ import annotations

import os
import sys
import time
import urllib.error
import urllib.request

ROLE = "promobot-bot"
WORKSPACE = "default"


def wait_for(url: str, within_s: float = 300.0) -> None:
    deadline = time.monotonic() + within_s
    while True:
        try:
            with urllib.request.urlopen(f"{url.rstrip('/')}/health", timeout=5) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            sys.exit(f"accounts: MLflow did not answer at {url}/health within {within_s:.0f} s")
        time.sleep(2)


def main() -> int:
    url = os.environ.get("MLFLOW_TRACKING_URI", "")
    bot_password = os.environ.get("PROMOBOT_MLFLOW_PASSWORD", "")
    ci_password = os.environ.get("PROMOBOT_CI_MLFLOW_PASSWORD", "")
    missing = [
        name
        for name, value in (
            ("MLFLOW_TRACKING_URI", url),
            ("MLFLOW_TRACKING_USERNAME", os.environ.get("MLFLOW_TRACKING_USERNAME", "")),
            ("MLFLOW_TRACKING_PASSWORD", os.environ.get("MLFLOW_TRACKING_PASSWORD", "")),
            ("PROMOBOT_MLFLOW_PASSWORD", bot_password),
        )
        if not value
    ]
    if missing:
        print(f"accounts: set {', '.join(missing)} (the admin's, and promobot's password)")
        return 2
    wait_for(url)

    from mlflow.exceptions import MlflowException
    from mlflow.server import get_app_client

    auth = get_app_client("basic-auth", tracking_uri=url)

    def ensure_user(name: str, password: str) -> None:
        try:
            auth.get_user(name)
            print(f"accounts: {name} exists; left as it is")
        except MlflowException as exc:
            if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
            auth.create_user(username=name, password=password)
            print(f"accounts: created {name}")

    ensure_user("promobot", bot_password)
    role = next((r for r in auth.list_roles(WORKSPACE) if r.name == ROLE), None)
    if role is None:
        role = auth.create_role(WORKSPACE, ROLE, "promobot: MANAGE on every registered model")
        auth.add_role_permission(role.id, "registered_model", "*", "MANAGE")
        print(f"accounts: created the role {ROLE} (MANAGE on registered_model *)")
    if all(r.id != role.id for r in auth.list_user_roles("promobot")):
        auth.assign_role("promobot", role.id)
        print(f"accounts: gave promobot the role {ROLE}")
    if ci_password:
        ensure_user("promobot-ci", ci_password)
    return 0


if __name__ == "__main__":
    sys.exit(main())
