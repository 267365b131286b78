"""Small server-side SVG charts (issue 10 §9: "bars by unit, a year-on-year line", never from a CDN).

Each chart is an inline <svg role="img"> with a <title> and a <desc> that say what it shows and
its numbers, so a screen reader reads it; the page puts the same numbers in a table beside it.
Colours are presentation attributes, not style attributes (the Content-Security-Policy allows no
inline styles); the text takes the page's font.
"""
from __future__ import annotations

from decimal import Decimal
from math import floor, log10

from markupsafe import Markup, escape

# The app's red, then colours that stay apart for the common colour-vision deficiencies.
PALETTE = ["#c8161d", "#2563eb", "#197a43", "#b45309", "#7c3aed", "#0f766e", "#5f656e"]
# Each series also has its own dash pattern, so the lines differ without colour.
DASHES = ["", "6 3", "2 3", "8 3 2 3", "1 2", "10 4", "4 4"]
WIDTH = 400


def _num(value) -> float:
    return float(value) if isinstance(value, Decimal) else value


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5, 5 × 10^k at least `value` (1 for nothing): the top of an axis."""
    if value <= 0:
        return 1
    power = 10 ** floor(log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover


def _head(chart_id: str, title: str, desc: str, height: int) -> str:
    return (f'<svg class="dj-chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {height}" role="img" '
            f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" xmlns="http://www.w3.org/2000/svg">'
            f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
            f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>')


def bar_chart(chart_id: str, title: str, items: list[tuple[str, object]], fmt=str, color: str = PALETTE[0]) -> Markup:
    """Horizontal bars, one per (label, value), the label above its bar and the value after it."""
    row, top = 36, 6
    height = top + row * max(len(items), 1) + 4
    desc = "；".join(f"{label}：{fmt(value)}" for label, value in items) or "没有数据"
    biggest = max((_num(v) for _, v in items), default=0)
    span = WIDTH - 90  # room for the value after the longest bar
    parts = [_head(chart_id, title, desc, height)]
    for i, (label, value) in enumerate(items):
        y = top + i * row
        length = 0 if biggest <= 0 else span * _num(value) / biggest
        parts.append(f'<text x="0" y="{y + 12}" font-size="12" fill="#1f2329">{escape(label)}</text>')
        parts.append(f'<rect x="0" y="{y + 17}" width="{span}" height="12" rx="2" fill="#f2f3f5"/>')
        if length > 0:
            parts.append(f'<rect x="0" y="{y + 17}" width="{max(length, 2):.1f}" height="12" rx="2" fill="{color}">'
                         f'<title>{escape(label)}：{escape(fmt(value))}</title></rect>')
        parts.append(f'<text x="{span + 6}" y="{y + 27}" font-size="12" fill="#1f2329">{escape(fmt(value))}</text>')
    if not items:
        parts.append(f'<text x="0" y="{top + 16}" font-size="12" fill="#5f656e">没有数据</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def grouped_bar_chart(chart_id: str, title: str, items: list[tuple[str, list]], series: list[str], fmt=str) -> Markup:
    """Horizontal bars, a group per (label, values): the label above, then one bar per series (its
    colour from PALETTE, its name before the value after it), all on one scale."""
    bar, gap, label_h, top = 12, 4, 17, 6
    group = label_h + len(series) * (bar + gap) + 6
    height = top + group * max(len(items), 1) + 4
    desc = "；".join(f"{label}：" + "，".join(f"{name} {fmt(v)}" for name, v in zip(series, values))
                    for label, values in items) or "没有数据"
    biggest = max((_num(v) for _, values in items for v in values), default=0)
    span = WIDTH - 150  # room for the series name and value after the longest bar
    parts = [_head(chart_id, title, desc, height)]
    for i, (label, values) in enumerate(items):
        y = top + i * group
        parts.append(f'<text x="0" y="{y + 12}" font-size="12" fill="#1f2329">{escape(label)}</text>')
        for k, (name, value) in enumerate(zip(series, values)):
            by = y + label_h + k * (bar + gap)
            color = PALETTE[k % len(PALETTE)]
            length = 0 if biggest <= 0 else span * _num(value) / biggest
            parts.append(f'<rect x="0" y="{by}" width="{span}" height="{bar}" rx="2" fill="#f2f3f5"/>')
            if length > 0:
                parts.append(f'<rect x="0" y="{by}" width="{max(length, 2):.1f}" height="{bar}" rx="2" fill="{color}">'
                             f'<title>{escape(label)} {escape(name)}：{escape(fmt(value))}</title></rect>')
            parts.append(f'<text x="{span + 6}" y="{by + 10}" font-size="11" fill="#1f2329">'
                         f'{escape(name)} {escape(fmt(value))}</text>')
    if not items:
        parts.append(f'<text x="0" y="{top + 16}" font-size="12" fill="#5f656e">没有数据</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(chart_id: str, title: str, x_labels: list[str], series: list[tuple[str, list]], fmt=str,
               unit: str = "") -> Markup:
    """Lines over the x labels (years), one per (name, values), with a y axis from 0 to a round top.
    The legend is the page's (`legend()`): HTML text beside the chart."""
    height, left, right, top, bottom = 220, 44, 12, 14, 28
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    biggest = max((_num(v) for _, values in series for v in values), default=0)
    ceiling = nice_ceiling(biggest)
    desc = "；".join(f"{name}：" + "，".join(f"{x} {fmt(v)}" for x, v in zip(x_labels, values))
                    for name, values in series) or "没有数据"
    parts = [_head(chart_id, title, desc + (f"（单位：{unit}）" if unit else ""), height)]
    for k in range(5):  # gridlines and y labels at 0, ¼ … the top
        value = ceiling * k / 4
        y = top + plot_h - plot_h * k / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" stroke="#e5e7eb" stroke-width="1"/>')
        shown = f"{value:g}" if value < 10000 else f"{value / 10000:g}万"
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" fill="#5f656e" text-anchor="end">{shown}</text>')
    step = plot_w / max(len(x_labels) - 1, 1)
    xs = [left + (step * i if len(x_labels) > 1 else plot_w / 2) for i in range(len(x_labels))]
    for x, label in zip(xs, x_labels):
        parts.append(f'<text x="{x:.1f}" y="{height - 8}" font-size="11" fill="#5f656e" text-anchor="middle">{escape(label)}</text>')
    for i, (name, values) in enumerate(series):
        color, dash = PALETTE[i % len(PALETTE)], DASHES[i % len(DASHES)]
        points = [(x, top + plot_h - plot_h * _num(v) / ceiling) for x, v in zip(xs, values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"{dash_attr}/>')
        for (x, y), label, v in zip(points, x_labels, values):
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}">'
                         f'<title>{escape(name)} {escape(label)}：{escape(fmt(v))}</title></circle>')
    parts.append("</svg>")
    return Markup("".join(parts))


def legend(names: list[str]) -> Markup:
    """The line chart's legend: each name after a short line in its series' colour and dash."""
    items = []
    for i, name in enumerate(names):
        color, dash = PALETTE[i % len(PALETTE)], DASHES[i % len(DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        items.append(f'<li><svg width="24" height="10" aria-hidden="true" focusable="false"><line x1="0" y1="5" x2="24" '
                     f'y2="5" stroke="{color}" stroke-width="2"{dash_attr}/></svg>{escape(name)}</li>')
    return Markup(f'<ul class="dj-chart-legend">{"".join(items)}</ul>')
