"""Trends: monthly counts of several queries side by side, with bursts marked.

Bursts follow Kleinberg (2002), the batched two-state automaton (as Gao et al. 2017 used it
on the 1970s cables): month ``t`` has ``r_t`` matching cables out of ``d_t`` cables in the
archive (for this reader); the base state emits matches at the overall rate ``p0``, the
burst state at ``s * p0``; entering the burst state costs ``gamma * ln(n)``. The cheapest
state sequence (Viterbi) marks the months in the burst state; neighbouring months merge
into one burst period. Normalising by ``d_t`` keeps a month with many cables of every kind
from reading as a burst of each.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Burst", "Series", "bursts", "trends", "trends_csv"]

S = 2.0
GAMMA = 1.0


@dataclass
class Burst:
    start: str  # YYYY-MM
    end: str  # YYYY-MM, inclusive
    weight: float  # cost saved by the burst state: how strong it is


@dataclass
class Series:
    query: str
    counts: dict[str, int]  # YYYY-MM -> matching cables
    total: int
    bursts: list[Burst] = field(default_factory=list)


def _months(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:7])
    ly, lm = int(last[:4]), int(last[5:7])
    out = []
    while (y, m) <= (ly, lm):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _cost(p: float, r: int, d: int) -> float:
    # -log of the binomial likelihood without the constant binomial coefficient
    # (it is the same in both states, so it never changes which state is cheaper).
    p = min(max(p, 1e-9), 1 - 1e-9)
    return -(r * math.log(p) + (d - r) * math.log(1 - p))


def bursts(months: list[str], r: list[int], d: list[int], *, s: float = S,
           gamma: float = GAMMA) -> list[Burst]:  # fmt: skip
    """Kleinberg bursts of ``r`` matches among ``d`` documents per month."""
    n = len(months)
    total_r, total_d = sum(r), sum(d)
    if n == 0 or total_r == 0 or total_d == 0:
        return []
    p0 = total_r / total_d
    p1 = min(s * p0, 0.9999)
    up = gamma * math.log(max(n, 2))
    inf = float("inf")
    cost = [0.0, inf]  # start in the base state
    back: list[tuple[int, int]] = []
    for t in range(n):
        c0 = _cost(p0, r[t], max(d[t], r[t]))
        c1 = _cost(p1, r[t], max(d[t], r[t]))
        from0 = (cost[0], 0) if cost[0] <= cost[1] else (cost[1], 1)  # down is free
        from1 = (cost[0] + up, 0) if cost[0] + up < cost[1] else (cost[1], 1)
        cost = [from0[0] + c0, from1[0] + c1]
        back.append((from0[1], from1[1]))
    state = 0 if cost[0] <= cost[1] else 1
    states = [0] * n
    for t in range(n - 1, -1, -1):
        states[t] = state
        state = back[t][state]
    out: list[Burst] = []
    t = 0
    while t < n:
        if states[t] == 1:
            u = t
            w = 0.0
            while u < n and states[u] == 1:
                w += _cost(p0, r[u], max(d[u], r[u])) - _cost(p1, r[u], max(d[u], r[u]))
                u += 1
            out.append(Burst(months[t], months[u - 1], round(w, 2)))
            t = u
        else:
            t += 1
    return out


def _monthly(archive: Any, q: str, visible: Any) -> dict[str, int]:
    res = archive.search(q, per_page=1, facets=True, visible=visible)
    return {m: int(n) for m, n in res.facets.get("month", [])}


def trends(archive: Any, queries: list[str], *, visible: Any = None,
           all_query: str = "date:1900..2100") -> tuple[list[str], list[Series]]:  # fmt: skip
    """Monthly counts of each query over a common range of months, with bursts measured
    against the archive's own monthly totals (every dated cable the reader sees)."""
    totals = _monthly(archive, all_query, visible)
    series = [Series(q, _monthly(archive, q, visible), 0) for q in queries]
    used = sorted({m for s in series for m in s.counts})
    if not used:
        return [], series
    months = _months(used[0], used[-1])
    for s in series:
        s.total = sum(s.counts.values())
        r = [s.counts.get(m, 0) for m in months]
        d = [totals.get(m, 0) for m in months]
        s.bursts = bursts(months, r, d)
    return months, series


def trends_csv(months: list[str], series: list[Series]) -> str:
    """month, one column per query (counts), one per query marking burst months (1/0)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["month", *[s.query for s in series], *[f"burst: {s.query}" for s in series]])
    for m in months:
        flags = [int(any(b.start <= m <= b.end for b in s.bursts)) for s in series]
        w.writerow([m, *[s.counts.get(m, 0) for s in series], *flags])
    return out.getvalue()
