"""The narrow interfaces the core talks to, and the values that cross them.

`Registry` names exactly the calls the use cases make on the MLflow registry;
bot/adapters/mlflow/gateway.py implements it (the only module that imports mlflow, with its lock in
bot/adapters/mlflow/mutex.py). The core imports this module, never the gateway: bot/app.py
wires the real one in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol


class RegistryError(Exception):
    """A call to MLflow did not do what was asked: MLflow could not be reached or failed
    on its side (`kind` "unavailable"), or a target's lock stayed held ("conflict"): exit
    3, try again; or MLflow answered and refused (every other kind): exit 1, put right
    what it names (bot/doors/common.registry_exit). A person's mistake in a command is
    not one of these: it comes back as a result."""

    def __init__(self, message: str, *, kind: str = "unavailable", code: str = "") -> None:
        super().__init__(message)
        # "unavailable" (no answer, or MLflow's own 5xx failure) | "refused" (MLflow
        # answered 4xx: a bad source, no such resource) | "permission" (401, 403) |
        # "guarded" (promobot's guard refused a governed change: only its service accounts
        # write; people go through `promobot serve`, docs/security.md) |
        # "conflict" (a target's lock still held); for webhooks also "unsupported" (a
        # file store) and "invalid" (MLflow refused what it was given)
        self.kind = kind
        # MLflow's error code when it answered (INVALID_PARAMETER_VALUE, …), else ""
        self.code = code

    @property
    def is_refusal(self) -> bool:
        """MLflow answered and said no: the same command gets the same answer until what
        it names is put right. Not so for no answer, or a lock still held: try again."""
        return self.kind not in ("unavailable", "conflict")


class MutexBusy(RegistryError):
    """Another promotion of the same target holds the lock (`holder`: who, when known)."""

    def __init__(self, message: str, holder: str = "") -> None:
        super().__init__(message, kind="conflict")
        self.holder = holder


@dataclass(frozen=True)
class VersionInfo:
    model: str
    version: int
    stage: str  # "None" | "Staging" | "Production" | "Archived"
    run_id: str | None
    source: str
    aliases: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True)
class ModelInfo:
    name: str
    tags: dict[str, str]
    aliases: dict[str, int]  # alias → version
    stage_latest: dict[str, int]  # stage → highest version in that stage ("None" included)
    # The versions MLflow returns with the model (the latest of each stage), with their
    # tags and descriptions: reading them again would be a REST call each.
    versions: dict[int, VersionInfo] = field(default_factory=dict)
    # promobot's records left out of `tags` because their signature is missing or does
    # not check (bot/core/service/signed_records.py): (key, why), for the audit
    rejected: tuple[tuple[str, str], ...] = ()

    @property
    def latest_version(self) -> int | None:
        return max(self.stage_latest.values(), default=None)


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    experiment_id: str
    tags: dict[str, str]
    metrics: dict[str, float]
    # the models the run logged, by id, with the step each was logged at (run outputs)
    model_steps: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class LoggedModel:
    """A model a run logged: MLflow 3 keeps it beside the run (not among the run's
    artifacts), under an id of its own, and a version registered from it names both."""

    model_id: str  # m-…
    name: str  # what log_model was given as name= (or artifact_path=)
    created_ms: int = 0

    @property
    def uri(self) -> str:
        return f"models:/{self.model_id}"


@dataclass(frozen=True)
class WebhookInfo:
    """An MLflow webhook as MLflow shows it (it never gives its secret back)."""

    webhook_id: str
    name: str
    url: str
    events: tuple[str, ...]  # "model_version.created", …
    status: str  # "ACTIVE" | "DISABLED"
    description: str = ""
    created_ms: int = 0  # MLflow's creation time, in milliseconds


@dataclass(frozen=True)
class GuardStatus:
    """Whether the registry refuses governed changes that do not come from promobot (the
    guard, docs/security.md), and why not when it does not."""

    guarded: bool
    why: str = ""  # when not guarded: what was found instead, e.g. "a local store"
    governs: tuple[str, ...] = ()  # when guarded: the policy entries it enforces


class Registry(Protocol):
    """The MLflow registry as the use cases see it."""

    # reads
    def get_model(self, name: str) -> ModelInfo | None: ...
    def get_version(self, model: str, version: int) -> VersionInfo | None: ...
    def run_metrics(self, run_id: str | None) -> dict[str, float]: ...
    def find_model_with_tag(self, key: str) -> ModelInfo | None: ...
    def models_tagged(self, key: str) -> list[str]: ...
    # every model, or at least those whose names match the policy's fnmatch `patterns`
    # (callers match exactly: the adapter may find more)
    def model_names(self, patterns: Sequence[str] = ()) -> list[str]: ...
    def models(self, patterns: Sequence[str] = ()) -> list[ModelInfo]: ...
    def versions_for_commit(self, model: str, sha: str) -> list[int]: ...
    # `sha256:<hex>` over a version's artifact files (promobot/signatures.py), downloaded
    # and hashed streaming; RegistryError when they cannot be read
    def artifact_digest(self, model: str, version: int) -> str: ...
    # the same over the files at a `models:/…` URI (a logged model's, before registration)
    def files_digest(self, uri: str) -> str: ...

    # a model's ledger (bot/core/state/compaction.py), newest page first: one page's
    # records (key → value) and the token of the next page (None: that was the last)
    def ledger_page(self, model: str, token: str | None) -> tuple[dict[str, str], str | None]: ...
    # the model whose ledger holds record `key` (one of promobot's keys), or None
    def ledger_holding(self, key: str) -> str | None: ...

    # writes
    # one new ledger page holding `records` (created with its tags in one call)
    def append_ledger(self, model: str, records: dict[str, str]) -> None: ...
    def set_model_tag(self, model: str, key: str, value: str) -> None: ...
    def delete_model_tag(self, model: str, key: str) -> None: ...
    # many of promobot's own state tags (mlflow.promobot.…) of one model; missing ones fine
    def delete_model_tags(self, model: str, keys: list[str]) -> None: ...
    def set_version_tags(self, model: str, version: int, tags: dict[str, str]) -> None: ...
    def delete_version_tag(self, model: str, version: int, key: str) -> None: ...
    def append_description(
        self, model: str, version: int, line: str, current: str | None = None
    ) -> None: ...
    def move_stage(self, model: str, version: int, stage: str) -> None: ...
    def set_alias(self, model: str, alias: str, version: int) -> None: ...
    def delete_alias(self, model: str, alias: str) -> None: ...

    # calls that do not depend on each other, at once where that saves round trips
    # (bot/adapters/mlflow/at_once.py); their results in order, the first failure raised
    def at_once(self, calls: Sequence[Callable[[], Any]]) -> list[Any]: ...

    # the lock of one target, held while the block runs; MutexBusy after waiting `wait_s`
    # (None: the configured PROMOBOT_LOCK_WAIT_SECONDS) for another holder
    def mutex(
        self, bucket: str, model: str, target_key: str, wait_s: float | None = None
    ) -> AbstractContextManager[str]: ...

    # MLflow's webhooks (SQL-backed tracking servers only; else RegistryError "unsupported")
    def webhooks(self) -> list[WebhookInfo]: ...
    def create_webhook(
        self, name: str, url: str, events: tuple[str, ...], secret: str, description: str
    ) -> WebhookInfo: ...
    def update_webhook(
        self, webhook_id: str, url: str, events: tuple[str, ...], secret: str, description: str
    ) -> WebhookInfo: ...
    def delete_webhook(self, webhook_id: str) -> None: ...

    # whether the registry itself refuses governed changes made outside promobot
    def guard(self) -> GuardStatus: ...

    # CI registration
    def run_info(self, run_id: str) -> RunInfo | None: ...
    def create_run(self, experiment: str, tags: dict[str, str]) -> str: ...
    def ensure_experiment(self, name: str, artifact_location: str | None = None) -> str: ...
    def logged_models(self, run_id: str, experiment_id: str) -> list[LoggedModel]: ...
    def register(
        self, model: str, logged: LoggedModel, run_id: str, tags: dict[str, str]
    ) -> VersionInfo: ...


__all__ = [
    "LoggedModel",
    "ModelInfo",
    "MutexBusy",
    "Registry",
    "RegistryError",
    "RunInfo",
    "VersionInfo",
    "WebhookInfo",
]
