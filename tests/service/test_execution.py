"""Execution (bot/service/execution.py): interrupted executions finished by the next
command, against a real SQLite MLflow registry."""

from __future__ import annotations

from typing import Any

import pytest
from service_helpers import M, run
from state_facts import unfinished

from bot.service import Service


def killed_before_the_description(service: Service, monkeypatch: Any, text: str) -> None:
    """Run `text` as bob, with the process dying when it comes to write the description:
    the stage has moved, the tags and the description line are not written."""
    registry = service.registry
    real = registry.append_description

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("process killed")

    monkeypatch.setattr(registry, "append_description", crash)
    with pytest.raises(RuntimeError):
        run(service, "slack:U01BOB", text)
    monkeypatch.setattr(registry, "append_description", real)


def test_interrupted_promotion_is_completed_by_the_retry(
    service, models, two_versions, monkeypatch
):
    """A crash after the stage moved but before tags and description: the same command
    again finishes it, with no duplicate description line or history entry."""
    v1, _ = two_versions
    killed_before_the_description(service, monkeypatch, f"promote {M} v1 staging x")
    assert models.stage(M, v1) == "Staging"
    assert unfinished(models.model_tags(M))  # the event is written, its outcome is not
    again = run(service, "slack:U01BOB", f"promote {M} v1 staging x")
    assert again.status == "done"
    assert len(models.description(M, v1).splitlines()) == 1
    tags = models.model_tags(M)
    assert not unfinished(tags)
    assert len([k for k in tags if k.startswith("promobot.event.")]) == 1


def test_interrupted_promotion_of_a_deleted_version_does_not_block_the_target(
    service, models, two_versions, monkeypatch
):
    v1, v2 = two_versions
    killed_before_the_description(service, monkeypatch, f"promote {M} v1 staging x")
    models.client.delete_model_version(M, str(v1))
    result = run(service, "slack:U01BOB", f"promote {M} v2 staging y")
    assert result.status == "done", result.reasons
    assert models.stage(M, v2) == "Staging"
    tags = models.model_tags(M)
    assert not unfinished(tags)
    states = [v for k, v in tags.items() if k.endswith(".state")]
    assert any('"failed"' in v and "deleted" in v for v in states)
