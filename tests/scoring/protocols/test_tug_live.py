"""Timed Up and Go live (scoring.protocols.tug_live): the labelled clips' stored tracks
(samples/tracks/clinical/, the real model's raw landmarks, derived numbers only) fed frame by
frame through the live tracker give the same total as the recorded test on the same frames
(`coach protocol tug`'s path: coach.offline.protocols.run_tug), within 0.3 s of the hand label,
with the events a page needs in order: ready, started, done."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from coach.offline.protocols import Track, run_tug, track_from_landmarks
from exercises.norms import load_norms
from scoring.events import TugDone, TugReady, TugStarted
from scoring.protocols.tug_live import MAX_S, TugTracker

CLINICAL = Path(__file__).resolve().parents[3] / "samples" / "tracks" / "clinical"
CLIPS = {"tug_moeed_trial_1": "tug_moeed/trial_1", "tug_moeed_trial_2": "tug_moeed/trial_2"}


def _stored(name: str) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    with np.load(CLINICAL / f"{name}.npz", allow_pickle=False) as d:
        t, lm = d["t"], d["lm"].astype(np.float64)
        size = (int(d["image_size"][0]), int(d["image_size"][1]))
    return t - t[0], lm, size


def _offline(t: np.ndarray, lm: np.ndarray, size: tuple[int, int]) -> float | None:
    """`coach protocol tug` on a stored track (as benchmarks/everyday.py runs it)."""
    track: Track = track_from_landmarks(lm, 1 / float(np.median(np.diff(t))), size)
    track.t = t
    return run_tug(track).value


def _live(t: np.ndarray, lm: np.ndarray, size: tuple[int, int]) -> tuple[TugTracker, list[Any]]:
    tracker = TugTracker(norms=load_norms("timed_up_and_go"))
    events: list[Any] = []
    for ti, row in zip(t, lm, strict=True):
        pose = row if np.isfinite(row[:, :2]).all() else None
        events += tracker.update(float(ti), pose, size[0] / size[1])
    return tracker, events


def _label(shared_data: Path, clip_id: str) -> dict[str, Any]:
    clips = json.loads((shared_data / "clinical_clips.json").read_text())
    return next(c for c in clips if c["id"] == clip_id)["ground_truth"]


@pytest.mark.parametrize("name", sorted(CLIPS))
def test_live_gives_the_recorded_total_on_the_same_frames(name: str, shared_data: Path) -> None:
    t, lm, size = _stored(name)
    tracker, events = _live(t, lm, size)
    assert [type(e) for e in events] == [TugReady, TugStarted, TugDone]
    ready, started, done = events
    assert done.reason == "seated" and done.total_s is not None
    kept = len(tracker.frames()[0])
    # The same frames through the recorded test: the same total, to the bit.
    assert done.total_s == _offline(t[:kept], lm[:kept], size)
    # The whole clip (it goes on after the live test has ended): the same to a millisecond.
    assert done.total_s == pytest.approx(_offline(t, lm, size), abs=0.005)
    gt = _label(shared_data, CLIPS[name])
    assert abs(done.total_s - gt["total_s"]) <= 0.3, (done.total_s, gt["total_s"])
    # "Go" while seated, the clock from the rise, the end once seated again.
    assert ready.t < gt["rise_onset_s"] < started.t < gt["upright_s"] + 0.5
    assert gt["seat_contact_s"] < done.t <= t[-1]
    result = tracker.result()
    assert result.value == done.total_s and result.measured["recording"] == "live"
    assert done.fall_risk is False and done.fall_risk_s == 12.0
    assert "under STEADI's 12 s" in result.interpretation


def test_no_sitting_down_again_gives_no_total() -> None:
    """Up and away (the clip cut before the sit): the stream's end, or MAX_S after the rise,
    ends the attempt without a total."""
    t, lm, size = _stored("tug_moeed_trial_2")
    walking = t < 12.0
    tracker, events = _live(t[walking], lm[walking], size)
    assert [type(e) for e in events] == [TugReady, TugStarted]
    (done,) = tracker.finish(12.0)
    assert isinstance(done, TugDone) and done.total_s is None and done.reason == "ended"
    tracker, _ = _live(t[walking], lm[walking], size)
    last = lm[walking][-1]
    assert tracker.update(float(tracker.started_at or 0) + MAX_S, last, size[0] / size[1])[0] == (
        TugDone(float(tracker.started_at or 0) + MAX_S, None, 12.0, False, "too_long")
    )


def test_nothing_happens_until_the_patient_is_seen_seated() -> None:
    t, lm, size = _stored("tug_moeed_trial_1")
    tracker = TugTracker(norms=load_norms("timed_up_and_go"))
    assert not any(tracker.update(float(ti), None, size[0] / size[1]) for ti in t[:60])
    standing = lm[(t > 6.5) & (t < 8.0)]
    times = np.arange(len(standing)) / 30 + 10
    aspect = size[0] / size[1]
    assert not any(
        tracker.update(float(ti), r, aspect) for ti, r in zip(times, standing, strict=True)
    )
    assert tracker.phase == "waiting"
