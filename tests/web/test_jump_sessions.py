"""A jump session stored and reviewed: the landings kept with each rep, the session page's
Landings table and the JSON export; real app, real SQLite, the stored track of the real
countermovement jump (the same path as `coach analyze --save`, minus the model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from coach.offline.recording import record_landmarks
from exercises import load_exercise
from tests.web.review_app import Review

TRACK = Path(__file__).resolve().parents[2] / "samples/tracks/clinical/quva_023_tuck_jumps.npz"


@pytest.fixture(scope="module")
def jump_session(review: Review) -> str:
    with np.load(TRACK) as d:
        lm, fps = d["lm"].astype(np.float32), float(d["fps"])
        size = (int(d["image_size"][0]), int(d["image_size"][1]))
    session_id, engine = record_landmarks(
        review.store,
        lm,
        fps,
        size,
        load_exercise("countermovement_jump"),
        patient_id=review.pat_a.id,
    )
    assert len(engine.reps) == 7
    return session_id


def test_the_landings_are_stored_shown_and_exported(review: Review, jump_session: str) -> None:
    reps = review.store.session(jump_session).reps
    assert all(0.3 < r.extra["landing_flight_s"] < 0.5 for r in reps)
    with review.client("ther.a") as c:
        page = c.get(f"/sessions/{jump_session}")
        assert page.status_code == 200
        assert 'data-testid="landings"' in page.text
        # From the side: the knee's bend is measured, its inward angle is not.
        row = page.text.split('data-testid="landings"')[1].split("</tr>")[1]
        assert "not measured" in row and f"{reps[0].extra['landing_flight_s']:.2f}" in row
        exported = c.get(f"/sessions/{jump_session}/session.json").json()
        first = exported["reps"][0]["landing"]
        assert first["flight_s"] == reps[0].extra["landing_flight_s"]
        assert "knee_peak_left" in first and "valgus_peak_left" not in first


def test_other_sessions_have_no_landings(review: Review) -> None:
    with np.load(TRACK) as d:
        lm, fps = d["lm"].astype(np.float32), float(d["fps"])
    sid, _ = record_landmarks(
        review.store, lm, fps, (640, 360), load_exercise("squat"), patient_id=review.pat_a.id
    )
    with review.client("ther.a") as c:
        assert 'data-testid="landings"' not in c.get(f"/sessions/{sid}").text
        assert all(
            "landing" not in r for r in c.get(f"/sessions/{sid}/session.json").json()["reps"]
        )
