"""The replicas and memory parts in the printed table, and their targets (issue #15)."""

from __future__ import annotations

from typing import Any

SPEEDUP_2 = 1.7  # 2 replicas ÷ 1, until MLflow's server is the bottleneck
MEMORY_RATIO = 1.2  # RSS after 1,000 commands ÷ idle
# MLflow "is the bottleneck" when its server keeps this much of one core per worker busy,
# or the machine has no idle CPU left while the replicas wait on it (they use less).
SATURATED = 0.9


def targets(results: dict[str, Any]) -> list[tuple[str, Any, str, bool | None]]:
    out: list[tuple[str, Any, str, bool | None]] = []
    rep = results.get("replicas") or {}
    summary = rep.get("summary") or {}
    if "1" in summary and "2" in summary:
        two = summary["2"]
        bound = mlflow_bound(summary["1"], rep.get("mlflow_workers") or 1)
        figure = f"{two['speedup']}×" + (" (MLflow bound at 1 replica)" if bound else "")
        met = two["speedup"] is not None and two["speedup"] >= SPEEDUP_2
        out.append(
            (
                "2 replicas / 1: promotions per second",
                figure,
                f"≥ {SPEEDUP_2}× until MLflow is the bottleneck",
                # MLflow's server already the limit at one replica: the target's condition
                # does not hold, so it is neither met nor missed (the figure says why).
                None if bound and not met else met,
            )
        )
    if summary:
        ok = all(row["correct"] for row in summary.values())
        lost = sum(row["lost"] for row in summary.values())
        twice = sum(row["done_twice"] for row in summary.values())
        out.append(
            ("replicas: none lost, none done twice", f"{lost} lost, {twice} twice", "0, 0", ok)
        )
    mem = results.get("memory") or {}
    if mem.get("ratio") is not None:
        out.append(
            (
                f"promobot serve RSS after {mem['commands']:,} commands / idle",
                mem["ratio"],
                f"≤ {MEMORY_RATIO}",
                mem["ratio"] <= MEMORY_RATIO,
            )
        )
    return out


def mlflow_bound(row: dict[str, Any], workers: int) -> bool:
    """MLflow's server is the limit: it keeps its workers busy, or the machine's CPUs
    are all busy and MLflow uses more of them than the replicas that wait on it."""
    cpus = row.get("cpus") or 2
    if row.get("cpu_mlflow") is None:
        return False
    busy_workers = row["cpu_mlflow"] >= SATURATED * min(workers, cpus)
    machine_full = (row.get("cpu_machine") or 0) >= SATURATED * cpus
    return busy_workers or (machine_full and row["cpu_mlflow"] > (row.get("cpu_replicas") or 0))


def table_lines(results: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    rep = results.get("replicas") or {}
    if "skipped" in rep:
        lines += [f"[replicas] skipped: {rep['skipped']}", ""]
    elif rep:
        lines.append(
            f"[replicas] {rep['commands']} signed /promote … staging over {rep['models']} models, "
            f"{rep['concurrency']} in flight, round-robin over N `promobot serve`; one mlflow "
            f"server (--workers {rep['mlflow_workers']}) on PostgreSQL; medians of "
            f"{rep['rounds']} round(s); CPU in cores busy over the run"
        )
        lines.append(
            f"  {'N':>3}{'prom/s':>8}{'×1':>6}{'ack p50':>9}{'ack p99':>9}"
            f"{'mlflow':>8}{'pg':>6}{'serves':>8}{'bench':>7}{'machine':>9}  correct"
        )
        for n, row in (rep.get("summary") or {}).items():
            lines.append(
                f"  {n:>3}{row['promotions_per_s']:>8}{row['speedup']:>6}"
                f"{row['ack_p50_ms']:>9,.0f}{row['ack_p99_ms']:>9,.0f}"
                f"{row['cpu_mlflow']:>8}{row['cpu_postgres']:>6}{row['cpu_replicas']:>8}"
                f"{row['cpu_bench']:>7}{row['cpu_machine']:>9}  "
                f"{'yes' if row['correct'] else 'NO'} ({row['lost']} lost, "
                f"{row['done_twice']} twice, {row.get('refused', 0)} refused)"
            )
        loads = [r["cpu"].get("load") for r in rep.get("runs", [])]
        lines.append(
            f"  MLflow worker deaths: {rep.get('mlflow_worker_deaths')}; load average per run: "
            f"{loads}"
        )
        lines.append("")
    mem = results.get("memory") or {}
    if "skipped" in mem:
        lines += [f"[memory] skipped: {mem['skipped']}", ""]
    elif mem:
        trail = " → ".join(f"{t['rss_kib'] / 1024:.0f}" for t in mem["trail"])
        lines.append(
            f"[memory] promobot serve VmRSS (master + worker): idle "
            f"{mem['idle_rss_kib'] / 1024:.0f} MiB, after {mem['commands']:,} commands "
            f"{mem['after_rss_kib'] / 1024:.0f} MiB ({mem['ratio']}×; the worker alone "
            f"{mem['worker_ratio']}×); on the way: {trail} MiB; correct: "
            f"{'yes' if mem['correctness']['ok'] else 'NO'}"
        )
        lines.append("")
    return lines
