"""The printed report: each figure next to its target, PASS or MISS."""
from __future__ import annotations

import math
import unicodedata

from .stats import Sample, ms

PAGE_P95_TARGET = 0.050  # inbox and request pages: p95 under 50 ms
PDF_MEDIAN_TARGET = 1.0  # final approval → downloadable PDF: median under 1 s
# "Flat": from render 50 to the last, neither the parent nor the horses' peak grows by more than this.
# (A leaking FontConfiguration grows a worker by about 6 MB per render: see TECH-NOTES.)
MEMORY_FLAT_MB = 10.0
MEMORY_CHECKPOINTS = (1, 50, 100, 150, 200)


def width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def pad(s: str, n: int) -> str:
    return s + " " * max(0, n - width(s))


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(pad(c, w) for c, w in zip(header, widths)).rstrip(), line]
    out += ["  ".join(pad(c, w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(out)


def verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("PASS" if ok else "MISS")


def page_row(label: str, s: Sample, target: float | None) -> list[str]:
    ok = None if target is None or not s.seconds else s.p95 < target
    q = "—" if math.isnan(s.median_queries) else f"{s.median_queries:.0f}"
    return [label, str(len(s.seconds)), ms(s.median), ms(s.p95), ms(s.max), ms(s.median_cpu), q,
            f"p95 < {target * 1000:.0f} ms" if target else "(info)", verdict(ok)]


def checkpoints(n: int) -> list[int]:
    """Renders 1, 50, 100, 150, 200 (scaled down when fewer renders ran)."""
    if n >= 200:
        return [c for c in MEMORY_CHECKPOINTS]
    return sorted({1, *(max(1, round(n * f)) for f in (0.25, 0.5, 0.75, 1.0))})


def memory_flat(horses, n_checkpoints: list[int]) -> tuple[bool | None, float, float]:
    """(flat?, parent growth MB, horse-peak growth MB) from the second checkpoint to the last."""
    if len(horses) < max(n_checkpoints):
        return None, math.nan, math.nan
    base = n_checkpoints[1] if len(n_checkpoints) > 1 else n_checkpoints[0]
    tail = horses[base - 1:]
    parent_growth = (max(h.parent_kb_at_end or h.parent_kb_at_start for h in tail)
                     - (horses[base - 1].parent_kb_at_end or horses[base - 1].parent_kb_at_start)) / 1024
    peak_growth = (max(h.peak_kb for h in tail) - horses[base - 1].peak_kb) / 1024
    ok = parent_growth < MEMORY_FLAT_MB and peak_growth < MEMORY_FLAT_MB
    return ok, parent_growth, peak_growth


def mb(kb: int | None) -> str:
    return "—" if kb is None else f"{kb / 1024:.0f} MB"
