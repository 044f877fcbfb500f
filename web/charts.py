"""Small server-side SVG charts: progress over weeks and a measure over time.

SVG made on the server: no JavaScript chart library to vendor (the app works offline), the
charts print, and tests can read the numbers back from the markup. Value axes are a round grid
(`_scale`): every grid line where its label says, every point where its value is
(docs/ARCHITECTURE.md, "Charts").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape

import numpy as np

from coach.i18n import Reader
from scoring.words import fill

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


MAX_INTERVALS = 5
_STEPS = (1, 2, 5)  # a grid step is one of these times a power of ten


def _padded_range(values: Sequence[float], min_span: float) -> tuple[float, float]:
    """The values' range, at least `min_span` wide around its middle (one point or a flat
    line gets a readable axis around it, not 152-154)."""
    lo, hi = min(values), max(values)
    if hi - lo < min_span:
        mid = (hi + lo) / 2
        lo, hi = mid - min_span / 2, mid + min_span / 2
    return lo, hi


@dataclass(frozen=True)
class _Scale:
    """A value axis: `lo` at pixel `bottom`, `hi` at pixel `top`, grid lines at `ticks`
    (round numbers: a step of 1, 2 or 5 times a power of ten), labelled with `decimals`."""

    lo: float
    hi: float
    top: float
    bottom: float
    ticks: tuple[float, ...]
    decimals: int

    def y(self, v: float) -> float:
        return self.bottom - (self.bottom - self.top) * (v - self.lo) / (self.hi - self.lo)

    def label(self, v: float, unit: str = "") -> str:
        return f"{v:.{self.decimals}f}{unit}"


def _grid(
    lo: float, hi: float, inside: tuple[float, float] | None, fixed: bool
) -> tuple[int, int, int, int]:
    """The finest round grid over `lo`-`hi` with at most MAX_INTERVALS intervals, as
    (exponent, m, first, last): the step is m (1, 2 or 5) x 10^exponent and the grid lines
    are its multiples `first` to `last`. Without `fixed` the grid reaches past lo-hi, a step
    further where a value of `inside` (the data's min and max) would sit on its end (never
    below 0 for data that are not negative); with `fixed` it falls inside lo-hi."""
    power = math.floor(math.log10((hi - lo) / MAX_INTERVALS))
    for exponent in (power, power + 1, power + 2):
        for m in _STEPS:
            step = m * 10.0**exponent
            if fixed:
                first, last = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
            else:
                first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
            if inside is not None and not fixed:
                low, high = inside
                if low - first * step < step / 8 and (low < 0 or first > 0):
                    first -= 1
                if last * step - high < step / 8:
                    last += 1
            if first < last <= first + MAX_INTERVALS:
                return exponent, m, first, last
    raise AssertionError("unreachable: a step of 10^(power+2) spans the range in one interval")


def _scale(
    lo: float,
    hi: float,
    top: float,
    bottom: float,
    *,
    fixed: bool = False,
    inside: tuple[float, float] | None = None,
) -> _Scale:
    """The value axis over `lo`-`hi` (at least), on a round grid (`_grid`); with `fixed`
    (a share is 0-100 %) the ends stay where they are and the grid lines fall inside."""
    if not hi > lo:
        lo, hi = lo - 1.0, hi + 1.0
    exponent, m, first, last = _grid(lo, hi, inside, fixed)
    decimals = max(0, -exponent)
    ticks = tuple(round(k * m * 10.0**exponent, decimals) for k in range(first, last + 1))
    if not fixed:
        lo, hi = ticks[0], ticks[-1]
    return _Scale(lo, hi, top, bottom, ticks, decimals)


def _number(v: float) -> str:
    """A stored value in words: to one decimal, without a trailing .0 (pain 2.5, range 153)."""
    text = f"{v:.1f}".removesuffix(".0")
    return "0" if text == "-0" else text


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
            else [(0, -4.0), (4.5, 4.0), (-4.5, 4.0)]  # centred on the point, like the rest
        )
        pts = " ".join(f"{x + dx:.1f},{y + dy:.1f}" for dx, dy in corners)
        return f'<polygon points="{pts}" fill="{color}" {attrs}>{inner}</polygon>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}" {attrs}>{inner}</circle>'


def _svg_open(title: str, width: int, height: int, summary: str, attrs: str = "") -> list[str]:
    """The chart's root with its accessible name (title) and description (the numbers);
    `attrs`: more attributes of the root (a time plot's axis for the page's scripts)."""
    return [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} '
        f'{height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg" '
        f'data-title="{escape(title)}"{attrs}><title>{escape(title)}</title>'
        f"<desc>{escape(summary)}</desc>",
    ]


def _title(title: str, left: int) -> str:
    return f'<text x="{left}" y="16" class="chart-title">{escape(title)}</text>'


def _no_data(out: list[str], text: str, x: int, y: float) -> str:
    out.append(f'<text x="{x}" y="{y}" class="chart-empty">{text}</text></svg>')
    return "".join(out)


def _y_axis(scale: _Scale, left: int, right: float, unit: str, grid: bool = True) -> list[str]:
    """The value axis: a grid line (if `grid`) and a label at each of the scale's ticks."""
    out = []
    for v in scale.ticks:
        y = scale.y(v)
        if grid:
            out.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        out.append(
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" class="axis">'
            f"{escape(scale.label(v, unit))}</text>"
        )
    return out


@dataclass(frozen=True)
class ChartWords:
    """A chart's words in the reader's language: each series' and line's name by its key
    (the key itself still picks the colour and shape, and names `data-series`), and what an
    empty chart says."""

    names: Mapping[str, str] = field(default_factory=dict)
    empty: str = "No data yet"
    no_frames: str = "No frames stored"  # a time plot's
    over_time: str = "{series} over time; shaded: reps"  # a time plot's summary

    def name(self, key: str) -> str:
        return self.names.get(key, key)


def chart_words(words: Reader) -> ChartWords:
    """The charts' series and line names, and their empty chart, in the reader's words."""
    return ChartWords(
        names={
            "target": words.pgettext("chart", "target"),
            "limit": words.pgettext("chart", "limit"),
            "left": words.pgettext("chart", "left"),
            "right": words.pgettext("chart", "right"),
            "both": words.pgettext("chart", "both"),
            "reps": words.pgettext("chart", "reps"),
            "score": words.pgettext("chart", "score"),
            "hold": words.pgettext("chart", "hold"),
            "pain before": words.pgettext("chart", "pain before"),
            "pain after": words.pgettext("chart", "pain after"),
            "effort": words.pgettext("chart", "effort"),
        },
        empty=words.gettext("No data yet"),
        no_frames=words.gettext("No frames stored"),
        over_time=words.gettext("{series} over time; shaded: reps"),
    )


def _described(
    labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    lines: dict[str, float],
    unit: str,
    words: ChartWords,
) -> str:
    """Every value in words, series by series (the chart's <desc>, for a screen reader)."""
    text = "; ".join(
        f"{words.name(name)}: "
        + ", ".join(
            f"{labels[i]} {_number(float(v))}{unit}" for i, v in enumerate(vals) if v is not None
        )
        for name, vals in series.items()
    )
    if lines:
        text += "; " + "; ".join(f"{words.name(k)} {v:g}{unit}" for k, v in lines.items())
    return text


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    unit: str = "",
    width: int = 560,
    height: int = 200,
    lines: Mapping[str, float | None] | None = None,
    min_span: float | None = None,
    bounds: tuple[float, float] | None = None,
    words: ChartWords | None = None,
) -> str:
    """Points per label (weeks, sessions) for each series; gaps where a value is None.

    `lines` draws horizontal reference lines ("target", "limit") with their value in the key;
    `min_span` is the smallest y range shown (default 20 for degrees, else 2); `bounds` fixes
    the y range instead (a share is 0-100 %, never -29 %). The grid lines sit at round values
    (1, 2 or 5 times a power of ten) and the axis ends on them, a step beyond the values."""
    drawn = {k: float(v) for k, v in (lines or {}).items() if v is not None}
    values = [
        float(v) for s in series.values() for v in s if v is not None and math.isfinite(float(v))
    ]
    left, right, top, bottom = 48, 26, 42, 34  # right: half a date label ("05 Dec") fits
    pw, ph = width - left - right, height - top - bottom
    said = words or ChartWords()
    summary = _described(labels, series, drawn, unit, said) if values else said.empty
    out = _svg_open(title, width, height, summary)
    out.append(f'<text x="{left}" y="16" class="chart-title">{escape(title)}</text>')
    if not values:
        return _no_data(out, said.empty, left, top + ph / 2)
    span = min_span if min_span is not None else (20.0 if unit == "°" else 2.0)
    shown = values + list(drawn.values())
    lo, hi = bounds or _padded_range(shown, span)
    scale = _scale(lo, hi, top, top + ph, fixed=bounds is not None, inside=(min(shown), max(shown)))
    n = max(1, len(labels) - 1)

    def x_of(i: int) -> float:
        return left + pw * i / n if len(labels) > 1 else left + pw / 2

    out += _y_axis(scale, left, left + pw, unit)
    out += _x_labels(labels, x_of, height - 12)
    key = _reference_lines(out, drawn, scale, (left, left + pw), unit, said)
    for k, (name, vals) in enumerate(series.items()):
        color, shape = _color(name, k), _shape(name, k, list(series))
        pts = [
            (x_of(i), scale.y(float(v)), i, float(v)) for i, v in enumerate(vals) if v is not None
        ]
        if len(pts) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in pts)
            out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for x, y, i, v in pts:
            attrs = f'data-series="{escape(name)}" data-value="{v:.1f}"'
            tip = f"{escape(said.name(name))} {escape(labels[i])}: {v:.1f}{escape(unit)}"
            out.append(_marker(shape, x, y, color, attrs, tip))
        key.append((said.name(name), color, shape))
    out += _key(key, left)
    out.append("</svg>")
    return "".join(out)


def _x_labels(labels: Sequence[str], x_of: Callable[[int], float], y: int) -> list[str]:
    """About six of the labels under the plot."""
    return [
        f'<text x="{x_of(i):.1f}" y="{y}" text-anchor="middle" class="axis">'
        f"{escape(labels[i])}</text>"
        for i in range(0, len(labels), max(1, len(labels) // 6))
    ]


def _reference_lines(
    out: list[str],
    lines: dict[str, float],
    scale: _Scale,
    span: tuple[int, int],
    unit: str,
    words: ChartWords,
) -> list[tuple[str, str, str]]:
    """Draw the dashed target and limit lines; their entries of the key (text, colour, dash)."""
    x1, x2 = span
    key = []
    for name, value in lines.items():
        color, dash = LINE_STYLES.get(name, ("#5d6b78", "4 4"))
        y = scale.y(value)
        out.append(
            f'<line x1="{x1}" x2="{x2}" y1="{y:.1f}" y2="{y:.1f}" stroke="{color}" '
            f'stroke-width="1.6" stroke-dasharray="{dash}" class="ref-line" '
            f'data-line="{escape(name)}" data-value="{value:g}">'
            f"<title>{escape(words.name(name))} {value:g}{escape(unit)}</title></line>"
        )
        shown = f"{words.name(name)} {value:g}{unit}"
        key.append((shown, color, name if name in LINE_STYLES else "line"))
    return key


def _key(entries: list[tuple[str, str, str]], left: int) -> list[str]:
    """The key above the plot: each series' marker shape (or line's dash) and its name."""
    out = []
    x = float(left)
    for text, color, shape in entries:
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
    return out


def time_plot(
    title: str,
    t: np.ndarray,
    series: dict[str, np.ndarray],
    spans: Sequence[tuple[float, float, str]] = (),
    marks: Sequence[tuple[float, str]] = (),
    unit: str = "°",
    width: int = 760,
    height: int = 240,
    lines: Mapping[str, float | None] | None = None,
    empty: str = "No frames stored",
    words: ChartWords | None = None,
) -> str:
    """Measures over time with shaded rep spans (start, end, label), fault marks and the
    prescribed `lines` ("limit", dashed, in the key); the value labels sit at round values,
    like line_chart's. A frame whose value is NaN has no point (not measured); `empty` is said
    when frames exist but none has a value ("No frames stored" when there are none). The root
    carries its time axis (`data-t0`, `data-t1` at pixels `data-x0`, `data-x1`; the plot from
    `data-top` to `data-bottom`): the session page's video moves a cursor over it and seeks
    from it."""
    left, right, top, bottom = 48, 12, 26, 30
    pw, ph = width - left - right, height - top - bottom
    finite = [v[np.isfinite(v)] for v in series.values()]
    allv = np.concatenate(finite) if finite else np.zeros(0)
    drawn = {k: float(v) for k, v in (lines or {}).items() if v is not None}
    if len(t) < 2 or allv.size == 0:
        said = empty if len(t) >= 2 else (words or ChartWords()).no_frames
        out = [*_svg_open(title, width, height, said), _title(title, left)]
        return _no_data(out, escape(said), left, top + ph / 2)
    t0, t1 = float(t[0]), float(max(t[-1], t[0] + 1e-3))
    axis = (
        f' data-t0="{t0:.3f}" data-t1="{t1:.3f}" data-x0="{left}" data-x1="{left + pw}"'
        f' data-top="{top}" data-bottom="{top + ph}"'
    )
    named = words or ChartWords()
    summary = fill(named.over_time, {"series": ", ".join(named.name(k) for k in series)})
    if drawn:
        summary += "; " + "; ".join(f"{named.name(k)} {v:g}{unit}" for k, v in drawn.items())
    out = [*_svg_open(title, width, height, summary, axis), _title(title, left)]
    lo, hi = float(allv.min()), float(allv.max())
    shown = [lo, hi, *drawn.values()]
    scale = _scale(*_padded_range(shown, 2.0), top, top + ph, inside=(min(shown), max(shown)))

    def x_of(tt: float) -> float:
        return left + pw * (tt - t0) / (t1 - t0)

    out += _rep_spans(spans, x_of, top, ph)
    out += _y_axis(scale, left, left + pw, unit, grid=False)
    out += _seconds_axis(t0, t1, x_of, height - 10)
    out += _time_lines(t, series, x_of, scale, left + pw, len(drawn), named)
    key = _reference_lines(out, drawn, scale, (left, left + pw), unit, named)
    out += _fault_marks(marks, x_of, top, ph)
    for i, (text, color, _dash) in enumerate(key):
        out.append(
            f'<text x="{left + pw - 110 * (len(key) - i)}" y="16" fill="{color}" '
            f'class="legend">{escape(text)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _seconds_axis(t0: float, t1: float, x_of: Callable[[float], float], y: int) -> list[str]:
    """Whole seconds under a time plot, about eight of them."""
    step = max(1, int((t1 - t0) / 8) or 1)
    return [
        f'<text x="{x_of(sec):.1f}" y="{y}" text-anchor="middle" class="axis">{sec}s</text>'
        for sec in range(int(math.ceil(t0)), int(t1) + 1, step)
    ]


def _fault_marks(
    marks: Sequence[tuple[float, str]], x_of: Callable[[float], float], top: int, ph: int
) -> list[str]:
    """A red line marked "!" at each fault, its words on hover."""
    out = []
    for tt, label in marks:
        x = x_of(tt)
        out.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + ph}" class="fault-mark">'
            f"<title>{escape(label)} at {tt:.1f}s</title></line>"
            f'<text x="{x:.1f}" y="{top + ph - 4}" class="fault-label">!</text>'
        )
    return out


def _rep_spans(
    spans: Sequence[tuple[float, float, str]], x_of: Callable[[float], float], top: int, ph: int
) -> list[str]:
    """The shaded reps, each numbered at its top."""
    out = []
    for start, end, label in spans:
        xa, xb = x_of(start), x_of(end)
        out.append(
            f'<rect x="{xa:.1f}" y="{top}" width="{max(1.0, xb - xa):.1f}" height="{ph}" '
            f'class="rep-span" data-rep="{escape(label)}"/>'
            f'<text x="{(xa + xb) / 2:.1f}" y="{top + 12}" text-anchor="middle" class="axis">'
            f"{escape(label)}</text>"
        )
    return out


def _time_lines(
    t: np.ndarray,
    series: dict[str, np.ndarray],
    x_of: Callable[[float], float],
    scale: _Scale,
    right: float,
    lines: int = 0,
    words: ChartWords | None = None,
) -> list[str]:
    """Each series as lines (broken where a value is missing) and its name in the key (left
    of the `lines` reference lines' names)."""
    named = words or ChartWords()
    out = []
    step = max(1, len(t) // 600)  # at most ~600 points a line
    for k, (name, values) in enumerate(series.items()):
        segs: list[list[str]] = [[]]
        for i in range(0, len(t), step):
            v = values[i]
            if np.isfinite(v):
                segs[-1].append(f"{x_of(float(t[i])):.1f},{scale.y(float(v)):.1f}")
            elif segs[-1]:
                segs.append([])
        for seg in segs:
            if len(seg) > 1:
                out.append(
                    f'<polyline points="{" ".join(seg)}" fill="none" stroke="{_color(name, k)}" '
                    f'stroke-width="1.6" data-series="{escape(name)}"/>'
                )
        out.append(
            f'<text x="{right - 110 * (len(series) + lines - k)}" y="16" fill="{_color(name, k)}" '
            f'class="legend">{escape(named.name(name))}</text>'
        )
    return out
