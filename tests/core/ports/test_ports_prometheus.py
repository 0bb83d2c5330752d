"""The Prometheus port (bot/core/ports/prometheus.py): with none configured, every query
is no data, saying what to set (the adapter: tests/adapters/test_prometheus.py)."""

from __future__ import annotations

from bot.core.ports.prometheus import NoPrometheus, Reading


def test_without_prometheus_every_query_is_no_data_saying_what_to_set() -> None:
    assert NoPrometheus().query('model_error_rate{model="m"}') == Reading(
        None, "no Prometheus is configured (set PROMOBOT_PROMETHEUS_URL)"
    )


def test_no_prometheus_gives_no_series_and_says_why() -> None:
    from datetime import UTC, datetime

    found = NoPrometheus().query_range("up", datetime.now(UTC), datetime.now(UTC), 1.0)
    assert found.points == () and "PROMOBOT_PROMETHEUS_URL" in found.problem
