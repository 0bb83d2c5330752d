"""CPU time and resident memory of processes, read from /proc (Linux; no psutil).

    before = cpu_seconds(group_pids(pgid))   # user + system, summed over the processes
    rss_kib(group_pids(pgid))                # VmRSS summed: a gunicorn master and workers

A process group is what tests/servers.py starts each server in (`mlflow server` and its
uvicorn workers, `promobot serve`'s gunicorn master and worker), so a group is "that
server" with everything it forked. Processes that exit between two readings take their
CPU time with them; the servers measured here keep theirs for the whole run.
"""

from __future__ import annotations

import os
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")
_PROC = Path("/proc")


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat's fields after the command name (which may hold spaces)."""
    try:
        raw = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return raw[raw.rfind(")") + 2 :].split()


def _pids() -> list[int]:
    return [int(p.name) for p in _PROC.iterdir() if p.name.isdigit()]


def group_pids(pgid: int) -> list[int]:
    """Every live process of process group `pgid`."""
    found = []
    for pid in _pids():
        fields = _stat_fields(pid)
        # fields[0] is the state, [1] the parent, [2] the process group
        if fields is not None and int(fields[2]) == pgid:
            found.append(pid)
    return found


def named_pids(name: str) -> list[int]:
    """Every live process whose command name is `name` (e.g. PostgreSQL's backends)."""
    found = []
    for pid in _pids():
        try:
            comm = (_PROC / str(pid) / "comm").read_text().strip()
        except OSError:
            continue
        if comm == name:
            found.append(pid)
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of `pids` and of their children that exited, summed, in
    seconds (a worker that died and was replaced still counts, in its parent)."""
    total = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            # utime, stime, cutime, cstime: fields 14-17 of proc_pid_stat(5), here 11-14
            total += sum(int(x) for x in fields[11:15])
    return total / _TICK


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all CPUs summed."""
    first = (_PROC / "stat").read_text().splitlines()[0].split()[1:]
    ticks = [int(x) for x in first]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    total = sum(ticks[:8])  # guest time is already counted in user
    return (total - idle) / _TICK, total / _TICK


def rss_kib(pids: list[int]) -> int:
    """VmRSS of `pids`, summed, in KiB (a process that exited counts 0)."""
    total = 0
    for pid in pids:
        try:
            status = (_PROC / str(pid) / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
                break
    return total
