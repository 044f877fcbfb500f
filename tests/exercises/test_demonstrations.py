"""Every exercise has a demonstration that can be drawn: a few dozen frames of 2-D joints, all
finite and inside the unit square, that move, with a note on where they came from."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from coach.offline.analysis import score_track
from exercises import list_exercises, load_exercise
from exercises.demonstrations import DEMO_DIR, BadDemo, check_demo, load_demo
from pose.landmarks import NUM_LANDMARKS, Landmark
from pose.types import Pose

IDS = [e.id for e in list_exercises()]


@pytest.mark.parametrize("ex_id", IDS)
def test_every_exercise_has_a_drawable_demonstration(ex_id: str) -> None:
    demo = load_demo(ex_id)
    assert demo is not None, f"no exercises/demos/{ex_id}.json (run samples/make_demos.py)"
    frames = np.array(demo["frames"], dtype=float)
    assert 20 <= len(frames) <= 80 and frames.shape[1] == 2 * len(demo["joints"])
    assert np.isfinite(frames).all() and frames.min() >= 0 and frames.max() <= 1
    assert np.ptp(frames, axis=0).max() > 0.04  # something moves visibly
    assert {"nose", "left_shoulder", "right_shoulder"} <= set(demo["joints"])
    assert 0 <= demo["peak"] < len(frames) and 5 <= demo["fps"] <= 30
    assert demo["caption"].startswith("A stick figure") and demo["id"] == ex_id
    prov = demo["provenance"]
    assert prov["made_by"] == "samples/make_demos.py"
    assert prov["kind"] in ("recorded", "synthesized")
    if prov["kind"] == "recorded":  # our own pipeline's track of a shared clip, one rep of it
        assert prov["clip"] and len(prov["video_sha256"]) == 64
        assert prov["track_made_by"]["script"] == "samples/extract_tracks.py"


def test_demos_are_compact() -> None:
    sizes = [p.stat().st_size for p in DEMO_DIR.glob("*.json")]
    assert len(sizes) == len(IDS) and max(sizes) < 16_000


def test_recorded_demos_come_from_clips_of_that_exercise(shared_data: Path) -> None:
    clips = {c["id"]: c for c in json.loads((shared_data / "MANIFEST.json").read_text())["videos"]}
    recorded = [d for d in map(load_demo, IDS) if d and d["provenance"]["kind"] == "recorded"]
    assert {d["id"] for d in recorded} >= {"squat", "bicep_curl", "shoulder_abduction", "lunge"}
    for d in recorded:
        clip = clips[d["provenance"]["clip"]]
        assert clip["exercise"] == d["id"]


def _bad(change: str) -> dict:
    demo = copy.deepcopy(load_demo("squat"))
    assert demo is not None
    if change == "nan":
        demo["frames"][3][0] = float("nan")
    elif change == "outside":
        demo["frames"][0][1] = 1.5
    elif change == "short_frame":
        demo["frames"][2] = demo["frames"][2][:-1]
    elif change == "edge":
        demo["edges"].append([0, 99])
    elif change == "fps":
        demo["fps"] = 0
    elif change == "text":
        demo["frames"][0][0] = "0.5"
    return demo


@pytest.mark.parametrize("change", ["nan", "outside", "short_frame", "edge", "fps", "text"])
def test_a_broken_demo_is_refused(change: str) -> None:
    with pytest.raises(BadDemo):
        check_demo(_bad(change))


@pytest.mark.parametrize("bad_id", ["../library/squat", "Squat", "", "x" * 200, "squat.json"])
def test_only_plain_ids_are_looked_up(bad_id: str) -> None:
    assert load_demo(bad_id) is None


def _as_poses(demo: dict, repeats: int = 3) -> list[tuple[float, Pose | None]]:
    """The demo played `repeats` times, with a second of rest before each, as the poses of a
    square camera image (joints it does not draw sit on the nearest one it does)."""
    at = {name: k for k, name in enumerate(demo["joints"])}
    near = {"nose": range(1, 11), "left_wrist": (17, 19, 21), "right_wrist": (18, 20, 22)}
    rest = [demo["frames"][0]] * int(demo["fps"])
    out: list[tuple[float, Pose | None]] = []
    for i, f in enumerate((rest + demo["frames"]) * repeats + rest):
        lm = np.zeros((NUM_LANDMARKS, 4), np.float32)
        lm[:, 3] = 1.0
        for name, k in at.items():
            lm[Landmark[name.upper()], :2] = f[2 * k], f[2 * k + 1]
        for name, others in near.items():
            lm[list(others), :2] = lm[Landmark[name.upper()], :2]
        t = i / demo["fps"]
        out.append((t, Pose(lm, t, (720, 720))))
    return out


# A synthesized demo must be a correct rep: our own engine counts it, with a full score.
SYNTHESIZED = [
    i for i in IDS if (load_demo(i) or {}).get("provenance", {}).get("kind") == "synthesized"
]
SIDE_VIEW_STANCES = {
    "semi_tandem_stance",
    "tandem_stance",
}  # drawn from the side, counted from the front


@pytest.mark.parametrize("ex_id", [i for i in SYNTHESIZED if i not in SIDE_VIEW_STANCES])
def test_a_synthesized_demo_is_counted_by_the_engine(ex_id: str) -> None:
    ex = load_exercise(ex_id)
    engine = score_track(ex, _as_poses(load_demo(ex_id)), (720, 720))
    if ex.kind == "hold":  # in the position (a demo is shorter than some minimum holds)
        assert engine.holds and not engine.reps
        return
    per_demo = 2 if ex_id.startswith("marching") else 1  # a left and a right knee
    assert len(engine.reps) == 3 * per_demo
    if ex.kind == "reps":
        assert all(r.score == 100 for r in engine.reps), [r.faults for r in engine.reps]
