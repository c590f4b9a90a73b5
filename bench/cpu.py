"""Where the CPU went during a benchmark: CPU seconds per process of the stack, and of
the machine's PostgreSQL and Redis servers, between two readings."""

from __future__ import annotations

import psutil

SERVERS = {"postgres": ("postgres",), "redis": ("redis-server",)}


def _seconds(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0.0
    return float(times.user + times.system)


def cpu_seconds(processes: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far of each named process (with its children), of the database and
    Redis servers on this machine, and of this process (the load generator and fakes)."""
    totals: dict[str, float] = {}
    for name, pid in processes.items():
        try:
            root = psutil.Process(pid)
            family = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
        totals[name] = sum(_seconds(p) for p in family)
    for label, names in SERVERS.items():
        totals[label] = sum(
            _seconds(p) for p in psutil.process_iter(["name"]) if p.info["name"] in names
        )
    totals["load generator"] = _seconds(psutil.Process())
    return totals


def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds between two readings, largest first."""
    used = {name: round(after[name] - before.get(name, 0.0), 1) for name in after}
    return dict(sorted(used.items(), key=lambda item: -item[1]))
