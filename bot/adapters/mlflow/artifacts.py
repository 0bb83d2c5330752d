"""A version's files, a part of the gateway (bot/adapters/mlflow/gateway.py's Registry
inherits it): their digest, the one promobot/signatures.py defines and deployment code's
`promobot.serving` computes again before it loads them.

The files are downloaded through MLflow (`models:/<model>/<version>`: the version's source,
a logged model's or a run's artifacts) into a temporary folder, hashed streaming and
removed: a large model is never held in memory whole.
"""

from __future__ import annotations

import tempfile
from contextlib import AbstractContextManager
from pathlib import Path


class ArtifactCalls:
    tracking_uri: str

    def calls(self, what: str) -> AbstractContextManager[None]:
        raise NotImplementedError

    def artifact_digest(self, model: str, version: int) -> str:
        return self._digest(f"models:/{model}/{version}", f"{model} v{version}")

    def files_digest(self, uri: str) -> str:
        return self._digest(uri, uri)

    def _digest(self, uri: str, what: str) -> str:
        from mlflow.artifacts import download_artifacts

        from promobot.signatures import DOWNLOAD_ONLY_FILES, artifact_digest

        with (
            self.calls(f"read the files of {what}"),
            tempfile.TemporaryDirectory(prefix="promobot-digest-") as folder,
        ):
            # The registry is the tracking server, as for promobot's MlflowClient: without
            # registry_uri, MLflow resolves `models:/` on the process's default registry.
            local = download_artifacts(
                artifact_uri=uri,
                dst_path=folder,
                tracking_uri=self.tracking_uri,
                registry_uri=self.tracking_uri,
            )
            # MLflow's client adds a file of its own to a download by version: not stored.
            return artifact_digest(Path(local), exclude=DOWNLOAD_ONLY_FILES)
