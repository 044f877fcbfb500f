"""The patient's own pages over HTTP (real app, real SQLite): "done today" is the prescribed
volume, and the picker's program route answers everyone without giving anything away."""

from __future__ import annotations

from pathlib import Path

import httpx
import numpy as np

from coach.offline.recording import record_landmarks
from exercises import load_any, load_exercise
from tests.helpers.data import manifest_entry
from tests.web.review_app import Review


def test_done_today_means_the_prescribed_volume(review: Review, shared_data: Path) -> None:
    entry = manifest_entry(shared_data, "medflex/squat")  # 2 squats
    lm = np.load(shared_data / entry["landmarks"])["lm"]
    # A patient of her own: the review app is shared, and another file may have stored a
    # session for the shared patients today (counted in "today so far").
    pid = review.add_patient("pat.done", "Dora Done", therapist="ther.b").id
    record_landmarks(review.store, lm, 24.0, (1280, 720), load_exercise("squat"), patient_id=pid)
    review.store.set_program(pid, [{"exercise_id": "squat", "sets": 2, "reps": 5}])
    with review.client("pat.done") as c:
        html = c.get("/me").text
        assert "Today so far: 2 of 10 reps." in html and "Done today" not in html
        assert "This week you did all your exercises on <strong>0 of 5 days</strong>" in html
        assert "On 1 more day you did some of them." in html
    review.store.set_program(pid, [{"exercise_id": "squat", "sets": 1, "reps": 2}])
    with review.client("pat.done") as c:
        html = c.get("/me").text
        assert "Done today ✓" in html
        assert "This week you did all your exercises on <strong>1 of 5 days</strong>" in html


def test_the_program_route_for_the_picker(review: Review) -> None:
    review.store.set_program(
        review.pat_a.id,
        [
            {"exercise_id": "lunge", "sets": 2, "reps": 6},
            {"exercise_id": "tandem_stance", "sets": 3, "reps": 1},  # a hold with no time
        ],
    )
    with review.client("pat.a") as c:
        rows = c.get("/api/me/program").json()
    assert [r["exercise_id"] for r in rows] == ["lunge", "tandem_stance"]
    assert rows[0]["amount"] == "2 sets of 6"
    assert rows[1]["hold_s"] > 0 and rows[1]["amount"].startswith("Hold for")
    for who in (None, "ther.a"):  # nobody, or a therapist: no program, and no error
        with review.client(who) as c:
            r = c.get("/api/me/program")
            assert r.status_code == 200 and r.json() == []


def _stored(review: Review, patient_id: int, exercise_id: str, reps: int = 0, run: int = 0) -> str:
    """A session stored today as the live recorder stores one: `reps` counted reps, or a
    targets run that closed `run` targets."""
    sid = review.store.new_session_id()
    writer = review.store.writer(sid, load_any(exercise_id), patient_id=patient_id, source="live")
    writer.start((640, 480))
    for i in range(reps):
        writer.event({"kind": "RepCompleted", "index": i + 1, "start_s": i, "end_s": i + 0.9})
    results = [{"index": i + 1, "hand": "left", "status": "hit"} for i in range(run)]
    writer.finish(summary={"targets": {"task": exercise_id, "results": results}} if run else None)
    return sid


def test_a_prescribed_targets_task_starts_from_me_and_counts_on_both_sides(
    review: Review,
) -> None:
    """Every kind the therapist prescribes starts from /me, and a day counts the same on the
    patient's page and in the therapist's adherence."""
    store = review.store
    patient = store.create_patient(review.ther_a.id, "Tara Targets", birth_year=1954)
    token = store.create_link(patient.id)[1]
    store.set_program(
        patient.id,
        [
            {"exercise_id": "squat", "sets": 1, "reps": 2},
            {"exercise_id": "targets_reach_seated", "sets": 1, "reps": 10},  # the form's reps
        ],
    )
    with httpx.Client(base_url=review.url, timeout=60) as c:
        assert c.get(f"/p/{token}", follow_redirects=False).status_code == 303
        html = c.get("/me").text
        assert "no longer available" not in html
        assert 'href="/?exercise=targets_reach_seated&amp;autostart=1"' in html
        assert "Reach for 12 targets, once" in html
        # No demonstration is asked for a targets task (it has none: a 404 on every visit).
        assert 'data-demo="targets_reach_seated"' not in html and 'data-demo="squat"' in html
        assert c.get("/api/exercises/targets_reach_seated").json()["kind"] == "targets"
        # Created today: one week shown, not weeks of "0 of 5 days" before the patient existed.
        assert html.count('<span class="days">') == 1
        day = c.get("/api/me/today").json()
        assert day["next"]["exercise_id"] == "squat" and not day["day_done"]
        assert day["ask_pain_before"] and not day["ask_pain_after"]

        _stored(review, patient.id, "squat", reps=2)
        _stored(review, patient.id, "targets_reach_seated", run=5)  # ended early
        html = c.get("/me").text
        assert "This week you did all your exercises on <strong>0 of 5 days</strong>" in html
        assert c.get("/api/me/today").json()["next"]["exercise_id"] == "targets_reach_seated"
        with review.client("ther.a") as t:
            assert '<span class="ratio">0/5</span>' in t.get(f"/patients/{patient.id}").text

        _stored(review, patient.id, "targets_reach_seated", run=12)  # every target closed
        html = c.get("/me").text
        assert html.count("Done today ✓") == 2
        assert "This week you did all your exercises on <strong>1 of 5 days</strong>" in html
        day = c.get("/api/me/today").json()
        assert day["day_done"] and day["next"] is None and day["ask_pain_after"]
        with review.client("ther.a") as t:
            page = t.get(f"/patients/{patient.id}").text
            assert '<span class="ratio">1/5</span>' in page


def test_the_day_for_the_live_page_answers_everyone(review: Review) -> None:
    for who in (None, "ther.a"):
        with review.client(who) as c:
            assert c.get("/api/me/today").json() == {"patient": False}
