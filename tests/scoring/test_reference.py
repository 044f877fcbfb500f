"""Personal references: features, limits, and an engine that judges reps against them."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from exercises import load_exercise
from labelled_data import uiprmd
from scoring.engine import ExerciseEngine
from scoring.events import FaultDetected, RepCompleted
from scoring.reference import (
    ANGLE_FLOOR_DEG,
    RATIO_FLOOR,
    PersonalReference,
    ReferenceError,
    features,
    rep_profile,
    sustained_extreme,
)


def test_sustained_extreme_ignores_a_one_frame_spike() -> None:
    t = np.arange(30) / 30.0
    v = np.full(30, 20.0)
    v[10] = 80.0  # one frame
    v[20:28] = 40.0  # 8 frames, 0.23 s
    assert sustained_extreme(t, v, "above", 0.2) == 40.0
    assert sustained_extreme(t, v, "above", 0.0) == 80.0
    assert sustained_extreme(t, -v, "below", 0.2) == -40.0
    assert math.isnan(sustained_extreme(t, np.full(30, np.nan), "above", 0.2))


def test_features_follow_the_definition_rules() -> None:
    squat = load_exercise("squat")
    by_id = {f.id: f for f in features(squat)}
    assert set(by_id) == {r.id for r in squat.faults}
    assert by_id["trunk_lean"].worse == "above" and by_id["trunk_lean"].floor == ANGLE_FLOOR_DEG
    # Range is the counted measure's (hip height, leg lengths): less is worse.
    assert by_id["incomplete_range"].worse == "below"
    assert by_id["incomplete_range"].floor == RATIO_FLOOR
    assert by_id["too_fast"].worse == "below"


def test_limits_are_three_sd_with_a_floor_and_one_sided() -> None:
    squat = load_exercise("squat")
    lean = [30.0, 34.0, 26.0, 30.0]  # SD about 3.27: 3 SD = 9.8 > the 5-degree floor
    steady = [0.40, 0.40, 0.40, 0.40]  # SD 0: the floor decides
    profiles = [{"trunk_lean": a, "incomplete_range": r} for a, r in zip(lean, steady, strict=True)]
    ref = PersonalReference.from_profiles(squat, profiles)
    assert ref.limits["trunk_lean"].limit == pytest.approx(30 + 3 * np.std(lean, ddof=1))
    assert ref.limits["incomplete_range"].limit == pytest.approx(0.40 - RATIO_FLOOR)
    assert "knee_valgus" not in ref.limits  # never measured: never judged
    assert [d.id for d in ref.deviations({"trunk_lean": 41.0})] == ["trunk_lean"]
    assert ref.deviations({"trunk_lean": 10.0}) == []  # less lean than usual is no fault
    assert [d.id for d in ref.deviations({"incomplete_range": 0.30})] == ["incomplete_range"]
    assert ref.deviations({"incomplete_range": 0.60}) == []  # deeper is fine
    again = PersonalReference.from_json(ref.to_json())
    assert again == ref


def test_too_few_reps_make_no_reference() -> None:
    squat = load_exercise("squat")
    with pytest.raises(ReferenceError, match="at least 3"):
        PersonalReference.from_profiles(squat, [{"trunk_lean": 30.0}] * 2)
    with pytest.raises(ReferenceError, match="could be measured"):
        PersonalReference.from_profiles(squat, [{}] * 5)
    with pytest.raises(ReferenceError):
        PersonalReference.from_json({"exercise": "squat", "limits": {"x": {"worse": "up"}}})


def test_rep_profile_reads_only_the_rep_window() -> None:
    squat = load_exercise("squat")
    t = np.arange(90) / 30.0
    lean = np.where(t < 1.0, 70.0, 30.0)  # a big lean before the rep starts
    prof = rep_profile(features(squat), t, {"trunk_lean": lean}, 1.0, 2.9, 0.4)
    assert prof["trunk_lean"] == 30.0
    assert prof["incomplete_range"] == 0.4
    assert prof["too_fast"] == pytest.approx(1.9)


def _side_track(root: Path, label: str, ident: str):  # type: ignore[no-untyped-def]
    tracks = uiprmd.load(root, "m05", label, "side")
    return next(tr for tr in tracks if tr.id == ident)


def _run(engine: ExerciseEngine, track) -> tuple[list[RepCompleted], list[FaultDetected]]:  # type: ignore[no-untyped-def]
    events = []
    for t, frame in zip(track.t, track.landmarks, strict=True):
        events += engine.update(float(t), frame)
    events += engine.finish()
    reps = [e for e in events if isinstance(e, RepCompleted)]
    return reps, [e for e in events if isinstance(e, FaultDetected)]


def test_engine_judges_a_real_subjects_reps_against_their_own_reference(
    shared_data: Path,
) -> None:
    """UI-PRMD subject 1, sit-to-stand seen from the side: a reference from correct reps 1-9;
    the held-out correct rep 10 passes, and the incorrect reps that lean forward more than
    the subject's usual are cued with the definition's own trunk-lean cue."""
    root = shared_data / "labelled" / "ui_prmd_kinect"
    exercise = load_exercise("sit_to_stand")
    rule = next(r for r in exercise.faults if r.id == "trunk_lean")
    profiles = []
    for e in range(1, 10):
        track = _side_track(root, "correct", f"m05_s01_e{e:02d}")
        reps, _ = _run(ExerciseEngine(exercise, track.aspect), track)
        assert len(reps) == 1 and "trunk_lean" in reps[0].profile
        profiles.append(reps[0].profile)
    ref = PersonalReference.from_profiles(exercise, profiles)
    assert ref.limits["trunk_lean"].limit < (rule.above or 0)  # tighter than the fixed bound

    held_out = _side_track(root, "correct", "m05_s01_e10")
    reps, faults = _run(ExerciseEngine(exercise, held_out.aspect, reference=ref), held_out)
    assert len(reps) == 1 and faults == []

    cued = 0
    for e in range(1, 11):
        track = _side_track(root, "incorrect", f"m05_s01_e{e:02d}")
        engine = ExerciseEngine(exercise, track.aspect, reference=ref)
        reps, faults = _run(engine, track)
        lean = [f for f in faults if f.id == "trunk_lean"]
        by_reference = [f for f in lean if "compared with your reference" in f.message]
        beyond = any(r.profile.get("trunk_lean", 0) > ref.limits["trunk_lean"].limit for r in reps)
        assert bool(lean) == beyond  # the fixed 50-degree bound lies beyond the limit here
        if by_reference:
            assert by_reference[0].cue == rule.cue
            assert "trunk_lean" in reps[0].faults
        cued += bool(lean)
    assert cued >= 5


def test_a_reference_for_another_exercise_is_refused() -> None:
    squat = load_exercise("squat")
    ref = PersonalReference.from_profiles(squat, [{"trunk_lean": 30.0}] * 3)
    with pytest.raises(ValueError, match="reference is for 'squat'"):
        ExerciseEngine(load_exercise("sit_to_stand"), reference=ref)
