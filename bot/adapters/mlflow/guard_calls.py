"""Whether promobot's guard serves the registry, a part of the gateway
(bot/adapters/mlflow/gateway.py's Registry inherits it), and what its refusals say.

The guard (bot/adapters/mlflow/guard/, an MLflow server app) answers GUARD_PATH to any
signed-in user; a plain MLflow server answers 404 (or basic-auth's 403), a local store has
no server at all. Kept apart from the guard itself, which imports MLflow's server.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from bot.core.ports.registry import GuardStatus, RegistryError

# What the guard answers on, and how each of its refusals begins.
GUARD_PATH = "/api/2.0/promobot/guard"
GUARD_REFUSED = "promobot's guard refused this"


class GuardCalls:
    """Ask the tracking server whether promobot's guard serves it."""

    tracking_uri: str

    def calls(self, what: str) -> AbstractContextManager[None]:
        raise NotImplementedError

    def _where(self) -> str:
        raise NotImplementedError

    def guard(self) -> GuardStatus:
        """Guarded when the server answers GUARD_PATH as the guard does, to the credentials
        promobot uses (MLFLOW_TRACKING_USERNAME and the like). A local store never is."""
        from mlflow.utils.credentials import get_default_host_creds
        from mlflow.utils.rest_utils import http_request

        uri = self.tracking_uri
        if not uri.startswith(("http://", "https://")):
            return GuardStatus(False, f"{self._where()} is a local store")
        with self.calls("ask MLflow whether promobot's guard serves it"):
            answer = http_request(
                get_default_host_creds(uri), GUARD_PATH, "GET", max_retries=0, timeout=10
            )
        try:
            found = answer.json() if answer.status_code == 200 else {}
        except ValueError:
            found = {}
        if isinstance(found, dict) and found.get("guard") == "promobot":
            return GuardStatus(True, governs=tuple(str(p) for p in found.get("governs") or ()))
        return GuardStatus(
            False, f"{self._where()} answers GET {GUARD_PATH} with HTTP {answer.status_code}"
        )


def guard_refusal(exc: Exception, what: str) -> RegistryError | None:
    """The RegistryError for MLflow's PERMISSION_DENIED when the guard gave it (its
    sentence says which change goes through promobot), else None."""
    text = str(exc)
    if GUARD_REFUSED not in text:
        return None
    sentence = text[text.find(GUARD_REFUSED) :].strip()[:800]
    return RegistryError(
        f"MLflow refused to {what}: {sentence} Run promobot with the MLflow credentials of "
        "one of its service accounts (PROMOBOT_SERVICE_USERS on the MLflow host).",
        kind="guarded",
        code="PERMISSION_DENIED",
    )
