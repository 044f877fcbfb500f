"""coach.live.plan on its own: what a session's frames count towards.

The engine is the real one (FrameProcessor without a model, as for a `pose=device` page) on
landmark tracks our pipeline extracted from real clips (samples/tracks: a 3-rep squat with
knee-bend peaks at 2.9, 5.0 and 7.3 s; an 8 s single-leg stance; an arm raised sideways),
each frame's engine message handed to the plan as the session does, time stepping with the
recording. No session, no sockets: the plan's events are read from a stand-in journal.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from coach.live.options import default_landmark_processor
from coach.live.plan import Plan, PlanStart, SetPlan, TargetsPlan, make_plan
from coach.live.readouts import json_safe
from coach.live.targets import LiveTargets, patient_words
from coach.live.worker import event_dict
from coach.prescription import Prescription
from exercises import load_exercise, load_task
from pose.types import Pose
from tests.coach.live.helpers import Journal, StepClock, load_track

SQUAT = load_exercise("squat")


def engine(
    exercise: Any,
    lm: np.ndarray,
    times: np.ndarray,
    size: tuple[int, int],
    *,
    limit_deg: float | None = None,
    schedule: list[Any] | None = None,
) -> Iterator[tuple[float, dict[str, Any]]]:
    """One pipeline over a track: (t, the engine's frame message) per frame, then
    (inf, {"closing": events}) with the events its end decides."""
    processor = default_landmark_processor(exercise, None, limit_deg, schedule)
    for row, t in zip(lm, times, strict=True):
        result = processor.process_pose(float(t), Pose(row, float(t), size), size)
        yield float(t), json_safe(result.to_message(landmarks=False))
    yield float("inf"), {"closing": [event_dict(e) for e in processor.finish()]}


def run(
    plan: Plan, clock: StepClock, pipeline: Iterator[tuple[float, dict[str, Any]]], **at: Any
) -> list[dict[str, Any]]:
    """Each frame through the plan (`at`: {"ready": t} presses next_set at t); the last
    pipeline event closes it. Returns per frame its events, stage and counts."""
    frames = []
    for t, message in pipeline:
        if "closing" in message:
            plan.finish(message["closing"], counting=plan.counting)
            break
        clock.now = t
        if at.get("ready") is not None and t >= at["ready"]:
            plan.next_set(t)
            at["ready"] = None
        events = plan.step(message, t, t)
        frames.append({"events": events, "stage": plan.shown_stage, "reps": plan.rep_count})
    return frames


def kinds(frames: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for f in frames for e in f["events"] if e["kind"] == kind]


def stages(frames: list[dict[str, Any]]) -> list[str]:
    """The stages the pages saw, in order, each once per stretch."""
    seen: list[str] = []
    for f in frames:
        if not seen or seen[-1] != f["stage"]:
            seen.append(f["stage"])
    return seen


def squat_plan(rx: Prescription, start: PlanStart | None = None) -> tuple[Plan, Journal]:
    clock = StepClock()
    journal = Journal(clock)
    return make_plan(rx, "reps", journal, start or PlanStart()), journal


def test_a_set_plan_counts_after_setup_rests_between_sets_and_stops_when_done() -> None:
    plan, journal = squat_plan(Prescription(sets=2, reps=1, hold_s=0.0, rest_s=3.0))
    assert isinstance(plan, SetPlan) and plan.stage == "setup" and not plan.counting
    frames = run(plan, journal.clock, engine(SQUAT, *load_track("formfit_squat")))
    assert stages(frames) == ["setup", "active", "rest", "active", "done"]
    (passed,) = journal.of("SetupPassed")
    assert passed["rep_count"] == 0 and passed["t"] < 2.9
    # Rep 1 ends set 1; rep 2 (5.0 s) falls in the 3 s rest and is not counted; rep 3 is
    # set 2's, numbered on from the session's count.
    assert [r["index"] for r in kinds(frames, "RepCompleted")] == [1, 2]
    (done,) = kinds(frames, "SetCompleted")
    (rested,) = kinds(frames, "RestEnded")
    assert rested["t"] == pytest.approx(done["t"] + 3.0, abs=0.1) and not rested["early"]
    assert len(kinds(frames, "AllSetsDone")) == 1
    assert plan.phase == "done" and not plan.counting and plan.rep_count == 2
    progress = plan.progress()  # the set's count: 1 of 1 in set 2 of 2
    assert [progress[k] for k in ("set", "sets", "done", "per_set", "complete")] == [2, 2, 1, 1, 1]
    assert plan.rest(99.0) is None and plan.schedule() is None and not plan.ends_session
    # Everything the pages were told was logged too (the session's sinks), in order.
    said = [e for f in frames for e in f["events"]]
    assert [e for e in journal.events if e["kind"] != "SetupPassed"] == said


def test_next_set_ends_the_rest_early_and_is_said_in_the_next_frame() -> None:
    plan, journal = squat_plan(Prescription(sets=2, reps=1, hold_s=0.0, rest_s=60.0))
    frames = run(plan, journal.clock, engine(SQUAT, *load_track("formfit_squat")), ready=3.5)
    (rested,) = kinds(frames, "RestEnded")
    assert rested["early"] and rested["set"] == 2 and rested["t"] == pytest.approx(3.5, abs=0.05)
    assert [r["index"] for r in kinds(frames, "RepCompleted")] == [1, 2]
    assert plan.phase == "done"


def test_counts_carry_over_a_new_pipeline_which_sets_up_again() -> None:
    plan, journal = squat_plan(Prescription(sets=1, reps=20, hold_s=0.0, rest_s=0.0))
    lm, times, size = load_track("formfit_squat")
    cut = int(np.searchsorted(times, 3.6))  # after rep 1, before rep 2 starts
    first = run(plan, journal.clock, engine(SQUAT, lm[:cut], times[:cut], size))
    assert plan.rep_count == 1 and plan.stage == "setup"  # carried, and set up again
    second = run(plan, journal.clock, engine(SQUAT, lm[cut:], times[cut:], size))
    reps = kinds(first, "RepCompleted") + kinds(second, "RepCompleted")
    assert [r["index"] for r in reps] == [1, 2, 3]  # the new engine's rep 1 is the session's 2
    assert len(journal.of("SetupPassed")) == 2 and plan.rep_count == 3


def test_past_the_range_limit_is_recorded_even_before_counting_starts() -> None:
    # Curls from the side (a page's landmarks): the elbow is measured there, bending to
    # 145-153 degrees. (The barbell squat, three-quarters on without world landmarks, has its
    # knee not measured: nothing to judge, tests/scoring/test_range_limit_real.py.)
    rx = Prescription(sets=1, reps=3, hold_s=0.0, rest_s=0.0, limit_deg=120.0)
    plan, journal = squat_plan(rx, PlanStart(setup_hold_s=1e9))  # setup never completes
    curl = engine(load_exercise("bicep_curl"), *load_track("formfit_curl"), limit_deg=120)
    frames = run(plan, journal.clock, curl)
    assert plan.stage == "setup" and plan.rep_count == 0
    assert not kinds(frames, "RepCompleted") and not journal.of("RepCompleted")
    limits = journal.of("FaultDetected")
    assert limits and all(f["id"] == "range_limit" and f["rep"] is None for f in limits)
    assert kinds(frames, "FaultDetected") == limits
    assert plan.no_count_reason(journal.events) is not None


def test_a_hold_counts_once_the_moment_it_reaches_its_target() -> None:
    clock = StepClock()
    journal = Journal(clock)
    rx = Prescription(sets=1, reps=1, hold_s=5.0, rest_s=0.0)
    plan = make_plan(rx, "hold", journal, PlanStart())
    stance = load_exercise("single_leg_stance")
    frames = run(plan, clock, engine(stance, *load_track("medflex_single_leg_stance")))
    (reached,) = kinds(frames, "HoldReached")
    assert reached["target_s"] == 5.0 and reached["hold"] == 1
    assert journal.of("HoldReached") == [reached] and not journal.of("HoldProgress")
    assert plan.holds_done == 1 and plan.phase == "done"  # its HoldEnded did not count again
    assert plan.progress()["unit"] == "hold" and plan.progress()["complete"]


def test_a_restored_plan_counts_on_in_the_right_set() -> None:
    rx = Prescription(sets=2, reps=2, hold_s=0.0, rest_s=30.0)
    plan, _ = squat_plan(rx, PlanStart(carry_reps=2))
    assert plan.rep_count == 2 and plan.phase == "set" and plan.progress()["set"] == 2
    done, _ = squat_plan(rx, PlanStart(carry_reps=4))
    assert done.phase == "done" and done.shown_stage == "done" and not done.counting
    assert done.no_count_reason([]) is None  # it counted (before the restart)


def test_a_targets_plan_runs_the_schedule_across_pipelines_and_says_when_it_is_done() -> None:
    task = load_task("targets_follow")  # two moving targets, 12 s each
    live = LiveTargets(task, 1, 11)
    clock = StepClock()
    journal = Journal(clock)
    rx = Prescription(sets=1, reps=0, hold_s=0.0, rest_s=0.0)
    plan = make_plan(rx, task.kind, journal, PlanStart(), live)
    assert isinstance(plan, TargetsPlan) and plan.hello_fields() == {"targets": live.hello()}
    lm, times, size = load_track("rehab_bme410_shoulder_abduction")
    span = times[-1] + (times[1] - times[0])
    lm, times = np.concatenate([lm, lm]), np.concatenate([times, times + span])
    cut = int(np.searchsorted(times, 14.0))  # target 1 has its result, target 2 is not shown
    first = list(plan.schedule() or ())
    assert [s.index for s in first] == [1, 2]
    frames = run(plan, clock, engine(task, lm[:cut], times[:cut], size, schedule=first))
    left = list(plan.schedule() or ())
    assert [s.index for s in left] == [2]  # a new pipeline runs only the targets still to do
    assert plan.progress()["done"] == 1 and not plan.ends_session and plan.phase == "set"
    frames += run(plan, clock, engine(task, lm[cut:], times[cut:], size, schedule=left))
    results = journal.of("TargetResult")
    assert [r["index"] for r in results] == [1, 2]
    assert all(r["message"] == patient_words(r, moving=True) for r in results)  # plain words
    assert kinds(frames, "TargetResult") == results and len(journal.of("TargetShown")) == 2
    (done,) = kinds(frames, "AllSetsDone")
    assert journal.of("AllSetsDone") == [done]
    assert done["sets"] == 1 and done["done"] == 2 and done["targets"] == live.block()
    assert plan.ends_session and plan.phase == "done" and plan.shown_stage == "done"
    assert plan.progress() == {
        "set": 1,
        "sets": 1,
        "done": 2,
        "per_set": 2,
        "unit": "target",
        "complete": True,
    }
    assert plan.schedule() == () and plan.rep_count == 0 and not plan.counting
    assert plan.stored() == {"targets": live.stored()}
    assert plan.summary_fields() == {"targets": live.block()}
    assert plan.no_count_reason(journal.events) is None  # the targets say what was done
    assert plan.offer_latency("fast", 1.0) is not None  # the page's latency is checked
    assert plan.offer_latency(80, 1.0) is None and live.latency_s == pytest.approx(0.08)
