"""The demo's last line: the command that opens the release board on the demo's registry
(`promobot board`, bot/doors/cli/board.py). Its policy is written beside the registry:
the story's files with the watched model's entry added (the two files define their
people and groups differently, so they cannot simply be read together), and, when the
watch part ran, the Prometheus data it kept, so the chart shows the rollback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def board_policy(story_policy: str, watched_policy: Path, out: Path) -> Path:
    """The story's policy with the watched model's entries added; written to `out`."""
    merged: dict[str, Any] = {"people": {}, "groups": {}, "models": []}
    source = Path(story_policy)
    files = sorted(source.glob("*.y*ml")) if source.is_dir() else [source]
    for path in [*files, watched_policy]:
        data = yaml.safe_load(path.read_text()) or {}
        for key in ("people", "groups"):
            for name, value in (data.get(key) or {}).items():
                merged[key].setdefault(name, value)  # the story's definition wins
        known = {m["name"] for m in merged["models"]}
        merged["models"] += [m for m in data.get("models") or () if m["name"] not in known]
        if "registry" in data:
            merged["registry"] = data["registry"]
    out.write_text(
        "# Written by `promobot demo` for `promobot board`: the story's policy and the\n"
        "# watched model's entry in one file.\n" + yaml.safe_dump(merged, sort_keys=False)
    )
    return out


def board_command(where: Path, uri: str, policy: Path, *, watched: bool) -> str:
    data = where / "prometheus"
    charts = f" --prometheus-data {data}" if watched and data.is_dir() else ""
    return f".venv/bin/promobot board --registry {uri} --policy {policy}{charts}"
