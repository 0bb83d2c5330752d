"""CI registration: the use case behind `promobot register` (its door is
bot/doors/cli/register.py).

Before training, a run is started with the git metadata of the workflow run, so the
training command logs into it. After training, the model that run logged becomes a new
version tagged with the same metadata, and its metrics are set beside the version now
in Production for the job summary. A person's mistake (no such run, a run that logged no
model) comes back as a sentence; a broken MLflow raises RegistryError.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.ports.registry import LoggedModel, ModelInfo, Registry, RegistryError
from bot.core.results import Comparison, Registered
from bot.core.state.signed import ARTIFACT_DIGEST_TAG

# The model-version (and run) tags that tie a version to its commit (docs/contract.md).
GIT_TAGS = (
    "git_repository",
    "git_commit",
    "git_branch",
    "git_pull_request",
    "ci_run_url",
    "ci_actor",
)


class Registration:
    """Start a run, register what it logged, compare it with Production."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def ensure_experiment(self, name: str, artifact_location: str | None = None) -> str:
        """The id of experiment `name`, created (with its artifact location) if missing."""
        return self.registry.ensure_experiment(name, artifact_location)

    def start_run(
        self,
        experiment: str,
        git_tags: Mapping[str, str],
        extra_tags: Mapping[str, str],
        run_name: str | None = None,
    ) -> tuple[str, str]:
        """A new run in `experiment` (created if missing), tagged with the git metadata
        (also as MLflow's own source tags, which its UI shows) and the extra tags;
        returns the run id and the experiment id."""
        tags = {**git_tags, **extra_tags}
        if git_tags.get("git_commit"):
            tags.setdefault("mlflow.source.git.commit", git_tags["git_commit"])
        if git_tags.get("git_branch"):
            tags.setdefault("mlflow.source.git.branch", git_tags["git_branch"])
        if run_name:
            tags["mlflow.runName"] = run_name
        run_id = self.registry.create_run(experiment, tags)
        info = self.registry.run_info(run_id)
        if info is None:  # made a moment ago: only a broken server loses it
            raise RegistryError(f"MLflow lost run {run_id} right after creating it")
        return run_id, info.experiment_id

    def register(
        self,
        model: str,
        run_id: str,
        artifact: str,
        extra_tags: Mapping[str, str],
        git_tags: Mapping[str, str],
    ) -> Registered | str:
        """Register the model the run logged under `artifact` as a new version of `model`,
        or say (as a sentence) why there is nothing to register.

        The version's git tags are the run's own (they record what was trained), with
        `git_tags` (this workflow run's) filling what the run lacks; `extra_tags` win."""
        run = self.registry.run_info(run_id)
        if run is None:
            return (
                f"there is no MLflow run {run_id} at this tracking server. Check --run-id "
                "(or MLFLOW_RUN_ID), and that MLFLOW_TRACKING_URI is the server the training "
                "logged to."
            )
        logged = self.registry.logged_models(run_id, run.experiment_id)
        chosen = _the_logged_model(logged, artifact, run.model_steps)
        if chosen is None:
            return _nothing_to_register(run_id, artifact, logged)
        run_tags = run.tags
        tags = {key: run_tags.get(key) or git_tags.get(key, "") for key in GIT_TAGS}
        tags = {key: value for key, value in {**tags, **extra_tags}.items() if value}
        # The digest of the files registered, written with the version (the guard refuses
        # it later): a request for a version whose files changed since is refused.
        tags[ARTIFACT_DIGEST_TAG] = self.registry.files_digest(chosen.uri)
        info = self.registry.register(model, chosen, run_id, tags)
        return Registered(
            model=model,
            version=info.version,
            run_id=run_id,
            model_uri=f"models:/{model}/{info.version}",
            source=info.source,
            tags=tags,
        )

    def compare_with_production(self, model: str, run_id: str) -> Comparison:
        """The run's metrics, and the version now in production with its metrics."""
        metrics = self.registry.run_metrics(run_id)
        info = self.registry.get_model(model)
        number, label = _in_production(info)
        held = None
        if info is not None and number is not None:  # the latest of each stage came with it
            held = info.versions.get(number) or self.registry.get_version(model, number)
        production_metrics = self.registry.run_metrics(held.run_id) if held is not None else {}
        return Comparison(metrics, number, production_metrics, label)


def _in_production(info: ModelInfo | None) -> tuple[int | None, str]:
    """The version in production and how it is labelled. Registration reads no policy, so
    it cannot ask whether the registry has stages (`registry: {stages: false}`): the
    stage Production while @production mirrors it (or is not set), else @production, which
    a registry without stages moves alone, whatever stage it still shows."""
    if info is None:
        return None, "Production"
    stage, alias = info.stage_latest.get("Production"), info.aliases.get("production")
    if alias is None or alias == stage:
        return stage, "Production"
    return alias, "@production"


def _the_logged_model(
    logged: list[LoggedModel], name: str, steps: Mapping[str, int]
) -> LoggedModel | None:
    """The model logged under `name`; of several (checkpoints logged at steps), the one
    at the highest step, as mlflow.register_model picks, then the newest."""
    named = [m for m in logged if m.name == name]
    if not named:
        return None
    return max(named, key=lambda m: (steps.get(m.model_id, 0), m.created_ms))


def _nothing_to_register(run_id: str, name: str, logged: list[LoggedModel]) -> str:
    if logged:
        others = ", ".join(sorted({repr(m.name) for m in logged}))
        return (
            f"run {run_id} logged no model named {name!r}, so there is nothing to register "
            f"under that name; it logged {others}. Pass --artifact with the name the model "
            "was logged under."
        )
    return (
        f"run {run_id} logged no model, so there is nothing to register. Log one "
        f"in the training command (e.g. mlflow.sklearn.log_model(model, "
        f"name={name!r})), or pass --artifact with the name it was logged under."
    )
