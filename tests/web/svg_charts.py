"""Reading an SVG chart of web/charts.py back: its grid lines and their labels, transforms,
and each marker's centre in data units, to check plotted points against stored values."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from itertools import pairwise

NS_SVG = "{http://www.w3.org/2000/svg}"
HALF_PIXEL = 0.5


# ---- reading a chart back -----------------------------------------------------------------
Matrix = tuple[float, float, float, float, float, float]  # SVG's a b c d e f
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _times(m: Matrix, n: Matrix) -> Matrix:
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (
        a * a2 + c * b2,
        b * a2 + d * b2,
        a * c2 + c * d2,
        b * c2 + d * d2,
        a * e2 + c * f2 + e,
        b * e2 + d * f2 + f,
    )


def _transform(text: str | None) -> Matrix:
    """An SVG `transform` attribute (translate, scale, matrix) as one matrix."""
    m = IDENTITY
    for name, args in re.findall(r"(\w+)\s*\(([^)]*)\)", text or ""):
        v = [float(x) for x in re.split(r"[\s,]+", args.strip()) if x]
        if name == "translate":
            step = (1.0, 0.0, 0.0, 1.0, v[0], v[1] if len(v) > 1 else 0.0)
        elif name == "scale":
            step = (v[0], 0.0, 0.0, v[1] if len(v) > 1 else v[0], 0.0, 0.0)
        elif name == "matrix":
            step = (v[0], v[1], v[2], v[3], v[4], v[5])
        else:
            raise AssertionError(f"transform {name} not read by this test")
        m = _times(m, step)
    return m


def placed_elements(el: ET.Element, m: Matrix = IDENTITY) -> Iterator[tuple[ET.Element, Matrix]]:
    """Every element with the transform it is drawn under."""
    m = _times(m, _transform(el.get("transform")))
    yield el, m
    for child in el:
        yield from placed_elements(child, m)


def at(m: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


def _centre(el: ET.Element, m: Matrix) -> tuple[float, float]:
    """Where a marker is drawn: its centre (a polygon's: the middle of its extent)."""
    tag = el.tag.removeprefix(NS_SVG)
    if tag == "circle":
        return at(m, float(el.get("cx")), float(el.get("cy")))
    if tag == "rect":
        x, y = float(el.get("x")), float(el.get("y"))
        return at(m, x + float(el.get("width")) / 2, y + float(el.get("height")) / 2)
    if tag == "polygon":
        pts = [at(m, *map(float, p.split(","))) for p in el.get("points").split()]
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    raise AssertionError(f"a point drawn as <{tag}>")


class ReadChart:
    """A line chart as a reader sees it: the value at each labelled grid line, the x of each
    labelled category, and each series' drawn points."""

    def __init__(self, svg: str, unit: str = "") -> None:
        self.root = ET.fromstring(svg)
        placed = list(placed_elements(self.root))
        grid = sorted(at(m, 0, float(el.get("y1")))[1] for el, m in placed if is_class(el, "grid"))
        ylabels = [
            (el, m) for el, m in placed if is_class(el, "axis") and el.get("text-anchor") == "end"
        ]
        assert len(grid) == len(ylabels) >= 3, "one label for every grid line"
        # Each label is level with its line (to the glyphs' middle, a few pixels).
        self.grid: list[tuple[float, float]] = []
        for y_line, (el, m) in zip(
            grid, sorted(ylabels, key=lambda p: at(p[1], 0, float(p[0].get("y")))[1]), strict=True
        ):
            y_text = at(m, float(el.get("x")), float(el.get("y")))[1]
            assert abs(y_text - 4 - y_line) < 1.0, (el.text, y_text, y_line)
            self.grid.append((_label_value(el.text, unit), y_line))
        self.xlabels = {
            el.text: at(m, float(el.get("x")), float(el.get("y")))[0]
            for el, m in placed
            if is_class(el, "axis") and el.get("text-anchor") == "middle"
        }
        self.points: dict[str, list[tuple[float, float]]] = {}
        for el, m in placed:
            if el.get("data-series") is not None and el.get("aria-hidden") is None:
                self.points.setdefault(el.get("data-series"), []).append(_centre(el, m))
        self.lines = {
            el.get("data-line"): at(m, 0, float(el.get("y1")))[1]
            for el, m in placed
            if el.get("data-line")
        }

    def y_of(self, value: float) -> float:
        """Where `value` belongs, read off the labelled grid lines (they must be evenly
        spaced, at round values: 1, 2 or 5 times a power of ten apart)."""
        (v0, y0), (v1, y1) = self.grid[0], self.grid[-1]
        steps = {round(b[0] - a[0], 9) for a, b in pairwise(self.grid)}
        assert len(steps) == 1, f"grid labels not evenly spaced: {self.grid}"
        step = steps.pop()
        mantissa = abs(step) / 10 ** math.floor(math.log10(abs(step)))
        assert round(mantissa, 6) in (1.0, 2.0, 5.0), f"grid step {step} is not round"
        for v, y in self.grid:  # every line where its label says
            assert abs(y - (y0 + (y1 - y0) * (v - v0) / (v1 - v0))) < HALF_PIXEL, self.grid
        return y0 + (y1 - y0) * (value - v0) / (v1 - v0)

    def x_of(self, labels: list[str], i: int) -> float:
        """Where category `i` belongs, read off the x-axis labels shown."""
        shown = [(labels.index(text), x) for text, x in self.xlabels.items()]
        assert shown, "no x-axis labels"
        if len(labels) == 1:
            return shown[0][1]
        (i0, x0), (i1, x1) = min(shown), max(shown)
        return x0 + (x1 - x0) * (i - i0) / (i1 - i0)

    def check(self, labels: list[str], series: dict[str, list[float | None]]) -> int:
        """Every stored value of every series is drawn where it belongs; the count checked."""
        assert set(self.points) == {
            n for n, vals in series.items() if any(v is not None for v in vals)
        }
        checked = 0
        for name, values in series.items():
            expected = [
                (self.x_of(labels, i), self.y_of(v)) for i, v in enumerate(values) if v is not None
            ]
            drawn = self.points.get(name, [])
            assert len(drawn) == len(expected), name
            for (x, y), (ex, ey), value in zip(
                drawn, expected, [v for v in values if v is not None], strict=True
            ):
                assert abs(x - ex) < HALF_PIXEL and abs(y - ey) < HALF_PIXEL, (
                    name,
                    value,
                    (x, y),
                    (ex, ey),
                )
                checked += 1
        return checked


def is_class(el: ET.Element, cls: str) -> bool:
    return cls in (el.get("class") or "").split()


def _label_value(text: str | None, unit: str) -> float:
    assert text is not None and text.endswith(unit), text
    return float(text.removesuffix(unit) if unit else text)


# ---- data in a real SQLite store ----------------------------------------------------------
