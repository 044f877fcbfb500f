"""Small server-side SVG charts: progress over weeks and a measure over time.

SVG made on the server: no JavaScript chart library to vendor (the app works offline), the
charts print, and tests can read the numbers back from the markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import numpy as np

COLORS = {"left": "#1f77b4", "right": "#d62728", "both": "#2ca02c"}
_PALETTE = ["#2ca02c", "#1f77b4", "#d62728", "#9467bd", "#ff7f0e"]


def _color(name: str, i: int) -> str:
    return COLORS.get(name, _PALETTE[i % len(_PALETTE)])


def _nice_range(values: Sequence[float]) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    if hi - lo < 1e-9:
        lo, hi = lo - 1.0, hi + 1.0
    pad = (hi - lo) * 0.08
    return lo - pad, hi + pad


def line_chart(
    title: str,
    labels: Sequence[str],
    series: dict[str, Sequence[float | None]],
    unit: str = "",
    width: int = 560,
    height: int = 200,
) -> str:
    """Points per label (weeks) for each series; gaps where a value is None."""
    values = [
        float(v) for s in series.values() for v in s if v is not None and math.isfinite(float(v))
    ]
    left, right, top, bottom = 48, 12, 26, 34
    pw, ph = width - left - right, height - top - bottom
    out = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg" data-title="{escape(title)}">',
        f'<text x="{left}" y="16" class="chart-title">{escape(title)}</text>',
    ]
    if not values:
        out.append(f'<text x="{left}" y="{top + ph / 2}" class="chart-empty">No data yet</text>')
        out.append("</svg>")
        return "".join(out)
    lo, hi = _nice_range(values)
    n = max(1, len(labels) - 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + pw * i / n, top + ph * (1 - (v - lo) / (hi - lo))

    for frac in (0.0, 0.5, 1.0):
        v = lo + (hi - lo) * frac
        _, y = xy(0, v)
        out.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" class="axis">'
            f"{v:.0f}{escape(unit)}</text>"
        )
    step = max(1, len(labels) // 6)
    for i in range(0, len(labels), step):
        x, _ = xy(i, lo)
        out.append(
            f'<text x="{x:.1f}" y="{height - 12}" text-anchor="middle" class="axis">'
            f"{escape(labels[i])}</text>"
        )
    for k, (name, vals) in enumerate(series.items()):
        color = _color(name, k)
        pts = [(i, float(v)) for i, v in enumerate(vals) if v is not None]
        if len(pts) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in pts))
            out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for i, v in pts:
            x, y = xy(i, v)
            out.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}" '
                f'data-series="{escape(name)}" data-value="{v:.1f}"><title>{escape(name)} '
                f"{escape(labels[i])}: {v:.1f}{escape(unit)}</title></circle>"
            )
        out.append(
            f'<text x="{left + pw - 90 * (len(series) - k)}" y="16" fill="{color}" '
            f'class="legend">{escape(name)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def time_plot(
    title: str,
    t: np.ndarray,
    series: dict[str, np.ndarray],
    spans: Sequence[tuple[float, float, str]] = (),
    marks: Sequence[tuple[float, str]] = (),
    unit: str = "°",
    width: int = 760,
    height: int = 240,
) -> str:
    """Measures over time with shaded rep spans (start, end, label) and fault marks."""
    left, right, top, bottom = 48, 12, 26, 30
    pw, ph = width - left - right, height - top - bottom
    finite = [v[np.isfinite(v)] for v in series.values()]
    allv = np.concatenate(finite) if finite else np.zeros(0)
    out = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg" data-title="{escape(title)}">',
        f'<text x="{left}" y="16" class="chart-title">{escape(title)}</text>',
    ]
    if len(t) < 2 or allv.size == 0:
        out.append(
            f'<text x="{left}" y="{top + ph / 2}" class="chart-empty">No frames stored</text>'
        )
        out.append("</svg>")
        return "".join(out)
    lo, hi = _nice_range(allv.tolist())
    t0, t1 = float(t[0]), float(max(t[-1], t[0] + 1e-3))

    def x_of(tt: float) -> float:
        return left + pw * (tt - t0) / (t1 - t0)

    def y_of(v: float) -> float:
        return top + ph * (1 - (v - lo) / (hi - lo))

    for start, end, label in spans:
        xa, xb = x_of(start), x_of(end)
        out.append(
            f'<rect x="{xa:.1f}" y="{top}" width="{max(1.0, xb - xa):.1f}" height="{ph}" '
            f'class="rep-span" data-rep="{escape(label)}"/>'
            f'<text x="{(xa + xb) / 2:.1f}" y="{top + 12}" text-anchor="middle" class="axis">'
            f"{escape(label)}</text>"
        )
    for frac in (0.0, 0.5, 1.0):
        v = lo + (hi - lo) * frac
        out.append(
            f'<text x="{left - 4}" y="{y_of(v) + 4:.1f}" text-anchor="end" class="axis">'
            f"{v:.0f}{escape(unit)}</text>"
        )
    for sec in range(int(math.ceil(t0)), int(t1) + 1, max(1, int((t1 - t0) / 8) or 1)):
        out.append(
            f'<text x="{x_of(sec):.1f}" y="{height - 10}" text-anchor="middle" class="axis">'
            f"{sec}s</text>"
        )
    step = max(1, len(t) // 600)  # at most ~600 points a line
    for k, (name, values) in enumerate(series.items()):
        segs: list[list[str]] = [[]]
        for i in range(0, len(t), step):
            v = values[i]
            if np.isfinite(v):
                segs[-1].append(f"{x_of(float(t[i])):.1f},{y_of(float(v)):.1f}")
            elif segs[-1]:
                segs.append([])
        for seg in segs:
            if len(seg) > 1:
                out.append(
                    f'<polyline points="{" ".join(seg)}" fill="none" stroke="{_color(name, k)}" '
                    f'stroke-width="1.6" data-series="{escape(name)}"/>'
                )
        out.append(
            f'<text x="{left + pw - 110 * (len(series) - k)}" y="16" fill="{_color(name, k)}" '
            f'class="legend">{escape(name)}</text>'
        )
    for tt, label in marks:
        x = x_of(tt)
        out.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + ph}" class="fault-mark">'
            f"<title>{escape(label)} at {tt:.1f}s</title></line>"
            f'<text x="{x:.1f}" y="{top + ph - 4}" class="fault-label">!</text>'
        )
    out.append("</svg>")
    return "".join(out)
