"""An approval binds to what was requested: the version number, its run id and its
source. If the version was deleted, or the model deleted and re-created so that the same
number now means another model, approving promotes nothing and the request says why.
Against real servers (SQLite and PostgreSQL backends).
"""

from __future__ import annotations

import json

import pytest

from .conftest import Registry, make_versions, report, unique
from .test_concurrency import run, service_for

pytestmark = pytest.mark.server


def _pending(url, policy, model, version):
    service = service_for(url, policy)
    asked = run(service, "github:eng0", f"promote {model} v{version} production ship it")
    assert asked.status == "pending", asked
    return service, asked.request_id


def test_version_deleted_before_the_approval(backend, reliability_policy):
    url, model = backend.url, unique("bind")
    make_versions(url, model, 2)
    service, request_id = _pending(url, reliability_policy, model, 2)
    reg = Registry(url)
    reg.client.delete_model_version(model, "2")
    result = run(service, "github:lead0", f"approve {request_id}")
    assert result.status == "refused" and "v2 was deleted" in result.reasons[0]
    assert reg.holders(model, "Production") == []
    assert "production" not in reg.aliases(model)
    state = json.loads(reg.model_tags(model)[f"mlflow.promobot.request.{request_id}.state"])
    assert state["state"] == "failed" and "deleted" in state["detail"]
    again = run(service, "github:lead1", f"approve {request_id}")
    assert again.status == "refused" and "failed" in again.reasons[0]


def test_model_deleted_and_recreated_with_the_same_version_number(backend, reliability_policy):
    """MLflow never reuses a deleted version's number within a model, but deleting the
    model and registering it anew starts again at v1. The request lived on the old model,
    so it is gone with it; and if its tag is restored onto the new model (say, from a
    backup of the tags), the run and source no longer match: nothing is promoted."""
    url, model = backend.url, unique("bind")
    make_versions(url, model, 1)
    service, request_id = _pending(url, reliability_policy, model, 1)
    reg = Registry(url)
    tags = reg.model_tags(model)
    reg.client.delete_registered_model(model)
    make_versions(url, model, 1)  # a different run, registered as v1 again
    assert (
        reg.client.get_model_version(model, "1").run_id
        != json.loads(tags[f"mlflow.promobot.request.{request_id}"])["run_id"]
    )

    gone = run(service, "github:lead0", f"approve {request_id}")
    assert gone.status == "refused" and "no request" in gone.reasons[0]
    assert reg.holders(model, "Production") == []

    reg.client.set_registered_model_tag(
        model,
        f"mlflow.promobot.request.{request_id}",
        tags[f"mlflow.promobot.request.{request_id}"],
    )
    restored = run(service, "github:lead0", f"approve {request_id}")
    assert restored.status == "refused", restored
    assert "no longer the version that was requested" in restored.reasons[0]
    assert reg.holders(model, "Production") == []
    assert "production" not in reg.aliases(model)
    assert reg.description_lines(model, 1) == []
    report(
        "approval binding",
        backend.name,
        deleted_version="refused, state failed",
        recreated_model="refused (request gone)",
        recreated_with_restored_request="refused, run/source differ",
    )
