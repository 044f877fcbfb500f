"""The balance-stance measure (feet_separation) on synthetic poses."""

from __future__ import annotations

import math

import numpy as np
import pytest

from exercises import load_exercise
from pose.landmarks import Landmark as L
from scoring.protocols import hold_condition
from tests.scoring.poses import (
    FLOOR,
    front_points,
    hide,
    measure,
    side_points,
    to_landmarks,
    with_points,
)


def feet_at(half_gap: float, **kw: float):  # type: ignore[no-untyped-def]
    """Front view, hips at +-0.05 image heights, ankles at +-half_gap."""
    base = front_points(**kw)
    ly = base[L.LEFT_ANKLE][1]
    ry = base[L.RIGHT_ANKLE][1]
    return with_points(
        base, left_ankle=(0.5 + half_gap, ly, 0.0), right_ankle=(0.5 - half_gap, ry, 0.0)
    )


@pytest.mark.parametrize(("half_gap", "expected"), [(0.05, 1.0), (0.025, 0.5), (0.0, 0.0)])
def test_feet_separation_in_hip_widths(half_gap: float, expected: float) -> None:
    lm = to_landmarks(feet_at(half_gap))
    assert measure(lm, "feet_separation") == pytest.approx(expected)


def test_feet_separation_does_not_depend_on_the_aspect_ratio() -> None:
    lm = to_landmarks(feet_at(0.025), aspect=16 / 9)
    assert measure(lm, "feet_separation", aspect=16 / 9) == pytest.approx(0.5)


def test_feet_separation_is_missing_from_the_side_and_when_unseen() -> None:
    assert math.isnan(measure(to_landmarks(side_points()), "feet_separation"))
    hidden = hide(to_landmarks(front_points()), L.LEFT_ANKLE)
    assert math.isnan(measure(hidden, "feet_separation"))


def _condition(exercise_id: str, lm: np.ndarray) -> float:
    from scoring.measures import compute_measures

    ex = load_exercise(exercise_id)
    assert ex.hold is not None
    values = compute_measures(lm, 1.0, ex.measures_needed())
    return float(hold_condition(values, ex.hold)[0])


def test_stance_definitions_hold_their_stance_and_break_on_a_wide_step() -> None:
    together, relaxed = to_landmarks(feet_at(0.02)), to_landmarks(feet_at(0.05))
    tandem = to_landmarks(feet_at(0.004))
    assert _condition("feet_together_stance", together) == 1.0
    assert _condition("feet_together_stance", relaxed) == 0.0
    assert _condition("tandem_stance", tandem) == 1.0
    assert _condition("tandem_stance", together) == 0.0
    assert _condition("semi_tandem_stance", tandem) == 1.0


def test_single_leg_stance_sides_name_the_leg_stood_on() -> None:
    lifted_right = to_landmarks(front_points(lift_right=0.1))
    assert FLOOR - lifted_right[L.RIGHT_ANKLE][1] == pytest.approx(0.1)
    assert _condition("single_leg_stance_left", lifted_right) == 1.0
    assert _condition("single_leg_stance_right", lifted_right) == 0.0
    assert _condition("feet_together_stance", lifted_right) == 0.0
