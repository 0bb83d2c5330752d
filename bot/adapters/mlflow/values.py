"""MLflow's registered models and model versions as promobot's values (bot/core/ports/registry.py):
a
part of the gateway that imports nothing of mlflow."""

from __future__ import annotations

from typing import Any

from bot.core.ports.registry import ModelInfo, VersionInfo


def model_info(rm: Any) -> ModelInfo:
    """A RegisteredModel, with the latest version of each stage it came with."""
    latest = [version_info(mv) for mv in rm.latest_versions or []]
    return ModelInfo(
        name=rm.name,
        tags=dict(rm.tags or {}),
        aliases={k: int(v) for k, v in (rm.aliases or {}).items()},
        stage_latest={v.stage: v.version for v in latest},
        versions={v.version: v for v in latest},
    )


def version_info(mv: Any) -> VersionInfo:
    return VersionInfo(
        model=mv.name,
        version=int(mv.version),
        stage=mv.current_stage or "None",
        run_id=mv.run_id or None,
        source=mv.source or "",
        aliases=tuple(mv.aliases or ()),
        tags=dict(mv.tags or {}),
        description=mv.description or "",
    )
