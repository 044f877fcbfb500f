"""scoring.protocols.balance_live: the four balance stages found and timed one pose at a time,
on tracks made from real standing (samples/make_balance_tracks.py: no public recording of
the semi-tandem and tandem stances exists, so a real front-view standing track's right foot
is moved into them). No model runs here."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from exercises import load_exercise
from exercises.norms import load_norms
from scoring.definition import HoldRule
from scoring.events import Event, to_json
from scoring.measures import compute_measures, per_frame
from scoring.protocols.balance_live import (
    FIND_S,
    UNSEEN_S,
    BalanceDone,
    StageEnded,
    StageShown,
    StageStarted,
    StageTracker,
)
from scoring.protocols.balance_stages import FEET_MEASURES, SETTLE_S, four_stages_in_one
from tests.scoring.tracks import balance_script

NORMS = load_norms("four_stage_balance")


def _rules() -> list[tuple[str, HoldRule]]:
    rules = []
    for stage in NORMS.extra["stages"]:
        hold = load_exercise(stage["exercise"]).hold
        assert hold is not None
        rules.append((stage["id"], hold))
    return rules


def _run(lm: np.ndarray, t: np.ndarray, size: tuple[int, int]) -> tuple[StageTracker, list[Event]]:
    tracker = StageTracker(_rules(), norms=NORMS)
    events: list[Event] = []
    for ti, pose in zip(t, lm, strict=True):
        events += tracker.update(float(ti), pose, size[0] / size[1])
    return tracker, events


def _of(events: list[Event], cls: type) -> list[Any]:
    return [e for e in events if isinstance(e, cls)]


def _recorded(lm: np.ndarray, t: np.ndarray, size: tuple[int, int]) -> dict[str, Any]:
    """The recorded form's result of the same track (scoring.protocols.balance_stages)."""
    names = {n for m in FEET_MEASURES for n in per_frame(m)}
    for stage in NORMS.extra["stages"]:
        names |= set(load_exercise(stage["exercise"]).measures_needed())
    values = compute_measures(lm, size[0] / size[1], sorted(names))
    return four_stages_in_one(t, values, _rules(), norms=NORMS).to_json()


def test_all_four_stances_held_pass_in_order_as_they_happen() -> None:
    lm, t, size, meta = balance_script().made_track("all")
    tracker, events = _run(lm, t, size)
    truth = meta["ground_truth"]["stances"]
    started = _of(events, StageStarted)
    assert [e.id for e in _of(events, StageShown)] == [s["stage"] for s in truth]
    assert [e.id for e in started] == [s["stage"] for s in truth]
    for event, stance in zip(started, truth, strict=True):
        # The clock runs from when the stance was taken (within the 0.6 s the made foot takes
        # to move into it), said once it was kept SETTLE_S.
        assert event.start_s == pytest.approx(stance["start_s"], abs=0.6)
        assert event.t == pytest.approx(event.start_s + SETTLE_S, abs=0.05)
    ended = _of(events, StageEnded)
    assert [(e.passed, e.reason, e.held_s) for e in ended] == [(True, "held", 10.0)] * 4
    for end, stance in zip(ended, truth, strict=True):
        assert end.t < stance["end_s"]  # passed while still standing in it
    (done,) = _of(events, BalanceDone)
    assert (done.last_stage_passed, done.fall_risk) == (4, False)
    result = tracker.result().to_json()
    assert result["value"] == 4 and result["interpretation"] == "held all 4 stances 10 s"
    assert result["measured"]["recording"] == "live"
    recorded = _recorded(lm, t, size)
    assert [s["status"] for s in result["measured"]["stages"]] == [
        s["status"] for s in recorded["measured"]["stages"]
    ]
    assert tracker.update(float(t[-1]) + 1, lm[-1], size[0] / size[1]) == []  # over


def test_a_step_out_of_tandem_ends_the_test_with_the_time_held() -> None:
    lm, t, size, meta = balance_script().made_track("tandem_fails")
    tracker, events = _run(lm, t, size)
    tandem = meta["ground_truth"]["stances"][2]
    ended = _of(events, StageEnded)
    assert [(e.id, e.passed) for e in ended] == [
        ("feet_together", True),
        ("semi_tandem", True),
        ("tandem", False),
    ]
    assert ended[2].reason == "stepped"
    made = tandem["end_s"] - tandem["start_s"]  # 6 s
    started = _of(events, StageStarted)[2]
    assert ended[2].held_s == pytest.approx(tandem["end_s"] - started.start_s, abs=0.3)
    assert ended[2].held_s == pytest.approx(made, abs=0.5)
    (done,) = _of(events, BalanceDone)
    assert (done.last_stage_passed, done.fall_risk) == (2, True)
    result = tracker.result().to_json()
    recorded = _recorded(lm, t, size)
    assert result["value"] == recorded["value"] == 2
    assert result["interpretation"] == recorded["interpretation"]
    live_held = result["measured"]["stages"][2]["held_s"]
    assert live_held == pytest.approx(recorded["measured"]["stages"][2]["held_s"], abs=0.3)
    last = {"stage": 4, "id": "single_leg", "status": "not tested"}
    assert result["measured"]["stages"][3] == last
    assert "increased fall risk" in result["interpretation"]


def _feet_together(seconds: float) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """The real side-by-side stance, `seconds` long (played forwards and backwards)."""
    script = balance_script()
    lm, t, size, _ = script.made_track("all")
    n = int(seconds * script.FPS)
    loop = np.concatenate([lm[:240], lm[:240][::-1]])
    frames = np.concatenate([loop] * (n // len(loop) + 1))[:n]
    return frames, np.arange(n) / script.FPS, size


def test_the_next_stance_needs_a_foot_moved_and_is_not_taken_in_time() -> None:
    """Side by side and semi-tandem both read narrow from the front: standing on after stage
    1 is not stage 2; after FIND_S the stage fails as not taken."""
    lm, t, size = _feet_together(10 + FIND_S + 4)
    tracker, events = _run(lm, t, size)
    ended = _of(events, StageEnded)
    assert [(e.id, e.passed, e.reason) for e in ended] == [
        ("feet_together", True, "held"),
        ("semi_tandem", False, "not_taken"),
    ]
    assert ended[1].held_s == 0 and ended[1].t == pytest.approx(ended[0].t + FIND_S, abs=0.05)
    assert _of(events, BalanceDone)[0].last_stage_passed == 1
    assert len(_of(events, StageStarted)) == 1


def test_feet_unseen_or_no_frames_end_a_stance_that_cannot_be_judged() -> None:
    lm, t, size = _feet_together(8)
    aspect = size[0] / size[1]
    tracker = StageTracker(_rules(), norms=NORMS)
    for ti, pose in zip(t[:100], lm[:100], strict=True):
        tracker.update(float(ti), pose, aspect)
    assert tracker.ended == [] and tracker.stage == 1
    events: list[Event] = []
    for ti in t[100:]:
        events += tracker.update(float(ti), None, aspect)
    (ended,) = _of(events, StageEnded)
    assert ended.reason == "feet_unseen" and not ended.passed
    assert ended.t == pytest.approx(t[100] + UNSEEN_S, abs=0.05)
    gap = StageTracker(_rules(), norms=NORMS)
    for ti, pose in zip(t[:100], lm[:100], strict=True):
        gap.update(float(ti), pose, aspect)
    late = gap.update(float(t[99]) + 30, lm[100], aspect)  # a reconnect 30 s later
    (ended,) = _of(late, StageEnded)
    assert ended.reason == "feet_unseen" and ended.held_s < 10


def test_a_hand_on_a_support_said_by_the_page_fails_the_stage() -> None:
    lm, t, size = _feet_together(6)
    tracker, events = _run(lm, t, size)
    (started,) = _of(events, StageStarted)
    said = tracker.support(float(t[-1]))
    ended, done = said
    assert isinstance(ended, StageEnded) and ended.reason == "support"
    assert ended.held_s == pytest.approx(t[-1] - started.start_s, abs=0.01)
    assert isinstance(done, BalanceDone) and done.fall_risk
    result = tracker.result().to_json()
    assert result["measured"]["support"] == "said by the page"
    assert result["measured"]["stages"][0]["ended_by"] == "support"


def test_events_are_ids_and_numbers() -> None:
    lm, t, size, _ = balance_script().made_track("tandem_fails")
    _, events = _run(lm, t, size)
    for event in events:
        data = to_json(event)
        words = [v for k, v in data.items() if isinstance(v, str) and k not in ("kind",)]
        assert all(w.replace("_", "").isalpha() and w == w.lower() for w in words), data
