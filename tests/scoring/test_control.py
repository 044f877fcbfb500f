"""Per-rep control measures from the engine (tempo, SPARC smoothness) and the session's
left/right symmetry index, on constructed landmark streams."""

from __future__ import annotations

import math

import numpy as np
import pytest

from exercises.loader import load_exercise
from pose.landmarks import Landmark as L
from scoring.engine import ExerciseEngine
from scoring.events import RepCompleted
from scoring.symmetry import Symmetry, session_symmetry, symmetry_index
from tests.scoring.poses import front_points, to_landmarks
from tests.scoring.streams import Dip, of, run, side_squats

# --- tempo and smoothness -----------------------------------------------------------------


def test_reps_carry_tempo_and_smoothness() -> None:
    engine = ExerciseEngine(load_exercise("squat"), 1.0)
    reps = of(run(engine, side_squats([Dip(1.0), Dip(4.5)]), 8.0), RepCompleted)
    assert len(reps) == 2
    for r in reps:
        # A symmetric 3 s dip: as long going down as coming up, both within the rep.
        assert r.up_s == pytest.approx(r.down_s, abs=0.15)
        assert r.up_s + r.down_s == pytest.approx(r.duration_s, abs=2e-3)
        assert -4.0 < r.sparc < -1.0


def _shaky_squats(tremor_deg: float, hz: float = 6.0):  # type: ignore[no-untyped-def]
    smooth = side_squats([Dip(1.0, period=4.0), Dip(5.5, period=4.0)])

    def at(t: float) -> np.ndarray:
        # The same squats, with the hips trembling up and down by a few millimetres.
        lm = smooth(t).copy()
        lm[23:25, 1] += tremor_deg * 1e-3 * math.sin(2 * math.pi * hz * t)
        return lm

    return at


def test_a_trembling_rep_is_less_smooth_than_a_steady_one() -> None:
    steady = of(run(ExerciseEngine(load_exercise("squat")), _shaky_squats(0.0), 10.5), RepCompleted)
    shaky = of(run(ExerciseEngine(load_exercise("squat")), _shaky_squats(4.0), 10.5), RepCompleted)
    assert len(steady) == len(shaky) == 2
    for a, b in zip(steady, shaky, strict=True):
        assert b.sparc < a.sparc - 0.5


# --- symmetry index -----------------------------------------------------------------------


def test_symmetry_index_formula() -> None:
    assert symmetry_index(100.0, 100.0) == 0.0
    assert symmetry_index(150.0, 120.0) == pytest.approx(30.0 / 135.0 * 100.0)
    assert symmetry_index(120.0, 150.0) == symmetry_index(150.0, 120.0)
    assert math.isnan(symmetry_index(math.nan, 100.0))
    assert math.isnan(symmetry_index(0.0, 0.0))


def _rep(i: int, left: float = math.nan, right: float = math.nan) -> RepCompleted:
    return RepCompleted(
        t=float(i), index=i, start_s=0.0, end_s=1.0, rom_deg=0.0, peak_deg=0.0, score=100.0,
        rom_left=left, rom_right=right,
    )  # fmt: skip


def test_session_symmetry_compares_each_sides_best_rep() -> None:
    reps = [_rep(1, 100.0, 90.0), _rep(2, 140.0, 110.0), _rep(3, 120.0, 120.0)]
    sym = session_symmetry(reps, "shoulder_abduction")
    assert sym == Symmetry(symmetry_index(140.0, 120.0), 140.0, 120.0, 3, 3, "shoulder_abduction")
    assert sym is not None and sym.to_dict()["index_pct"] == round(sym.index_pct, 3)
    # Alternating sides (one side per rep) compare just the same.
    alternating = [_rep(1, left=0.3), _rep(2, right=0.2), _rep(3, left=0.25)]
    sym = session_symmetry(alternating, "knee_lift")
    assert sym is not None and (sym.left, sym.right, sym.reps_left, sym.reps_right) == (
        0.3, 0.2, 2, 1,
    )  # fmt: skip
    # One side never measured: not applicable.
    assert session_symmetry([_rep(1, left=0.3), _rep(2, left=0.2)], "knee_lift") is None
    assert session_symmetry([], "knee_lift") is None


def _arm_raises(left_peak: float, right_peak: float, n: int = 3):  # type: ignore[no-untyped-def]
    def at(t: float) -> np.ndarray:
        s = 0.5 * (1 - math.cos(2 * math.pi * t / 3.0)) if t < 3.0 * n else 0.0
        return to_landmarks(front_points(abduction=(left_peak * s, right_peak * s)))

    return at


def test_engine_symmetry_of_a_bilateral_arm_raise() -> None:
    engine = ExerciseEngine(load_exercise("shoulder_abduction"), 1.0)
    reps = of(run(engine, _arm_raises(150.0, 120.0), 10.0), RepCompleted)
    assert len(reps) == 3
    sym = engine.symmetry()
    assert sym is not None and sym.measure == "shoulder_abduction"
    # Each side's range from its resting angle (0, arm down) to its peak.
    assert sym.left == pytest.approx(150.0, abs=1.0)
    assert sym.right == pytest.approx(120.0, abs=1.0)
    assert sym.index_pct == pytest.approx(30.0 / 135.0 * 100.0, abs=1.0)  # about 22 %
    even = ExerciseEngine(load_exercise("shoulder_abduction"), 1.0)
    run(even, _arm_raises(140.0, 140.0), 10.0)
    sym_even = even.symmetry()
    assert sym_even is not None and sym_even.index_pct < 1.0


def _marching(left_flex: float, right_flex: float, steps: int = 4):  # type: ignore[no-untyped-def]
    """Alternate knee lifts (left first), 1.2 s each; hip flexion peaks as given (degrees)."""
    from tests.scoring.poses import THIGH

    def at(t: float) -> np.ndarray:
        pts = front_points()
        k = int(t // 1.2)
        if k < 2 * steps:
            side = "LEFT" if k % 2 == 0 else "RIGHT"
            peak = left_flex if side == "LEFT" else right_flex
            a = math.radians(peak * math.sin(math.pi * (t - 1.2 * k) / 1.2))
            hip = pts[L[f"{side}_HIP"]]
            knee = (hip[0], hip[1] + THIGH * math.cos(a), -THIGH * math.sin(a))
            pts[L[f"{side}_KNEE"]] = knee
            pts[L[f"{side}_ANKLE"]] = (knee[0], knee[1] + THIGH, knee[2])
        return to_landmarks(pts)

    return at


def test_marching_counts_each_leg_and_reports_symmetry() -> None:
    engine = ExerciseEngine(load_exercise("marching"), 1.0)
    reps = of(run(engine, _marching(80.0, 55.0), 11.0), RepCompleted)
    assert [r.side for r in reps] == ["left", "right"] * 4
    sym = engine.symmetry()
    assert sym is not None and sym.reps_left == 4 and sym.reps_right == 4
    lift = lambda deg: 0.5 * (1 - math.cos(math.radians(deg)))  # noqa: E731
    assert sym.left == pytest.approx(lift(80.0), abs=0.02)
    assert sym.right == pytest.approx(lift(55.0), abs=0.02)
    assert sym.index_pct == pytest.approx(symmetry_index(lift(80.0), lift(55.0)), abs=3.0)


def test_no_symmetry_when_the_counted_measure_has_no_sides() -> None:
    engine = ExerciseEngine(load_exercise("squat"), 1.0)
    run(engine, side_squats([Dip(1.0)]), 5.0)
    assert len(engine.reps) == 1 and engine.symmetry() is None


def test_no_symmetry_for_a_one_sided_exercise() -> None:
    engine = ExerciseEngine(load_exercise("standing_hip_abduction_left"), 1.0)
    assert engine.symmetry() is None
