"""A hand-eye targets run on a real arm-raising track goes into the store like any session:
its frames (for the replay) and, in its summary, each target's measures, the left/right
comparison, the level and seed, and the timing resolution."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from coach.offline.targets import record_targets
from coach.store.store import Store
from exercises import load_task
from scoring.targets import TargetSpec
from tests.coach.store.test_store import store  # noqa: F401  (the fixture)

TRACK = Path(__file__).resolve().parents[3] / "samples/tracks/rehab_bme410_shoulder_abduction.npz"
PLACED = [
    TargetSpec(1, "left", 1.0, 0.0, 0.5, 0.25, 4.0, at=(0.88, 0.30)),
    TargetSpec(2, "right", 1.0, 0.0, 0.5, 0.25, 4.0, at=(0.12, 0.30)),
]


def record(into: Store, patient_id: int | None, **kw: object) -> tuple[str, object]:
    d = np.load(TRACK)
    size = (int(d["image_size"][0]), int(d["image_size"][1]))
    task = load_task("targets_reach_seated")
    return record_targets(into, task, d["t"], d["lm"], size, patient_id=patient_id, **kw)  # type: ignore[arg-type]


def test_a_targets_run_is_stored_with_its_measures(store: Store) -> None:  # noqa: F811
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


def test_a_seeded_run_keeps_level_and_seed(store: Store) -> None:  # noqa: F811
    session_id, _ = record(store, None, level=2, seed=9)
    tg = store.session(session_id).summary["targets"]
    assert (tg["task"], tg["level"], tg["seed"]) == ("targets_reach_seated", 2, 9)
    assert len(tg["shown"]) == len([r for r in tg["results"] if r["status"] != "outside_image"])
