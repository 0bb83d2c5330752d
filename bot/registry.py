"""The gateway to MLflow: the only module that imports mlflow.

Everything promobot remembers lives here, in registered-model and model-version tags
(design.md, "State"): pending requests, one tag per approval, request outcomes, the
promotion history that rollback replays (each event also the plan of its execution),
and locks. Calls are exact
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

STAGE_NAMES = ("Staging", "Production", "Archived")

REQUEST_PREFIX = "promobot.request."
EVENT_PREFIX = "promobot.event."
LOCK_MODEL_PREFIX = "promobot-lock."
# A target's lock is named by 4 hex digits of a hash of (model, target), and new request ids
# begin with the same 4 digits, so `approve <id>` can take the right lock before its first
# read (bot/service.py). Two targets whose digits collide (1 in 65,536) share a lock: their
# executions take turns, nothing more.
LOCK_BUCKET_HEX = 4


def lock_bucket(model: str, target_key: str) -> str:
    """The 4 hex digits naming the lock of (model, target)."""
    import hashlib

    digest = hashlib.sha1(f"{model}\0{target_key}".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:LOCK_BUCKET_HEX]


# MLflow's limits (design.md): key ≤ 250 chars of [A-Za-z0-9_\-. /]; value ≤ 100,000.
TAG_VALUE_MAX = 100_000
_TAG_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9_\-. /]")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,255}")

# A chat command has seconds, not minutes: MLflow's own defaults (7 retries, 120 s
# timeout) would keep Slack and the on-call engineer waiting for minutes on a dead
# server. With these, one call to a server that does not answer gives up after about
# 3 x 10 s + 2-4 s of backoff (docs/reliability.md). Callers can still override these
# through the environment.
_CLIENT_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "10",
}
# How long a failed command still waits for its lock to be released (see _release_briefly).
_RELEASE_WAIT_S = 5.0
# A lock this far from its expiry is certainly still its owner's (clocks may differ).
_RELEASE_MARGIN_S = 15.0


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
    # The versions MLflow returns with the model (the latest of each stage), with their
    # tags and descriptions: reading them again would be a REST call each.
    versions: dict[int, VersionInfo] = field(default_factory=dict)

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

    @property
    def _rc(self) -> Any:
        """MLflow's ModelRegistryClient: what MlflowClient wraps for registry calls.

        MlflowClient 3.x reads the whole registered model (`GET registered-models/get`,
        which loads every version in the SQL stores) before each registry write, to refuse
        writes to prompts. promobot writes ~15 tags per promotion, so that check alone
        doubled its REST calls and made each command O(versions) (docs/performance.md).
        promobot never writes to prompts: its models come from the policy and the
        parser, and the lock models are its own. mlflow is pinned to 3.17.x."""
        return self._client._get_registry_client()

    # ---- error mapping -------------------------------------------------------------

    @contextmanager
    def _calls(self, what: str) -> Iterator[None]:
        """Turn MLflow's and the network's failures into RegistryError with a sentence."""
        from mlflow.exceptions import MlflowException

        try:
            yield
        except MlflowException as exc:
            code = getattr(exc, "error_code", "")
            if code in ("UNAUTHENTICATED", "CUSTOMER_UNAUTHORIZED"):
                raise RegistryError(
                    f"MLflow denied permission to {what}: it did not accept the bot's "
                    f"credentials ({code}). Check MLFLOW_TRACKING_USERNAME and "
                    "MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN).",
                    kind="permission",
                ) from exc
            if code == "PERMISSION_DENIED":
                raise RegistryError(
                    f"MLflow refused to {what}: the bot's MLflow user lacks permission "
                    f"({code}). Ask the platform team to grant it MANAGE on the model.",
                    kind="permission",
                ) from exc
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, OSError):  # requests' network errors are OSErrors
                raise RegistryError(
                    f"MLflow is unreachable at {self._where()} ({what}): "
                    f"{_network_problem(cause)}. Once it answers again, run the same "
                    "command: it finishes what was started without doing anything twice."
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
        """The model with its tags, aliases and the latest version of each stage.

        MLflow's SQL store answers `get_registered_model` by loading every version of the
        model; `search_registered_models(name = …)` returns the same facts with the
        latest versions found by one query, so a model with 10,000 versions costs little
        more than one with 10. The search is used only for names that cannot carry
        anything but a name into the filter (the parser's rule: letters, digits, . _ -);
        any other name is read by the exact call."""
        from mlflow.exceptions import MlflowException

        if _PLAIN_NAME.fullmatch(name):
            with self._calls(f"read model {name}"):
                found = self._rc.search_registered_models(
                    filter_string=f"name = '{name}'", max_results=2
                )
            match = [rm for rm in found if rm.name == name]
            return _model_info(match[0]) if match else None
        with self._calls(f"read model {name}"):
            try:
                rm = self._rc.get_registered_model(name)
            except MlflowException as exc:
                if self._missing(exc) or getattr(exc, "error_code", "") == (
                    "INVALID_PARAMETER_VALUE"
                ):
                    return None
                raise
        return _model_info(rm)

    def get_version(self, model: str, version: int) -> VersionInfo | None:
        from mlflow.exceptions import MlflowException

        with self._calls(f"read {model} v{version}"):
            try:
                mv = self._rc.get_model_version(model, str(version))
            except MlflowException as exc:
                if self._missing(exc) or exc.error_code == "INVALID_PARAMETER_VALUE":
                    return None
                raise
        return _version_info(mv)

    def version_by_alias(self, model: str, alias: str) -> VersionInfo | None:
        from mlflow.exceptions import MlflowException

        with self._calls(f"read alias @{alias} of {model}"):
            try:
                mv = self._rc.get_model_version_by_alias(model, alias)
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

    def find_request(self, request_id: str) -> ModelInfo | None:
        """The model holding request `request_id`, as read by the search that found it.
        The id is checked (req-[0-9a-f]+) before it goes into the filter string."""
        if not re.fullmatch(r"req-[0-9a-f]{6,32}", request_id):
            return None
        key = f"{REQUEST_PREFIX}{request_id}"
        with self._calls(f"look up request {request_id}"):
            found = self._rc.search_registered_models(
                filter_string=f"tags.`{key}` LIKE '%'", max_results=2
            )
        return _model_info(found[0]) if found else None

    # ---- writing -------------------------------------------------------------------

    def set_model_tag(self, model: str, key: str, value: str) -> None:
        with self._calls(f"write tag {key} on {model}"):
            _once_more_on_conflict(
                lambda: self._rc.set_registered_model_tag(model, key, value[:TAG_VALUE_MAX])
            )

    def set_version_tags(self, model: str, version: int, tags: dict[str, str]) -> None:
        with self._calls(f"write tags on {model} v{version}"):
            for key, value in tags.items():
                _once_more_on_conflict(
                    lambda k=key, v=value: self._rc.set_model_version_tag(
                        model, str(version), k, v[:TAG_VALUE_MAX]
                    )
                )

    def append_description(
        self, model: str, version: int, line: str, current: str | None = None
    ) -> None:
        """Add `line` to the description unless it is already there (retries are harmless).
        `current` is the description the caller read under the lock, else it is read."""
        with self._calls(f"update the description of {model} v{version}"):
            if current is None:
                current = self._rc.get_model_version(model, str(version)).description or ""
            if line in current.splitlines():
                return
            text = f"{current.rstrip()}\n{line}" if current.strip() else line
            self._rc.update_model_version(model, str(version), description=text)

    def move_stage(self, model: str, version: int, stage: str) -> None:
        """Put `version` in `stage`; MLflow archives the other holders in the same call,
        so the target is never empty and never doubly held."""
        archive = stage in ("Staging", "Production")
        with self._calls(f"move {model} v{version} to {stage}"), warnings.catch_warnings():
            # Stages are deprecated in MLflow 3 but are what `models:/m/Production` reads.
            warnings.simplefilter("ignore", FutureWarning)
            self._rc.transition_model_version_stage(
                model, str(version), stage, archive_existing_versions=archive
            )

    def set_alias(self, model: str, alias: str, version: int) -> None:
        with self._calls(f"point @{alias} of {model} at v{version}"):
            self._rc.set_registered_model_alias(model, alias, str(version))

    def delete_alias(self, model: str, alias: str) -> None:
        from mlflow.exceptions import MlflowException

        with self._calls(f"remove @{alias} of {model}"):
            try:
                self._rc.delete_registered_model_alias(model, alias)
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
                self._rc.create_registered_model(model)
            except MlflowException as exc:
                if exc.error_code != "RESOURCE_ALREADY_EXISTS":
                    raise
            mv = self._client.create_model_version(model, source=source, run_id=run_id, tags=tags)
            mv = self._wait_ready(model, int(mv.version))
        return _version_info(mv)

    def _wait_ready(self, model: str, version: int, timeout: float = 300.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            mv = self._rc.get_model_version(model, str(version))
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
            found = self._rc.search_model_versions(
                filter_string=f"name = '{model}' and tags.git_commit = '{sha.lower()}'",
                max_results=50,
            )
        return sorted((int(mv.version) for mv in found), reverse=True)

    def models_tagged(self, key: str) -> list[str]:
        """The registered models that carry tag `key`. `key` is one of promobot's own
        constants, never user text: it goes into a filter string, so anything but
        [A-Za-z0-9_.-] is refused."""
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", key):
            raise ValueError(f"not a plain tag key: {key!r}")
        names: list[str] = []
        token: str | None = None
        while True:
            with self._calls(f"search models tagged {key}"):
                page = self._rc.search_registered_models(
                    filter_string=f"tags.`{key}` LIKE '%'", max_results=100, page_token=token
                )
            names.extend(rm.name for rm in page)
            token = getattr(page, "token", None)
            if not token:
                return names

    # ---- locks: the one atomic primitive MLflow offers --------------------------------

    @contextmanager
    def lock(
        self,
        model: str,
        target_key: str,
        *,
        bucket: str | None = None,
        ttl_s: float | None = None,
        wait_s: float | None = None,
    ) -> Iterator[str]:
        """Hold the exclusive lock for (model, target) while the block runs; `bucket`
        names it instead when the caller knows only that (an approval knows its request
        id; `model` and `target_key` then only describe it in messages).

        Creating a registered model whose name exists fails for every concurrent
        caller but one, and the tags given at creation land with it, so the lock
        carries its owner and expiry. A lock past its expiry was left by a crashed
        process and is taken over. TTL and wait default to 120 s and 30 s, or to
        PROMOBOT_LOCK_TTL_SECONDS and PROMOBOT_LOCK_WAIT_SECONDS.
        """
        ttl_s = ttl_s if ttl_s is not None else _env_seconds("PROMOBOT_LOCK_TTL_SECONDS", 120.0)
        wait_s = wait_s if wait_s is not None else _env_seconds("PROMOBOT_LOCK_WAIT_SECONDS", 30.0)

        from mlflow.exceptions import MlflowException

        name = LOCK_MODEL_PREFIX + (bucket or lock_bucket(model, target_key))
        what = f"{model} {target_key}".strip()
        owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        deadline = time.monotonic() + wait_s
        delay = 0.05
        while True:
            expires = time.time() + ttl_s
            try:
                with self._calls(f"take the lock for {what}"):
                    try:
                        self._rc.create_registered_model(
                            name,
                            tags={
                                "promobot.lock.owner": owner,
                                "promobot.lock.expires": f"{expires:.3f}",
                                "promobot.lock.model": model[:5000],
                                "promobot.lock.target": target_key,
                            },
                            description=f"promobot lock for {what}; "
                            "deleted when the promotion ends",
                        )
                        break
                    except MlflowException as exc:
                        # The SQL store answers a lost create by reading the winner back; if
                        # the winner released the lock in between, that read says "does not
                        # exist": the lock is free again, so try again.
                        if exc.error_code not in (
                            "RESOURCE_ALREADY_EXISTS",
                            "RESOURCE_DOES_NOT_EXIST",
                        ):
                            raise
            except RegistryError:
                raise
            holder = self._lock_holder(name, ttl_s)
            if holder is not None and holder[0] == owner:
                # The client retried a create whose first answer was lost: the lock is ours.
                break
            if (
                holder is not None
                and holder[1] < time.time()
                and self._break_lock(name, holder, ttl_s)
            ):
                continue
            if time.monotonic() > deadline:
                who = holder[0] if holder else "another process"
                raise LockBusy(
                    f"another promotion of {what} is in progress ({who}); try again in a minute"
                )
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
        try:
            yield owner
        except RegistryError as exc:
            if exc.kind == "unavailable":
                self._release_briefly(name, owner)
            else:
                self._release(name, owner)
            raise
        except BaseException:
            self._release(name, owner)
            raise
        if time.time() < expires - _RELEASE_MARGIN_S:
            # Well before its expiry nobody may take our lock over, so it is still ours:
            # delete it without reading it first (one REST call less per command).
            self._delete_lock_model(name)
        else:
            self._release(name, owner)

    def _release_briefly(self, name: str, owner: str) -> None:
        """MLflow stopped answering mid-way: try to let go of the lock, but do not keep the
        person waiting another full round of timeouts for a server that may not answer;
        if the release does not land, the lock's expiry recovers it."""
        import threading

        releaser = threading.Thread(target=self._release, args=(name, owner), daemon=True)
        releaser.start()
        releaser.join(_RELEASE_WAIT_S)

    def _lock_holder(
        self, name: str, ttl_s: float | None = None
    ) -> tuple[str, float, float] | None:
        """(owner, expiry, creation time) of a lock. Any MLflow user may create a
        registered model, so the expiry tag is not trusted beyond the server's creation
        time plus our TTL: a lock planted with an expiry in the far future still expires."""
        from mlflow.exceptions import MlflowException

        with self._calls("read a lock"):
            try:
                rm = self._rc.get_registered_model(name)
            except MlflowException as exc:
                if self._missing(exc):
                    return None
                raise
        tags = rm.tags or {}
        try:
            expires = float(tags.get("promobot.lock.expires", "0"))
        except ValueError:
            expires = 0.0
        created = (getattr(rm, "creation_timestamp", None) or 0) / 1000
        if ttl_s is not None and created:
            expires = min(expires, created + ttl_s)
        return tags.get("promobot.lock.owner", "?"), expires, created

    def _break_lock(self, name: str, seen: tuple[str, float, float], ttl_s: float) -> bool:
        """Delete a stale lock, but only the one we saw, and only once. Every process that
        saw it expire races to create a marker named after that lock (owner, creation
        time, and the TTL-long window we are in, so that a breaker that died half way is
        replaced in the next window); only the one that creates it deletes the lock.
        Otherwise a process that read the stale lock just before another took it over
        could delete the new one. The marker stays, as a record of the takeover.
        True when this process deleted the lock (or it was already gone)."""
        import hashlib

        from mlflow.exceptions import MlflowException

        seen_owner = seen[0]
        window = int(time.time() // max(ttl_s, 1.0))
        identity = f"{seen_owner}\0{seen[2]:.3f}\0{window}".encode("utf-8", "surrogatepass")
        marker = f"{name}.broken-{hashlib.sha1(identity).hexdigest()[:12]}"
        with self._calls("take over a stale lock"):
            try:
                self._rc.create_registered_model(
                    marker,
                    tags={"promobot.lock.broken": seen_owner[:5000]},
                    description=f"promobot took over the lock {name} left by {seen_owner[:200]}",
                )
            except MlflowException as exc:
                if exc.error_code in ("RESOURCE_ALREADY_EXISTS", "RESOURCE_DOES_NOT_EXIST"):
                    return False  # another process is taking it over
                raise
        holder = self._lock_holder(name)
        if holder is None:
            return True
        if holder[0] != seen_owner:
            return False
        self._delete_lock_model(name)
        return True

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
                self._rc.delete_registered_model(name)
            except MlflowException as exc:
                if not self._missing(exc):
                    raise


_CONFLICT = re.compile(r"UNIQUE constraint|duplicate key|IntegrityError|Duplicate entry", re.I)


def _once_more_on_conflict(write: Callable[[], Any]) -> Any:
    """Run an idempotent tag write; if a concurrent writer of the same key won the insert
    (MLflow's SQL stores then fail with a unique-constraint error rather than update),
    write again: the row exists now, so the second write is an update."""
    from mlflow.exceptions import MlflowException

    try:
        return write()
    except MlflowException as exc:
        if not _CONFLICT.search(str(exc)):
            raise
        time.sleep(0.05)
        return write()


def _model_info(rm: Any) -> ModelInfo:
    latest = [_version_info(mv) for mv in rm.latest_versions or []]
    return ModelInfo(
        name=rm.name,
        tags=dict(rm.tags or {}),
        aliases={k: int(v) for k, v in (rm.aliases or {}).items()},
        stage_latest={v.stage: v.version for v in latest},
        versions={v.version: v for v in latest},
    )


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


def _network_problem(exc: BaseException) -> str:
    """What went wrong on the wire, in words (not a urllib3 repr)."""
    text = str(exc)
    if "Timeout" in type(exc).__name__ or "timed out" in text.lower():
        limit = os.environ.get("MLFLOW_HTTP_REQUEST_TIMEOUT", "")
        return f"no answer within {limit} s" if limit else "no answer in time"
    if "refused" in text.lower():
        return "connection refused"
    if "reset" in text.lower() or "aborted" in text.lower() or "closed" in text.lower():
        return "the connection was dropped"
    return _first_line(text)[:200]


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
