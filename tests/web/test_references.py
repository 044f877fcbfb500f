"""The therapist makes a session's reps the patient's reference from the session page, sees
it (in words) on the patient page, and removes it there. Real app (uvicorn), real SQLite
file, sessions from a real recording (UI-PRMD subject 1's sit-to-stand)."""

from __future__ import annotations

import re
from pathlib import Path

from coach.review.references import set_reference_from_session
from tests.coach.store.uiprmd_sessions import EXERCISE, subject_track, write_session
from tests.web.review_app import Review


def test_a_session_becomes_the_reference_and_is_removed(review: Review, shared_data: Path) -> None:
    store = review.store
    pid = store.create_patient(review.ther_a.id, "Carol Reference").id
    good, aspect = subject_track(shared_data, "correct", 9)
    sid = write_session(store, pid, good, aspect)
    with review.client("ther.a") as c:
        page = c.get(f"/sessions/{sid}").text
        assert "Use these reps as the reference for Sit to stand" in page
        assert "has no reference for Sit to stand yet" in page
        r = c.post(f"/sessions/{sid}/reference")
        assert r.status_code == 303
        assert r.headers["location"] == f"/sessions/{sid}?reference=set#reference"
        page = c.get(r.headers["location"]).text
        assert 'data-testid="reference-notice"' in page
        assert "This session is Carol Reference's reference for Sit to stand" in page
        assert 'data-testid="use-as-reference"' not in page  # it already is

        ref = store.reference(pid, EXERCISE)
        assert ref is not None and ref.reps == 9
        lim = ref.limits["trunk_lean"]
        page = c.get(f"/patients/{pid}").text
        row = re.search(r'<tr data-exercise="sit_to_stand">(.*?)</tr>', page, re.S)
        assert row is not None
        assert f'href="/sessions/{sid}"' in row.group(1) and "<td>9</td>" in row.group(1)
        assert (
            f"Leaning far forward to stand up: usually {lim.mean:.1f}°; "
            f"flagged above {lim.limit:.1f}°" in row.group(1)
        )

        r = c.post(f"/patients/{pid}/references/{EXERCISE}/remove")
        assert r.status_code == 303 and r.headers["location"] == f"/patients/{pid}#references"
        assert store.reference(pid, EXERCISE) is None
        assert "No references yet." in c.get(f"/patients/{pid}").text
        assert c.post(f"/patients/{pid}/references/{EXERCISE}/remove").status_code == 404


def test_a_refused_reference_says_why_and_the_patient_sees_no_button(
    review: Review, shared_data: Path
) -> None:
    store = review.store
    two, aspect = subject_track(shared_data, "correct", 2)
    sid = write_session(store, review.pat_a.id, two, aspect)
    before = [(r.id, r.session_id) for r in store.references_of(review.pat_a.id)]
    with review.client("ther.a") as c:
        r = c.post(f"/sessions/{sid}/reference")
        assert r.status_code == 303 and "reference_error=" in r.headers["location"]
        page = c.get(r.headers["location"]).text
        error = re.search(r'data-testid="reference-error">(.*?)</p>', page, re.S)
        assert error is not None
        assert "a reference needs at least 3 reps, got 2" in error.group(1)
    assert [(r.id, r.session_id) for r in store.references_of(review.pat_a.id)] == before
    with review.client("pat.a") as c:
        page = c.get(f"/sessions/{sid}").text
        assert "Use these reps as the reference" not in page and 'id="reference"' not in page


def test_the_patient_is_told_which_exercises_are_compared_with_their_reference(
    review: Review, shared_data: Path
) -> None:
    store = review.store
    pid = review.pat_b.id
    store.set_program(
        pid, [{"exercise_id": EXERCISE, "sets": 1, "reps": 5}, {"exercise_id": "squat"}]
    )
    with review.client("pat.b") as c:
        assert 'data-testid="reference-note"' not in c.get("/me").text
    good, aspect = subject_track(shared_data, "correct", 9)
    set_reference_from_session(store, pid, write_session(store, pid, good, aspect))
    with review.client("pat.b") as c:
        page = c.get("/me").text
        assert page.count('data-testid="reference-note"') == 1  # sit-to-stand only, not squat
        assert "Compared with your own good reps of" in page
