"""Small statistics helpers (nearest-rank percentiles, as most latency reports use)."""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile: the smallest value with at least p% of the values at or below it."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Sample:
    """Durations in seconds, plus optional per-item extras (SQL queries per page, …)."""

    name: str
    seconds: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # CPU seconds of the serving thread
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else math.nan

    @property
    def p95(self) -> float:
        return percentile(self.seconds, 95)

    @property
    def max(self) -> float:
        return max(self.seconds) if self.seconds else math.nan

    @property
    def median_cpu(self) -> float:
        return statistics.median(self.cpu) if self.cpu else math.nan

    @property
    def median_queries(self) -> float:
        return statistics.median(self.queries) if self.queries else math.nan


def ms(seconds: float) -> str:
    return "—" if seconds is None or math.isnan(seconds) else f"{seconds * 1000:.1f} ms"
