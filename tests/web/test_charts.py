"""The server-side SVG charts: reference lines, readable axes, accessible names, key shapes."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from web.charts import COLORS, line_chart

NS = "{http://www.w3.org/2000/svg}"


def _axis(svg: str) -> list[float]:
    return [float(v) for v in re.findall(r'class="axis">(-?[\d.]+)°', svg)]


def test_target_and_limit_are_lines_in_the_key_and_inside_the_axis() -> None:
    svg = line_chart(
        "Squat",
        ["01 Nov", "08 Nov"],
        {"both": [120.0, 130.0]},
        "°",
        lines={"target": 140.0, "limit": 150.0},
    )
    root = ET.fromstring(svg)
    refs = {
        el.get("data-line"): float(el.get("data-value"))
        for el in root.iter(f"{NS}line")
        if el.get("data-line")
    }
    assert refs == {"target": 140.0, "limit": 150.0}
    lo, hi = min(_axis(svg)), max(_axis(svg))
    assert lo < 120 and hi > 150
    assert "target 140°" in svg and "limit 150°" in svg


def test_one_point_gets_a_readable_axis_and_a_name() -> None:
    svg = line_chart("Range", ["01 Nov"], {"both": [153.0]}, "°")
    lo, hi = min(_axis(svg)), max(_axis(svg))
    assert hi - lo >= 20  # not 152-154
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and root.get("aria-label") == "Range"
    assert root.find(f"{NS}title").text == "Range"
    assert "01 Nov 153°" in root.find(f"{NS}desc").text


def test_bounds_fix_the_axis_of_a_share() -> None:
    svg = line_chart("Touched", ["a", "b"], {"left": [100.0, 50.0]}, "%", bounds=(0.0, 100.0))
    axis = [float(v) for v in re.findall(r'class="axis">(-?[\d.]+)%', svg)]
    assert axis == [0, 20, 40, 60, 80, 100]  # 0-100 % on a round grid, never -29 %


def test_sides_differ_by_shape_and_never_use_the_fault_red() -> None:
    svg = line_chart("Lunge", ["a", "b"], {"left": [1.0, 2.0], "right": [2.0, 3.0]})
    assert "#d62728" not in svg and COLORS["right"] != "#d62728"
    root = ET.fromstring(svg)
    left = {el.tag for el in root.iter() if el.get("data-series") == "left"}
    right = {el.tag for el in root.iter() if el.get("data-series") == "right"}
    assert left and right and left != right


def test_a_side_keeps_its_shape_alone_and_beside_both() -> None:
    def shapes(series: dict[str, list[float]]) -> dict[str, set[str]]:
        root = ET.fromstring(line_chart("x", ["a", "b"], series))
        return {
            name: {el.tag.removeprefix(NS) for el in root.iter() if el.get("data-series") == name}
            for name in series
        }

    assert shapes({"right": [1.0, 2.0]}) == {"right": {"rect"}}
    got = shapes({"both": [1.0, 2.0], "left": [1.0, 2.0], "right": [2.0, 1.0]})
    assert got == {"both": {"polygon"}, "left": {"circle"}, "right": {"rect"}}
    assert shapes({"pain": [1.0, 2.0]}) == {"pain": {"circle"}}  # no side: as before


def test_times_are_shown_in_the_clinics_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import datetime, timezone

    from web.routes.pages import clinic_time

    when = datetime(2026, 7, 1, 12, 0, tzinfo=timezone.utc)
    monkeypatch.setenv("COACH_TIMEZONE", "Europe/Paris")
    assert clinic_time(when) == "2026-07-01 14:00 CEST"
    monkeypatch.setenv("COACH_TIMEZONE", "Not/AZone")
    assert clinic_time(when).startswith("2026-07-01")  # the server's zone instead
    assert clinic_time(None) == "–"
