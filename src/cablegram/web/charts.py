"""Charts as SVG, drawn on the server: no script, no inline style (the CSP forbids both).

Every chart is a ``Markup`` string built from escaped parts; colours come from CSS classes
in ``static/style.css``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

__all__ = ["Bar", "Node", "ego", "hbars", "histogram", "stacked", "time_buckets"]

MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass
class Bar:
    label: str  # short label on the axis: 2009, Jun 2009
    count: int
    href: str | None = None
    title: str = ""  # tooltip
    css: str = ""  # extra class
    key: str = ""  # the bucket: 2009, 2009-06


def _a(x: str) -> str:
    return escape(x, quote=True)


def _fmt(n: int) -> str:
    return f"{n:,}"


def time_buckets(months: list[tuple[str, int]], max_months: int = 120) -> tuple[str, list[Bar]]:
    """Month counts (``YYYY-MM``) -> ('month' | 'year', bars with every gap filled in).
    Months when the span is short enough to read, years otherwise."""
    parsed: list[tuple[int, int, int]] = []
    for key, n in months:
        try:
            y, m = int(key[:4]), int(key[5:7])
        except ValueError:
            continue
        if 1 <= m <= 12:
            parsed.append((y, m, n))
    if not parsed:
        return "year", []
    parsed.sort()
    (y0, m0, _), (y1, m1, _) = parsed[0], parsed[-1]
    span = (y1 - y0) * 12 + (m1 - m0) + 1
    if span <= max_months:
        counts = {(y, m): n for y, m, n in parsed}
        bars = []
        y, m = y0, m0
        for _ in range(span):
            n = counts.get((y, m), 0)
            label = f"{MONTH_ABBR[m - 1]} {y}"
            title = f"{label}: {_fmt(n)} cable{'s' if n != 1 else ''}"
            bars.append(Bar(label, n, None, title, key=f"{y:04d}-{m:02d}"))
            m += 1
            if m > 12:
                y, m = y + 1, 1
        return "month", bars
    years: dict[int, int] = {}
    for y, _, n in parsed:
        years[y] = years.get(y, 0) + n
    return "year", year_bars(years)


def year_bars(years: dict[int, int]) -> list[Bar]:
    """Every year from the first to the last, zeros included."""
    ys = [y for y in years if isinstance(y, int)]
    if not ys:
        return []
    bars = []
    for y in range(min(ys), max(ys) + 1):
        n = years.get(y, 0)
        bars.append(
            Bar(str(y), n, None, f"{y}: {_fmt(n)} cable{'s' if n != 1 else ''}", key=str(y))
        )
    return bars


def histogram(bars: list[Bar], *, width: int = 720, height: int = 150, label: str = "") -> Markup:
    """Vertical bars with a few axis labels; a bar with ``href`` is a link."""
    if not bars:
        return Markup("")
    top, bottom, left, right = 18, 22, 4, 4
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(b.count for b in bars) or 1
    step = plot_w / len(bars)
    gap = min(2.0, step * 0.2) if step > 3 else 0.0
    parts = [
        f'<svg class="chart histogram" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" '
        f'aria-label="{_a(label or "histogram")}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(label)}</title>" if label else "",
        f'<line class="axis" x1="{left}" y1="{top + plot_h + 0.5}" x2="{width - right}" '
        f'y2="{top + plot_h + 0.5}"/>',
        f'<text class="peak" x="{left}" y="11">max {_fmt(peak)}</text>',
    ]
    for i, b in enumerate(bars):
        h = 0.0 if b.count == 0 else max(1.5, plot_h * b.count / peak)
        x = left + i * step + gap / 2
        y = top + plot_h - h
        # A full-height transparent target makes even short bars easy to hover and click.
        bar = (
            f'<rect class="target" x="{x:.2f}" y="{top}" width="{max(step - gap, 0.5):.2f}" '
            f'height="{plot_h}"/>'
            f'<rect class="bar {b.css}" x="{x:.2f}" y="{y:.2f}" '
            f'width="{max(step - gap, 0.5):.2f}" height="{h:.2f}"/>'
            f"<title>{escape(b.title or f'{b.label}: {b.count}')}</title>"
        )
        if b.href:
            parts.append(f'<a href="{_a(b.href)}">{bar}</a>')
        else:
            parts.append(f"<g>{bar}</g>")
    # Axis labels: first, last and a few evenly spaced between, never overlapping.
    n = len(bars)
    max_labels = max(2, min(n, int(plot_w // 70)))
    idx = (
        sorted({round(k * (n - 1) / (max_labels - 1)) for k in range(max_labels)}) if n > 1 else [0]
    )
    for i in idx:
        x = left + i * step + step / 2
        anchor = "start" if i == 0 and n > 1 else ("end" if i == n - 1 and n > 1 else "middle")
        if n == 1:
            anchor = "middle"
        tx = left if anchor == "start" else (width - right if anchor == "end" else x)
        parts.append(
            f'<text class="tick" x="{tx:.1f}" y="{height - 6}" text-anchor="{anchor}">'
            f"{escape(bars[i].label)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass
class Row:
    label: str
    count: int
    href: str | None = None
    sub: str = ""  # a second, quieter label (a code)
    css: str = ""


def hbars(rows: list[Row], *, width: int = 640, label_width: int = 230,
          label: str = "") -> Markup:  # fmt: skip
    """Horizontal bars, one row each: label, bar, count."""
    if not rows:
        return Markup("")
    row_h, pad = 24, 4
    height = len(rows) * row_h + pad * 2
    count_w = 64
    plot_w = width - label_width - count_w - 8
    peak = max(r.count for r in rows) or 1
    max_chars = max(8, int((label_width - 10) / 7.4))  # about 7 px a character at 12.5 px
    parts = [
        f'<svg class="chart hbars" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" '
        f'aria-label="{_a(label or "bar chart")}" xmlns="http://www.w3.org/2000/svg">',
    ]
    for i, r in enumerate(rows):
        y = pad + i * row_h
        w = 0 if r.count == 0 else max(2.0, plot_w * r.count / peak)
        text = r.label if len(r.label) <= max_chars else r.label[: max_chars - 1] + "…"
        room = len(text) + len(r.sub) + 1 <= max_chars
        sub = f'<tspan class="sub" dx="6">{escape(r.sub)}</tspan>' if r.sub and room else ""
        row = (
            f'<rect class="target" x="0" y="{y}" width="{width}" height="{row_h}"/>'
            f'<text class="label" x="{label_width - 8}" y="{y + 16}" text-anchor="end">'
            f"{escape(text)}{sub}</text>"
            f'<rect class="bar {r.css}" x="{label_width}" y="{y + 5}" width="{w:.1f}" '
            f'height="{row_h - 10}" rx="2"/>'
            f'<text class="count" x="{label_width + w + 6:.1f}" y="{y + 16}">{_fmt(r.count)}</text>'
            f"<title>{escape(r.label)}{' (' + escape(r.sub) + ')' if r.sub else ''}: "
            f"{_fmt(r.count)}</title>"
        )
        parts.append(f'<a href="{_a(r.href)}">{row}</a>' if r.href else f"<g>{row}</g>")
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked(rows: list[Row], *, width: int = 640, height: int = 28, label: str = "") -> Markup:
    """One bar split in proportion to the rows' counts (a mix, e.g. of classifications)."""
    total = sum(r.count for r in rows)
    if not total:
        return Markup("")
    parts = [
        f'<svg class="chart stacked" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" '
        f'aria-label="{_a(label or "mix")}" xmlns="http://www.w3.org/2000/svg">'
    ]
    x = 0.0
    for r in rows:
        w = width * r.count / total
        seg = (
            f'<rect class="bar {r.css}" x="{x:.2f}" y="0" width="{w:.2f}" height="{height}"/>'
            f"<title>{escape(r.label)}: {_fmt(r.count)} ({100 * r.count / total:.1f}%)</title>"
        )
        parts.append(f'<a href="{_a(r.href)}">{seg}</a>' if r.href else f"<g>{seg}</g>")
        x += w
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass
class Node:
    label: str
    kind: str  # person, org, place: the class of its dot
    weight: int = 0  # edge to the centre (cables shared); 0 for the centre
    href: str | None = None
    title: str = ""


def ego(center: Node, others: list[Node], *, width: int = 640, height: int = 440,
        label: str = "") -> Markup:  # fmt: skip
    """An ego network: ``center`` in the middle, ``others`` on a circle around it (the
    strongest first, clockwise from the top), edge width by weight, every node a link."""
    cx, cy = width / 2, height / 2
    radius = min(width, height) / 2 - 48
    peak = max((o.weight for o in others), default=1) or 1
    max_chars = 22
    parts = [
        f'<svg class="chart ego" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" '
        f'aria-label="{_a(label or "network")}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(label)}</title>" if label else "",
    ]
    spots = []
    n = len(others)
    for i, o in enumerate(others):
        angle = -math.pi / 2 + 2 * math.pi * i / max(n, 1)
        x, y = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
        spots.append((o, x, y, angle))
        w = 1 + 5 * o.weight / peak
        parts.append(
            f'<line class="edge" x1="{cx:.1f}" y1="{cy:.1f}" x2="{x:.1f}" y2="{y:.1f}" '
            f'stroke-width="{w:.2f}"><title>{escape(center.label)} – {escape(o.label)}: '
            f"{_fmt(o.weight)} cable{'s' if o.weight != 1 else ''}</title></line>"
        )

    def node(o: Node, x: float, y: float, r: float, anchor: str, dx: float, dy: float,
             extra: str) -> str:  # fmt: skip
        text = o.label if len(o.label) <= max_chars else o.label[: max_chars - 1] + "…"
        body = (
            f'<circle class="node kind-{_a(o.kind)}{extra}" cx="{x:.1f}" cy="{y:.1f}" r="{r}"/>'
            f'<text class="node-label{extra}" x="{x + dx:.1f}" y="{y + dy:.1f}" '
            f'text-anchor="{anchor}">{escape(text)}</text>'
            f"<title>{escape(o.title or o.label)}</title>"
        )
        return f'<a href="{_a(o.href)}">{body}</a>' if o.href else f"<g>{body}</g>"

    for o, x, y, angle in spots:
        c, s_ = math.cos(angle), math.sin(angle)
        anchor = "middle" if abs(c) < 0.3 else ("start" if c > 0 else "end")
        parts.append(node(o, x, y, 6, anchor, 10 * c, 10 * s_ + 4, ""))
    parts.append(node(center, cx, cy, 11, "middle", 0, -16, " center"))
    parts.append("</svg>")
    return Markup("".join(parts))
