"""The demo's exporter of model figures and its local Prometheus
(bot/doors/demo/local_prometheus.py): what the exporter serves, what Prometheus is told
to scrape, and a Prometheus that cannot start said and stopped (a real one answering
queries: tests/adapters/test_prometheus.py, through tests/prometheus_servers.py)."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from bot.doors.demo.local_prometheus import Exporter, PrometheusServer


def test_the_exporter_serves_the_figures_it_is_given_until_stopped() -> None:
    pytest.importorskip("prometheus_client")
    exporter = Exporter()
    try:
        exporter.set("sentiment-watched", 2, error_rate=0.071, p99=0.25)
        with urllib.request.urlopen(f"http://{exporter.address}/metrics", timeout=5) as answer:
            served = answer.read().decode()
    finally:
        exporter.stop()
    assert 'model_error_rate{model="sentiment-watched",version="2"} 0.071' in served
    assert 'prediction_p99_seconds{model="sentiment-watched",version="2"} 0.25' in served
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://{exporter.address}/metrics", timeout=5)


def test_without_a_binary_prometheus_does_not_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    server = PrometheusServer(tmp_path / "prometheus", ["127.0.0.1:9"])
    with pytest.raises(RuntimeError, match=r"^no `prometheus` binary on PATH$"):
        server.start()
    assert server.last_log_line() == ""


def test_a_prometheus_that_exits_is_said_with_its_last_word_and_its_folder_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    binary = tmp_path / "bin" / "prometheus"
    binary.parent.mkdir()
    binary.write_text(
        '#!/bin/sh\necho "starting"\necho "err=\\"bind: address already in use\\""\nexit 1\n'
    )
    binary.chmod(0o755)
    monkeypatch.setenv("PATH", str(binary.parent))
    server = PrometheusServer(tmp_path / "prometheus", ["127.0.0.1:9100", "127.0.0.1:9101"])

    with pytest.raises(RuntimeError) as raised:
        server.start(timeout=30)

    assert str(raised.value) == f"prometheus exited: see {server.log_path}"
    assert server.proc is None
    assert server.last_log_line() == 'err="bind: address already in use"'
    config = json.loads((tmp_path / "prometheus" / "prometheus.yml").read_text())
    assert config == {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [
            {
                "job_name": "models",
                "static_configs": [{"targets": ["127.0.0.1:9100", "127.0.0.1:9101"]}],
            }
        ],
    }
