"""Hand-eye targets per task, week and hand, from sessions stored in a real SQLite file: the
runs are scored on a real arm-raising track (placed targets the patient reaches, and seeded
schedules she misses), so every summary is one the live page and the analyser store."""

from __future__ import annotations

import copy
import math
import statistics
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace as NS

import pytest

from coach.review.targets_progress import weekly_targets
from coach.store.store import Store
from tests.helpers.targets import PLACED, stored_targets

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=timezone.utc)


def test_weeks_hands_and_tasks_from_stored_sessions(store: Store) -> None:
    ther = store.create_user("ther", "Dr T", "correct horse battery")
    pid = store.create_patient(ther.id, "Pat").id
    _, placed = stored_targets(store, pid, MONDAY + timedelta(days=1), schedule=PLACED)
    stored_targets(store, pid, MONDAY + timedelta(days=3), level=1, seed=0)  # 3 missed
    _, later = stored_targets(store, pid, MONDAY + timedelta(days=15), schedule=PLACED)
    _, follow = stored_targets(
        store, pid, MONDAY + timedelta(days=16), "targets_follow", level=1, seed=0
    )
    trends = weekly_targets(
        store.sessions_of(pid), today=date(2026, 11, 18), since=date(2026, 11, 2)
    )
    assert [(t.task, t.follow) for t in trends] == [
        ("targets_follow", True),
        ("targets_reach_seated", False),
    ]
    follow_t, reach = trends
    assert [w.start for w in reach.weeks] == [date(2026, 11, d) for d in (2, 9, 16)]
    first, empty, third = reach.weeks
    assert first.sessions == 2 and empty.sessions == 0 and empty.hands == {}
    left, right = first.hands["left"], first.hands["right"]
    assert (left.sessions, left.shown, left.touched) == (2, 3, 1)
    assert (right.shown, right.touched) == (2, 1) and right.share == 0.5
    # medians over the touched targets only: the missed ones' times are left out
    # the left hand was already moving when its target appeared: no reaction time (NaN)
    assert math.isnan(placed.results[0].reaction_s) and left.reaction_s is None
    assert left.movement_s == pytest.approx(placed.results[0].movement_s)
    assert right.reaction_s == pytest.approx(placed.results[1].reaction_s)
    assert left.tracking_error is None
    assert third.hands["left"].share == 1.0
    assert third.hands["right"].movement_s == pytest.approx(later.results[1].movement_s)
    shares = reach.series("share", 100)
    assert shares == {"left": [pytest.approx(100 / 3), None, 100.0], "right": [50.0, None, 100.0]}
    assert list(reach.series("reaction_s")) == ["right"]  # the left hand never had one
    # follow: tracking error over every shown target (all missed here), no movement time
    fl = follow_t.weeks[2].hands["left"]
    assert (fl.shown, fl.touched, fl.movement_s, fl.reaction_s) == (1, 0, None, None)
    assert fl.tracking_error == pytest.approx(follow.results[0].tracking_error)
    assert follow_t.weeks[0].hands == {}
    # the timing caveat: one frame of the track (27.9 fps), no loop latency (recordings)
    assert reach.frame_interval_s == pytest.approx(1 / 27.93, abs=0.002)
    assert reach.latency_s is None


def test_nan_and_missing_times_are_left_out_and_other_sessions_give_nothing(
    store: Store,
) -> None:
    ther = store.create_user("ther", "Dr T", "correct horse battery")
    pid = store.create_patient(ther.id, "Pat").id
    stored_targets(store, pid, MONDAY, schedule=PLACED)
    stored_targets(store, pid, MONDAY + timedelta(days=1), schedule=PLACED)
    a, b = store.sessions_of(pid)
    broken = copy.deepcopy(a.summary)
    broken["targets"]["results"][1]["reaction_s"] = math.nan
    broken["targets"]["latency_s"] = 0.12  # as the live page measures it
    del broken["targets"]["results"][0]["movement_s"]
    sessions = [NS(started_at=a.started_at, exercise_id=a.exercise_id, summary=broken), b]
    (trend,) = weekly_targets(sessions, today=date(2026, 11, 4), since=date(2026, 11, 2))
    assert trend.latency_s == 0.12
    left = trend.weeks[0].hands["left"]
    assert (left.shown, left.touched, left.sessions) == (2, 2, 2)
    kept = b.summary["targets"]["results"]
    assert left.movement_s == pytest.approx(kept[0]["movement_s"])
    assert left.reaction_s is None  # stored as null: anticipated in both sessions
    right = trend.weeks[0].hands["right"]
    assert right.reaction_s == pytest.approx(kept[1]["reaction_s"])
    both = [s.summary["targets"]["results"][1]["movement_s"] for s in (a, b)]
    assert right.movement_s == pytest.approx(statistics.median(both))
    squat = NS(started_at=MONDAY, exercise_id="squat", summary={"reps": 3})
    odd = NS(started_at=MONDAY, exercise_id="x", summary={"targets": {"results": "no"}})
    assert weekly_targets([squat, odd, NS(started_at=MONDAY, exercise_id="y", summary=None)]) == []
    assert weekly_targets([]) == []
