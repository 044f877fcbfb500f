"""The prescription drives a live session: the set size, the rest between sets (nothing counts
while resting), the end after the last set, a hold that ends at its target, the range limit.

Real parts: the registry, LiveSession in `pose="device"` mode with its real filter and engine
(FrameProcessor), fed the landmarks our pipeline extracted from real clips (samples/tracks:
a 3-rep barbell squat, reps ending at 2.9, 5.0 and 7.3 s, which a page's landmarks show
three-quarters on, so its knee is not measured; 5 side-view curls; an 8 s single-leg stance),
on a clock that steps with the recording, so every run is exact and fast.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from coach.live import LandmarkMessage, SessionRegistry
from coach.prescription import Prescription
from exercises import load_exercise
from tests.coach.live.helpers import StepClock
from tests.coach.live.helpers import load_track as _track


@dataclass
class Row:
    """A program row as the store keeps one (coach.store.models.ProgramItem)."""

    sets: int = 1
    reps: int = 3
    hold_s: float = 0.0
    rest_s: float | None = None
    max_rom_deg: float | None = None


def run(
    track: str,
    exercise_id: str,
    row: Row | None,
    *,
    ready_at: float | None = None,
) -> tuple[Any, list[dict[str, Any]]]:
    """Stream a track through a signed-in patient's session (program `row`, or none);
    the session and every frame message it sent."""
    lm, times, size = _track(track)
    clock = StepClock()
    registry = SessionRegistry(
        decode=lambda _b: np.zeros((2, 2, 3), np.uint8),
        isolation="thread",
        clock=clock,
        prescription_for=(lambda _p, ex: row if ex == exercise_id else None),
    )

    async def go() -> tuple[Any, list[dict[str, Any]]]:
        session, _ = registry.open(exercise_id, patient_id=7, pose="device")
        outbox = await session.attach_patient("device")
        frames: list[dict[str, Any]] = []
        ready = ready_at
        for i, (pose, t) in enumerate(zip(lm, times, strict=True)):
            clock.now = float(t)
            if ready is not None and t >= ready:
                session.next_set()
                ready = None
            session.offer_landmarks(LandmarkMessage(i + 1, float(t), size, pose))
            frames.append(session.last_message)  # the frame message the page gets
        await session.detach_patient(outbox)
        return session, frames

    return asyncio.run(go())


def kinds(frames: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for f in frames for e in f["events"] if e["kind"] == kind]


def test_a_program_of_one_set_of_five_with_a_limit_runs_as_prescribed() -> None:
    # Curls from the side: the elbow bends to 144.9, 150.3, 151.7, 152.5 and 153.0 degrees
    # (the image-plane angle, measured from the side: scoring.measures).
    session, frames = run("formfit_curl", "bicep_curl", Row(sets=1, reps=5, max_rom_deg=151))
    assert session.info["sets"] == 1 and session.info["reps"] == 5
    assert session.hello()["prescription"]["limit_deg"] == 151
    reps = kinds(frames, "RepCompleted")
    assert [r["index"] for r in reps] == [1, 2, 3, 4, 5]
    assert [r["over_limit"] for r in reps] == [False, False, True, True, True]
    assert [r["limit_check"] for r in reps] == ["within", "within", "over", "over", "over"]
    limit = [f for f in kinds(frames, "FaultDetected") if f["id"] == "range_limit"]
    assert [f["rep"] for f in limit] == [3, 4, 5]
    assert limit[0]["cue"] == "Not so far: stay within your limit"
    assert reps[1]["t"] < limit[0]["t"] < reps[2]["t"]  # said as it happens, not after the rep
    assert len(kinds(frames, "AllSetsDone")) == 1
    last = frames[-1]
    assert last["stage"] == "done" and last["set"]["complete"] and last["rep_count"] == 5
    assert "measures" not in last  # the recorder's, never the page's
    summary = session.summary()
    assert summary["prescription"]["source"] == "program"
    assert summary["no_count_reason"] is None


def test_a_limit_the_view_cannot_check_asks_the_patient_to_turn() -> None:
    """The barbell squat from a page (no world landmarks) looks three-quarters on: the knee is
    not measured there, so no limit fault fires on noise, every rep is marked unchecked, and
    the patient is asked to turn side-on."""
    session, frames = run("formfit_squat", "squat", Row(sets=1, reps=3, max_rom_deg=100))
    reps = kinds(frames, "RepCompleted")
    assert len(reps) == 3
    assert [(r["limit_check"], r["measured"], r["peak_deg"]) for r in reps] == [
        ("unchecked", False, None)
    ] * 3
    assert not [f for f in kinds(frames, "FaultDetected") if f["id"] == "range_limit"]
    asks = [c for c in kinds(frames, "Cue") if c["source"] == "angle_view"]
    assert asks and asks[0]["text"].startswith("Turn side-on to the camera")
    summary_reps = session.summary()["reps"]
    assert [r["limit_check"] for r in summary_reps] == ["unchecked"] * 3


def test_reps_made_while_resting_do_not_count_into_the_next_set() -> None:
    # 2 x 1 with a 2 s rest: rep 1 (2.9 s) ends set 1; rep 2 (5.0 s) falls in the rest, which
    # ends by itself at about 4.9 s... so a 3 s rest keeps rep 2 out; rep 3 (7.3 s) is set 2.
    session, frames = run("formfit_squat", "squat", Row(sets=2, reps=1, rest_s=3.0))
    done = kinds(frames, "SetCompleted")
    assert [(e["set"], e["sets"], e["rest_s"]) for e in done] == [(1, 2, 3.0)]
    resting = [f for f in frames if f["stage"] == "rest"]
    assert resting and resting[0]["rest"]["next_set"] == 2
    lefts = [f["rest"]["left_s"] for f in resting]
    assert lefts[0] == pytest.approx(3.0, abs=0.1) and lefts == sorted(lefts, reverse=True)
    (ended,) = kinds(frames, "RestEnded")
    assert ended["set"] == 2 and not ended["early"]
    assert ended["t"] == pytest.approx(done[0]["t"] + 3.0, abs=0.1)
    assert [r["index"] for r in kinds(frames, "RepCompleted")] == [1, 2]
    assert session.rep_count == 2 and frames[-1]["stage"] == "done"
    # The big number is the set's: 1 of 1 in set 2.
    assert frames[-1]["set"] == {
        "set": 2,
        "sets": 2,
        "done": 1,
        "per_set": 1,
        "unit": "rep",
        "complete": True,
    }


def test_the_patient_may_start_the_next_set_before_the_rest_is_over() -> None:
    session, frames = run("formfit_squat", "squat", Row(sets=2, reps=1, rest_s=60.0), ready_at=3.5)
    (ended,) = kinds(frames, "RestEnded")
    assert ended["early"] and ended["set"] == 2
    assert [r["index"] for r in kinds(frames, "RepCompleted")] == [1, 2]  # rep 2 is set 2's
    assert session.rep_count == 2 and frames[-1]["stage"] == "done"


def test_a_hold_set_ends_when_its_target_is_held() -> None:
    session, frames = run(
        "medflex_single_leg_stance", "single_leg_stance", Row(sets=1, reps=0, hold_s=5.0)
    )
    (reached,) = kinds(frames, "HoldReached")
    assert reached["target_s"] == 5.0 and reached["hold"] == 1
    assert frames[-1]["holds_completed"] == 1 and frames[-1]["stage"] == "done"
    assert session.summary()["holds_completed"] == 1  # counted once, not again at its end


def test_an_anonymous_session_follows_the_definitions_defaults() -> None:
    squat = load_exercise("squat")
    rx = Prescription.defaults(squat)
    assert (rx.sets, rx.reps, rx.rest_s, rx.limit_deg) == (3, 10, 60.0, None)
    session, frames = run("formfit_squat", "squat", None)
    assert session.prescription == rx
    assert frames[-1]["set"]["per_set"] == 10 and frames[-1]["stage"] == "active"


def test_a_program_row_is_clamped_and_a_failing_lookup_costs_only_the_numbers() -> None:
    squat = load_exercise("squat")
    rx = Prescription.from_program(squat, Row(sets=99, reps=-4, rest_s=1e9, max_rom_deg=500))
    assert (rx.sets, rx.reps, rx.rest_s, rx.limit_deg) == (20, 0, 600.0, None)

    def broken(_p: int, _e: str) -> Row:
        raise RuntimeError("database away")

    registry = SessionRegistry(
        decode=lambda _b: np.zeros((2, 2, 3), np.uint8), prescription_for=broken
    )
    session, _ = registry.open("squat", patient_id=1, pose="device")
    assert session.prescription == Prescription.defaults(squat)


def test_a_session_that_counted_nothing_says_why() -> None:
    lm, times, size = _track("formfit_squat")
    clock = StepClock()
    registry = SessionRegistry(decode=lambda _b: np.zeros((2, 2, 3), np.uint8), clock=clock)

    async def go() -> dict[str, Any]:
        session, _ = registry.open("squat", pose="device")
        outbox = await session.attach_patient("device")
        legs_only = lm[:60].copy()
        legs_only[:, :23, 3] = 0.0  # nothing above the hips seen
        for i, (pose, t) in enumerate(zip(legs_only, times, strict=False)):
            clock.now = float(t)
            session.offer_landmarks(LandmarkMessage(i + 1, float(t), size, pose))
        await session.detach_patient(outbox)
        return dict(session.summary())

    summary = asyncio.run(go())
    assert summary["rep_count"] == 0
    assert summary["no_count_reason"].startswith("Counting never started: ")


def test_a_restored_session_counts_on_in_the_right_set() -> None:
    row = Row(sets=2, reps=2, rest_s=30.0)
    registry = SessionRegistry(
        decode=lambda _b: np.zeros((2, 2, 3), np.uint8), prescription_for=lambda _p, _e: row
    )
    session, how = registry.open("squat", session_id="restored-1", carry_reps=2, patient_id=3)
    assert how == "restored"
    assert session.progress()["set"] == 2 and session.hello()["stage"] == "setup"
    done, _ = registry.open("squat", session_id="restored-2", carry_reps=4, patient_id=3)
    assert done.hello()["stage"] == "done"
