"""Jump landings (scoring.jumps, scoring.modes.jump) on stored tracks, in milliseconds.

The tracks are the real model's landmarks of the hand-labelled jump clips
(samples/tracks/clinical/: a countermovement jump from the front, seven tuck jumps from the
side; ../shared/data/clinical_clips.json's labels are in each track's meta) and the tracks
made from the real countermovement jump (samples/make_jump_tracks.py: knees caving in on the
landing, a drop jump). No model runs here.
"""

from __future__ import annotations

import importlib.util
import json
import math
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from coach.offline.analysis import result_from_engine, score_track
from exercises import load_exercise
from pose.types import Pose
from scoring.definition import Exercise
from scoring.engine import ExerciseEngine
from scoring.events import RepCompleted, from_json, to_json
from scoring.jumps import JumpTracker, feet_sample, flight_times

REPO = Path(__file__).resolve().parents[2]
CLINICAL = REPO / "samples" / "tracks" / "clinical"
CMJ, TUCK = "jump_height_calc_cmj_front", "quva_023_tuck_jumps"


@cache
def _track(name: str) -> tuple[np.ndarray, np.ndarray, tuple[int, int], dict[str, Any]]:
    with np.load(CLINICAL / f"{name}.npz", allow_pickle=False) as d:
        w, h = (int(v) for v in d["image_size"])
        return d["t"], d["lm"].astype(np.float32), (w, h), json.loads(str(d["meta"]))


@cache
def _made() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mjt", REPO / "samples" / "make_jump_tracks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _poses(t: np.ndarray, lm: np.ndarray, size: tuple[int, int]) -> list[tuple[float, Any]]:
    lm = lm.astype(np.float32)
    return [
        (float(t[i]), Pose(lm[i], float(t[i]), size) if np.isfinite(lm[i, :, :2]).all() else None)
        for i in range(len(t))
    ]


def _engine(exercise: str, name: str) -> ExerciseEngine:
    t, lm, size, _ = _track(name)
    return score_track(load_exercise(exercise), _poses(t, lm, size), size)


def _made_engine(exercise: str, name: str) -> ExerciseEngine:
    t, lm, size, _ = _made().made_track(name)
    return score_track(load_exercise(exercise), _poses(t, lm, size), size)


def _raw_landings(name: str) -> list[Any]:
    """The tracker alone on the unfiltered landmarks."""
    t, lm, (w, h), _ = _track(name)
    tracker, out = JumpTracker(), []
    for i in range(len(t)):
        found = tracker.update(feet_sample(float(t[i]), lm[i].astype(float), w / h))
        if found is not None:
            out.append(found)
    return out


# --- timing -----------------------------------------------------------------------------------
def test_a_countermovement_jump_is_timed_within_a_frame_or_two() -> None:
    truth = _track(CMJ)[3]["ground_truth"]
    (raw,) = _raw_landings(CMJ)
    assert raw.takeoff_s == pytest.approx(truth["takeoff_s"], abs=0.04)
    assert raw.contact_s == pytest.approx(truth["landing_s"], abs=0.04)
    (jump,) = _engine("countermovement_jump", CMJ).reps  # through the live path's smoothing
    assert jump.landing["flight_s"] == pytest.approx(truth["flight_time_s"], abs=0.05)
    assert jump.landing["jump_height_m"] == pytest.approx(9.81 * 0.605**2 / 8, abs=0.06)
    assert jump.up_s == pytest.approx(jump.landing["flight_s"])


def test_tuck_jumps_from_the_side_are_counted_and_their_landings_timed() -> None:
    truth = _track(TUCK)[3]["ground_truth"]
    raw = _raw_landings(TUCK)
    assert len(raw) == truth["count"]  # the first starts in flight at the clip's start
    errors = [
        r.contact_s - min(truth["landings_s"], key=lambda x: abs(x - r.contact_s)) for r in raw
    ]
    assert max(abs(e) for e in errors) <= 0.09, errors
    engine = _engine("countermovement_jump", TUCK)
    lo, hi = truth["accept_count"]
    assert lo <= len(engine.reps) <= hi


def test_flight_times_read_the_speed_not_the_height() -> None:
    """A landing lower in the picture than the take-off (nearer the camera, or off a box) is
    found from the feet's speed: a parabola landing 0.1 below where it left."""
    t = np.arange(0, 1.4, 1 / 30)
    y = np.where(t < 0.4, 0.8, 0.8 - 2.4 * (t - 0.4) + 4.9 * (t - 0.4) ** 2)
    y = np.minimum(y, 0.9)  # the floor it lands on: 0.1 lower
    takeoff, contact = flight_times(t, y)
    assert takeoff == pytest.approx(0.4, abs=1.5 / 30)  # a frame: the speed between frames
    assert contact == pytest.approx(t[y >= 0.9][0], abs=2 / 30)


# --- what a landing measures --------------------------------------------------------------------
def test_from_the_front_the_knee_valgus_is_measured_and_flags_a_made_caving_in() -> None:
    real = _engine("countermovement_jump", CMJ).reps[0].landing
    caved = _made_engine("countermovement_jump", "valgus")
    (jump,) = caved.reps
    assert "knee_valgus" in jump.faults
    assert {f.side for f in caved.faults if f.id == "knee_valgus"} == {"left", "right"}
    for side in ("left", "right"):
        assert jump.landing[f"valgus_peak_{side}"] > real[f"valgus_peak_{side}"] + 10
    assert jump.score == 80.0  # the fault's penalty


def test_from_the_side_the_knee_bend_is_measured_and_valgus_is_not() -> None:
    engine = _engine("countermovement_jump", TUCK)
    for rep in engine.reps:
        assert "valgus_peak_left" not in rep.landing and "knee_valgus" not in rep.faults
        contact, peak = rep.landing["knee_contact_left"], rep.landing["knee_peak_left"]
        assert 20 < contact <= peak < 90  # tuck jumps: a stiff rebound, knees bent on contact
        assert rep.rom_deg == pytest.approx(peak - contact, abs=0.2)
    assert any("knee_valgus" in w.skipped_faults for w in engine.view_warnings)


def test_a_drop_jump_counts_once_and_is_judged_on_the_drop() -> None:
    engine = _made_engine("drop_jump", "drop_jump")
    (jump,) = engine.reps
    assert jump.landing["drop"] == 1.0 and "jump_height_m" not in jump.landing
    assert 0.3 < jump.landing["ground_contact_s"] < 1.0
    assert jump.landing["rebound_flight_s"] == pytest.approx(0.605, abs=0.06)
    # The same recording as a countermovement jump: the step off the box is no jump.
    assert len(_made_engine("countermovement_jump", "drop_jump").reps) == 1


@pytest.mark.parametrize("track", ["formfit_squat.npz", "medflex_single_leg_stance.npz"])
def test_squats_and_a_foot_lifted_are_no_jumps(track: str) -> None:
    with np.load(REPO / "samples" / "tracks" / track) as d:
        size = (int(d["image_size"][0]), int(d["image_size"][1]))
        poses = _poses(d["t"], d["lm"], size)
    assert score_track(load_exercise("countermovement_jump"), poses, size).reps == []


# --- contracts ----------------------------------------------------------------------------------
def test_the_analysis_reports_landings_for_jumps_only() -> None:
    engine = _engine("countermovement_jump", CMJ)
    report = result_from_engine(engine, 30.0, 11.0, []).to_json()
    assert report["rep_count"] == 1 and "landing" not in report["reps"][0]
    assert report["landings"][0]["rep"] == 1
    assert report["landings"][0]["contact_s"] == pytest.approx(9.255, abs=0.05)
    squat = load_exercise("squat")
    t, lm, size, _ = _track(CMJ)
    other = result_from_engine(score_track(squat, _poses(t, lm, size), size), 30.0, 11.0, [])
    assert "landings" not in other.to_json()


def test_a_landing_survives_the_events_json() -> None:
    jump = _engine("countermovement_jump", CMJ).reps[0]
    back = from_json(to_json(jump))
    assert isinstance(back, RepCompleted) and back.landing == jump.landing
    assert all(math.isfinite(v) for v in back.landing.values())


def test_a_jump_definition_needs_its_table_and_only_jumps_have_one() -> None:
    data = load_exercise("countermovement_jump").model_dump()
    with pytest.raises(ValidationError, match="needs a \\[jump\\] table"):
        Exercise.model_validate({**data, "jump": None})
    squat = load_exercise("squat").model_dump()
    with pytest.raises(ValidationError, match="goes with kind"):
        Exercise.model_validate({**squat, "jump": data["jump"]})
    with pytest.raises(ValidationError, match="max_flight_s"):
        Exercise.model_validate({**data, "jump": {**data["jump"], "max_flight_s": 0.05}})
