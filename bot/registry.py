"""The gateway to MLflow: the only module that imports mlflow.

Everything promobot remembers lives here, in registered-model and model-version tags
(design.md, "State"): pending requests, one tag per approval, request outcomes, the
promotion history that rollback replays, in-flight intents and locks. Calls are exact
look-ups by name and version; no filter string is ever built from user text.
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

STAGE_NAMES = ("Staging", "Production", "Archived")

REQUEST_PREFIX = "promobot.request."
EVENT_PREFIX = "promobot.event."
INFLIGHT_PREFIX = "promobot.inflight."
LOCK_MODEL_PREFIX = "promobot-lock."

# MLflow's limits (design.md): key ≤ 250 chars of [A-Za-z0-9_\-. /]; value ≤ 100,000.
TAG_VALUE_MAX = 100_000
_TAG_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9_\-. /]")

# A chat command has seconds, not minutes: MLflow's own defaults (7 retries, 120 s
# timeout) would keep Slack and the on-call engineer waiting for minutes on a dead
# server. Callers can still override these through the environment.
_CLIENT_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "15",
}


class RegistryError(Exception):
    """MLflow could not be reached or failed: a system's error, not a person's (exit 3)."""

    def __init__(self, message: str, *, kind: str = "unavailable") -> None:
        super().__init__(message)
        self.kind = kind  # "unavailable" | "permission" | "conflict"


class LockBusy(RegistryError):
    """Another promotion of the same target holds the lock."""

    def __init__(self, message: str) -> None:
        super().__init__(message, kind="conflict")


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

    @property
    def latest_version(self) -> int | None:
        return max(self.stage_latest.values(), default=None)


def safe_tag_part(text: str) -> str:
    """Make `text` usable inside a tag key, keeping it recognisable and unique."""
    cleaned = _TAG_KEY_UNSAFE.sub("_", text)
    if cleaned == text and len(text) <= 80:
        return text
    import hashlib

    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{cleaned[:60]}_{digest}"


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def _load(value: str | None) -> dict[str, Any]:
    if not value:
        return {}
    try:
        loaded = json.loads(value)
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


class Registry:
    """Narrow interface over MlflowClient: only the calls promobot makes."""

    def __init__(self, tracking_uri: str, *, registry_uri: str | None = None) -> None:
        for key, value in _CLIENT_DEFAULTS.items():
            os.environ.setdefault(key, value)
        self.tracking_uri = tracking_uri
        self._registry_uri = registry_uri
        self._client_instance: Any = None

    @property
    def _client(self) -> Any:
        """The MlflowClient, made on first use: commands that need no registry (help,
        policy) never import mlflow nor touch (or create) a SQLite file."""
        if self._client_instance is None:
            from mlflow import MlflowClient

            self._client_instance = MlflowClient(
                tracking_uri=self.tracking_uri, registry_uri=self._registry_uri
            )
        return self._client_instance

    # ---- error mapping -------------------------------------------------------------

    @contextmanager
    def _calls(self, what: str) -> Iterator[None]:
        """Turn MLflow's and the network's failures into RegistryError with a sentence."""
        from mlflow.exceptions import MlflowException

        try:
            yield
        except MlflowException as exc:
            code = getattr(exc, "error_code", "")
            if code in ("PERMISSION_DENIED", "UNAUTHENTICATED"):
                raise RegistryError(
                    f"MLflow refused to {what}: the bot's MLflow user lacks permission "
                    f"({code}). Ask the platform team to grant it MANAGE on the model.",
                    kind="permission",
                ) from exc
            raise RegistryError(
                f"MLflow failed to {what} at {self._where()}: {_first_line(str(exc))}"
            ) from exc
        except (OSError, TimeoutError) as exc:
            raise RegistryError(
                f"MLflow is unreachable at {self._where()} ({what}): {_first_line(str(exc))}"
            ) from exc
        except Exception as exc:
            # requests' errors and the like: anything below the client is a system fault.
            if type(exc).__module__.split(".")[0] in ("requests", "urllib3", "sqlalchemy"):
                raise RegistryError(
                    f"MLflow is unreachable at {self._where()} ({what}): {_first_line(str(exc))}"
                ) from exc
            raise

    def _where(self) -> str:
        uri = self.tracking_uri
        return re.sub(r"//[^@/]*@", "//***@", uri)  # never show credentials

    def _missing(self, exc: Exception) -> bool:
        return getattr(exc, "error_code", "") in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND")

    # ---- reading -------------------------------------------------------------------

    def get_model(self, name: str) -> ModelInfo | None:
        from mlflow.exceptions import MlflowException

        try:
            with self._calls(f"read model {name}"):
                try:
                    rm = self._client.get_registered_model(name)
                except MlflowException as exc:
                    if self._missing(exc) or getattr(exc, "error_code", "") == (
                        "INVALID_PARAMETER_VALUE"
                    ):
                        return None
                    raise
        except RegistryError:
            raise
        stage_latest = {mv.current_stage: int(mv.version) for mv in rm.latest_versions or []}
        aliases = {k: int(v) for k, v in (rm.aliases or {}).items()}
        return ModelInfo(
            name=rm.name, tags=dict(rm.tags or {}), aliases=aliases, stage_latest=stage_latest
        )

    def get_version(self, model: str, version: int) -> VersionInfo | None:
        from mlflow.exceptions import MlflowException

        with self._calls(f"read {model} v{version}"):
            try:
                mv = self._client.get_model_version(model, str(version))
            except MlflowException as exc:
                if self._missing(exc) or exc.error_code == "INVALID_PARAMETER_VALUE":
                    return None
                raise
        return _version_info(mv)

    def version_by_alias(self, model: str, alias: str) -> VersionInfo | None:
        from mlflow.exceptions import MlflowException

        with self._calls(f"read alias @{alias} of {model}"):
            try:
                mv = self._client.get_model_version_by_alias(model, alias)
            except MlflowException as exc:
                if self._missing(exc) or exc.error_code == "INVALID_PARAMETER_VALUE":
                    return None
                raise
        return _version_info(mv)

    def run_metrics(self, run_id: str | None) -> dict[str, float]:
        if not run_id:
            return {}
        from mlflow.exceptions import MlflowException

        with self._calls(f"read metrics of run {run_id}"):
            try:
                run = self._client.get_run(run_id)
            except MlflowException as exc:
                if self._missing(exc):
                    return {}
                raise
        return {k: float(v) for k, v in run.data.metrics.items()}

    def find_request_model(self, request_id: str) -> str | None:
        """Which model holds request `request_id`? The id is validated by the parser
        (req-[0-9a-f]+) before it reaches this filter, so it cannot inject anything."""
        if not re.fullmatch(r"req-[0-9a-f]{6,32}", request_id):
            return None
        key = f"{REQUEST_PREFIX}{request_id}"
        with self._calls(f"look up request {request_id}"):
            found = self._client.search_registered_models(
                filter_string=f"tags.`{key}` LIKE '%'", max_results=2
            )
        return found[0].name if found else None

    # ---- writing -------------------------------------------------------------------

    def set_model_tag(self, model: str, key: str, value: str) -> None:
        with self._calls(f"write tag {key} on {model}"):
            self._client.set_registered_model_tag(model, key, value[:TAG_VALUE_MAX])

    def delete_model_tag(self, model: str, key: str) -> None:
        from mlflow.exceptions import MlflowException

        with self._calls(f"delete tag {key} on {model}"):
            try:
                self._client.delete_registered_model_tag(model, key)
            except MlflowException as exc:
                if not self._missing(exc):
                    raise

    def set_version_tags(self, model: str, version: int, tags: dict[str, str]) -> None:
        with self._calls(f"write tags on {model} v{version}"):
            for key, value in tags.items():
                self._client.set_model_version_tag(model, str(version), key, value[:TAG_VALUE_MAX])

    def append_description(self, model: str, version: int, line: str) -> None:
        """Add `line` to the description unless it is already there (retries are harmless)."""
        with self._calls(f"update the description of {model} v{version}"):
            mv = self._client.get_model_version(model, str(version))
            current = mv.description or ""
            if line in current.splitlines():
                return
            text = f"{current.rstrip()}\n{line}" if current.strip() else line
            self._client.update_model_version(model, str(version), description=text)

    def move_stage(self, model: str, version: int, stage: str) -> None:
        """Put `version` in `stage`; MLflow archives the other holders in the same call,
        so the target is never empty and never doubly held."""
        archive = stage in ("Staging", "Production")
        with self._calls(f"move {model} v{version} to {stage}"), warnings.catch_warnings():
            # Stages are deprecated in MLflow 3 but are what `models:/m/Production` reads.
            warnings.simplefilter("ignore", FutureWarning)
            self._client.transition_model_version_stage(
                model, str(version), stage, archive_existing_versions=archive
            )

    def set_alias(self, model: str, alias: str, version: int) -> None:
        with self._calls(f"point @{alias} of {model} at v{version}"):
            self._client.set_registered_model_alias(model, alias, str(version))

    def delete_alias(self, model: str, alias: str) -> None:
        from mlflow.exceptions import MlflowException

        with self._calls(f"remove @{alias} of {model}"):
            try:
                self._client.delete_registered_model_alias(model, alias)
            except MlflowException as exc:
                if not self._missing(exc):
                    raise

    # ---- registration (CI) -----------------------------------------------------------

    def register(
        self, model: str, source: str, run_id: str | None, tags: dict[str, str]
    ) -> VersionInfo:
        from mlflow.exceptions import MlflowException

        with self._calls(f"register {model}"):
            try:
                self._client.create_registered_model(model)
            except MlflowException as exc:
                if exc.error_code != "RESOURCE_ALREADY_EXISTS":
                    raise
            mv = self._client.create_model_version(model, source=source, run_id=run_id, tags=tags)
            mv = self._wait_ready(model, int(mv.version))
        return _version_info(mv)

    def _wait_ready(self, model: str, version: int, timeout: float = 300.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            mv = self._client.get_model_version(model, str(version))
            if mv.status != "PENDING_REGISTRATION" or time.monotonic() > deadline:
                return mv
            time.sleep(0.5)

    def run_info(self, run_id: str) -> dict[str, Any]:
        with self._calls(f"read run {run_id}"):
            run = self._client.get_run(run_id)
        return {
            "run_id": run.info.run_id,
            "artifact_uri": run.info.artifact_uri,
            "experiment_id": run.info.experiment_id,
            "tags": dict(run.data.tags),
            "metrics": dict(run.data.metrics),
        }

    def set_run_tags(self, run_id: str, tags: dict[str, str]) -> None:
        with self._calls(f"tag run {run_id}"):
            for key, value in tags.items():
                self._client.set_tag(run_id, key, value)

    def create_run(self, experiment: str, tags: dict[str, str]) -> str:
        with self._calls(f"create a run in experiment {experiment}"):
            exp = self._client.get_experiment_by_name(experiment)
            exp_id = exp.experiment_id if exp else self._client.create_experiment(experiment)
            run = self._client.create_run(exp_id, tags=tags)
        return run.info.run_id

    def ensure_experiment(self, name: str, artifact_location: str | None = None) -> str:
        with self._calls(f"create experiment {name}"):
            exp = self._client.get_experiment_by_name(name)
            if exp is not None:
                return exp.experiment_id
            return self._client.create_experiment(name, artifact_location=artifact_location)

    def logged_model_uri(self, run_id: str, artifact_name: str = "model") -> str:
        """The URI of the model a run logged under `artifact_name`.

        MLflow 3 stores models as LoggedModels (`models:/m-…`) outside the run's
        artifacts; registering `runs:/<id>/model` only works through a fallback that
        warns. So look the logged model up by its source run (the id is checked to be
        hex first: it goes into a filter string)."""
        if not re.fullmatch(r"[0-9a-fA-F]{8,64}", run_id):
            raise ValueError(f"`{run_id[:80]}` is not an MLflow run id (32 hex characters)")
        with self._calls(f"find the model logged by run {run_id}"):
            run = self._client.get_run(run_id)
            found = self._client.search_logged_models(
                experiment_ids=[run.info.experiment_id],
                filter_string=f"source_run_id = '{run_id}'",
                max_results=50,
            )
        named = [m for m in found if m.name == artifact_name] or list(found)
        if named:
            return f"models:/{named[0].model_id}"
        return f"runs:/{run_id}/{artifact_name}"

    def versions_for_commit(self, model: str, sha: str) -> list[int]:
        """Versions registered from git commit `sha` (tag `git_commit`), newest first.
        Both parts are checked before they go into the filter string."""
        if not re.fullmatch(r"[0-9a-fA-F]{7,40}", sha) or not re.fullmatch(
            r"[A-Za-z0-9][A-Za-z0-9._-]{0,255}", model
        ):
            return []
        with self._calls(f"find versions of {model} from commit {sha[:12]}"):
            found = self._client.search_model_versions(
                filter_string=f"name = '{model}' and tags.git_commit = '{sha.lower()}'",
                max_results=50,
            )
        return sorted((int(mv.version) for mv in found), reverse=True)

    # ---- locks: the one atomic primitive MLflow offers --------------------------------

    @contextmanager
    def lock(
        self,
        model: str,
        target_key: str,
        *,
        ttl_s: float | None = None,
        wait_s: float | None = None,
    ) -> Iterator[str]:
        """Hold the exclusive lock for (model, target) while the block runs.

        Creating a registered model whose name exists fails for every concurrent
        caller but one, and the tags given at creation land with it, so the lock
        carries its owner and expiry. A lock past its expiry was left by a crashed
        process and is taken over. TTL and wait default to 120 s and 30 s, or to
        PROMOBOT_LOCK_TTL_SECONDS and PROMOBOT_LOCK_WAIT_SECONDS.
        """
        import hashlib

        ttl_s = ttl_s if ttl_s is not None else _env_seconds("PROMOBOT_LOCK_TTL_SECONDS", 120.0)
        wait_s = wait_s if wait_s is not None else _env_seconds("PROMOBOT_LOCK_WAIT_SECONDS", 30.0)

        from mlflow.exceptions import MlflowException

        name = (
            LOCK_MODEL_PREFIX
            + hashlib.sha1(f"{model}\0{target_key}".encode("utf-8", "surrogatepass")).hexdigest()[
                :24
            ]
        )
        owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        deadline = time.monotonic() + wait_s
        delay = 0.05
        while True:
            expires = time.time() + ttl_s
            try:
                with self._calls(f"take the lock for {model} {target_key}"):
                    try:
                        self._client.create_registered_model(
                            name,
                            tags={
                                "promobot.lock.owner": owner,
                                "promobot.lock.expires": f"{expires:.3f}",
                                "promobot.lock.model": model[:5000],
                                "promobot.lock.target": target_key,
                            },
                            description=f"promobot lock for {model} {target_key}; "
                            "deleted when the promotion ends",
                        )
                        break
                    except MlflowException as exc:
                        if exc.error_code != "RESOURCE_ALREADY_EXISTS":
                            raise
            except RegistryError:
                raise
            holder = self._lock_holder(name)
            if holder is not None and holder[0] == owner:
                # The client retried a create whose first answer was lost: the lock is ours.
                break
            if holder is not None and holder[1] < time.time():
                self._break_lock(name, holder[0])
                continue
            if time.monotonic() > deadline:
                who = holder[0] if holder else "another process"
                raise LockBusy(
                    f"another promotion of {model} {target_key} is in progress ({who}); "
                    "try again in a minute"
                )
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
        try:
            yield owner
        finally:
            self._release(name, owner)

    def _lock_holder(self, name: str) -> tuple[str, float] | None:
        from mlflow.exceptions import MlflowException

        with self._calls("read a lock"):
            try:
                rm = self._client.get_registered_model(name)
            except MlflowException as exc:
                if self._missing(exc):
                    return None
                raise
        tags = rm.tags or {}
        try:
            expires = float(tags.get("promobot.lock.expires", "0"))
        except ValueError:
            expires = 0.0
        return tags.get("promobot.lock.owner", "?"), expires

    def _break_lock(self, name: str, seen_owner: str) -> None:
        """Delete a stale lock, but only the one we saw: a lock taken anew meanwhile
        has another owner and stays."""
        holder = self._lock_holder(name)
        if holder is None or holder[0] != seen_owner:
            return
        self._delete_lock_model(name)

    def _release(self, name: str, owner: str) -> None:
        try:
            holder = self._lock_holder(name)
            if holder is not None and holder[0] == owner:
                self._delete_lock_model(name)
        except RegistryError:
            pass  # the expiry recovers a lock we could not delete

    def _delete_lock_model(self, name: str) -> None:
        from mlflow.exceptions import MlflowException

        with self._calls("release a lock"):
            try:
                self._client.delete_registered_model(name)
            except MlflowException as exc:
                if not self._missing(exc):
                    raise


def _version_info(mv: Any) -> VersionInfo:
    return VersionInfo(
        model=mv.name,
        version=int(mv.version),
        stage=mv.current_stage or "None",
        run_id=mv.run_id or None,
        source=mv.source or "",
        aliases=tuple(mv.aliases or ()),
        tags=dict(mv.tags or {}),
        description=mv.description or "",
    )


def _env_seconds(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, "") or default)
    except ValueError:
        return default
    return value if value > 0 else default


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "no details"
    return line[:300]


def dumps(value: dict[str, Any]) -> str:
    return _json(value)


def loads(value: str | None) -> dict[str, Any]:
    return _load(value)
