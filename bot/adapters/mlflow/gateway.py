"""The gateway to MLflow: the only module that imports mlflow (with its lock,
bot/adapters/mlflow/mutex.py). It implements bot/core/ports/registry.py's Registry and speaks only
MLflow:
what promobot's tags mean is bot/state's business. Calls are exact look-ups by name and
version; no filter string is ever built from user text.
"""

from __future__ import annotations

import os
import re
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from bot.adapters.mlflow import model_search
from bot.adapters.mlflow.artifacts import ArtifactCalls
from bot.adapters.mlflow.at_once import AtOnce, again_when_busy, served
from bot.adapters.mlflow.guard_calls import GuardCalls, guard_refusal
from bot.adapters.mlflow.installed import check_store
from bot.adapters.mlflow.ledger import PLAIN_KEY as _PLAIN_KEY
from bot.adapters.mlflow.ledger import LedgerCalls
from bot.adapters.mlflow.mutex import ExecutionMutex
from bot.adapters.mlflow.runs import MISSING, RunCalls
from bot.adapters.mlflow.values import model_info as _model_info
from bot.adapters.mlflow.values import version_info as _version_info
from bot.adapters.mlflow.webhooks import WebhookCalls
from bot.config import MLFLOW_CLIENT_DEFAULTS, patient_mlflow_client
from bot.core.ports.registry import ModelInfo, VersionInfo
from bot.core.ports.registry import RegistryError as RegistryError
from bot.core.state.keys import TAG_VALUE_MAX
from bot.core.text import masked

STAGE_NAMES = ("Staging", "Production", "Archived")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,255}")
_MISSING = MISSING

# MLflow's client settings promobot defaults (bot/config.py): seconds, not minutes.
CLIENT_DEFAULTS = MLFLOW_CLIENT_DEFAULTS
# Tag deletes in flight at once where the server has no bulk delete. MLflow's SQL store
# reads every tag of the model to delete one (a model grown to 5,000 tags: ~0.4 s a delete
# on a SQLite-backed server), and SQLite takes one writer at a time: more at once only
# fails with "database is locked" and waits (measured: 1 at a time 2.7 deletes/s, 4 5.8/s,
# 8 5.9/s, 32 5.0/s).
DELETES_AT_ONCE = 8


class Registry(RunCalls, ArtifactCalls, LedgerCalls, WebhookCalls, GuardCalls, AtOnce):
    """Narrow interface over MlflowClient: only the calls promobot makes."""

    def __init__(
        self,
        tracking_uri: str,
        *,
        registry_uri: str | None = None,
        lock_ttl_s: float = 120.0,
        lock_wait_s: float = 30.0,
    ) -> None:
        patient_mlflow_client()
        self.tracking_uri = tracking_uri
        self._registry_uri = registry_uri
        self._client_instance: Any = None
        self._locks = ExecutionMutex(self, ttl_s=lock_ttl_s, wait_s=lock_wait_s)

    @property
    def _client(self) -> Any:
        """The MlflowClient, made on first use: commands that need no registry (help,
        policy) never import mlflow nor touch (or create) a SQLite file."""
        if self._client_instance is None:
            check_store(self.tracking_uri, self._where())
            from mlflow import MlflowClient

            self._client_instance = MlflowClient(
                tracking_uri=self.tracking_uri, registry_uri=self._registry_uri
            )
        return self._client_instance

    @property
    def rc(self) -> Any:
        """MLflow's ModelRegistryClient: what MlflowClient wraps for registry calls.

        MlflowClient 3.x reads the whole registered model (`GET registered-models/get`,
        which loads every version in the SQL stores) before each registry write, to refuse
        writes to prompts. promobot writes ~15 tags per promotion, so that check alone
        doubled its REST calls and made each command O(versions) (docs/performance.md).
        promobot never writes to prompts: its models come from the policy and the
        parser, and the lock models are its own. mlflow is pinned to 3.17.x."""
        return self._client._get_registry_client()

    # ---- error mapping -------------------------------------------------------------

    def calls(self, what: str) -> AbstractContextManager[None]:
        """Turn MLflow's and the network's failures into RegistryError with a sentence."""
        return _mapped_errors(what, self._where())

    def _where(self) -> str:
        return masked(self.tracking_uri)  # never show credentials (user:pass@, ?token=)

    def missing(self, exc: Exception) -> bool:
        return getattr(exc, "error_code", "") in _MISSING

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
            with self.calls(f"read model {name}"):
                found = self.rc.search_registered_models(
                    filter_string=f"name = '{name}'", max_results=2
                )
            match = [rm for rm in found if rm.name == name]
            return _model_info(match[0]) if match else None
        with self.calls(f"read model {name}"):
            try:
                rm = self.rc.get_registered_model(name)
            except MlflowException as exc:
                if self.missing(exc) or getattr(exc, "error_code", "") == (
                    "INVALID_PARAMETER_VALUE"
                ):
                    return None
                raise
        return _model_info(rm)

    def get_version(self, model: str, version: int) -> VersionInfo | None:
        from mlflow.exceptions import MlflowException

        with self.calls(f"read {model} v{version}"):
            try:
                mv = self.rc.get_model_version(model, str(version))
            except MlflowException as exc:
                if self.missing(exc) or exc.error_code == "INVALID_PARAMETER_VALUE":
                    return None
                raise
        return _version_info(mv)

    def find_model_with_tag(self, key: str) -> ModelInfo | None:
        """A model carrying tag `key`, as read by the search that found it. `key` is one
        of promobot's own keys (bot/state), checked before it goes into the filter."""
        if not _PLAIN_KEY.fullmatch(key):
            return None
        with self.calls(f"look up the model tagged {key}"):
            found = self.rc.search_registered_models(
                filter_string=f"tags.`{key}` LIKE '%'", max_results=2
            )
        return _model_info(found[0]) if found else None

    # ---- writing -------------------------------------------------------------------

    def set_model_tag(self, model: str, key: str, value: str) -> None:
        with self.calls(f"write tag {key} on {model}"):
            _write(lambda: self.rc.set_registered_model_tag(model, key, value[:TAG_VALUE_MAX]))

    def delete_model_tag(self, model: str, key: str) -> None:
        from mlflow.exceptions import MlflowException

        with self.calls(f"remove tag {key} of {model}"):
            try:
                # Made again while the store is busy: compaction deletes hundreds at once,
                # and a SQLite-backed server answers some "database is locked".
                _write(lambda: self.rc.delete_registered_model_tag(model, key))
            except MlflowException as exc:
                if not self.missing(exc):
                    raise

    def delete_model_tags(self, model: str, keys: list[str]) -> None:
        """Many of promobot's own tags of one model: through the guard's bulk delete where
        the server offers it (guard_calls.py), else one call per key, DELETES_AT_ONCE at
        once (each of which MLflow's server answers after reading the whole model)."""
        if not keys or self.delete_state_tags(model, keys):
            return
        for start in range(0, len(keys), DELETES_AT_ONCE):
            chunk = keys[start : start + DELETES_AT_ONCE]
            self.at_once([lambda k=k: self.delete_model_tag(model, k) for k in chunk])

    def set_version_tags(self, model: str, version: int, tags: dict[str, str]) -> None:
        with self.calls(f"write tags on {model} v{version}"):
            for key, value in tags.items():
                _write(
                    lambda k=key, v=value: self.rc.set_model_version_tag(
                        model, str(version), k, v[:TAG_VALUE_MAX]
                    )
                )

    def delete_version_tag(self, model: str, version: int, key: str) -> None:
        """Remove a model-version tag; one that is not there is fine (retries are harmless)."""
        with self.calls(f"remove tag {key} of {model} v{version}"):
            _unless_missing(lambda: self.rc.delete_model_version_tag(model, str(version), key))

    def append_description(
        self, model: str, version: int, line: str, current: str | None = None
    ) -> None:
        """Add `line` to the description unless it is already there (retries are harmless).
        `current` is the description the caller read under the lock, else it is read."""
        with self.calls(f"update the description of {model} v{version}"):
            if current is None:
                current = self.rc.get_model_version(model, str(version)).description or ""
            if line in current.splitlines():
                return
            text = f"{current.rstrip()}\n{line}" if current.strip() else line
            _write(lambda: self.rc.update_model_version(model, str(version), description=text))

    def move_stage(self, model: str, version: int, stage: str) -> None:
        """Put `version` in `stage`; MLflow archives the other holders in the same call,
        so the target is never empty and never doubly held."""
        archive = stage in ("Staging", "Production")
        with self.calls(f"move {model} v{version} to {stage}"), warnings.catch_warnings():
            # Stages are deprecated in MLflow 3 but are what `models:/m/Production` reads.
            warnings.simplefilter("ignore", FutureWarning)
            _write(
                lambda: self.rc.transition_model_version_stage(
                    model, str(version), stage, archive_existing_versions=archive
                )
            )

    def set_alias(self, model: str, alias: str, version: int) -> None:
        with self.calls(f"point @{alias} of {model} at v{version}"):
            _write(lambda: self.rc.set_registered_model_alias(model, alias, str(version)))

    def delete_alias(self, model: str, alias: str) -> None:
        with self.calls(f"remove @{alias} of {model}"):
            _unless_missing(lambda: self.rc.delete_registered_model_alias(model, alias))

    def versions_for_commit(self, model: str, sha: str) -> list[int]:
        """Versions registered from git commit `sha` (tag `git_commit`), newest first.
        Both parts are checked before they go into the filter string."""
        if not re.fullmatch(r"[0-9a-fA-F]{7,40}", sha) or not re.fullmatch(
            r"[A-Za-z0-9][A-Za-z0-9._-]{0,255}", model
        ):
            return []
        with self.calls(f"find versions of {model} from commit {sha[:12]}"):
            found = self.rc.search_model_versions(
                filter_string=f"name = '{model}' and tags.git_commit = '{sha.lower()}'",
                max_results=50,
            )
        return sorted((int(mv.version) for mv in found), reverse=True)

    def model_names(self, patterns: Sequence[str] = ()) -> list[str]:
        """Every registered model's name (a paged search of models, not of versions);
        with `patterns` (the policy's fnmatch names), at least those that match them, as
        MLflow's `name LIKE` can narrow it (see _like_filters): callers match exactly."""
        names: list[str] = []
        for where in _like_filters(patterns):
            names.extend(_model_names(self, where, "list the registered models"))
        return list(dict.fromkeys(names))

    def models(self, patterns: Sequence[str] = ()) -> list[ModelInfo]:
        """Every registered model with its tags, aliases and latest versions: the paged
        search of models, 100 a call (the release board reads every governed model at
        once, instead of one call per model). `patterns` narrows it as in model_names."""
        found: dict[str, ModelInfo] = {}
        for where in _like_filters(patterns):
            token: str | None = None
            while True:
                with self.calls("list the registered models"):
                    page, token = self._models_page(where, token)
                for info in page:
                    found.setdefault(info.name, info)
                if not token:
                    break
        return list(found.values())

    def _models_page(self, where: str, token: str | None) -> tuple[list[ModelInfo], str | None]:
        """One page of the search: read as JSON from a tracking server (model_search.py
        says why), through the client from a local store."""
        uri = self._registry_at()
        if served(uri):
            return model_search.search_page(uri, where, token)
        page = self.rc.search_registered_models(
            filter_string=where or None, max_results=model_search.PAGE, page_token=token
        )
        return [_model_info(rm) for rm in page], getattr(page, "token", None)

    def models_tagged(self, key: str) -> list[str]:
        """The registered models that carry tag `key`. `key` is one of promobot's own
        constants, never user text: it goes into a filter string, so anything but
        [A-Za-z0-9_.-] is refused."""
        if not _PLAIN_KEY.fullmatch(key):
            raise ValueError(f"not a plain tag key: {key!r}")
        return _model_names(self, f"tags.`{key}` LIKE '%'", f"search models tagged {key}")

    # ---- the lock of one target (bot/adapters/mlflow/mutex.py) ----------------------------------

    def mutex(
        self, bucket: str, model: str, target_key: str, wait_s: float | None = None
    ) -> AbstractContextManager[str]:
        """Hold the exclusive lock named `bucket` (state.mutex_bucket of model and target)
        while the block runs; `model` and `target_key` describe it in messages. MutexBusy
        after waiting `wait_s` (None: the configured wait) for another holder."""
        return self._locks.hold(bucket, model, target_key, wait_s)


def _like_filters(patterns: Sequence[str]) -> list[str]:
    """MLflow filter strings that together find at least every model an fnmatch pattern
    of `patterns` names: `*` as `%`, `?` and a `[…]` class as `_`; a `%` or `_` of the
    pattern stays a wildcard, and a backend's case-insensitive LIKE finds more, which
    callers sort out by matching exactly. A pattern that cannot go into a filter string
    (a quote, a backslash), or none given, lists every model (""). Narrowed, a listing
    leaves out promobot's ledgers, whose newest page MLflow returns with every model's
    answer (its latest version, tags and all)."""
    filters: list[str] = []
    for pattern in dict.fromkeys(patterns):
        if not pattern or any(c in pattern for c in "'\"\\`"):
            return [""]
        like = re.sub(r"\[[^\]]*\]", "_", pattern).replace("*", "%").replace("?", "_")
        if set(like) <= {"%"}:
            return [""]
        exact = like == pattern and not any(c in like for c in "%_")
        filters.append(f"name = '{like}'" if exact else f"name LIKE '{like}'")
    return filters or [""]


def _model_names(registry: Registry, filter_string: str, what: str) -> list[str]:
    """The names of the registered models `filter_string` finds (all: ""), every page."""
    names: list[str] = []
    token: str | None = None
    while True:
        with registry.calls(what):
            page = registry.rc.search_registered_models(
                filter_string=filter_string or None, max_results=100, page_token=token
            )
        names.extend(rm.name for rm in page)
        token = getattr(page, "token", None)
        if not token:
            return names


@contextmanager
def _mapped_errors(what: str, where: str) -> Iterator[None]:
    """Turn MLflow's and the network's failures into RegistryError with a sentence."""
    from mlflow.exceptions import MlflowException

    try:
        yield
    except MlflowException as exc:
        raise _from_mlflow(exc, what, where) from exc
    except (OSError, TimeoutError) as exc:
        raise RegistryError(
            f"MLflow is unreachable at {where} ({what}): {_first_line(str(exc))}"
        ) from exc
    except Exception as exc:
        # requests' errors and the like: anything below the client is a system fault.
        if type(exc).__module__.split(".")[0] in ("requests", "urllib3", "sqlalchemy"):
            raise RegistryError(
                f"MLflow is unreachable at {where} ({what}): {_first_line(str(exc))}"
            ) from exc
        raise


def _from_mlflow(exc: Any, what: str, where: str) -> RegistryError:
    """One MlflowException as a RegistryError: no answer (the client wraps the network's
    OSError) or a 5xx is "unavailable"; any other answer is MLflow refusing, with its code,
    its own message and what to do about it."""
    code = str(getattr(exc, "error_code", "") or "")
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, OSError):  # requests' network errors are OSErrors
        return RegistryError(
            f"MLflow is unreachable at {where} ({what}): "
            f"{_network_problem(cause)}. Once it answers again, run the same "
            "command: it finishes what was started without doing anything twice."
        )
    # Each sentence below ends MLflow's words with its own period.
    said = _first_line(str(exc)).rstrip(". ")
    if code and not said.startswith(code):  # a REST answer already starts with its code
        said = f"{code}: {said}"
    if code in ("UNAUTHENTICATED", "CUSTOMER_UNAUTHORIZED"):
        return RegistryError(
            f"MLflow denied permission to {what}: it did not accept the credentials "
            f"promobot sent ({said}). Check MLFLOW_TRACKING_USERNAME and "
            "MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN).",
            kind="permission",
            code=code,
        )
    if code == "PERMISSION_DENIED" and (refused := guard_refusal(exc, what)):
        return refused
    if code == "PERMISSION_DENIED":
        user = os.environ.get("MLFLOW_TRACKING_USERNAME", "")
        return RegistryError(
            f"MLflow refused to {what}: the MLflow user{f' {user}' if user else ''} lacks "
            f"permission ({said}). Ask the platform team to grant it what docs/deploy.md "
            "lists for its account (the bot: MANAGE on the models; CI: EDIT on its "
            "experiment and its models).",
            kind="permission",
            code=code,
        )
    if exc.get_http_status_code() >= 500:
        return RegistryError(
            f"MLflow failed to {what} at {where}: {said}. This is MLflow's own failure: "
            "try again; if it lasts, MLflow's log says why.",
            code=code,
        )
    return RegistryError(
        f"MLflow at {where} refused to {what}: {said}. {_REFUSAL_HINTS.get(code, _REFUSED)}",
        kind="refused",
        code=code,
    )


_REFUSED = (
    "MLflow answered, so the same command gets the same answer: put right what it names, "
    "then run it again."
)
_REFUSAL_HINTS = {
    "RESOURCE_DOES_NOT_EXIST": "Check the name or id, and that MLFLOW_TRACKING_URI is the "
    "MLflow that holds it.",
    "NOT_FOUND": "Check the name or id, and that MLFLOW_TRACKING_URI is the MLflow that holds it.",
    "ENDPOINT_NOT_FOUND": "Check MLFLOW_TRACKING_URI: it must be the address of an MLflow 3 "
    "tracking server (its API answered 404).",
}


_CONFLICT = re.compile(r"UNIQUE constraint|duplicate key|IntegrityError|Duplicate entry", re.I)


def _write(write: Callable[[], Any]) -> Any:
    """An idempotent write, made again while the store is busy (bot/adapters/mlflow/at_once.py)
    and once more after losing an insert race."""
    from mlflow.exceptions import MlflowException

    return again_when_busy(lambda: _once_more_on_conflict(write), MlflowException)


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


def _unless_missing(delete: Callable[[], Any]) -> None:
    """Run a delete; what is already gone is fine (a retry, or a tag never written)."""
    from mlflow.exceptions import MlflowException

    try:
        again_when_busy(delete, MlflowException)
    except MlflowException as exc:
        if getattr(exc, "error_code", "") not in _MISSING:
            raise


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


def _first_line(text: str) -> str:
    """The first line of an error, with any secret of a URI it quotes masked (requests
    and urllib3 quote the URL they called, query and all)."""
    line = text.strip().splitlines()[0] if text.strip() else "no details"
    return masked(line)[:300]
