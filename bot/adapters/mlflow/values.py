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


def model_info_json(rm: dict[str, Any]) -> ModelInfo:
    """A registered model as MLflow's REST API answers it in JSON (model_search.py): the
    same facts as model_info of the client's entity. Fields at their default are left
    out of MLflow's JSON: each is read with its default."""
    latest = [version_info_json(mv) for mv in rm.get("latest_versions") or []]
    return ModelInfo(
        name=str(rm.get("name", "")),
        tags={str(t.get("key", "")): str(t.get("value", "")) for t in rm.get("tags") or []},
        aliases={str(a["alias"]): int(a["version"]) for a in rm.get("aliases") or []},
        stage_latest={v.stage: v.version for v in latest},
        versions={v.version: v for v in latest},
    )


def version_info_json(mv: dict[str, Any]) -> VersionInfo:
    return VersionInfo(
        model=str(mv.get("name", "")),
        version=int(mv.get("version", 0)),
        stage=str(mv.get("current_stage") or "None"),
        run_id=mv.get("run_id") or None,
        source=str(mv.get("source") or ""),
        aliases=tuple(str(a) for a in mv.get("aliases") or ()),
        tags={str(t.get("key", "")): str(t.get("value", "")) for t in mv.get("tags") or []},
        description=str(mv.get("description") or ""),
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
