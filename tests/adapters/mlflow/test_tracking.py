"""The demo's registry is MLflow's current one while the story runs, whatever an
earlier caller in the process set, and what was there before is back afterwards."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest

from bot.adapters.mlflow.tracking import current_tracking_uri


def test_a_uri_set_before_does_not_redirect_the_story(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    story = f"sqlite:///{tmp_path / 'story.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "")  # put back by monkeypatch afterwards
    mlflow.set_tracking_uri("http://127.0.0.1:9")  # a server gone since, set by someone else
    try:
        with current_tracking_uri(story):
            assert mlflow.get_tracking_uri() == story
            import os

            assert os.environ["MLFLOW_TRACKING_URI"] == story  # subprocesses see it too
        # Afterwards: what was there is back (MLflow had mirrored its setting into the
        # variable).
        assert mlflow.get_tracking_uri() == "http://127.0.0.1:9"
    finally:
        mlflow.set_tracking_uri(None)  # type: ignore[arg-type]


def test_without_a_variable_before_none_is_left_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    with current_tracking_uri("sqlite:////tmp/promobot-tracking-test.db"):
        pass
    assert "MLFLOW_TRACKING_URI" not in os.environ
