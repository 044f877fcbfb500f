"""The prescribed range limit: a safety rule on each rep's reported angle (knee flexion for a
squat), fired the moment it is crossed, once per rep, and kept on the rep as `over_limit`."""

from __future__ import annotations

import math

import pytest

from exercises.loader import load_exercise
from scoring.cues import SAFETY_PRIORITY
from scoring.engine import ExerciseEngine
from scoring.events import Cue, Event, FaultDetected, RepCompleted, from_json, to_json
from tests.scoring.streams import DT, FPS, Dip, knee_angle, of, run, side_squats

# Four side-view squats: two to 120 degrees of knee flexion, two to 90.
DIPS = [Dip(1.0), Dip(4.5, depth=90.0), Dip(8.0), Dip(11.5, depth=90.0)]


def _limited(limit: float | None) -> tuple[ExerciseEngine, list[Event]]:
    engine = ExerciseEngine(load_exercise("squat"), 1.0, limit_deg=limit)
    return engine, run(engine, side_squats(DIPS), 15.5)


def test_a_rep_past_the_limit_is_told_at_once_and_marked() -> None:
    engine, events = _limited(100.0)
    reps = of(events, RepCompleted)
    assert [r.index for r in reps] == [1, 2, 3, 4]
    assert [r.over_limit for r in reps] == [True, False, True, False]
    limit_faults = [f for f in of(events, FaultDetected) if f.id == "range_limit"]
    assert [f.rep for f in limit_faults] == [1, 3]  # once per rep past the limit
    for fault, dip in zip(limit_faults, (DIPS[0], DIPS[2]), strict=True):
        # Fired the frame the knee passes 100 degrees, well before the rep ends.
        crossing = next(
            dip.start + i * DT
            for i in range(int(dip.period * FPS))
            if knee_angle(dip.start + i * DT, DIPS)[0] > 100.0
        )
        assert fault.t == pytest.approx(crossing, abs=2 * DT)
        rep = reps[fault.rep - 1]
        assert fault.t < rep.end_s - 0.5
        assert fault.message.startswith("Past your range limit")
        assert fault.cue == "Not so far: stay within your limit"
        assert fault.joints  # the knees, drawn in red
    # The safety cue is said at once, at the top priority.
    safety = [c for c in of(events, Cue) if c.source == "range_limit"]
    assert [round(c.t, 2) for c in safety] == [round(f.t, 2) for f in limit_faults]
    assert all(c.priority == SAFETY_PRIORITY for c in safety)
    # The rep over the limit carries the fault and loses points for it.
    assert "range_limit" in reps[0].faults and reps[0].score < 100
    assert "range_limit" not in reps[1].faults


def test_over_limit_is_the_same_number_as_peak_deg() -> None:
    _, events = _limited(100.0)
    for rep in of(events, RepCompleted):
        assert rep.over_limit == (rep.peak_deg > 100.0)


def test_no_limit_no_fault_and_nothing_marked() -> None:
    engine, events = _limited(None)
    assert not any(f.id == "range_limit" for f in of(events, FaultDetected))
    assert not any(r.over_limit for r in of(events, RepCompleted))
    assert engine.limit_note == ""


def test_a_limit_above_every_rep_never_fires() -> None:
    _, events = _limited(130.0)
    assert len(of(events, RepCompleted)) == 4
    assert not any(f.id == "range_limit" for f in of(events, FaultDetected))


def test_over_limit_in_the_event_json() -> None:
    _, events = _limited(100.0)
    rep = of(events, RepCompleted)[0]
    data = to_json(rep)
    assert data["over_limit"] is True
    assert from_json(data).over_limit is True
    assert to_json(of(events, RepCompleted)[1])["over_limit"] is False


@pytest.mark.parametrize("bad", [-1.0, 180.5, math.nan, math.inf])
def test_a_limit_outside_0_to_180_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 180"):
        ExerciseEngine(load_exercise("squat"), 1.0, limit_deg=bad)


def test_an_exercise_without_an_angle_says_the_limit_is_not_applied() -> None:
    engine = ExerciseEngine(load_exercise("heel_raise"), 1.0, limit_deg=40.0)
    assert "not applied" in engine.limit_note


def _sampled(
    fps: float, limit: float, dips: list[Dip], glitch: tuple[float, ...] = ()
) -> list[Event]:
    """The squats seen `fps` times a second; at the times in `glitch`, the knee reads 110."""
    engine = ExerciseEngine(load_exercise("squat"), 1.0, limit_deg=limit)
    squats = side_squats(dips)
    glitched = side_squats([Dip(0.0, period=1e9, depth=110.0, rest=110.0)])
    events: list[Event] = []
    for i in range(int(15.5 * fps)):
        t = i / fps
        events += engine.update(t, glitched(t) if round(t, 4) in glitch else squats(t))
    return events + engine.finish()


@pytest.mark.parametrize("fps", [2.5, 4.0])
def test_a_slow_camera_still_marks_every_rep_past_the_limit(fps: float) -> None:
    """Each 120-degree squat is past 100 degrees for 0.8 s: 2 or 3 frames at 2.5-4 a second,
    0.2 s or more apart. (Three frames in a row, alone, missed those seen twice.)"""
    events = _sampled(fps, 100.0, DIPS)
    reps = of(events, RepCompleted)
    assert [r.over_limit for r in reps] == [True, False, True, False]
    assert [f.rep for f in of(events, FaultDetected) if f.id == "range_limit"] == [1, 3]


@pytest.mark.parametrize(("frames", "fired"), [(2, False), (3, True)])
def test_at_30_a_second_two_frames_past_are_a_moment_three_an_excursion(
    frames: int, fired: bool
) -> None:
    """A 90-degree squat under a 100-degree limit, read at 110 for `frames` frames at its
    bottom (1/30 s apart): two are the pose estimate's moment, three are past the limit."""
    bottom = 1.0 + 1.5
    glitch = tuple(round((round(bottom * FPS) + k) / FPS, 4) for k in range(frames))
    events = _sampled(FPS, 100.0, [Dip(1.0, depth=90.0)], glitch)
    (rep,) = of(events, RepCompleted)
    assert rep.over_limit is fired
    assert any(f.id == "range_limit" for f in of(events, FaultDetected)) is fired


def test_a_slow_camera_marks_the_rep_its_one_frame_past_the_limit_shows() -> None:
    """A 120-degree squat under a 100-degree limit, seen twice a second: past it in one frame
    only, 0.5 s from the pictures before and after it. Nothing near it in time says it was the
    pose estimate's moment, and it is the rep's peak: the rep is over, told when it ends."""
    events = _sampled(2.0, 100.0, [Dip(1.0)])
    (rep,) = of(events, RepCompleted)
    assert rep.measured and rep.peak_deg > 100.0
    assert rep.over_limit and rep.limit_check == "over"
    (fault,) = [f for f in of(events, FaultDetected) if f.id == "range_limit"]
    assert fault.rep == 1 and fault.t == rep.end_s


@pytest.mark.parametrize(("fps", "fired"), [(FPS, False), (10.0, False), (2.0, True)])
def test_one_frame_past_the_limit_is_a_moment_when_a_picture_is_close_to_it(
    fps: float, fired: bool
) -> None:
    """A 90-degree squat under a 100-degree limit, read at 110 in one frame at its bottom:
    a picture within 0.2 s of it says the knee was inside; at 2 a second none is."""
    events = _sampled(fps, 100.0, [Dip(1.0, depth=90.0)], (2.5,))
    (rep,) = of(events, RepCompleted)
    assert rep.over_limit is fired
    assert any(f.id == "range_limit" for f in of(events, FaultDetected)) is fired
