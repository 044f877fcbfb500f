"""The charts draw the stored values: the SVG is read back like a reader reads the chart (grid
lines and their labels, x-axis labels, each point's drawn position, transforms applied) and
every point of the pain, effort, range and targets charts, for data in a real SQLite store,
sits within half a pixel of where its stored value belongs. Issue 26: grid lines at 1.59,
2.75 and 3.91 were labelled 2, 3 and 4, so a stored pain of 3.0 read as about 3.2."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from coach.offline.recording import record_landmarks
from coach.review.progress import week_start
from coach.review.targets_progress import weekly_targets
from coach.store import open_store
from coach.store.models import ExerciseSession, Rep
from coach.store.ratings import record_rating
from coach.store.store import Store
from exercises import load_exercise
from tests.helpers.targets import PLACED, stored_targets
from tests.web.review_app import Review
from tests.web.svg_charts import HALF_PIXEL, NS_SVG, ReadChart, at, is_class, placed_elements
from web.routes.pages import range_charts, targets_progress
from web.routes.ratings import pain_context

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'coach.db'}")
    yield s
    s.close()


def _patient(store: Store) -> int:
    ther = store.create_user("ther.charts", "Dr Charts", "correct horse battery staple")
    return store.create_patient(ther.id, "Carla Chart", birth_year=1950).id


def _session(store: Store, pid: int, sid: str, when: datetime, exercise: str = "squat") -> str:
    with store.factory() as db, db.begin():
        db.add(
            ExerciseSession(
                id=sid, patient_id=pid, exercise_id=exercise, source="live",
                status="completed", started_at=when,
            )
        )  # fmt: skip
    return sid


def _weeks_ago(n: int, day: int) -> datetime:
    """Day `day` (0 Monday) of the week `n` weeks before this one, 10:00 UTC: in the past."""
    monday = week_start(datetime.now(timezone.utc).date()) - timedelta(weeks=n)
    return datetime.combine(
        monday + timedelta(days=day), datetime.min.time(), timezone.utc
    ).replace(hour=10)


# Per week ago: each training day's (pain before, pain after, efforts of its sets).
PAIN_DAYS = {
    5: [(3, 4, [3, 4])],
    4: [(2, 3, [4]), (2, 2, [3])],
    3: [(3, 5, [4, 3]), (4, 5, [4])],
    1: [(1, 2, [2, 2, 3])],
}
# The weekly means those days make, worked out by hand (None: no rating that week).
PAIN_WEEKS = {
    5: (3.0, 4.0, 3.5),
    4: (2.0, 2.5, 3.5),
    3: (3.5, 5.0, 11 / 3),
    1: (1.0, 2.0, 7 / 3),
}


def test_the_pain_and_effort_chart_draws_the_stored_ratings(store: Store) -> None:
    pid = _patient(store)
    for weeks, days in PAIN_DAYS.items():
        for d, (before, after, efforts) in enumerate(days):
            sid = _session(store, pid, f"pain-{weeks}-{d}", _weeks_ago(weeks, d + 1))
            record_rating(store, sid, "pain_before", before)
            record_rating(store, sid, "pain_after", after)
            for number, effort in enumerate(efforts, start=1):
                record_rating(store, sid, "effort", effort, "", number)
    svg = pain_context(store, pid)["chart"]
    chart = ReadChart(svg)
    this_week = week_start(datetime.now(timezone.utc).date())
    # The axis starts at the first rating's week (5 weeks ago), not 12 weeks back.
    first = max(PAIN_WEEKS)
    labels = [(this_week - timedelta(weeks=first - i)).strftime("%d %b") for i in range(first + 1)]
    series: dict[str, list[float | None]] = {"pain before": [], "pain after": [], "effort": []}
    for i in range(first + 1):
        week = PAIN_WEEKS.get(first - i, (None, None, None))
        for name, value in zip(series, week, strict=True):
            series[name].append(value)
    assert chart.check(labels, series) == 12  # 4 rated weeks x 3 series
    # A screen reader hears the stored means too (2.5 as 2.5, not rounded to 2).
    after = ", ".join(f"{labels[first - w]} {PAIN_WEEKS[w][1]:g}" for w in sorted(PAIN_WEEKS)[::-1])
    assert f"pain after: {after}" in chart.root.find(f"{NS_SVG}desc").text
    shown = [v for v, _ in chart.grid]
    assert min(shown) <= 1.0 and max(shown) >= 5.0


def _reps(store: Store, sid: str, roms: list[tuple[str, float]]) -> None:
    with store.factory() as db, db.begin():
        for i, (side, rom) in enumerate(roms, start=1):
            db.add(Rep(session_id=sid, index=i, side=side, start_s=i, end_s=i + 1.0, rom_deg=rom))


def test_the_range_charts_draw_each_sessions_peak_and_the_prescribed_lines(store: Store) -> None:
    pid = _patient(store)
    squat = [[101.3, 118.6], [97.0, 121.4, 120.9], [126.25]]
    for n, roms in enumerate(squat):
        sid = _session(store, pid, f"squat-{n}", _weeks_ago(3 - n, 2))
        _reps(store, sid, [("", r) for r in roms])
    shoulder = [([("left", 151.2), ("right", 139.8), ("left", 155.0)]), [("left", 160.4)]]
    for n, reps in enumerate(shoulder):
        sid = _session(store, pid, f"shoulder-{n}", _weeks_ago(3 - n, 4), "shoulder_abduction")
        _reps(store, sid, reps)
    program = [
        {"exercise_id": "squat", "sets": 3, "reps": 10, "hold_s": 0, "days_per_week": 5,
         "target_rom_deg": 125.0, "max_rom_deg": 135.0, "notes": ""},
    ]  # fmt: skip
    store.set_program(pid, program)
    charts = range_charts(store.sessions_of(pid), store.program(pid))
    by_title = {ET.fromstring(svg).get("aria-label"): svg for svg in charts}
    squat_svg = next(svg for title, svg in by_title.items() if title.startswith("Squat"))
    chart = ReadChart(squat_svg, "°")
    labels = [_weeks_ago(3 - n, 2).strftime("%d %b") for n in range(3)]
    assert chart.check(labels, {"both": [118.6, 121.4, 126.25]}) == 3
    for name, value in (("target", 125.0), ("limit", 135.0)):
        assert abs(chart.lines[name] - chart.y_of(value)) < HALF_PIXEL, name
    shoulder_svg = next(svg for title, svg in by_title.items() if "bduction" in title)
    chart = ReadChart(shoulder_svg, "°")
    labels = [_weeks_ago(3 - n, 4).strftime("%d %b") for n in range(2)]
    assert chart.check(labels, {"left": [155.0, 160.4], "right": [139.8, None]}) == 3


def test_the_targets_charts_draw_the_stored_weeks(store: Store) -> None:
    pid = _patient(store)
    stored_targets(store, pid, _weeks_ago(3, 1), schedule=PLACED)
    stored_targets(store, pid, _weeks_ago(3, 3), level=1, seed=0)  # all missed
    stored_targets(store, pid, _weeks_ago(1, 2), schedule=PLACED)
    since = _weeks_ago(3, 0).date()
    sessions = store.sessions_of(pid)
    (task,) = targets_progress(sessions, since)
    (trend,) = weekly_targets(sessions, since=since)  # the stored runs, week by week
    labels = [w.start.strftime("%d %b") for w in trend.weeks]
    for svg, unit, what, scale in (
        (task["charts"][0], "%", "share", 100.0),
        (task["charts"][1], " ms", "reaction_s", 1000.0),
    ):
        series = trend.series(what, scale)
        stored = sum(v is not None for values in series.values() for v in values)
        assert stored >= 2 and ReadChart(svg, unit).check(labels, series) == stored, what
    shown = sorted(v for v, _ in ReadChart(task["charts"][0], "%").grid)
    assert (shown[0], shown[-1]) == (0.0, 100.0)  # a share stays 0-100 %


# ---- the angle over time, on the session page of a real server ---------------------------
def test_the_angle_over_time_draws_the_stored_frames(review: Review) -> None:
    # Curls from the side: the elbow is measured there (the barbell squat's knee, three-quarters
    # on without world landmarks, is not: its chart says so, test_range_limit_review.py).
    track = np.load(SAMPLES / "tracks" / "formfit_curl.npz", allow_pickle=False)
    size = (int(track["image_size"][0]), int(track["image_size"][1]))
    sid, _ = record_landmarks(
        review.store, track["lm"], float(track["fps"]), size, load_exercise("bicep_curl"),
        patient_id=review.pat_a.id,
    )  # fmt: skip
    with review.client("ther.a") as c:
        page = c.get(f"/sessions/{sid}")
    assert page.status_code == 200
    svg = re.search(r'<svg class="chart"[^>]*over time.*?</svg>', page.text, re.S).group(0)
    root = ET.fromstring(svg)
    frames = review.store.session_frames(sid)
    base = root.get("aria-label").removesuffix(" over time").replace(" ", "_")
    placed = list(placed_elements(root))
    labels = sorted(
        (float(el.get("y")), float(el.text.removesuffix("°")))
        for el, _ in placed
        if is_class(el, "axis") and el.get("text-anchor") == "end"
    )
    (y_hi, v_hi), (y_lo, v_lo) = labels[0], labels[-1]  # text baselines, 4 below the value
    seconds = sorted(
        (int(el.text.removesuffix("s")), float(el.get("x")))
        for el, _ in placed
        if is_class(el, "axis")
        and (el.text or "").endswith("s")
        and el.get("text-anchor") == "middle"
    )
    (s0, x0), (s1, x1) = seconds[0], seconds[-1]
    checked = 0
    for el, m in placed:
        if el.tag != f"{NS_SVG}polyline" or el.get("data-series") is None:
            continue
        values = frames.measures[f"{base}_{el.get('data-series')}"]
        for point in el.get("points").split():
            x, y = at(m, *map(float, point.split(",")))
            t = s0 + (s1 - s0) * (x - x0) / (x1 - x0)
            i = int(np.argmin(np.abs(frames.t - t)))
            assert abs(frames.t[i] - t) * (x1 - x0) / (s1 - s0) < HALF_PIXEL  # a stored frame
            expected = y_lo - 4 + (y_hi - y_lo) * (values[i] - v_lo) / (v_hi - v_lo)
            assert abs(y - expected) < HALF_PIXEL, (t, values[i], y, expected)
            checked += 1
    assert checked > 100
