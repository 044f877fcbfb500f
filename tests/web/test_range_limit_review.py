"""The range limit on the reviewer's side: a session recorded for a patient whose program
prescribes a limit is judged by it, and the session page, the printable report and the
exports show each rep over it (in words, not colour alone); from a view that cannot measure
the knee, each rep says it was not measured and not checked against the limit. Real app, real
SQLite, the stored landmark tracks of a real side-view (jump) squat and front-view squat."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from coach.offline.recording import record_landmarks
from exercises import load_exercise
from tests.helpers.data import manifest_entry
from tests.scoring.tracks import video_info
from tests.web.review_app import Review


def _record(
    review: Review, shared_data: Path, patient_id: int, clip: str = "rehab_bme410/squat"
) -> tuple[str, list]:  # type: ignore[type-arg]
    entry = manifest_entry(shared_data, clip)
    lm = np.load(shared_data / entry["landmarks"])["lm"]
    fps, w, h = video_info(shared_data / entry["video"])
    session_id, engine = record_landmarks(
        review.store, lm, fps, (w, h), load_exercise("squat"), patient_id=patient_id
    )
    return session_id, engine.reps


def test_the_program_limit_marks_reps_on_every_view_of_the_session(
    review: Review, shared_data: Path
) -> None:
    store = review.store
    patient = store.create_patient(review.ther_a.id, "Lena Limit", birth_year=1950)
    # Without a limit in the program, nothing is marked.
    free_id, free_reps = _record(review, shared_data, patient.id)
    assert len(free_reps) == 6 and not any(r.over_limit for r in free_reps)
    assert all(r.measured for r in free_reps)  # a side view: the knee is measured
    peaks = sorted(r.peak_deg for r in free_reps)
    limit = float(round((peaks[3] + peaks[4]) / 2))  # two reps past it, four within
    assert peaks[3] < limit < peaks[4]
    store.set_program(patient.id, [{"exercise_id": "squat", "reps": 10, "max_rom_deg": limit}])
    session_id, reps = _record(review, shared_data, patient.id)
    over = [r.index for r in reps if r.over_limit]
    assert len(over) == 2
    assert [r.index for r in store.session(session_id).reps if r.over_limit] == over
    with review.client("ther.a") as c:
        html = c.get(f"/sessions/{session_id}").text
        assert html.count('data-testid="over-limit"') == 2
        assert html.count("over your limit") == 2
        assert 'data-testid="over-limit"' not in c.get(f"/sessions/{free_id}").text
        report = c.get(f"/sessions/{session_id}/report").text
        assert report.count('data-testid="over-limit"') == 2
        assert "2 over the range limit" in report and f"limit {limit:g}°" in report
        rows = list(csv.DictReader(io.StringIO(c.get(f"/sessions/{session_id}/reps.csv").text)))
        assert [r["over_limit"] for r in rows] == ["1" if r.over_limit else "0" for r in reps]
        data = c.get(f"/sessions/{session_id}/session.json").json()
        assert [r["over_limit"] for r in data["reps"]] == [r.over_limit for r in reps]
        assert all(("range_limit" in r["faults"]) == r["over_limit"] for r in data["reps"])
        free = c.get(f"/sessions/{free_id}/session.json").json()
        assert [r["over_limit"] for r in free["reps"]] == [False] * 6
        assert {r["limit_check"] for r in data["reps"]} == {"over", "within"}
        assert {r["limit_check"] for r in free["reps"]} == {""}  # no limit then


def test_from_the_front_the_reps_say_not_measured_and_not_checked(
    review: Review, shared_data: Path
) -> None:
    store = review.store
    patient = store.create_patient(review.ther_a.id, "Frida Front", birth_year=1948)
    store.set_program(patient.id, [{"exercise_id": "squat", "reps": 10, "max_rom_deg": 20.0}])
    session_id, reps = _record(review, shared_data, patient.id, "postop_cv/squat")
    assert len(reps) == 4 and not any(r.over_limit for r in reps)  # nothing fired on noise
    stored = store.session(session_id).reps
    unchecked = [(None, None, "unchecked")] * 4
    assert [(r.peak_deg, r.rom_deg, r.limit_check) for r in stored] == unchecked
    assert {r.confidence_reason for r in stored} == {"view"}
    with review.client("ther.a") as c:
        html = c.get(f"/sessions/{session_id}").text
        assert html.count('data-testid="not-measured"') == 4
        assert "not measured: seen from a view that cannot measure this angle" in html
        assert html.count('data-testid="limit-unchecked"') == 4
        assert 'data-testid="over-limit"' not in html
        assert "Not measured in any of the" in html  # the angle chart: no point, and why
        report = c.get(f"/sessions/{session_id}/report").text
        assert report.count('data-testid="not-measured"') == 4
        assert "best range not measured" in report
        rows = list(csv.DictReader(io.StringIO(c.get(f"/sessions/{session_id}/reps.csv").text)))
        assert [(r["rom_deg"], r["peak_deg"], r["confidence_reason"], r["limit_check"])
                for r in rows] == [("", "", "view", "unchecked")] * 4  # fmt: skip
        frames = list(csv.DictReader(io.StringIO(c.get(f"/sessions/{session_id}/frames.csv").text)))
        assert frames and {f["knee_flexion_left"] for f in frames} == {""}
        assert any(f["hip_height"] for f in frames)
        data = c.get(f"/sessions/{session_id}/session.json").json()
        assert [(r["peak_deg"], r["measured"]) for r in data["reps"]] == [(None, False)] * 4


def test_a_program_limit_past_180_or_a_row_without_reps_is_refused(review: Review) -> None:
    patient = review.store.create_patient(review.ther_a.id, "Rita Rows")
    page = f"/patients/{patient.id}"
    with review.client("ther.a") as c:
        ok = {"rows": "1", "exercise_0": "squat", "reps_0": "10", "max_rom_deg_0": "100"}
        assert c.post(f"{page}/program", data=ok).status_code == 303
        bad = c.post(f"{page}/program", data=ok | {"max_rom_deg_0": "200"})
        assert bad.status_code == 400
        assert "Range limit (row 1) must be between 0 and 180" in bad.json()["detail"]
        bad = c.post(f"{page}/program", data=ok | {"reps_0": ""})
        assert bad.status_code == 400 and "no reps" in bad.json()["detail"]
        bad = c.post(f"{page}/program", data=ok | {"reps_0": "0"})
        assert bad.status_code == 400 and "Row 1 (squat): no reps" in bad.json()["detail"]
    assert [(p.reps, p.max_rom_deg) for p in review.store.program(patient.id)] == [(10, 100.0)]
