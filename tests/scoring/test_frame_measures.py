"""The live per-frame path gives the reference computation's results on every stored track.

scoring.measures.frame_measures takes the common measures of one pose with `math`
(scoring.scalar_kinematics), and pose.filters.OneEuroFilter takes a steady stream's step with
fewer numpy calls; both exist for speed only (docs/BENCHMARKS.md, "Many on-device sessions").
Replayed over every stored landmark track (samples/tracks and the shared clips), they must give what
`compute_measures` and the filter's general step give: the same measures, the same filtered
poses bit for bit, the same events and display state frame by frame.
"""

from __future__ import annotations

import json
import math
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from coach.offline.analysis import landmarks_track
from exercises.loader import load_exercise
from pose.filters import LandmarkFilter
from pose.types import Pose
from scoring.engine import ExerciseEngine
from scoring.events import to_json
from scoring.measures import TABLE, compute_measures, frame_measures, frame_names, per_frame

# The per-frame names taken with a form for one pose (scoring.scalar_kinematics).
SCALAR = [name for m in TABLE if m.scalar is not None for name in per_frame(m.name)]

TRACKS = Path(__file__).resolve().parents[2] / "samples" / "tracks"

Track = tuple[str, np.ndarray, np.ndarray | None, float, tuple[int, int]]


def stored_tracks() -> list[Track]:
    """(exercise, landmarks, world or None, fps, image size) of samples/tracks."""
    out = []
    for path in sorted(TRACKS.glob("*.npz")):
        with np.load(path, allow_pickle=False) as d:
            meta = json.loads(str(d["meta"]))
            world = d.get("world")
            size = (int(d["image_size"][0]), int(d["image_size"][1]))
            out.append((meta["exercise"], d["lm"], world, float(d["fps"]), size))
    return out


def shared_tracks(shared_data: Path) -> list[Track]:
    """The shared clips' landmark tracks (image landmarks only; 30 fps and 640x480 stand in
    for the videos' own, which the comparison does not depend on)."""
    videos = json.loads((shared_data / "MANIFEST.json").read_text())["videos"]
    out = []
    for clip in videos:
        with np.load(shared_data / clip["landmarks"]) as d:
            out.append((clip["exercise"], d["lm"], None, 30.0, (640, 480)))
    return out


def same(a: float, b: float) -> bool:
    """Equal to the last couple of bits (numpy's SIMD maths may differ by an ulp from the C
    library's on some CPUs), NaN equal to NaN."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


@pytest.mark.parametrize("world_too", [False, True])
@pytest.mark.parametrize("stretch", [1.0, 1.37])
def test_each_frame_measure_equals_compute_measures(world_too: bool, stretch: float) -> None:
    names = list(frame_names())
    compared = 0
    for _, lm, world, _, (w, h) in stored_tracks():
        wl = world if world_too else None
        reference = compute_measures(lm, w / h, names, world=wl, sagittal_stretch=stretch)
        for i in range(len(lm)):
            if not np.isfinite(lm[i, :, :2]).all():
                continue
            got = frame_measures(
                lm[i],
                w / h,
                names,
                world=None if wl is None else wl[i],
                sagittal_stretch=stretch,
            )
            assert list(got) == names  # in the order asked for, the others included
            for name in names:
                want = float(reference[name][i])
                assert same(got[name], want), (name, i, got[name], want)
            compared += 1
    assert compared > 1000
    assert len(SCALAR) >= 20  # the common measures are taken per frame


def test_frame_measures_checks_its_input() -> None:
    lm = stored_tracks()[0][1][0]
    with pytest.raises(ValueError, match="33, 4"):
        frame_measures(lm[:20], 1.0, ["hip_height"])
    with pytest.raises(ValueError, match="aspect"):
        frame_measures(lm, 0.0, ["hip_height"])
    with pytest.raises(ValueError, match="sagittal_stretch"):
        frame_measures(lm, 1.0, ["hip_height"], sagittal_stretch=3.0)
    with pytest.raises(KeyError, match="no_such_measure"):
        frame_measures(lm, 1.0, ["no_such_measure"])


def test_degenerate_poses_give_what_numpy_gives() -> None:
    """Zero-length limbs and coincident hips: numpy's NaN and infinities, never an error."""
    lm = np.zeros((33, 4), dtype=np.float32)
    lm[:, 3] = 1.0
    names = SCALAR
    got = frame_measures(lm, 1.0, names)
    with np.errstate(invalid="ignore", divide="ignore"):
        want = compute_measures(lm, 1.0, names)
    for name in names:
        assert same(got[name], float(want[name][0])), name
    lm[25:29, 1] = 0.5  # knees and ankles below the hips, feet still at the hips' height
    got = frame_measures(lm, 1.0, names)
    want = compute_measures(lm, 1.0, names)
    for name in names:
        assert same(got[name], float(want[name][0])), name


class ReferenceEngine(ExerciseEngine):
    """The engine with the vectorised measures, as before the per-frame path."""

    def _measure(
        self, landmarks: np.ndarray, names: list[str], world: np.ndarray | None
    ) -> dict[str, float]:
        measured = compute_measures(
            landmarks, self.aspect, names, world=world, sagittal_stretch=self._stretch
        )
        return {k: float(v[0]) for k, v in measured.items()}


def rounded(value: Any) -> Any:
    """Floats to 9 significant digits, at any depth (see `same`); NaN as "nan" (NaN is not
    equal to itself, and the state's reported measures hold it where not measured). A
    dataclass as the dict of its fields, as `dataclasses.asdict` gives it but without its deep
    copies (a third of this file's time)."""
    if isinstance(value, float):
        return repr(value) if not math.isfinite(value) else float(f"{value:.9g}")
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: rounded(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(v) for v in value]
    return value


def filtered(track: list[tuple[float, Pose | None]]) -> list[tuple[float, Pose | None]]:
    """The track through the landmark filter, checked against the filter's general step
    (forced by forgetting the steady state after every frame) bit for bit."""
    fast, general = LandmarkFilter(), LandmarkFilter()
    out = []
    for t, pose in track:
        got, want = fast(pose), general(pose)
        general._filter._steady = None
        if want is None:
            assert got is None
        else:
            assert got is not None
            np.testing.assert_array_equal(got.landmarks, want.landmarks)
            if want.world is None:
                assert got.world is None
            else:
                assert got.world is not None
                np.testing.assert_array_equal(got.world, want.world)
        out.append((t, got))
    return out


def alike(a: Any, b: Any) -> bool:
    """Equal, or equal once `rounded` (the slower comparison, for the few that differ)."""
    return bool(a == b) or rounded(a) == rounded(b)


def replay(tracks: list[Track], setups: tuple[bool, ...] = (True, False)) -> int:
    """Each track through the engine with the per-frame measures and with the vectorised
    ones, with the setup check first and without (`setups`): the same events and display
    state at every frame. Returns the frames compared."""
    frames = 0
    for exercise_id, lm, world, fps, (w, h) in tracks:
        exercise = load_exercise(exercise_id)
        poses = filtered(landmarks_track(lm, fps, (w, h), world))
        for require_setup in setups:
            engines = [
                cls(exercise, w / h, require_setup=require_setup)
                for cls in (ExerciseEngine, ReferenceEngine)
            ]
            for t, pose in poses:
                lmk = None if pose is None else pose.landmarks
                wl = None if pose is None else pose.world
                got, want = (e.update(t, lmk, wl) for e in engines)
                assert alike([to_json(e) for e in got], [to_json(e) for e in want])
                assert alike(engines[0].state, engines[1].state)
                frames += 1
            got, want = (e.finish() for e in engines)
            assert alike([to_json(e) for e in got], [to_json(e) for e in want])
            assert len(engines[0].reps) == len(engines[1].reps)
    return frames


def test_stored_tracks_replay_identically() -> None:
    assert replay(stored_tracks()) > 2000


def test_shared_clips_replay_identically(shared_data: Path) -> None:
    """Without the setup check only: the two engines differ in `_measure` alone, which sees
    the same poses, view and stretch whether setup gates counting or not (the stored tracks
    replay both ways); without it every seen frame is counted."""
    assert replay(shared_tracks(shared_data), setups=(False,)) > 10000
