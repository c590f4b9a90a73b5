"""Latency histograms kept in this process, rendered into /metrics (Prometheus buckets)."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

# Seconds: the acknowledgement budget (50 ms) sits between two buckets.
STORE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


@dataclass
class Histogram:
    """Counts per upper bound (``le``), not cumulative until rendered."""

    bounds: tuple[float, ...] = STORE_BUCKETS
    counts: list[int] = field(default_factory=list)
    total: float = 0.0
    n: int = 0

    def __post_init__(self) -> None:
        self.counts = [0] * (len(self.bounds) + 1)  # the last is +Inf

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(self.bounds, seconds)] += 1
        self.total += seconds
        self.n += 1

    def lines(self, name: str) -> list[str]:
        out: list[str] = []
        running = 0
        for bound, count in zip((*self.bounds, float("inf")), self.counts, strict=True):
            running += count
            le = "+Inf" if bound == float("inf") else repr(bound)
            out.append(f'{name}_bucket{{le="{le}"}} {running}')
        out.append(f"{name}_sum {round(self.total, 6)}")
        out.append(f"{name}_count {self.n}")
        return out
