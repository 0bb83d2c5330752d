"""The audit (bot/core/service/drift_scan.py) on a real SQLite registry: which models it
looks at, what it says of names MLflow does not have, and that it finds drift on each
target the policy names (what drift is: test_drift.py)."""

from __future__ import annotations

from pathlib import Path

EVERYTHING = """\
people:
  bob: {email: bob@example.com}
groups:
  eng: [bob]
models:
  - name: "*"
    targets:
      staging: {requesters: [eng], approvals: 0}
      "@champion": {requesters: [eng], approvals: 0}
"""


def test_every_model_a_rule_names_is_audited_but_promobots_own_locks(
    service_factory, models, tmp_path: Path
) -> None:
    policy = tmp_path / "everything.yaml"
    policy.write_text(EVERYTHING)
    service = service_factory(policy)
    for name in ("b-model", "a-model"):
        models.version(name, accuracy=0.9)
    models.client.create_registered_model("promobot-lock.8b4e")

    assert sorted(service.drift_scan.governed()) == ["a-model", "b-model"]
    assert service.drift_scan.target_keys("a-model") == ["staging", "@champion"]


def test_names_given_are_audited_as_given_and_unknown_ones_named(service, models) -> None:
    version = models.version("sentiment-classifier", accuracy=0.9)
    models.client.transition_model_version_stage("sentiment-classifier", str(version), "Staging")
    models.version("ungoverned", accuracy=0.9)

    report = service.drift_scan.scan(["sentiment-classifier", "nope"])

    assert (report.models_checked, report.unknown) == (1, ["nope"])
    assert [(f.target, f.kind, f.holder, f.recorded) for f in report.findings] == [
        ("Staging", "outside", version, None),
        ("Staging", "mirror", version, None),
    ]
    assert service.drift_scan.governed() == ["sentiment-classifier"]
    assert service.drift_scan.target_keys("ungoverned") == []
