"""The demo's last part, promobot rolling a bad version back on its own
(bot/doors/demo/watch.py): where it cannot be shown, one line says why and how to see it
(the part itself, with a real Prometheus: test_story.py)."""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest

from bot.doors.demo.watch import HOW_TO_SEE, NO_CLIENT, DemoSteps, show_watch


@dataclass
class _Said:
    """The demo as far as the watch part's refusals need it: what it said."""

    lines: list[str] = field(default_factory=list)
    where: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="demo-watch-")))

    def say(self, text: str) -> None:
        self.lines.append(text)


def _show(said: _Said) -> bool:
    # Neither branch reaches the registry: both stop before anything is registered.
    return show_watch(cast(DemoSteps, said), cast(Any, None))


def test_without_prometheus_the_demo_says_in_one_line_how_to_see_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no prometheus on it
    said = _Said()
    assert _show(said) is False
    assert said.lines == [f"\n{HOW_TO_SEE}"]
    assert "apt-get install prometheus" in HOW_TO_SEE and "make demo" in HOW_TO_SEE


def test_a_prometheus_that_does_not_start_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "prometheus"
    broken.write_text("#!/bin/sh\necho 'err=\"bind: address already in use\"' >&2\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    said = _Said()
    assert _show(said) is False
    assert len(said.lines) == 1, said.lines
    assert said.lines[0].startswith("\nPrometheus did not start (")
    assert "address already in use" in said.lines[0]
    assert "skips promobot rolling a bad version back" in said.lines[0]


def test_without_the_exporters_client_the_demo_says_in_one_line_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    present = tmp_path / "prometheus"
    present.write_text("#!/bin/sh\nexit 0\n")
    present.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setitem(sys.modules, "prometheus_client", None)  # not installed
    said = _Said()
    assert _show(said) is False
    assert said.lines == [f"\n{NO_CLIENT}"]
    assert "pip install -e '.[dev]'" in NO_CLIENT
