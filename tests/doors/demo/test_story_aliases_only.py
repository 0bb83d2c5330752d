"""`promobot demo --aliases-only`: the demo's story in a registry without stages, told
against a real `mlflow server` behind a proxy whose stage endpoints refuse every call.
Deployment code loads `models:/sentiment-classifier@production` after each promotion and
rollback (the demo stops if it does not serve the version expected), and nothing calls a
stage endpoint. Slow (it starts its own server and trains the example model): it runs in
`make test-servers`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO
from slow_proxy import NoStagesProxy

from bot.doors.demo.story import Demo

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A server of its own: the demo registers `sentiment-classifier` under that name."""
    from servers import MlflowServer

    workdir = tmp_path_factory.mktemp("demo-mlflow")
    server = MlflowServer(backend_uri=f"sqlite:///{workdir / 'mlflow.db'}", workdir=workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_the_demo_without_stages_moves_no_stage(
    own_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "")  # the demo sets it; restored afterwards
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    with NoStagesProxy(own_server.url) as proxy:
        demo = Demo(tmp_path / "demo", str(REPO / "policies" / "aliases-only"), aliases_only=True)
        demo.uri = proxy.url  # the story's registry is the server, through the proxy
        code = demo.run()
        out = capsys.readouterr().out
        assert code == 0, out[-3000:]
        assert proxy.stage_calls == []
    marks = [
        "→ @staging done",
        "is waiting for 1 approval from ml-leads",
        "cannot approve their own request",
        "models:/sentiment-classifier@production: the registry serves v1",
        "models:/sentiment-classifier@production: the registry serves v2",
        "rolled back (v2 moved out)",
        "models:/sentiment-classifier@production: the registry serves v1",
        "every version's stage is still None: promobot moved no stage",
    ]
    at = 0
    for mark in marks:
        found = out.find(mark, at)
        assert found >= 0, f"{mark!r} missing after position {at}:\n{out[at : at + 2000]}"
        at = found + len(mark)
    assert "Traceback" not in out
