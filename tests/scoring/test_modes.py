"""The counting modes on their own: measure values (and, where a mode reads them, landmarks)
in, events and the shared record out, without the engine's frame loop around them."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest

from exercises.loader import load_exercise
from scoring.cues import CueSelector
from scoring.definition import Exercise
from scoring.engine import ExerciseEngine
from scoring.events import (
    Event,
    FaultDetected,
    HoldEnded,
    HoldProgress,
    RepCompleted,
)
from scoring.faults import FaultMonitor
from scoring.modes.base import EngineState, Frame, Mode, Shared, Step
from scoring.modes.generic import GenericMode
from scoring.modes.holds import HoldMode, centre_and_height
from scoring.modes.reps import RepMode
from scoring.reference import PersonalReference
from tests.scoring.poses import front_points, side_points, to_landmarks
from tests.scoring.streams import Dip, arm_raises, of, side_squats

FPS = 30.0
DT = 1.0 / FPS
STANDING_SIDE = to_landmarks(side_points())
STANDING_FRONT = to_landmarks(front_points())
Values = Callable[[float], Mapping[str, float]]


def shared_for(exercise: Exercise) -> Shared:
    return Shared(EngineState(), CueSelector(), FaultMonitor(list(exercise.faults)))


def feed(
    mode: Mode,
    values_at: Values,
    until_s: float,
    view: str = "side",
    landmarks: np.ndarray = STANDING_SIDE,
) -> list[Event]:
    events: list[Event] = []
    for i in range(int(round(until_s * FPS))):
        t = i * DT
        events += mode.update(Frame(t, landmarks, values_at(t), view)).events
    return events


def squat_values(dips: list[Dip]) -> Values:
    """A squat's measures: hip height falls from 1 to 0.5 as the knees bend to 120 degrees."""

    def at(t: float) -> dict[str, float]:
        knee, lean = 0.0, 0.0
        for d in dips:
            if d.start <= t < d.start + d.period:
                s = 0.5 * (1 - math.cos(2 * math.pi * (t - d.start) / d.period))
                knee, lean = d.depth * s, d.lean * s
        out = {"hip_height": 1.0 - 0.5 * knee / 120.0, "trunk_lean_image": lean}
        for side in ("left", "right"):
            out[f"knee_flexion_{side}"] = out[f"knee_flexion_2d_{side}"] = knee
        return out

    return at


# --- Shared --------------------------------------------------------------------------------


def test_a_fault_is_recorded_once_and_its_cue_offered() -> None:
    squat = load_exercise("squat")
    shared = shared_for(squat)
    rule = next(r for r in squat.faults if r.id == "trunk_lean")
    ev = shared.fault(2.0, rule, 3, [11, 23], "left", message="compared")
    assert shared.faults == [ev]
    assert (ev.id, ev.rep, ev.joints, ev.side, ev.message) == (
        "trunk_lean",
        3,
        (11, 23),
        "left",
        "compared",
    )
    assert ev.cue == rule.cue
    cue = shared.cues.select(2.0)
    assert cue is not None and (cue.text, cue.source) == (rule.cue, "trunk_lean")


# --- reps ----------------------------------------------------------------------------------


def test_rep_mode_counts_and_reports_reps_into_the_shared_record() -> None:
    squat = load_exercise("squat")
    shared = shared_for(squat)
    mode = RepMode(squat, shared)
    events = feed(mode, squat_values([Dip(1.0), Dip(4.5)]), 8.0)
    reps = of(events, RepCompleted)
    assert [r.index for r in reps] == [1, 2]
    assert shared.reps == reps and shared.state.rep_count == 2
    assert shared.faults == [] and of(events, FaultDetected) == []
    for rep in reps:
        assert rep.score == 100.0 and rep.side == ""
        # Reported in knee degrees, from the 2-D angle in a side view.
        assert rep.peak_deg == pytest.approx(120.0, abs=0.5)
        assert rep.rom_deg == pytest.approx(120.0, abs=0.5)
        assert rep.up_s == pytest.approx(rep.down_s, abs=0.1)
        assert math.isfinite(rep.sparc) and rep.sparc < 0
        assert math.isnan(rep.rom_left) and math.isnan(rep.rom_right)  # hip height: no sides
        assert set(rep.profile) >= {"incomplete_range", "too_fast"}
    assert shared.state.phase == "rest" and shared.state.rep_value == pytest.approx(1.0)


def test_rep_mode_shows_the_rep_in_progress() -> None:
    squat = load_exercise("squat")
    shared = shared_for(squat)
    mode = RepMode(squat, shared)
    feed(mode, squat_values([Dip(1.0)]), 2.5 + DT / 2)  # to the bottom of the squat
    assert shared.state.phase == "working"
    assert shared.state.rep_value == pytest.approx(0.5, abs=1e-3)
    assert shared.state.rep_count == 0


def test_rep_mode_frame_fault_joins_its_rep_and_its_score() -> None:
    squat = load_exercise("squat")
    shared = shared_for(squat)
    mode = RepMode(squat, shared)
    events = feed(mode, squat_values([Dip(1.0), Dip(4.5, lean=65.0)]), 8.0)
    reps = of(events, RepCompleted)
    (lean,) = of(events, FaultDetected)
    assert (lean.id, lean.rep) == ("trunk_lean", 2)
    assert shared.faults == [lean]
    assert [r.faults for r in reps] == [(), ("trunk_lean",)]
    assert [r.score for r in reps] == [100.0, 85.0]
    # A fault comes before the rep it belongs to; its cue waits for the loop's selection.
    assert events.index(lean) < events.index(reps[1])
    cue = shared.cues.select(8.0)
    assert cue is not None and cue.text == "Keep your chest up"


def test_rep_mode_per_rep_rules_fire_when_the_rep_ends() -> None:
    squat = load_exercise("squat")
    shared = shared_for(squat)
    mode = RepMode(squat, shared)
    # Hips to 0.79 in the second: counted (0.8), but under 0.6 of the way to 0.55.
    events = feed(mode, squat_values([Dip(1.0, period=0.9), Dip(3.0, depth=50.0)]), 6.5)
    reps = of(events, RepCompleted)
    assert [r.faults for r in reps] == [("too_fast",), ("incomplete_range",)]
    faults = of(events, FaultDetected)
    assert [(f.id, f.rep, f.t) for f in faults] == [
        ("too_fast", 1, reps[0].t),
        ("incomplete_range", 2, reps[1].t),
    ]
    # The rep comes first, then what was wrong with it.
    assert events.index(reps[0]) < events.index(faults[0])


def test_rep_mode_a_short_attempt_is_no_rep_but_says_why() -> None:
    squat = load_exercise("squat")
    shared = shared_for(squat)
    mode = RepMode(squat, shared)
    # Hips down to 0.82: past the exit threshold (0.9), not the counting one (0.8).
    events = feed(mode, squat_values([Dip(1.0, depth=43.0)]), 4.0)
    assert of(events, RepCompleted) == []
    (short,) = of(events, FaultDetected)
    assert (short.id, short.rep) == ("incomplete_range", None)
    assert shared.state.rep_count == 0


def test_rep_mode_needs_its_counted_signal() -> None:
    squat = load_exercise("squat")
    mode = RepMode(squat, shared_for(squat))
    assert mode.visible({"hip_height": 0.9})
    assert not mode.visible({"hip_height": math.nan, "knee_flexion_left": 10.0})
    assert not mode.visible({})
    with pytest.raises(ValueError, match="no \\[rep\\] table"):
        RepMode(load_exercise("single_leg_stance"), shared_for(squat))


def test_rep_mode_counts_each_side_on_its_own() -> None:
    ex = Exercise.model_validate(
        {
            "id": "curl_each",
            "name": "Curl",
            "kind": "reps",
            "category": "strength",
            "instructions": "Curl.",
            "view": "any",
            "body": "arms",
            "rep": {
                "measure": "elbow_flexion_2d",
                "side": "each",
                "enter": 90,
                "exit": 40,
                "target": 140,
                "min_rom": 50,
            },
        }
    )

    def curls(t: float) -> dict[str, float]:
        s = 0.5 * (1 - math.cos(math.pi * (t % 2.0)))  # 0 -> 1 -> 0 every 2 s
        left = 140.0 * s if t < 2.0 else 0.0
        right = 140.0 * s if 2.0 <= t < 4.0 else 0.0
        return {"elbow_flexion_2d_left": left, "elbow_flexion_2d_right": right}

    shared = shared_for(ex)
    reps = of(feed(RepMode(ex, shared), curls, 4.5, view="front"), RepCompleted)
    assert [(r.index, r.side) for r in reps] == [(1, "left"), (2, "right")]
    # A one-sided counter measures its own side only.
    assert reps[0].rom_left == pytest.approx(140.0, abs=0.5) and math.isnan(reps[0].rom_right)
    assert reps[1].rom_right == pytest.approx(140.0, abs=0.5) and math.isnan(reps[1].rom_left)


def test_rep_mode_judges_reps_against_the_patients_reference() -> None:
    squat = load_exercise("squat")
    ref = PersonalReference.from_profiles(squat, [{"trunk_lean": 20.0}] * 3)
    limit = ref.limits["trunk_lean"].limit
    assert limit < 40.0 < 50.0  # a 40-degree lean: within the fixed bound, not the patient's
    shared = shared_for(squat)
    mode = RepMode(squat, shared, reference=ref)
    events = feed(mode, squat_values([Dip(1.0, lean=40.0)]), 4.5)
    (rep,) = of(events, RepCompleted)
    (fault,) = of(events, FaultDetected)
    assert rep.faults == ("trunk_lean",) and rep.score == 85.0
    assert rep.profile["trunk_lean"] == pytest.approx(40.0, abs=2.0)  # sustained 0.3 s
    assert fault.message.endswith("(compared with your reference reps)")
    assert (fault.rep, fault.t) == (1, rep.t)
    assert shared.faults == [fault]
    # Without the reference the same rep is clean.
    plain = RepMode(squat, shared_for(squat))
    (clean,) = of(feed(plain, squat_values([Dip(1.0, lean=40.0)]), 4.5), RepCompleted)
    assert clean.faults == ()


# --- holds ---------------------------------------------------------------------------------


def lift(periods: list[tuple[float, float]], lean: float = 0.0) -> Values:
    """Single-leg stance measures: the right foot 0.2 leg lengths up during `periods`."""

    def at(t: float) -> dict[str, float]:
        up = any(a <= t < b for a, b in periods)
        return {"foot_lift_left": 0.0, "foot_lift_right": 0.2 if up else 0.0, "trunk_lean": lean}

    return at


def test_hold_mode_times_a_hold_with_a_touch_down() -> None:
    stance = load_exercise("single_leg_stance")
    assert stance.hold is not None
    shared = shared_for(stance)
    mode = HoldMode(stance.hold, 1.0, shared)
    events = feed(mode, lift([(1.0, 4.0), (4.5, 6.0)]), 8.0, "front", STANDING_FRONT)
    (hold,) = of(events, HoldEnded)
    assert hold.start_s == pytest.approx(1.0, abs=DT)
    assert hold.end_s == pytest.approx(6.0 - DT, abs=DT)
    assert hold.touch_downs == 1 and hold.sway == 0.0
    assert [p.elapsed_s for p in of(events, HoldProgress)] == [0, 1, 2, 3, 4]
    assert shared.holds == [hold]
    assert not shared.state.hold_active and shared.state.phase == "rest"


def test_hold_mode_state_while_holding_and_finish_closes_the_hold() -> None:
    stance = load_exercise("single_leg_stance")
    assert stance.hold is not None
    shared = shared_for(stance)
    mode = HoldMode(stance.hold, 1.0, shared)
    feed(mode, lift([(0.5, 100.0)]), 3.0, "front", STANDING_FRONT)
    assert shared.state.hold_active and shared.state.phase == "working"
    assert shared.state.hold_elapsed_s == pytest.approx(2.5 - DT, abs=DT)
    (hold,) = mode.finish(3.0)
    assert isinstance(hold, HoldEnded) and shared.holds == [hold]
    assert mode.finish(3.0) == []


def test_hold_mode_unseen_is_neither_a_lapse_nor_progress_until_too_long() -> None:
    stance = load_exercise("single_leg_stance")
    assert stance.hold is not None
    shared = shared_for(stance)
    mode = HoldMode(stance.hold, 1.0, shared)
    feed(mode, lift([(0.0, 100.0)]), 2.0, "front", STANDING_FRONT)
    last = 2.0 - DT
    assert mode.unseen(last + 0.5) == []  # within the touch-down time
    (hold,) = mode.unseen(last + 1.2)
    assert isinstance(hold, HoldEnded)
    assert hold.end_s == pytest.approx(last, abs=1e-3)
    assert hold.touch_downs == 0


def test_hold_mode_needs_every_condition_measured() -> None:
    stance = load_exercise("single_leg_stance")
    assert stance.hold is not None
    mode = HoldMode(stance.hold, 1.0, shared_for(stance))
    assert mode.visible({"foot_lift_left": math.nan, "foot_lift_right": 0.0})
    assert not mode.visible({"foot_lift_left": math.nan, "foot_lift_right": math.nan})


def test_hold_mode_fault_while_holding() -> None:
    stance = load_exercise("single_leg_stance")
    assert stance.hold is not None
    shared = shared_for(stance)
    mode = HoldMode(stance.hold, 1.0, shared)
    events = feed(mode, lift([(0.5, 3.0)], lean=20.0), 3.0, "front", STANDING_FRONT)
    (sway,) = of(events, FaultDetected)
    assert (sway.id, sway.rep) == ("trunk_sway", None)
    # Only while holding: 0.3 s to start the hold, then 0.5 s of lean.
    assert sway.t == pytest.approx(1.3, abs=2 * DT)
    assert shared.faults == [sway]


def test_sway_centre_in_image_heights() -> None:
    (x, y), height = centre_and_height(STANDING_FRONT, 1.0)
    (x2, y2), height2 = centre_and_height(STANDING_FRONT, 2.0)
    assert x2 == pytest.approx(2 * x) and y2 == pytest.approx(y)
    assert height == pytest.approx(height2) and height > 0
    hidden = STANDING_FRONT.copy()
    hidden[:, 3] = 0.0
    assert centre_and_height(hidden, 1.0) == (None, None)


# --- generic -------------------------------------------------------------------------------


def test_generic_mode_counts_any_movement_and_settles_at_the_end() -> None:
    anything = load_exercise("any")
    assert anything.generic is not None
    shared = shared_for(anything)
    mode = GenericMode(anything.generic, 1.0, shared)
    assert mode.whole_body and mode.visible({})
    t, lm = arm_raises(5, 2.0)
    streamed: list[Event] = []
    for ti, frame in zip(t, lm, strict=True):
        streamed += mode.update(Frame(float(ti), frame, {}, "front")).events
    for ti in np.arange(1, 6) / FPS + t[-1]:
        streamed += mode.unseen(float(ti))  # time goes on without a pose
    running = list(shared.reps)
    assert running == streamed and shared.state.rep_count == len(running)
    tail = mode.finish(float(t[-1]) + 0.2)
    assert len(streamed) + len(tail) == 5
    assert [r.index for r in shared.reps] == [1, 2, 3, 4, 5]
    assert shared.reps is not running  # replaced, not edited: the running list is left as is
    assert all(math.isnan(r.score) and math.isnan(r.rom_deg) for r in shared.reps)


def test_generic_mode_ignores_a_still_body() -> None:
    anything = load_exercise("any")
    assert anything.generic is not None
    shared = shared_for(anything)
    mode = GenericMode(anything.generic, 1.0, shared)
    feed(mode, lambda t: {}, 6.0, "front", STANDING_FRONT)
    assert mode.finish(6.0) == [] and shared.reps == []


# --- the engine picks its modes ------------------------------------------------------------


class _Counting(Mode):
    def update(self, frame: Frame) -> Step:
        return Step()


def test_a_mode_only_has_to_count() -> None:
    mode = _Counting()
    assert not mode.whole_body and mode.visible({})
    assert mode.unseen(1.0) == [] and mode.finish(1.0) == []
    with pytest.raises(TypeError):
        Mode()  # type: ignore[abstract]


def test_a_definition_with_both_tables_counts_reps_and_times_holds() -> None:
    """The schema allows a [rep] and a [hold] table together; the engine runs both modes,
    the rep rule deciding when the pose counts as seen."""
    data: dict[str, Any] = load_exercise("squat").model_dump()
    data["hold"] = {
        "target_s": 10,
        "conditions": [{"measure": "knee_flexion", "side": "max", "above": 60}],
    }
    both = Exercise.model_validate(data)
    engine = ExerciseEngine(both, 1.0)
    events: list[Event] = []
    pose_at = side_squats([Dip(1.0, period=4.0), Dip(6.0, period=4.0)])
    for i in range(int(11 * FPS)):
        events += engine.update(i * DT, pose_at(i * DT))
    events += engine.finish()
    assert len(of(events, RepCompleted)) == 2 == len(engine.reps)
    holds = of(events, HoldEnded)
    assert len(holds) == 2 and engine.holds == holds
    assert all(h.duration_s > 1.0 for h in holds)
