"""Status, history, policy and help (bot/core/service/queries.py) against a real SQLite
MLflow registry."""

from __future__ import annotations

from service_helpers import M, run, to_production


def test_status_shows_holders_and_pending(service, models, two_versions):
    v1, v2 = two_versions
    to_production(service, v1)
    run(service, "slack:U01BOB", f"promote {M} v2 staging x")
    pending = run(service, "slack:U01BOB", f"promote {M} v2 production y")
    models.client.set_registered_model_alias(M, "champion", str(v1))
    status = run(service, "cli:x", f"status {M}")
    holders = {h.target: h.version for h in status.holders}
    assert holders == {"Production": v1, "Staging": v2, "@champion": v1}
    assert [
        (p.request_id, p.version, p.target, p.approvals, p.approvals_required)
        for p in status.pending
    ] == [(pending.request_id, v2, "Production", 0, 1)]


def test_history_newest_first_with_limit(service, models, two_versions):
    v1, v2 = two_versions
    to_production(service, v1)
    to_production(service, v2)
    run(service, "slack:U01CAROL", f"rollback {M} to v1 hmm")
    history = run(service, "cli:x", f"history {M}")
    assert [(h.kind, h.version, h.target) for h in history.history] == [
        ("rollback", v1, "Production"),
        ("promote", v2, "Production"),
        ("promote", v2, "Staging"),
        ("promote", v1, "Production"),
        ("promote", v1, "Staging"),
    ]
    limited = run(service, "cli:x", f"history {M} --limit 1")
    assert len(limited.history) == 1


def test_policy_explains_each_target(service):
    result = run(service, "cli:x", f"policy {M}")
    assert result.status == "done"
    labels = [label for label, _ in result.explanation]
    assert "Production" in labels and any("rollback" in label.lower() for label in labels)
    unknown = run(service, "cli:x", "policy nothing-here")
    assert unknown.status == "refused"


def test_help_answers(service):
    result = run(service, "cli:x", "help promote")
    assert result.status == "done" and "promote" in result.text
