"""An experiment, not a fix we ship: MLflow 3.17's registry without its two
O(versions) paths, to measure what promobot's scale figures would be with them fixed
upstream (`python -m bench --patched-mlflow`; see docs/performance.md).

Loaded by the benchmark's `mlflow server` processes only (PYTHONPATH points here and
PROMOBOT_BENCH_PATCH_MLFLOW=1):

1. SqlAlchemyStore.get_registered_model loads every version of the model to find the
   latest of each stage; here it uses the window query its own search already uses.
2. The server's write handlers (set/delete a registered-model tag, a version tag, an
   alias) call `_is_prompt(name)`, which builds the whole registered model to read one
   tag; here it reads the model's tags only.
"""

import os

if os.environ.get("PROMOBOT_BENCH_PATCH_MLFLOW"):
    import mlflow.server.handlers as _handlers
    from mlflow.prompt.constants import IS_PROMPT_TAG_KEY
    from mlflow.store.model_registry import sqlalchemy_store as _store

    def get_registered_model(self, name):  # type: ignore[no-untyped-def]
        with self.ManagedSessionMaker() as session:
            rm = self._get_registered_model(session, name, eager=True)
            latest = self._get_latest_versions_for_models(session, [rm.name])
            return rm.to_mlflow_entity(preloaded_latest_versions=latest.get(rm.name))

    def _is_prompt(name):  # type: ignore[no-untyped-def]
        store = _handlers._get_model_registry_store()
        with store.ManagedSessionMaker() as session:
            rm = store._get_registered_model(session, name, eager=True)
            tags = {t.key: t.value for t in rm.registered_model_tags}
        return str(tags.get(IS_PROMPT_TAG_KEY, "false")).lower() == "true"

    _store.SqlAlchemyStore.get_registered_model = get_registered_model
    _handlers._is_prompt = _is_prompt
