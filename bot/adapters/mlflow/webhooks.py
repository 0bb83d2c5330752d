"""MLflow 3's webhooks, a part of the gateway (bot/adapters/mlflow/gateway.py's Registry inherits
it).

MLflow keeps webhooks only in its SQL stores: a local file store's client raises
NotImplementedError, and a tracking server on a file store answers 500 (the same error,
inside the server). Both become one RegistryError whose sentence says what is needed.
MLflow never gives a webhook's secret back, so nothing here can read it.

This module calls the MlflowClient the Registry made and imports nothing of mlflow.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from bot.core.ports.registry import RegistryError, WebhookInfo

NO_WEBHOOKS = "webhooks need a SQL-backed tracking server"
NO_KEY = (
    "MLflow cannot decrypt the webhook secrets it stored: they were encrypted with another "
    "MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY. Give every MLflow process that key (where none "
    "is set, MLflow makes one up per process, and what it stored is lost with the process; "
    "such webhooks can only be removed from the `webhooks` table of MLflow's database)"
)


class WebhookCalls:
    """list, create, update and delete MLflow webhooks."""

    _client: Any

    def calls(self, what: str) -> AbstractContextManager[None]:
        raise NotImplementedError

    def _where(self) -> str:
        raise NotImplementedError

    def webhooks(self) -> list[WebhookInfo]:
        found: list[WebhookInfo] = []
        token: str | None = None
        while True:
            with self._webhook_calls("list the webhooks"):
                page = self._client.list_webhooks(max_results=100, page_token=token)
            found.extend(_webhook_info(hook) for hook in page)
            token = getattr(page, "token", None)
            if not token:
                return found

    def create_webhook(
        self, name: str, url: str, events: tuple[str, ...], secret: str, description: str
    ) -> WebhookInfo:
        with self._webhook_calls(f"create the webhook {name}"):
            made = self._client.create_webhook(
                name,
                url,
                list(events),
                description=description,
                secret=secret,
                status="ACTIVE",
            )
        return _webhook_info(made)

    def update_webhook(
        self, webhook_id: str, url: str, events: tuple[str, ...], secret: str, description: str
    ) -> WebhookInfo:
        """Set every field promobot cares about (an update sets only what it is given)."""
        with self._webhook_calls(f"update the webhook {webhook_id}"):
            made = self._client.update_webhook(
                webhook_id,
                url=url,
                events=list(events),
                description=description,
                secret=secret,
                status="ACTIVE",
            )
        return _webhook_info(made)

    def delete_webhook(self, webhook_id: str) -> None:
        with self._webhook_calls(f"delete the webhook {webhook_id}"):
            self._client.delete_webhook(webhook_id)

    @contextmanager
    def _webhook_calls(self, what: str) -> Iterator[None]:
        try:
            with self.calls(what):
                yield
        except NotImplementedError as exc:
            raise RegistryError(
                f"{NO_WEBHOOKS}: {self._where()} is a file store, which keeps none.",
                kind="unsupported",
            ) from exc
        except RegistryError as exc:
            cause = exc.__cause__
            if getattr(cause, "error_code", "") == "INVALID_PARAMETER_VALUE":
                # MLflow refused the URL (its scheme, a private address) or a field.
                detail = getattr(cause, "message", "") or str(cause)
                raise RegistryError(f"MLflow refused to {what}: {detail}", kind="invalid") from exc
            if _chain_has(exc, "InvalidToken"):
                raise RegistryError(
                    f"{NO_KEY} ({what} at {self._where()}).", kind="invalid"
                ) from exc
            if exc.kind != "unavailable" or not _answered_500(exc):
                raise
            raise RegistryError(
                f"MLflow at {self._where()} answered 500 to {what}: {NO_WEBHOOKS} whose "
                "processes share one MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY (a server on a file "
                "store answers so, and so does one that cannot decrypt the secrets it stored; "
                "its log says which).",
                kind="unsupported",
            ) from exc


def _answered_500(exc: BaseException) -> bool:
    """MLflow's client reports a server's 500 as "too many 500 error responses" (after its
    retries) or "failed with error code 500" (without); on the webhook calls that is what
    a file-store server answers."""
    texts = [str(exc), str(exc.__cause__ or "")]
    return any("500 error" in text or "error code 500" in text for text in texts)


def _chain_has(exc: BaseException, type_name: str) -> bool:
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if type(seen).__name__ == type_name:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _webhook_info(hook: Any) -> WebhookInfo:
    status = getattr(hook.status, "value", hook.status)
    return WebhookInfo(
        webhook_id=hook.webhook_id,
        name=hook.name,
        url=hook.url,
        events=tuple(str(event) for event in hook.events),
        status=str(status),
        description=hook.description or "",
        created_ms=int(hook.creation_timestamp or 0),
    )
