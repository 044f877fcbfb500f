"""The therapist's tests page runs the timed up-and-go, gait (with the patient's height) and the
four-stage balance on an uploaded video, stores each like the other tests, and charts every
test over weeks. Real server and SQLite store; the pose model is not the subject of the fast
tests (the stored tracks of the labelled clips stand in for it, in the server's process), one
slow test runs it on the real timed up-and-go clip through the page."""

from __future__ import annotations

import importlib.util
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from coach.offline import protocols as p
from coach.review.progress import week_start
from coach.review.tests_progress import weekly_tests
from coach.store.models import ProtocolResult
from tests.web.review_app import Review
from tests.web.svg_charts import ReadChart
from web.routes.protocols import charts_by_test

REPO = Path(__file__).resolve().parents[2]
CLINICAL = REPO / "samples" / "tracks" / "clinical"


def _clip(shared_data: Path, clip_id: str) -> dict[str, Any]:
    clips = json.loads((shared_data / "clinical_clips.json").read_text())
    return next(c for c in clips if c["id"] == clip_id)


def _stored(name: str) -> p.Track:
    with np.load(CLINICAL / f"{name}.npz", allow_pickle=False) as d:
        lm, t = d["lm"].astype(np.float64), d["t"]
        size = (int(d["image_size"][0]), int(d["image_size"][1]))
    track = p.track_from_landmarks(lm, 1 / float(np.median(np.diff(t))), size)
    track.t = t - t[0]
    return track


def _balance() -> p.Track:
    spec = importlib.util.spec_from_file_location(
        "mbt", REPO / "samples" / "make_balance_tracks.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    lm, t, size, _ = module.made_track("tandem_fails")
    return p.track_from_landmarks(lm, 1 / float(t[1] - t[0]), size)


def _run(c: httpx.Client, pid: int, video: Path, **fields: str) -> httpx.Response:
    with video.open("rb") as f:
        return c.post(
            f"/patients/{pid}/protocols/run",
            data=fields,
            files={"video": (video.name, f, "video/mp4")},
            headers={"accept": "text/html"},
            timeout=300,
        )


def test_tug_gait_and_balance_run_from_the_page_and_are_stored(
    review: Review, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracks = {"tug": _stored("tug_moeed_trial_2"), "gait": _stored("sports2d_demo4_walk")}
    tracks["four-stage-balance"] = _balance()
    guarded: list[bool] = []

    def track_from_video(path: Path, *, guard: bool = False, **_: Any) -> p.Track:
        guarded.append(guard)
        return tracks[current]

    monkeypatch.setattr(p, "track_from_video", track_from_video)
    tug = _clip(shared_data, "tug_moeed/trial_2")
    video = shared_data / tug["video"]
    pid = review.pat_b.id
    with review.client("ther.b") as c:
        current = "gait"
        bad = _run(c, pid, video, protocol="gait", height_cm="3000")
        assert bad.status_code == 400 and "50-250 cm" in bad.text
        for current, fields in (
            ("tug", {}),
            ("gait", {"height_cm": "160"}),
            ("four-stage-balance", {}),
        ):
            r = _run(c, pid, video, protocol=current, **fields)
            assert r.status_code == 303, r.text
        page = c.get(f"/patients/{pid}/protocols").text
    assert guarded == [True, True, False]  # walked in a room: kept on the patient
    rows = {r.protocol: r.result for r in review.store.protocol_results(pid)}
    assert abs(rows["tug"]["value"] - tug["ground_truth"]["total_s"]) <= 0.3
    assert rows["gait"]["patient"]["height_cm"] == 160.0
    assert rows["gait"]["measured"]["walking_speed_m_s"]["value"] > 0
    balance = rows["four-stage-balance"]
    assert balance["value"] == 2 and balance["measured"]["stages"][2]["status"] == "failed"
    table = page.split('data-testid="protocol-results"')[1].split("</table>")[0]
    assert "Timed Up and Go" in table and "Gait from video" in table
    assert 'value="160"' in page  # the height offered again for the next gait test
    charts = page.split('data-testid="tests-charts"')[1]
    assert charts.count("<svg") >= 3


def _at(weeks_ago: int) -> datetime:
    monday = week_start(datetime.now(timezone.utc).date()) - timedelta(weeks=weeks_ago)
    return datetime.combine(monday + timedelta(days=2), datetime.min.time(), timezone.utc)


def test_each_test_is_charted_by_week_at_its_stored_values(review: Review) -> None:
    """Three weeks of timed up-and-go (two results in one week: the later stands) and one
    gait: each chart's points sit at the stored values, the 12 s cut-off is a line."""
    pid = review.store.create_patient(review.ther_a.id, "Tess Trend").id
    stored = [(3, 14.2), (2, 13.0), (2, 12.4), (0, 11.1)]  # (weeks ago, seconds), in order
    with review.store.factory.begin() as db:
        for hour, (weeks_ago, seconds) in enumerate(stored):
            result = {"name": "Timed Up and Go", "unit": "s", "value": seconds,
                      "reference": {"fall_risk_s": 12.0}}  # fmt: skip
            db.add(ProtocolResult(patient_id=pid, protocol="tug", result=result,
                                  created_at=_at(weeks_ago) + timedelta(hours=hour)))  # fmt: skip
        gait = {"name": "Gait from video", "unit": "steps/min", "value": 104.5}
        db.add(ProtocolResult(patient_id=pid, protocol="gait", result=gait, created_at=_at(1)))
    rows = review.store.protocol_results(pid)
    trends = {t.protocol: t for t in weekly_tests(rows)}
    assert trends["tug"].values == [14.2, 12.4, None, 11.1]
    assert trends["gait"].values == [None, None, 104.5, None]
    tug_svg, gait_svg = charts_by_test(rows)
    labels = [w.strftime("%d %b") for w in trends["tug"].weeks]
    chart = ReadChart(tug_svg, " s")
    assert chart.check(labels, {"Timed Up and Go": trends["tug"].values}) == 3
    assert abs(chart.lines["fall risk (STEADI)"] - chart.y_of(12.0)) < 0.5
    assert (
        ReadChart(gait_svg, " steps/min").check(labels, {"Gait from video": trends["gait"].values})
        == 1
    )
    with review.client("ther.a") as c:
        page = c.get(f"/patients/{pid}/protocols").text
    assert page.count('class="chart"') >= 2 or page.count("<svg") >= 2


@pytest.mark.model
def test_the_real_model_times_a_real_tug_uploaded_on_the_page(
    review: Review, shared_data: Path
) -> None:
    clip = _clip(shared_data, "tug_moeed/trial_1")
    pid = review.store.create_patient(review.ther_a.id, "Theo Tug", birth_year=1950).id
    with review.client("ther.a") as c:
        r = _run(c, pid, shared_data / clip["video"], protocol="tug")
        assert r.status_code == 303, r.text
    (row,) = review.store.protocol_results(pid)
    assert row.protocol == "tug" and row.result["protocol"] == "timed_up_and_go"
    assert abs(row.result["value"] - clip["ground_truth"]["total_s"]) <= 0.3
