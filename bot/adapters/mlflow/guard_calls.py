"""Whether promobot's guard serves the registry, a part of the gateway
(bot/adapters/mlflow/gateway.py's Registry inherits it), what its refusals say, and its
bulk delete of promobot's state tags (compaction's deletes, where the guard offers it).

The guard (bot/adapters/mlflow/guard/, an MLflow server app) answers GUARD_PATH to any
signed-in user; a plain MLflow server answers 404 (or basic-auth's 403), a local store has
no server at all. Kept apart from the guard itself, which imports MLflow's server.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from bot.adapters.mlflow.at_once import again_when_busy, served
from bot.core.ports.registry import GuardStatus, RegistryError

# What the guard answers on, and how each of its refusals begins.
GUARD_PATH = "/api/2.0/promobot/guard"
GUARD_REFUSED = "promobot's guard refused this"
# The guard's bulk delete (guard/state_tags.py), and the keys one request may carry: a
# request stays a few seconds even on a busy SQLite-backed server (about 6 ms a key).
STATE_TAGS_PATH = "/api/2.0/promobot/registered-models/delete-state-tags"
STATE_TAGS_MAX_KEYS = 500
STATE_TAGS_TIMEOUT_S = 120


class GuardCalls:
    """Ask the tracking server whether promobot's guard serves it."""

    tracking_uri: str
    _registry_uri: str | None

    def calls(self, what: str) -> AbstractContextManager[None]:
        raise NotImplementedError

    def _where(self) -> str:
        raise NotImplementedError

    # What the guard's summary offered for the bulk delete ("" none), asked once.
    _state_tags_path: str | None = None

    def guard(self) -> GuardStatus:
        """Guarded when the server answers GUARD_PATH as the guard does, to the credentials
        promobot uses (MLFLOW_TRACKING_USERNAME and the like). A local store never is."""
        if not served(self.tracking_uri):
            return GuardStatus(False, f"{self._where()} is a local store")
        status, found = self._guard_summary(self.tracking_uri)
        if found.get("guard") == "promobot":
            return GuardStatus(True, governs=tuple(str(p) for p in found.get("governs") or ()))
        return GuardStatus(False, f"{self._where()} answers GET {GUARD_PATH} with HTTP {status}")

    def delete_state_tags(self, model: str, keys: list[str]) -> bool:
        """Delete promobot's state tags `keys` of `model` through the guard's bulk delete,
        STATE_TAGS_MAX_KEYS a request; False (nothing done) when the server does not offer
        it: a local store, a plain MLflow server, a guard of an earlier release."""
        from mlflow.exceptions import MlflowException

        path = self._offered_state_tags()
        if not path:
            return False
        for start in range(0, len(keys), STATE_TAGS_MAX_KEYS):
            body = {"name": model, "keys": keys[start : start + STATE_TAGS_MAX_KEYS]}
            with self.calls(f"remove {len(body['keys'])} of promobot's tags of {model}"):
                again_when_busy(lambda b=body: self._post(path, b), MlflowException)
        return True

    def _registry_at(self) -> str:
        """Where the registry is: its own URI, else the tracking server's."""
        return self._registry_uri or self.tracking_uri

    def _offered_state_tags(self) -> str:
        if self._state_tags_path is None:
            offered = ""
            if served(self._registry_at()):
                _, found = self._guard_summary(self._registry_at())
                path = found.get("deletes_state_tags") if found.get("guard") == "promobot" else ""
                offered = path if path == STATE_TAGS_PATH else ""
            self._state_tags_path = offered
        return self._state_tags_path

    def _guard_summary(self, uri: str) -> tuple[int, dict[str, Any]]:
        """The HTTP status of GET GUARD_PATH and the JSON object it answered ({} if none)."""
        from mlflow.utils.credentials import get_default_host_creds
        from mlflow.utils.rest_utils import http_request

        with self.calls("ask MLflow whether promobot's guard serves it"):
            answer = http_request(
                get_default_host_creds(uri),
                GUARD_PATH,
                "GET",
                max_retries=0,
                timeout=10,
            )
        try:
            found = answer.json() if answer.status_code == 200 else {}
        except ValueError:
            found = {}
        return answer.status_code, found if isinstance(found, dict) else {}

    def _post(self, path: str, body: dict[str, Any]) -> None:
        from mlflow.utils.credentials import get_default_host_creds
        from mlflow.utils.rest_utils import http_request, verify_rest_response

        def send() -> Any:
            return http_request(
                get_default_host_creds(self._registry_at()),
                path,
                "POST",
                json=body,
                max_retries=0,
                timeout=STATE_TAGS_TIMEOUT_S,
            )

        try:
            answer = send()
        except Exception as exc:
            if not isinstance(exc.__cause__ or exc.__context__, OSError):
                raise
            # A kept-alive connection the server closed (its idle timeout) just as this
            # was sent: seen once in CI as "the connection was dropped". The delete is
            # idempotent (a missing key is nothing to do), so once more, on a new one.
            answer = send()
        verify_rest_response(answer, path)  # MLflow's MlflowException, with the error code


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
