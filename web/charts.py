"""Small server-side SVG charts: progress over weeks and a measure over time.

SVG made on the server: no JavaScript chart library to vendor (the app works offline), the
charts print, and tests can read the numbers back from the markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import numpy as np

# Sides get blue and purple, never red: red marks faults on these pages. Both pass 3:1 on white.
COLORS = {"left": "#1f63a8", "right": "#7a3b9c", "both": "#1d7a3a"}
_PALETTE = ["#1d7a3a", "#1f63a8", "#7a3b9c", "#8a5a00", "#0f6e76"]
# Each series also has its own marker shape, so the key does not rest on colour alone.
_SHAPES = ["circle", "square", "diamond", "triangle"]
# A side keeps its shape from chart to chart (one with only the right hand's points too).
SIDE_SHAPES = {"left": "circle", "right": "square"}
LINE_STYLES = {"target": ("#1d7a3a", "6 4"), "limit": ("#b00020", "2 3")}


def _color(name: str, i: int) -> str:
    return COLORS.get(name, _PALETTE[i % len(_PALETTE)])


def _shape(name: str, i: int, names: Sequence[str]) -> str:
    """A side's own shape; other series take the shapes no side of this chart uses."""
    if name in SIDE_SHAPES:
        return SIDE_SHAPES[name]
    taken = {SIDE_SHAPES[n] for n in names if n in SIDE_SHAPES}
    free = [shape for shape in _SHAPES if shape not in taken]
    return free[i % len(free)]


def _nice_range(values: Sequence[float], min_span: float = 2.0) -> tuple[float, float]:
    """A padded range over `values`, at least `min_span` wide (one point or a flat line gets
    a readable axis around it, not 152-154)."""
    lo, hi = min(values), max(values)
    if hi - lo < min_span:
        mid = (hi + lo) / 2
        lo, hi = mid - min_span / 2, mid + min_span / 2
    pad = (hi - lo) * 0.08
    return lo - pad, hi + pad


def _marker(shape: str, x: float, y: float, color: str, attrs: str, tip: str = "") -> str:
    """One data point drawn as `shape` (the key shows the same shape), with a hover title."""
    inner = f"<title>{tip}</title>" if tip else ""
    if shape == "square":
        return (
            f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="{color}" '
            f"{attrs}>{inner}</rect>"
        )
    if shape in ("diamond", "triangle"):
        corners = (
            [(0, -4.5), (4.5, 0), (0, 4.5), (-4.5, 0)]
            if shape == "diamond"
            else [(0, -4.5), (4.5, 3.5), (-4.5, 3.5)]
        )
        pts = " ".join(f"{x + dx:.1f},{y + dy:.1f}" for dx, dy in corners)
        return f'<polygon points="{pts}" fill="{color}" {attrs}>{inner}</polygon>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}" {attrs}>{inner}</circle>'


def _svg_open(title: str, width: int, height: int, summary: str) -> list[str]:
    """The chart's root with its accessible name (title) and description (the numbers)."""
    return [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} '
        f'{height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg" '
        f'data-title="{escape(title)}"><title>{escape(title)}</title>'
        f"<desc>{escape(summary)}</desc>",
    ]


def line_chart(
    title: str,
    labels: Sequence[str],
    series: dict[str, Sequence[float | None]],
    unit: str = "",
    width: int = 560,
    height: int = 200,
    lines: dict[str, float | None] | None = None,
    min_span: float | None = None,
    bounds: tuple[float, float] | None = None,
) -> str:
    """Points per label (weeks, sessions) for each series; gaps where a value is None.

    `lines` draws horizontal reference lines ("target", "limit") with their value in the key;
    `min_span` is the smallest y range shown (default 20 for degrees, else 2); `bounds` fixes
    the y range instead (a share is 0-100 %, never -29 %)."""
    lines = {k: float(v) for k, v in (lines or {}).items() if v is not None}
    values = [
        float(v) for s in series.values() for v in s if v is not None and math.isfinite(float(v))
    ]
    left, right, top, bottom = 48, 12, 42, 34  # the title, then the key, above the plot
    pw, ph = width - left - right, height - top - bottom
    described = "; ".join(
        f"{name}: "
        + ", ".join(
            f"{labels[i]} {float(v):.0f}{unit}" for i, v in enumerate(vals) if v is not None
        )
        for name, vals in series.items()
    )
    if lines:
        described += "; " + "; ".join(f"{k} {v:g}{unit}" for k, v in lines.items())
    out = _svg_open(title, width, height, described if values else "No data yet")
    out.append(f'<text x="{left}" y="16" class="chart-title">{escape(title)}</text>')
    if not values:
        out.append(f'<text x="{left}" y="{top + ph / 2}" class="chart-empty">No data yet</text>')
        out.append("</svg>")
        return "".join(out)
    span = min_span if min_span is not None else (20.0 if unit == "°" else 2.0)
    lo, hi = bounds or _nice_range(values + list(lines.values()), span)
    n = max(1, len(labels) - 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        x = left + pw * i / n if len(labels) > 1 else left + pw / 2
        return x, top + ph * (1 - (v - lo) / (hi - lo))

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
    key: list[tuple[str, str, str]] = []  # (text, colour, shape or dash)
    for name, value in lines.items():
        color, dash = LINE_STYLES.get(name, ("#5d6b78", "4 4"))
        _, y = xy(0, value)
        out.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="{color}" '
            f'stroke-width="1.6" stroke-dasharray="{dash}" class="ref-line" '
            f'data-line="{escape(name)}" data-value="{value:g}">'
            f"<title>{escape(name)} {value:g}{escape(unit)}</title></line>"
        )
        key.append((f"{name} {value:g}{unit}", color, name if name in LINE_STYLES else "line"))
    for k, (name, vals) in enumerate(series.items()):
        color, shape = _color(name, k), _shape(name, k, list(series))
        pts = [(i, float(v)) for i, v in enumerate(vals) if v is not None]
        if len(pts) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in pts))
            out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for i, v in pts:
            x, y = xy(i, v)
            attrs = f'data-series="{escape(name)}" data-value="{v:.1f}"'
            tip = f"{escape(name)} {escape(labels[i])}: {v:.1f}{escape(unit)}"
            out.append(_marker(shape, x, y, color, attrs, tip))
        key.append((name, color, shape))
    x = float(left)
    for text, color, shape in key:
        if shape in LINE_STYLES:
            out.append(
                f'<line x1="{x:.1f}" x2="{x + 14:.1f}" y1="28" y2="28" stroke="{color}" '
                f'stroke-width="2" stroke-dasharray="{LINE_STYLES[shape][1]}"/>'
            )
        else:
            out.append(_marker(shape, x + 7, 28, color, 'aria-hidden="true"'))
        out.append(
            f'<text x="{x + 18:.1f}" y="32" fill="#17202a" class="legend">{escape(text)}</text>'
        )
        x += 26 + len(text) * 6.5
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
    out = _svg_open(title, width, height, f"{', '.join(series)} over time; shaded: reps")
    out.append(f'<text x="{left}" y="16" class="chart-title">{escape(title)}</text>')
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
