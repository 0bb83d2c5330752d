"""The calls on runs, a part of the gateway (bot/adapters/mlflow/gateway.py's Registry inherits
them):
a run's metrics, and CI's registration of what a run logged.

This module calls the MlflowClient the Registry made and imports nothing of mlflow: an
MLflow answer comes back from `calls` as a RegistryError carrying MLflow's error code.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from contextlib import AbstractContextManager
from typing import Any

from bot.adapters.mlflow.values import version_info
from bot.core.ports.registry import LoggedModel, RegistryError, RunInfo, VersionInfo

MISSING = ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND")
# MLflow's tag on a logged model listing the versions registered from it (its
# mlflow.utils.mlflow_tags.MLFLOW_MODEL_VERSIONS; this module does not import mlflow).
MODEL_VERSIONS_TAG = "mlflow.modelVersions"
_HEX_ID = re.compile(r"[0-9a-fA-F]{8,64}")


class RunCalls:
    """Read runs, start one for CI, and register what a run logged."""

    tracking_uri: str
    _client: Any
    rc: Any

    def calls(self, what: str) -> AbstractContextManager[None]:
        raise NotImplementedError

    def run_metrics(self, run_id: str | None) -> dict[str, float]:
        if not run_id:
            return {}
        run = self._run_or_none(run_id, f"read metrics of run {run_id}")
        return {k: float(v) for k, v in run.data.metrics.items()} if run is not None else {}

    def run_info(self, run_id: str) -> RunInfo | None:
        """A run's experiment, tags and metrics; None when there is no such run."""
        run = self._run_or_none(run_id, f"read run {run_id}")
        if run is None:
            return None
        return RunInfo(
            run_id=run.info.run_id,
            experiment_id=str(run.info.experiment_id),
            tags=dict(run.data.tags),
            metrics={k: float(v) for k, v in run.data.metrics.items()},
            model_steps={o.model_id: int(o.step or 0) for o in _model_outputs(run)},
        )

    def _run_or_none(self, run_id: str, what: str) -> Any:
        try:
            with self.calls(what):
                return self._client.get_run(run_id)
        except RegistryError as exc:
            if exc.code in MISSING:
                return None
            raise

    def create_run(self, experiment: str, tags: dict[str, str]) -> str:
        with self.calls(f"create a run in experiment {experiment}"):
            exp = self._client.get_experiment_by_name(experiment)
            exp_id = exp.experiment_id if exp else self._client.create_experiment(experiment)
            run = self._client.create_run(exp_id, tags=tags)
        return run.info.run_id

    def ensure_experiment(self, name: str, artifact_location: str | None = None) -> str:
        with self.calls(f"create experiment {name}"):
            exp = self._client.get_experiment_by_name(name)
            if exp is not None:
                return exp.experiment_id
            return self._client.create_experiment(name, artifact_location=artifact_location)

    def logged_models(self, run_id: str, experiment_id: str) -> list[LoggedModel]:
        """The models run `run_id` (of `experiment_id`) logged.

        MLflow 3 keeps a logged model outside the run's artifacts, so `runs:/<id>/model`
        finds nothing there: the models are found by their source run, as
        mlflow.register_model finds them (the id goes into a filter string, so it is
        checked to be hex first)."""
        if not _HEX_ID.fullmatch(run_id):
            raise ValueError(f"`{run_id[:80]}` is not an MLflow run id (32 hex characters)")
        found: list[LoggedModel] = []
        token: str | None = None
        while True:
            with self.calls(f"find the models run {run_id} logged"):
                page = self._client.search_logged_models(
                    experiment_ids=[experiment_id],
                    filter_string=f"source_run_id = '{run_id}'",
                    max_results=100,
                    page_token=token,
                )
            found.extend(
                LoggedModel(m.model_id, m.name, int(m.creation_timestamp or 0)) for m in page
            )
            token = getattr(page, "token", None)
            if not token:
                return found

    def register(
        self, model: str, logged: LoggedModel, run_id: str, tags: dict[str, str]
    ) -> VersionInfo:
        """A new version of `model` from the model run `run_id` logged. The version names
        the logged model twice, as its source (`models:/m-…`) and by id: an MLflow server
        refuses a `models:/m-…` source without the id that holds it (a local store takes
        it without), and keeps the version's lineage to the run and the logged model."""
        try:
            with self.calls(f"create the registered model {model}"):
                self.rc.create_registered_model(model)
        except RegistryError as exc:
            if exc.code != "RESOURCE_ALREADY_EXISTS":
                raise
        with self.calls(f"register {model} from run {run_id}"):
            mv = self._client.create_model_version(
                model,
                source=logged.uri,
                run_id=run_id,
                tags=tags,
                model_id=logged.model_id,
                await_creation_for=0,  # waited for below, without MLflow's log line
            )
            mv = self._wait_ready(model, int(mv.version))
        # Only the list on the logged model's page: the version is registered either way.
        with contextlib.suppress(RegistryError):
            self._link(logged.model_id, model, int(mv.version))
        return version_info(mv)

    def _link(self, model_id: str, model: str, version: int) -> None:
        """Record on the logged model that `model` v`version` came from it (MLflow's tag
        mlflow.modelVersions, which its UI shows on the model's page). An MLflow server
        writes it itself; a local store does not, so it is written where it is missing,
        as mlflow.register_model does."""
        with self.calls(f"link the logged model {model_id} to {model} v{version}"):
            tags = self._client.get_logged_model(model_id).tags or {}
            try:
                listed = json.loads(tags.get(MODEL_VERSIONS_TAG) or "[]")
            except ValueError:
                return  # not MLflow's list: leave it as it is
            if not isinstance(listed, list) or any(
                isinstance(e, dict)
                and (str(e.get("name")), str(e.get("version"))) == (model, str(version))
                for e in listed
            ):
                return
            listed.append({"name": model, "version": version})  # as MLflow's server writes it
            self._client.set_logged_model_tags(model_id, {MODEL_VERSIONS_TAG: json.dumps(listed)})

    def _wait_ready(self, model: str, version: int, timeout: float = 300.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            mv = self.rc.get_model_version(model, str(version))
            if mv.status != "PENDING_REGISTRATION" or time.monotonic() > deadline:
                return mv
            time.sleep(0.5)


def _model_outputs(run: Any) -> list[Any]:
    """The run's LoggedModelOutputs (model id and step); none on a run without outputs."""
    outputs = getattr(run, "outputs", None)
    return list(getattr(outputs, "model_outputs", None) or [])
