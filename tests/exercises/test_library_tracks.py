"""New definitions on the stored MediaPipe tracks of real clips whose movement they cover.

No clip in the shared data shows a mini squat or a scaption, but a mini squat is the first part
of every squat and a scaption raises the arm the way the abduction clip does: each definition
must count the ground-truth reps of those clips (a deep squat passes through a mini squat; the
elevation of the arm from the trunk rises in either plane).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.analysis import landmarks_track, result_from_engine, score_track
from exercises.loader import load_exercise
from tests.scoring.test_real_tracks import landmarks, manifest, video_info


def _score(shared_data: Path, clip: dict, ex_id: str):  # type: ignore[no-untyped-def]
    fps, w, h = video_info(shared_data / clip["video"])
    lm = landmarks(shared_data, clip)
    engine = score_track(load_exercise(ex_id), landmarks_track(lm, fps, (w, h)), (w, h))
    return engine, result_from_engine(engine, fps, len(lm) / fps, [])


def test_mini_squat_counts_the_squat_clips(shared_data: Path) -> None:
    clips = [c for c in manifest(shared_data) if c["exercise"] == "squat"]
    assert len(clips) >= 5
    for clip in clips:
        engine, _ = _score(shared_data, clip, "mini_squat")
        lo, hi = clip["ground_truth"]["accept"]
        assert lo <= len(engine.reps) <= hi, clip["id"]
        # Real squats go far deeper than a mini squat: the definition says so.
        assert any("too_deep" in r.faults for r in engine.reps), clip["id"]


def test_scaption_counts_the_arm_raises_of_the_abduction_clip(shared_data: Path) -> None:
    (clip,) = [c for c in manifest(shared_data) if c["id"] == "rehab_bme410/shoulder_abduction"]
    engine, result = _score(shared_data, clip, "scaption")
    assert len(engine.reps) == clip["ground_truth"]["reps"]  # 7
    out = result.to_json()
    # Both arms raised together, seen from the front: a symmetric session (under 10 %).
    assert out["symmetry"]["measure"] == "shoulder_elevation"
    assert out["symmetry"]["reps_left"] == out["symmetry"]["reps_right"] == 7
    assert out["symmetry"]["index_pct"] < 10.0
    for rep in out["reps"]:
        assert rep["up_s"] > 0 and rep["down_s"] > 0
        assert -8.0 < rep["sparc"] < -1.0


@pytest.mark.parametrize(
    ("clip_id", "ex_id", "sided"),
    [
        ("rehab_bme410/shoulder_abduction", "shoulder_abduction", True),
        ("medflex/squat", "squat", False),
    ],
)
def test_analysis_json_keeps_its_keys_and_adds_control_measures(
    shared_data: Path, clip_id: str, ex_id: str, sided: bool
) -> None:
    (clip,) = [c for c in manifest(shared_data) if c["id"] == clip_id]
    _, result = _score(shared_data, clip, ex_id)
    out = result.to_json()
    rep_keys = {"index", "start_s", "end_s", "rom_deg", "peak_deg", "score", "faults", "side"}
    rep_keys |= {"duration_s", "up_s", "down_s", "sparc"}
    assert out["reps"] and all(set(r) == rep_keys for r in out["reps"])
    assert all(r["sparc"] is not None and r["sparc"] < 0 for r in out["reps"])
    assert "symmetry" in out
    if sided:
        assert set(out["symmetry"]) == {
            "index_pct", "left", "right", "reps_left", "reps_right", "measure",
        }  # fmt: skip
    else:
        assert out["symmetry"] is None  # squats count on hip height, which has no sides
