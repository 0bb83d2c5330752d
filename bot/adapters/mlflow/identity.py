"""Who a pair of MLflow credentials signs in as: MLflow's own answer to
`GET /api/2.0/mlflow/users/current` (its basic-auth app, and promobot's guard built on it).
The port is bot/core/ports/identity.py.

The credentials are the caller's, never promobot's: the request carries them alone, with
the TLS settings of the tracking URI (MLFLOW_TRACKING_INSECURE_TLS and the like) and no
retry, so a wrong password costs one call and a slow MLflow is not asked twice.
"""

from __future__ import annotations

import json

from bot.core.ports.identity import IdentityError, SignedIn
from bot.core.text import masked

CURRENT_USER_PATH = "/api/2.0/mlflow/users/current"
TIMEOUT_S = 10


class MlflowIdentity:
    """Identity (the port) against the tracking server at `tracking_uri`."""

    def __init__(self, tracking_uri: str, timeout: float = TIMEOUT_S) -> None:
        self.tracking_uri = tracking_uri
        self.timeout = timeout

    def signed_in(self, username: str, password: str) -> SignedIn:
        from mlflow.utils.credentials import get_default_host_creds
        from mlflow.utils.rest_utils import MlflowHostCreds, http_request

        where = masked(self.tracking_uri)
        if not self.tracking_uri.startswith(("http://", "https://")):
            raise IdentityError(
                f"MLFLOW_TRACKING_URI {where} is a local store: no MLflow server signs anyone in",
                "local",
            )
        if not username or not password:
            raise IdentityError("no MLflow username and password were given", "wrong")
        base = get_default_host_creds(self.tracking_uri)
        creds = MlflowHostCreds(
            host=base.host,
            username=username,
            password=password,
            ignore_tls_verification=base.ignore_tls_verification,
            client_cert_path=base.client_cert_path,
            server_cert_path=base.server_cert_path,
        )
        try:
            answer = http_request(
                creds, CURRENT_USER_PATH, "GET", max_retries=0, timeout=self.timeout
            )
        except Exception as exc:  # requests' ConnectionError, timeouts, MLflow's wrapping
            raise IdentityError(
                f"MLflow at {where} cannot be reached to check who signed in "
                f"({type(exc).__name__})",
                "unavailable",
            ) from exc
        return _account(answer.status_code, answer.text, where)


def _account(status: int, body: str, where: str) -> SignedIn:
    """The account in MLflow's answer, or why there is none. Pure."""
    if status in (401, 403):
        raise IdentityError(f"MLflow at {where} refused the username and password", "wrong")
    if status == 404:
        raise IdentityError(
            f"MLflow at {where} signs nobody in (GET {CURRENT_USER_PATH} is 404): run it with "
            "`mlflow server --app-name promobot-guard` (or basic-auth)",
            "no-auth",
        )
    if status != 200:
        raise IdentityError(
            f"MLflow at {where} answered HTTP {status} when asked who signed in", "unavailable"
        )
    try:
        user = json.loads(body).get("user") or {}
        username = str(user["username"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise IdentityError(
            f"MLflow at {where} answered who signed in with something else than an account",
            "unavailable",
        ) from exc
    return SignedIn(username, bool(user.get("is_admin")))
