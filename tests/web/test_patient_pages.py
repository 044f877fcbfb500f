"""The patient's own pages over HTTP (real app, real SQLite): "done today" is the prescribed
volume, and the picker's program route answers everyone without giving anything away."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from coach.offline.recording import record_landmarks
from exercises import load_exercise
from tests.helpers.data import manifest_entry
from tests.web.review_app import Review


def test_done_today_means_the_prescribed_volume(review: Review, shared_data: Path) -> None:
    entry = manifest_entry(shared_data, "medflex/squat")  # 2 squats
    lm = np.load(shared_data / entry["landmarks"])["lm"]
    pid = review.pat_b.id
    record_landmarks(review.store, lm, 24.0, (1280, 720), load_exercise("squat"), patient_id=pid)
    review.store.set_program(pid, [{"exercise_id": "squat", "sets": 2, "reps": 5}])
    with review.client("pat.b") as c:
        html = c.get("/me").text
        assert "Today so far: 2 of 10 reps." in html and "Done today" not in html
        assert "This week you did all your exercises on <strong>0 of 5 days</strong>" in html
        assert "On 1 more day you did some of them." in html
    review.store.set_program(pid, [{"exercise_id": "squat", "sets": 1, "reps": 2}])
    with review.client("pat.b") as c:
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
