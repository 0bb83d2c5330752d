"""MLflow's registered models and model versions as promobot's values
(bot/adapters/mlflow/values.py), read from a real SQLite registry."""

from __future__ import annotations

from bot.adapters.mlflow.values import model_info, version_info
from bot.core.ports.registry import VersionInfo

M = "sentiment-classifier"


def test_a_model_with_the_latest_version_of_each_stage_and_its_aliases(models) -> None:
    v1, v2, v3 = (models.version(M, accuracy=0.9) for _ in range(3))
    client = models.client
    client.transition_model_version_stage(M, str(v1), "Production")
    client.transition_model_version_stage(M, str(v2), "Staging")
    client.set_registered_model_alias(M, "champion", str(v1))
    client.set_registered_model_tag(M, "team", "nlp")

    info = model_info(client.get_registered_model(M))

    assert (info.name, info.tags, info.aliases) == (M, {"team": "nlp"}, {"champion": v1})
    assert info.stage_latest == {"Production": v1, "Staging": v2, "None": v3}
    assert sorted(info.versions) == [v1, v2, v3]
    assert [info.versions[v].stage for v in (v1, v2, v3)] == ["Production", "Staging", "None"]
    assert info.latest_version == v3


def test_a_version_with_its_run_source_aliases_tags_and_description(models) -> None:
    version = models.version(M, accuracy=0.9)
    client = models.client
    client.set_model_version_tag(M, str(version), "git_commit", "a" * 40)
    client.update_model_version(M, str(version), description="first cut")
    client.set_registered_model_alias(M, "champion", str(version))
    mv = client.get_model_version(M, str(version))

    assert version_info(mv) == VersionInfo(
        model=M,
        version=version,
        stage="None",
        run_id=mv.run_id,
        source=mv.source,
        aliases=("champion",),
        tags={"git_commit": "a" * 40},
        description="first cut",
    )
    assert mv.run_id and mv.source.startswith("runs:/")


def test_a_version_registered_without_a_run_has_no_run_id(models) -> None:
    models.client.create_registered_model("no-run")
    mv = models.client.create_model_version("no-run", source="s3://bucket/model")
    read = version_info(mv)
    assert (read.run_id, read.source, read.description, read.tags) == (
        None,
        "s3://bucket/model",
        "",
        {},
    )
