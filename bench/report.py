"""The targets of issue #6, checked against the figures, and the one table printed."""

from __future__ import annotations

from collections import Counter
from typing import Any

from bench.stats import run_notes

TARGETS = {
    "overhead": 1.3,  # promobot / floor, per command
    "rest_calls_over_floor": 2,  # promobot calls - floor calls, per command
    "scale": 1.2,  # large / small, per command
    "slack_p99_ms": 100.0,
    "help_over_import": 0.5,
    "github_over_import_plus_calls": 1.3,
}


def extra_calls(promobot: list[str], floor: list[str]) -> dict[str, int]:
    """The calls promobot makes beyond the floor's (a multiset difference), and the
    floor's that promobot does not make (negative)."""
    diff = Counter(promobot)
    diff.subtract(Counter(floor))
    return {k: v for k, v in sorted(diff.items()) if v}


def evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    checks: list[dict[str, Any]] = []

    def add(name: str, figure: Any, target: str, met: bool | None) -> None:
        checks.append({"target": name, "figure": figure, "limit": target, "met": met})

    for backend, part in results.get("registry", {}).items():
        if "timings" not in part:
            continue
        for command, entry in part["timings"].items():
            small = entry.get("small", {})
            if small.get("overhead") is not None:
                add(
                    f"{backend} {command}: overhead over the floor",
                    small["overhead"],
                    f"≤ {TARGETS['overhead']}",
                    small["overhead"] <= TARGETS["overhead"],
                )
            scale = entry.get("scale", {}).get("promobot")
            if scale is not None:
                add(
                    f"{backend} {command}: 10,000 / 10 versions",
                    scale,
                    f"≤ {TARGETS['scale']}",
                    scale <= TARGETS["scale"],
                )
        counts = part.get("rest_calls", {}).get("small", {})
        for command, entry in counts.items():
            p, f = entry["promobot"]["count"], entry["floor"]["count"]
            add(
                f"{backend} {command}: REST calls",
                f"{p} vs floor {f}",
                f"≤ floor + {TARGETS['rest_calls_over_floor']}",
                p <= f + TARGETS["rest_calls_over_floor"],
            )
    drift = results.get("drift")
    if drift:
        from bench.drift_bench import targets

        for name, figure, limit, met in targets(drift):
            add(name, figure, limit, met)
    verify = results.get("verify")
    if verify:
        from bench.verify_bench import targets as verify_targets

        for name, figure, limit, met in verify_targets(verify):
            add(name, figure, limit, met)
    latency = results.get("latency")
    if latency:
        from bench.latency_bench import targets as latency_targets

        for name, figure, limit, met in latency_targets(latency):
            add(name, figure, limit, met)
    guard = results.get("guard")
    if guard:
        from bench.guard_bench import targets as guard_targets

        for name, figure, limit, met in guard_targets(guard):
            add(name, figure, limit, met)
    slow = results.get("slow_clients")
    if slow:
        from bench.slow_clients_bench import targets as slow_targets

        for name, figure, limit, met in slow_targets(slow):
            add(name, figure, limit, met)
    door = results.get("door")
    if door:
        from bench.door_bench import targets as door_targets

        for name, figure, limit, met in door_targets(door):
            add(name, figure, limit, met)
    receipts = results.get("receipts")
    if receipts:
        from bench.receipts_report import targets as receipts_targets

        for name, figure, limit, met in receipts_targets(receipts):
            add(name, figure, limit, met)
    history = results.get("history")
    if history:
        from bench.history_bench import targets as history_targets

        for name, figure, limit, met in history_targets(history):
            add(name, figure, limit, met)
    board = results.get("board")
    if board:
        from bench.board_bench import targets as board_targets

        for name, figure, limit, met in board_targets(board):
            add(name, figure, limit, met)
    slack = results.get("slack")
    if slack and "p99_ms" in slack:
        add(
            "Slack ack p99 (MLflow slowed to 500 ms)",
            f"{slack['p99_ms']} ms",
            f"≤ {TARGETS['slack_p99_ms']:.0f} ms",
            slack["p99_ms"] <= TARGETS["slack_p99_ms"],
        )
    if results.get("replicas") or results.get("memory"):
        from bench.replica_report import targets as replica_targets

        for name, figure, limit, met in replica_targets(results):
            add(name, figure, limit, met)
    cold = results.get("coldstart")
    if cold and "help_over_import" in cold:
        add(
            "promobot --help / import mlflow",
            cold["help_over_import"],
            f"≤ {TARGETS['help_over_import']}",
            cold["help_over_import"] <= TARGETS["help_over_import"],
        )
        add(
            "promobot github / (import mlflow + its MLflow calls)",
            cold["github_over_import_plus_calls"],
            f"≤ {TARGETS['github_over_import_plus_calls']}",
            cold["github_over_import_plus_calls"] <= TARGETS["github_over_import_plus_calls"],
        )
    return checks


def _f(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.0f}{unit}" if unit == " ms" else f"{value:.2f}{unit}"
    return f"{value}{unit}"


def table(results: dict[str, Any]) -> str:
    lines: list[str] = []
    meta = results.get("machine", {})
    lines.append(
        f"promobot benchmarks — {results.get('generated_at', '')} · {meta.get('cpus')} CPUs · "
        f"load {meta.get('load_start')} → {meta.get('load_end')} · mlflow "
        f"{meta.get('mlflow')} · {results.get('config', {}).get('mode', '')}"
    )
    lines.append("")
    for backend, part in results.get("registry", {}).items():
        if "skipped" in part:
            lines.append(f"[{backend}] skipped: {part['skipped']}")
            lines.append("")
            continue
        lines.append(
            f"[{backend}] median of paired ratios; times are medians (ms); "
            "REST calls counted at the HTTP level"
        )
        header = (
            f"  {'command':<9}{'promobot':>10}{'floor':>9}{'ratio':>7}"
            f"{'calls':>7}{'floor':>7}"
            f"{'large ms':>10}{'scale':>7}{'floor scale':>12}"
        )
        lines.append(header)
        counts = part.get("rest_calls", {}).get("small", {})
        for command, entry in part.get("timings", {}).items():
            small, large = entry.get("small", {}), entry.get("large", {})
            c = counts.get(command, {})
            lines.append(
                f"  {command:<9}{_f(small.get('promobot_ms'), ' ms'):>10}"
                f"{_f(small.get('floor_ms'), ' ms'):>9}{_f(small.get('overhead')):>7}"
                f"{_f(c.get('promobot', {}).get('count')):>7}"
                f"{_f(c.get('floor', {}).get('count')):>7}"
                f"{_f(large.get('promobot_ms'), ' ms'):>10}"
                f"{_f(entry.get('scale', {}).get('promobot')):>7}"
                f"{_f(entry.get('scale', {}).get('floor')):>12}"
            )
        large_counts = part.get("rest_calls", {}).get("large", {})
        if large_counts:
            lines.append("  server time of one run's REST calls, summed (ms), small → large:")
            for command, entry in large_counts.items():
                small_entry = counts.get(command, {})
                cells = []
                for contender in ("promobot", "floor"):
                    if contender in entry and contender in small_entry:
                        cells.append(
                            f"{contender} {small_entry[contender]['server_ms_total']:,.0f} → "
                            f"{entry[contender]['server_ms_total']:,.0f}"
                        )
                lines.append(f"    {command:<9}" + " · ".join(cells))
        lines.append("")
    lines.extend(_drift_lines(results.get("drift")))
    lines.extend(_verify_lines(results.get("verify")))
    if results.get("guard"):
        from bench.guard_bench import table_lines as guard_lines

        lines.extend(guard_lines(results["guard"]))
    if results.get("door"):
        from bench.door_bench import table_lines as door_lines

        lines.extend(door_lines(results["door"]))
    if results.get("receipts"):
        from bench.receipts_report import table_lines as receipts_lines

        lines.extend(receipts_lines(results["receipts"]))
    if results.get("history"):
        from bench.history_bench import table_lines as history_lines

        lines.extend(history_lines(results["history"]))
    if results.get("board"):
        from bench.board_bench import table_lines as board_lines

        lines.extend(board_lines(results["board"]))
    if results.get("latency"):
        from bench.latency_bench import lines as latency_lines

        lines.extend(latency_lines(results["latency"]))
    slack = results.get("slack")
    if slack:
        if "skipped" in slack:
            lines.append(f"[slack] skipped: {slack['skipped']}")
        else:
            lines.append(
                f"[slack] {slack['commands']} slash commands, {slack['concurrency']} at a time, "
                f"MLflow slowed to {slack['mlflow_delay_ms']} ms per call: ack p50 "
                f"{slack['p50_ms']} ms, p99 {slack['p99_ms']} ms (median of "
                f"{len(slack['rounds'])} rounds; pooled p99 {slack['pooled_p99_ms']} ms)"
            )
        lines.append("")
    if results.get("slow_clients"):
        from bench.slow_clients_bench import table_lines as slow_lines

        lines.extend(slow_lines(results["slow_clients"]))
    cold = results.get("coldstart")
    if cold:
        if "skipped" in cold:
            lines.append(f"[cold start] skipped: {cold['skipped']}")
        else:
            lines.append(
                f"[cold start] import mlflow {cold['import_mlflow_ms']:,.0f} ms · promobot --help "
                f"{cold['help_ms']:,.0f} ms ({cold['help_over_import']}×) · promobot github "
                f"{cold['github_ms']:,.0f} ms vs import + its MLflow calls "
                f"({cold['github_mlflow_calls_ms']:,.0f} ms warm): "
                f"{cold['github_over_import_plus_calls']}×"
            )
        lines.append("")
    if results.get("replicas") or results.get("memory"):
        from bench.replica_report import table_lines

        lines.extend(table_lines(results))
    checks = results.get("targets", [])
    if checks:
        lines.append("Targets")
        for c in checks:
            mark = "n/a   " if c["met"] is None else "met   " if c["met"] else "MISSED"
            lines.append(f"  {mark} {c['target']}: {c['figure']} ({c['limit']})")
    return "\n".join(lines)


def _drift_lines(drift: dict[str, Any] | None) -> list[str]:
    """The drift part: per command, REST calls and median ms at 10 and 10,000 versions."""
    if not drift:
        return []
    counts, timings = drift.get("rest_calls", {}), drift.get("timings", {})
    lines = [
        "[drift] status and audit with one drift planted (SQLite); REST calls counted at the "
        "HTTP level; times are medians (ms)",
        f"  {'command':<13}{'calls 10':>9}{'calls 10k':>10}{'10 ms':>9}{'10k ms':>9}{'scale':>7}",
    ]
    for command, entry in timings.items():
        small = counts.get("small", {}).get(command, {})
        large = counts.get("large", {}).get(command, {})
        lines.append(
            f"  {command:<13}{_f(small.get('count')):>9}{_f(large.get('count')):>10}"
            f"{_f(entry.get('small', {}).get('ms'), ' ms'):>9}"
            f"{_f(entry.get('large', {}).get('ms'), ' ms'):>9}{_f(entry.get('scale')):>7}"
        )
    over = timings.get("status", {}).get("over_floor", {})
    if over:
        shown = ", ".join(f"{label} {ratio}" for label, ratio in over.items())
        lines.append(f"  status / status floor (median of paired ratios): {shown}")
    for label, facts in drift.get("detection", {}).items():
        lines.append(
            f"  the comparison alone ({label}): {facts['detect_us']} µs on one read holding "
            f"{facts['versions_in_the_read']} versions, {facts['history_events']} history events"
        )
    for label, entry in counts.items():
        for command, facts in entry.items():
            lines.append(f"    {label} {command}: {', '.join(facts['calls'])}")
    lines.append("")
    return lines


def _verify_lines(verify: dict[str, Any] | None) -> list[str]:
    """The verify part: one pass and one target run at 10 and 10,000 versions (MLflow
    and Prometheus calls, median ms), then exporter bad → rolled back (seconds)."""
    if not verify:
        return []
    if "skipped" in verify:
        return [f"[verify] skipped: {verify['skipped']}", ""]
    plan = verify.get("plan", {})
    counts, timings = verify.get("rest_calls", {}), verify.get("timings", {})
    lines = [
        f"[verify] one governed target under verification ({plan.get('checks')} checks, every "
        f"{plan.get('every_s')} s, {plan.get('failures')} failures; SQLite); calls counted at "
        "the HTTP level; times are medians (ms)",
        f"  {'run':<8}{'mlflow 10':>10}{'10k':>5}{'prom 10':>9}{'10k':>5}"
        f"{'10 ms':>9}{'10k ms':>9}{'scale':>7}",
    ]
    for kind, entry in timings.items():
        small = counts.get("small", {}).get(kind, {})
        large = counts.get("large", {}).get(kind, {})
        lines.append(
            f"  {kind:<8}{_f(small.get('mlflow', {}).get('count')):>10}"
            f"{_f(large.get('mlflow', {}).get('count')):>5}"
            f"{_f(small.get('prometheus', {}).get('count')):>9}"
            f"{_f(large.get('prometheus', {}).get('count')):>5}"
            f"{_f(entry.get('small', {}).get('ms'), ' ms'):>9}"
            f"{_f(entry.get('large', {}).get('ms'), ' ms'):>9}{_f(entry.get('scale')):>7}"
        )
    for label, entry in counts.items():
        for kind, facts in entry.items():
            shown = ", ".join(
                f"{call} {t:,.0f}"
                for call, t in zip(
                    facts["mlflow"]["calls"], facts["mlflow"]["server_ms"], strict=True
                )
            )
            lines.append(f"    {label} {kind} (server ms): {shown}")
    for label, rb in verify.get("rollback", {}).items():
        lines.append(
            f"  exporter bad → rolled back ({label}, {len(rb['runs'])} runs): median "
            f"{rb['median_s']} s, max {rb['max_s']} s (bound every × failures + 2 scrapes: "
            f"{rb['bound_s']} s); Prometheus had it after {rb['prometheus_saw_it_median_s']} s, "
            f"the pass that rolled back began after {rb.get('decided_median_s')} s and took "
            f"{rb['rollback_pass_median_s']} s"
        )
    lines.extend(run_notes({"measured": verify.get("measured")}))
    lines.append("")
    return lines
