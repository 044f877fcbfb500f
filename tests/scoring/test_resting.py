"""Rep rules counted from the session's resting value (`from_rest`, scoring.resting): heel
raises seen from behind, where the heel rests below the toes, count like those from the side."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from exercises.loader import load_exercise
from scoring.cues import CueSelector
from scoring.definition import Exercise
from scoring.events import Event, RepCompleted
from scoring.faults import FaultMonitor
from scoring.modes.base import EngineState, Frame, Shared
from scoring.modes.reps import RepMode
from scoring.resting import RestingLevel
from tests.scoring.poses import side_points, to_landmarks
from tests.scoring.streams import of

FPS = 30.0
STANDING = to_landmarks(side_points())


def count(exercise: Exercise, rest: float) -> list[RepCompleted]:
    mode = RepMode(exercise, Shared(EngineState(), CueSelector(), FaultMonitor(exercise.faults)))
    values = heel_raises(rest)
    events: list[Event] = []
    for i in range(int(10.0 * FPS)):
        events += mode.update(Frame(i / FPS, STANDING, values(i / FPS), "side")).events
    return of(events, RepCompleted)


def heel_raises(rest: float, lift: float = 0.06, n: int = 4) -> Callable[[float], dict[str, float]]:
    """heel_lift per side at t: `n` raises of `lift` leg lengths from `rest`, one every 2 s
    after a second standing still."""

    def at(t: float) -> dict[str, float]:
        k = t - 1.0
        s = 0.0
        if 0.0 <= k < 2.0 * n and (k % 2.0) < 1.2:
            s = 0.5 * (1 - math.cos(2 * math.pi * (k % 2.0) / 1.2))
        value = rest + lift * s
        return {"heel_lift_left": value, "heel_lift_right": value, "knee_flexion_left": 0.0,
                "knee_flexion_right": 0.0}  # fmt: skip

    return at


@pytest.mark.parametrize("rest", [0.0, -0.03, 0.02])
def test_heel_raises_count_from_where_the_heels_rest(rest: float) -> None:
    """Seen from the side the heel rests near 0; from behind near -0.03 (the toes hidden), on
    a plate a little above: the same four raises count in each case."""
    ex = load_exercise("heel_raise")
    assert ex.rep is not None and ex.rep.from_rest
    reps = count(ex, rest)
    assert len(reps) == 4
    assert all(r.duration_s == pytest.approx(0.55, abs=0.15) for r in reps)  # past `enter`


def test_without_from_rest_the_raises_from_behind_did_not_count() -> None:
    """The same definition counted from 0 (as before): never past `enter` from -0.03."""
    ex = load_exercise("heel_raise")
    assert ex.rep is not None
    absolute = ex.model_copy(update={"rep": ex.rep.model_copy(update={"from_rest": False})})
    assert count(absolute, -0.03) == []
    assert len(count(absolute, 0.0)) == 4


def test_the_resting_level_is_a_low_share_of_the_last_minute() -> None:
    level = RestingLevel(increasing=True)
    assert math.isnan(level.update(0.0, math.nan)) and math.isnan(level.level)
    assert level.update(0.0, 5.0) == 0.0  # the first value stands in
    for i in range(1, 300):  # 10 s: at rest (5) 70 % of the time, up at 9 the rest
        level.update(i / 30, 5.0 if i % 10 < 7 else 9.0)
    assert level.level == 5.0
    assert level.update(10.0, 9.0) == pytest.approx(4.0)
    falling = RestingLevel(increasing=False)  # a decreasing signal rests at its high values
    for i in range(300):
        falling.update(i / 30, 1.0 if i % 10 < 7 else 0.5)
    assert falling.level == 1.0
