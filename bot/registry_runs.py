"""The calls on runs, a part of the gateway (bot/registry.py's Registry inherits them):
a run's metrics, and CI's registration of what a run logged.

This module calls the MlflowClient the Registry made and imports nothing of mlflow: an
MLflow answer comes back from `calls` as a RegistryError carrying MLflow's error code.
"""

from __future__ import annotations

import re
import time
from contextlib import AbstractContextManager
from typing import Any

from bot.ports import RegistryError, RunInfo, VersionInfo
from bot.registry_values import version_info

MISSING = ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND")


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

    def logged_model_uri(self, run_id: str, artifact_name: str = "model") -> str:
        """The URI of the model a run logged under `artifact_name`.

        MLflow 3 stores models as LoggedModels (`models:/m-…`) outside the run's
        artifacts; registering `runs:/<id>/model` only works through a fallback that
        warns. So look the logged model up by its source run (the id is checked to be
        hex first: it goes into a filter string)."""
        if not re.fullmatch(r"[0-9a-fA-F]{8,64}", run_id):
            raise ValueError(f"`{run_id[:80]}` is not an MLflow run id (32 hex characters)")
        with self.calls(f"find the model logged by run {run_id}"):
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

    def register(
        self, model: str, source: str, run_id: str | None, tags: dict[str, str]
    ) -> VersionInfo:
        try:
            with self.calls(f"create the registered model {model}"):
                self.rc.create_registered_model(model)
        except RegistryError as exc:
            if exc.code != "RESOURCE_ALREADY_EXISTS":
                raise
        with self.calls(f"register {model}"):
            mv = self._client.create_model_version(model, source=source, run_id=run_id, tags=tags)
            mv = self._wait_ready(model, int(mv.version))
        return version_info(mv)

    def _wait_ready(self, model: str, version: int, timeout: float = 300.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            mv = self.rc.get_model_version(model, str(version))
            if mv.status != "PENDING_REGISTRATION" or time.monotonic() > deadline:
                return mv
            time.sleep(0.5)
