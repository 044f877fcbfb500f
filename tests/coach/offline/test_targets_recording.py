"""A hand-eye targets run on a real arm-raising track goes into the store like any session:
its frames (for the replay) and, in its summary, each target's measures, the left/right
comparison, the level and seed, and the timing resolution."""

from __future__ import annotations

import pytest

from coach.store.store import Store
from tests.helpers.targets import PLACED, record


def test_a_targets_run_is_stored_with_its_measures(store: Store) -> None:
    session_id, run = record(store, None, schedule=PLACED)
    row = store.session(session_id)
    assert row.exercise_id == "targets_reach_seated" and row.status == "completed"
    tg = row.summary["targets"]
    assert tg["level"] is None and tg["seed"] is None
    assert [r["status"] for r in tg["results"]] == ["hit", "hit"]
    assert tg["results"][1]["reaction_s"] == pytest.approx(run.results[1].reaction_s)
    assert tg["frame_interval_s"] == pytest.approx(1 / 27.93, abs=0.002)
    assert tg["latency_s"] is None  # a recording: no loop latency
    assert tg["hands"]["left"]["hits"] == 1 and "left_minus_right" in tg["hands"]
    frames = store.session_frames(session_id)
    assert len(frames.t) == 492 and frames.landmarks.shape == (492, 33, 4)


def test_a_seeded_run_keeps_level_and_seed(store: Store) -> None:
    session_id, _ = record(store, None, level=2, seed=9)
    tg = store.session(session_id).summary["targets"]
    assert (tg["task"], tg["level"], tg["seed"]) == ("targets_reach_seated", 2, 9)
    assert len(tg["shown"]) == len([r for r in tg["results"] if r["status"] != "outside_image"])
