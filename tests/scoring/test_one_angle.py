"""One angle everywhere (issue 26), on the real landmark tracks of the shared clips and the
samples: a rep's peak and range are the extremes of the very values reported per frame (those
the store keeps, `coach analyze --frames` writes and the charts draw), every rep says how well
it was seen, and standing still reads 0-10 degrees where the knee is measured at all."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from coach.offline.analysis import score_track
from coach.sinks import NO_INFO, FrameInfo
from exercises.loader import load_exercise
from scoring.engine import ExerciseEngine
from scoring.measures import per_frame, reports_by_view
from scoring.reported import reported_track
from tests.scoring.tracks import manifest, sample, shared

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples" / "tracks"
CLIPS = json.loads((REPO / "benchmarks" / "angle_clips.json").read_text())


@dataclass
class Frames:
    """What an event sink saw: each frame's time, view and reported measures."""

    t: list[float]
    views: list[str]
    measures: list[dict[str, float]]

    def series(self, name: str) -> np.ndarray:
        return np.array([m.get(name, np.nan) for m in self.measures], dtype=np.float64)


class Keep:
    """An event sink keeping what the store would (coach.sinks)."""

    def __init__(self) -> None:
        self.frames = Frames([], [], [])

    def frame(self, t: float, landmarks: np.ndarray | None, info: FrameInfo = NO_INFO) -> None:
        assert info.state is not None and info.measures is not None
        self.frames.t.append(t)
        self.frames.views.append(info.state.view)
        self.frames.measures.append(dict(info.measures))

    def event(self, event: dict[str, Any]) -> None:
        pass

    def close(self) -> None:
        pass


def scored(
    poses: list[Any], size: tuple[int, int], exercise_id: str
) -> tuple[ExerciseEngine, Frames]:
    keep = Keep()
    engine = score_track(load_exercise(exercise_id), poses, size, sink=keep)
    return engine, keep.frames


def reported_angle(engine: ExerciseEngine) -> str:
    rule = engine.exercise.rep
    assert rule is not None
    return rule.report or rule.measure


def check_peaks(engine: ExerciseEngine, frames: Frames) -> int:
    """Each measured rep's peak is the extreme of its reported values within it (the sides
    combined by their maximum, as the rep reads them); each rep says how well it was seen.
    Returns how many reps were measured."""
    rule = engine.exercise.rep
    assert rule is not None
    angle = reported_angle(engine)
    names = per_frame(angle) if rule.side not in ("left", "right") else (f"{angle}_{rule.side}",)
    combined = np.fmax.reduce([frames.series(n) for n in names])
    t = np.array(frames.t)
    grows = rule.report is not None or rule.direction == "increase"
    measured = 0
    for rep in engine.reps:
        assert 0.0 <= rep.confidence <= 1.0
        assert rep.measured == (rep.confidence >= 0.5)
        if not rep.measured:
            assert math.isnan(rep.peak_deg) and math.isnan(rep.rom_deg)
            assert rep.confidence_reason in ("view", "hidden", "jitter")
            continue
        assert rep.confidence_reason == ""
        inside = combined[(t >= rep.start_s) & (t <= rep.end_s)]
        extreme = np.nanmax(inside) if grows else np.nanmin(inside)
        assert rep.peak_deg == pytest.approx(round(float(extreme), 1), abs=1e-9), rep.index
        measured += 1
    return measured


def by_view_clips(shared_data: Path) -> list[dict[str, Any]]:
    out = []
    for clip in manifest(shared_data):
        if "reps" not in clip["ground_truth"]:
            continue
        rule = load_exercise(clip["exercise"]).rep
        if rule is not None and reports_by_view(rule.report or rule.measure):
            out.append(clip)
    return out


def test_each_reps_peak_is_the_extreme_of_the_values_reported_per_frame(shared_data: Path) -> None:
    clips = by_view_clips(shared_data)
    assert len(clips) >= 10
    measured = 0
    for clip in clips:
        poses, size, _, _ = shared(shared_data, clip["id"])
        engine, frames = scored(poses, size, clip["exercise"])
        measured += check_peaks(engine, frames)
    assert measured >= 19  # the side-view squats and curls (the elbow not from the front)


@pytest.mark.parametrize("name", ["formfit_squat", "formfit_curl", "medflex_bicep_curl"])
def test_the_same_with_world_landmarks(name: str) -> None:
    poses, size, exercise_id = sample(name)
    engine, frames = scored(poses, size, exercise_id)
    assert check_peaks(engine, frames) >= 2


def test_the_reported_values_are_the_same_over_a_whole_track(shared_data: Path) -> None:
    """scoring.reported.reported_track (the range-of-motion test's path) gives the engine's
    values frame by frame, so the two report the same peak."""
    poses, size, _, _ = shared(shared_data, "medflex/squat")
    _, frames = scored(poses, size, "squat")
    lm = np.array(
        [np.full((33, 4), np.nan) if p is None else p.landmarks for _, p in filtered(poses)]
    )
    names = ["knee_flexion_left", "knee_flexion_right"]
    track = reported_track(lm, size[0] / size[1], names)
    assert track.views == frames.views
    for name in names:
        np.testing.assert_allclose(track.values[name], frames.series(name), rtol=0, atol=1e-9)


def filtered(poses: list[Any]) -> list[Any]:
    from pose.filters import LandmarkFilter

    f = LandmarkFilter()
    return [(t, f(p)) for t, p in poses]


def test_a_front_view_reports_no_knee_angle_and_says_why(shared_data: Path) -> None:
    poses, size, _, _ = shared(shared_data, "postop_cv/squat")
    engine, frames = scored(poses, size, "squat")
    assert len(engine.reps) == 4
    assert all(not r.measured and r.confidence_reason == "view" for r in engine.reps)
    assert np.isnan(frames.series("knee_flexion_left")).all()
    assert np.isfinite(frames.series("hip_height")).any()  # what counts is still kept


# -- standing still: 0-10 degrees wherever the knee is measured ----------------------------------
def standing(clip_id: str) -> dict[str, Any]:
    (entry,) = [s for s in CLIPS["standing"] if s["clip"] == clip_id]
    return entry


@pytest.mark.parametrize(
    ("clip_id", "measured"),
    # The Done-when: the standing pauses of these two clips. From the front
    # (postop_cv) the knee is not measured; from the side (medflex, left side to the camera)
    # the near knee reads straight and the far one, hidden behind it, is not measured.
    [("postop_cv/squat", {"left": False, "right": False}),
     ("medflex/squat", {"left": True, "right": False})],
)  # fmt: skip
def test_standing_reads_at_most_10_degrees_where_the_knee_is_measured(
    shared_data: Path, clip_id: str, measured: dict[str, bool]
) -> None:
    poses, size, _, _ = shared(shared_data, clip_id)
    _, frames = scored(poses, size, "squat")
    t = np.array(frames.t)
    entry = standing(clip_id)
    still = np.zeros(len(t), bool)
    for start, end in entry["intervals"]:
        still |= (t >= start) & (t <= end)
    for side in ("left", "right"):
        knee = frames.series(f"knee_flexion_{side}")[still]
        seen = np.isfinite(knee)
        assert (seen.mean() > 0.8) == measured[side], (side, seen.mean())
        if measured[side]:
            assert np.median(knee[seen]) <= 10.0
            assert np.percentile(knee[seen], 95) <= 10.0
