"""MLflow's current tracking URI, set for a while and put back: what MLflow's fluent API
(and so the example's `train`) logs to. MLflow's own setting wins over the environment
variable, so a URI an earlier caller in the same process set (a test, a notebook) would
send the demo's runs to a registry that is not the demo's, or to a server gone since."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import mlflow


@contextmanager
def current_tracking_uri(uri: str) -> Iterator[None]:
    saved = os.environ.get("MLFLOW_TRACKING_URI")
    mlflow.set_tracking_uri(uri)  # also sets the variable, for subprocesses
    try:
        yield
    finally:
        # None clears MLflow's setting and the variable it mirrored it into.
        mlflow.set_tracking_uri(None)  # type: ignore[arg-type]
        if saved is not None:
            os.environ["MLFLOW_TRACKING_URI"] = saved
