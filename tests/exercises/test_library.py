"""The built-in library: what it covers (issue 5), left/right twins, and each new definition
counting reps on constructed movements whose count is known.

The movement builders draw a person with known geometry (tests/scoring/test_kinematics.py):
every rep here is a (1 - cos) excursion from rest to a chosen peak and back.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from exercises.loader import LIBRARY_DIR, load_exercise, load_file, load_library
from pose.landmarks import Landmark as L
from scoring.engine import ExerciseEngine
from scoring.events import FaultDetected, HoldEnded, RepCompleted
from tests.scoring.poses import FLOOR, LEG, front_points, side_points, to_landmarks, with_points
from tests.scoring.streams import Dip, of, run, side_squats

LIBRARY = load_library([LIBRARY_DIR])
PERIOD = 2.5  # seconds per rep in the constructed movements
THIGH = LEG / 2

# The exercises issue 5 asks for that this library provides (the four-stage balance stances and
# a front raise come from elsewhere).
ISSUE_IDS = {
    # lower-limb strength
    "squat",
    "mini_squat",
    "sit_to_stand",
    "lunge",
    "heel_raise",
    "standing_hip_abduction_left",
    "standing_hip_abduction_right",
    "standing_knee_flexion_left",
    "standing_knee_flexion_right",
    "seated_knee_extension_left",
    "seated_knee_extension_right",
    "marching",
    # upper limb
    "shoulder_flexion",
    "shoulder_abduction",
    "scaption",
    "elbow_flexion",
    "bicep_curl",
    "wall_push_up",
    # balance and posture
    "single_leg_stance",
    "wall_sit",
    "posture_hold",
    # coordination
    "marching_arm_swing",
    "jumping_jack",
    "reach_out_left",
    "reach_out_right",
}


def test_the_library_covers_issue_5() -> None:
    assert LIBRARY.errors == []
    assert set(LIBRARY.exercises) >= ISSUE_IDS
    real = [e for e in LIBRARY.exercises.values() if e.kind != "any"]
    assert len(real) >= 20
    categories = {e.category for e in real}
    assert categories == {"strength", "range_of_motion", "balance", "posture", "coordination"}


@pytest.mark.parametrize("ex_id", sorted(LIBRARY.exercises))
def test_each_definition_is_complete(ex_id: str) -> None:
    ex = LIBRARY.exercises[ex_id]
    assert len(ex.instructions) >= 60  # real instructions for the patient
    assert ex.defaults.sets >= 1
    if ex.kind == "reps":
        assert ex.rep is not None and ex.defaults.reps >= 1
        assert ex.rep.target != ex.rep.enter  # a target beyond the start of the working phase
    if ex.kind == "hold":
        assert ex.hold is not None and ex.defaults.hold_s > 0
    if ex.kind != "any":
        assert ex.faults, "at least one fault with its cue"


def _twins() -> list[tuple[Path, Path]]:
    lefts = sorted(LIBRARY_DIR.glob("*_left.toml"))
    return [(p, p.with_name(p.name.replace("_left.toml", "_right.toml"))) for p in lefts]


def test_one_sided_exercises_come_in_left_and_right_twins() -> None:
    twins = _twins()
    assert len(twins) >= 4
    for left, right in twins:
        assert right.is_file(), f"{left.name} has no right-side twin"
        a, b = load_file(left), load_file(right)
        if a.kind == "hold":  # stances: the lifted foot is the other side, so no text twin
            assert b.kind == "hold" and a.hold is not None and b.hold is not None
            continue
        assert a.rep is not None and b.rep is not None
        assert (a.rep.side, b.rep.side) == ("left", "right")
        # The same exercise apart from the side ("upright" is not a side).
        assert _sideless(left.read_text(), "left") == _sideless(right.read_text(), "right")


def _sideless(text: str, side: str) -> str:
    return re.sub(rf"(?<![a-z]){side}(?![a-z])", "SIDE", text, flags=re.IGNORECASE)


# --- counting on constructed movements -----------------------------------------------------

PoseAt = Callable[[float], np.ndarray]


def bump(t: float, n: int, start: float = 1.0, period: float = PERIOD) -> float:
    """0 at rest, 1 at the peak of each of `n` reps (1 - cos profile), 0 after."""
    if t < start or t >= start + n * period:
        return 0.0
    return 0.5 * (1 - math.cos(2 * math.pi * (t - start) / period))


def count(ex_id: str, pose_at: PoseAt, n: int) -> list[RepCompleted]:
    engine = ExerciseEngine(load_exercise(ex_id), 1.0)
    return of(run(engine, pose_at, 1.0 + n * PERIOD + 1.5), RepCompleted)


def hip_abduction(side: str, peak: float, n: int = 3) -> PoseAt:
    def at(t: float) -> np.ndarray:
        pts = front_points()
        sign = 1.0 if side == "left" else -1.0
        hip = pts[L[f"{side.upper()}_HIP"]]
        a = math.radians(peak * bump(t, n))
        knee = (hip[0] + sign * THIGH * math.sin(a), hip[1] + THIGH * math.cos(a), 0.0)
        ankle = (hip[0] + sign * LEG * math.sin(a), hip[1] + LEG * math.cos(a), 0.0)
        return to_landmarks(with_points(pts, **{f"{side}_knee": knee, f"{side}_ankle": ankle}))

    return at


@pytest.mark.parametrize("side", ["left", "right"])
def test_standing_hip_abduction_counts_its_own_leg_only(side: str) -> None:
    reps = count(f"standing_hip_abduction_{side}", hip_abduction(side, 30.0), 3)
    assert len(reps) == 3 and {r.side for r in reps} == {side}
    assert all(r.rom_deg == pytest.approx(30.0, abs=1.0) and r.score == 100 for r in reps)
    other = "right" if side == "left" else "left"
    assert count(f"standing_hip_abduction_{side}", hip_abduction(other, 30.0), 3) == []


def test_a_small_hip_abduction_is_not_a_rep() -> None:
    assert count("standing_hip_abduction_left", hip_abduction("left", 12.0), 3) == []


def knee_curl(side: str, peak: float, n: int = 3) -> PoseAt:
    """Side view facing +x; the shin swings back and up (heel towards the buttock)."""

    def at(t: float) -> np.ndarray:
        pts = side_points()
        knee = pts[L[f"{side.upper()}_KNEE"]]
        a = math.radians(peak * bump(t, n))
        ankle = (knee[0] - THIGH * math.sin(a), knee[1] + THIGH * math.cos(a), knee[2])
        return to_landmarks(with_points(pts, **{f"{side}_ankle": ankle}))

    return at


@pytest.mark.parametrize("side", ["left", "right"])
def test_standing_knee_flexion(side: str) -> None:
    reps = count(f"standing_knee_flexion_{side}", knee_curl(side, 100.0), 3)
    assert len(reps) == 3 and {r.side for r in reps} == {side}
    assert all(r.peak_deg == pytest.approx(100.0, abs=1.0) for r in reps)


def seated(side: str, extension: float, n: int = 3) -> PoseAt:
    """Side view, seated facing +x: thighs level, shins hanging (knee at 90 deg); this knee
    straightens by `extension` degrees at each rep's peak."""

    def at(t: float) -> np.ndarray:
        pts = side_points()
        hip_y = FLOOR - THIGH
        changes = {}
        for s in ("left", "right"):
            z = pts[L[f"{s.upper()}_HIP"]][2]
            hip = (0.5, hip_y, z)
            knee = (0.5 + THIGH, hip_y, z)
            a = math.radians(extension * bump(t, n)) if s == side else 0.0
            ankle = (knee[0] + THIGH * math.sin(a), knee[1] + THIGH * math.cos(a), z)
            changes.update({f"{s}_hip": hip, f"{s}_knee": knee, f"{s}_ankle": ankle})
            changes[f"{s}_heel"] = (ankle[0] - 0.03, ankle[1] + 0.02, z)
            changes[f"{s}_foot_index"] = (ankle[0] + 0.06, ankle[1] + 0.02, z)
        # The trunk sits on the hips: move everything above them down by the same amount.
        drop = hip_y - pts[L.LEFT_HIP][1]
        for i in range(L.LEFT_HIP):
            x, y, z = pts[i]
            pts[i] = (x, y + drop, z)
        return to_landmarks(with_points(pts, **changes))

    return at


@pytest.mark.parametrize("side", ["left", "right"])
def test_seated_knee_extension(side: str) -> None:
    reps = count(f"seated_knee_extension_{side}", seated(side, 85.0), 3)
    assert len(reps) == 3 and {r.side for r in reps} == {side}
    # Knee flexion falls from 90 to 5 deg: the reported peak is the straightest knee.
    assert all(r.peak_deg == pytest.approx(5.0, abs=1.0) for r in reps)
    assert all("incomplete_range" not in r.faults for r in reps)
    half = count(f"seated_knee_extension_{side}", seated(side, 48.0), 3)  # stops at 42 deg
    assert len(half) == 3 and all("incomplete_range" in r.faults for r in half)


def reaching(side: str, forward: float, n: int = 3) -> PoseAt:
    """Side view facing +x; this arm rises forward to shoulder height and reaches on."""

    def at(t: float) -> np.ndarray:
        pts = side_points()
        sh = pts[L[f"{side.upper()}_SHOULDER"]]
        s = bump(t, n)
        a = math.radians(90.0 * min(1.0, 2 * s))  # arm up to horizontal first
        arm = 0.3 + max(0.0, 2 * s - 1) * forward  # then the reach carries the hand on
        wrist = (sh[0] + arm * math.sin(a), sh[1] + arm * math.cos(a), sh[2])
        elbow = ((sh[0] + wrist[0]) / 2, (sh[1] + wrist[1]) / 2, sh[2])
        return to_landmarks(with_points(pts, **{f"{side}_wrist": wrist, f"{side}_elbow": elbow}))

    return at


@pytest.mark.parametrize("side", ["left", "right"])
def test_reach_out(side: str) -> None:
    reps = count(f"reach_out_{side}", reaching(side, 0.1), 3)
    assert len(reps) == 3 and {r.side for r in reps} == {side}
    assert all(r.peak_deg == pytest.approx(1.0, abs=0.01) for r in reps)  # 0.4 / 0.4 leg


def test_jumping_jack_and_feet_that_stay_together() -> None:
    def jacks(feet_apart: bool) -> PoseAt:
        def at(t: float) -> np.ndarray:
            s = bump(t, 4, period=1.2)
            pts = front_points(abduction=(160 * s, 160 * s))
            if feet_apart:
                for side, sign in (("left", 1.0), ("right", -1.0)):
                    x = 0.5 + sign * (0.05 + 0.1 * s)
                    pts = with_points(pts, **{f"{side}_ankle": (x, FLOOR, 0.0)})
            return to_landmarks(pts)

        return at

    engine = ExerciseEngine(load_exercise("jumping_jack"), 1.0)
    good = of(run(engine, jacks(True), 7.0), RepCompleted)
    assert len(good) == 4 and not engine.faults
    engine = ExerciseEngine(load_exercise("jumping_jack"), 1.0)
    reps = of(run(engine, jacks(False), 7.0), RepCompleted)
    assert len(reps) == 4
    assert {f.id for f in engine.faults} == {"feet_not_apart"}


@pytest.mark.parametrize(("ex_id", "view"), [("scaption", "front"), ("shoulder_flexion", "side")])
def test_arm_raises(ex_id: str, view: str) -> None:
    def raises(t: float) -> np.ndarray:
        a = 130.0 * bump(t, 3)
        if view == "front":
            return to_landmarks(front_points(abduction=(a, a)))
        pts = side_points()
        changes = {}
        for side in ("left", "right"):
            sh = pts[L[f"{side.upper()}_SHOULDER"]]
            r = math.radians(a)
            elbow = (sh[0] + 0.15 * math.sin(r), sh[1] + 0.15 * math.cos(r), sh[2])
            wrist = (sh[0] + 0.3 * math.sin(r), sh[1] + 0.3 * math.cos(r), sh[2])
            changes.update({f"{side}_elbow": elbow, f"{side}_wrist": wrist})
        return to_landmarks(with_points(pts, **changes))

    reps = count(ex_id, raises, 3)
    assert len(reps) == 3
    assert all(r.peak_deg == pytest.approx(130.0, abs=1.0) for r in reps)


def test_an_arm_raise_to_shoulder_height_counts_where_the_full_range_one_does_not() -> None:
    """Raises to 90 degrees (a lateral raise, a programme that stops at shoulder height): the
    shoulder-height definition counts them; the full-range one (enter 100) only says "not
    high enough" (evaluation set, finding 7)."""

    def raises(t: float) -> np.ndarray:
        a = 5.0 + 85.0 * bump(t, 3)
        return to_landmarks(front_points(abduction=(a, a)))

    reps = count("shoulder_abduction_to_shoulder_height", raises, 3)
    assert len(reps) == 3 and not any("incomplete_range" in r.faults for r in reps)
    assert count("shoulder_abduction", raises, 3) == []


def test_wall_push_up() -> None:
    def push_ups(t: float) -> np.ndarray:
        pts = side_points()
        changes = {}
        for side in ("left", "right"):
            sh = pts[L[f"{side.upper()}_SHOULDER"]]
            elbow = (sh[0] + 0.15, sh[1], sh[2])  # upper arm forward, level
            b = math.radians(95.0 * bump(t, 3))  # the forearm folds up as the chest nears
            wrist = (elbow[0] + 0.15 * math.cos(b), elbow[1] - 0.15 * math.sin(b), sh[2])
            changes.update({f"{side}_elbow": elbow, f"{side}_wrist": wrist})
        return to_landmarks(with_points(pts, **changes))

    reps = count("wall_push_up", push_ups, 3)
    assert len(reps) == 3 and all(r.score == 100 for r in reps)


def test_mini_squat_counts_small_bends_and_flags_deep_ones() -> None:
    engine = ExerciseEngine(load_exercise("mini_squat"), 1.0)
    small = of(
        run(engine, side_squats([Dip(1.0, depth=55.0), Dip(4.5, depth=55.0)]), 8.0), RepCompleted
    )
    assert len(small) == 2 and not engine.faults
    engine = ExerciseEngine(load_exercise("mini_squat"), 1.0)
    deep = of(run(engine, side_squats([Dip(1.0, depth=110.0)]), 5.0), RepCompleted)
    assert len(deep) == 1 and "too_deep" in deep[0].faults
    # A knee bend of 25 deg is not yet a mini squat.
    engine = ExerciseEngine(load_exercise("mini_squat"), 1.0)
    assert of(run(engine, side_squats([Dip(1.0, depth=25.0)]), 5.0), RepCompleted) == []


def test_marching_arm_swing_wants_the_arms_to_swing() -> None:
    def march(swing: float) -> PoseAt:
        def at(t: float) -> np.ndarray:
            k = int(t // 1.2)
            s = math.sin(math.pi * (t - 1.2 * k) / 1.2) if k < 6 else 0.0
            side = "LEFT" if k % 2 == 0 else "RIGHT"
            opposite = (0.0, swing * s) if side == "LEFT" else (swing * s, 0.0)
            pts = front_points(abduction=opposite)  # arm lift seen as elevation from the trunk
            hip = pts[L[f"{side}_HIP"]]
            a = math.radians(70.0 * s)
            knee = (hip[0], hip[1] + THIGH * math.cos(a), -THIGH * math.sin(a))
            pts[L[f"{side}_KNEE"]] = knee
            pts[L[f"{side}_ANKLE"]] = (knee[0], knee[1] + THIGH, knee[2])
            return to_landmarks(pts)

        return at

    engine = ExerciseEngine(load_exercise("marching_arm_swing"), 1.0)
    reps = of(run(engine, march(40.0), 8.0), RepCompleted)
    assert [r.side for r in reps] == ["left", "right"] * 3 and not engine.faults
    engine = ExerciseEngine(load_exercise("marching_arm_swing"), 1.0)
    reps = of(run(engine, march(0.0), 8.0), RepCompleted)
    assert len(reps) == 6 and "no_arm_swing" in {f.id for f in engine.faults}


def test_posture_hold_and_a_forward_head() -> None:
    def stand(head_forward_from: float | None) -> PoseAt:
        def at(t: float) -> np.ndarray:
            pts = side_points()
            if head_forward_from is not None and t >= head_forward_from:
                for i in range(L.LEFT_SHOULDER):  # the whole head juts forward
                    x, y, z = pts[i]
                    pts[i] = (x + 0.15, y, z)
            return to_landmarks(pts)

        return at

    engine = ExerciseEngine(load_exercise("posture_hold"), 1.0)
    holds = of(run(engine, stand(None), 8.0), HoldEnded)
    assert len(holds) == 1 and holds[0].duration_s == pytest.approx(7.0, abs=1.2)
    assert not engine.faults
    engine = ExerciseEngine(load_exercise("posture_hold"), 1.0)
    run(engine, stand(4.0), 8.0)
    assert [f.id for f in of(engine.faults, FaultDetected)] == ["forward_head"]
