"""The range limit on real clips: `rehab_bme410/squat` (side view, 6 jump squats, the knee's
image-plane angle peaking at 107-121 degrees) from its stored track; `postop_cv/squat` (front
view, 4 squats: the knee is not measured from the front, so no limit fires and every rep is
unchecked), once through `coach analyze --limit-deg` on the video; and the refusal of
impossible limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coach.offline.analysis import landmarks_track, result_from_engine, score_track
from exercises.loader import load_exercise
from tests.helpers.cli import CoachCli, one_line_error
from tests.helpers.data import manifest_entry
from tests.scoring.tracks import landmarks, video_info

CLIP = "postop_cv/squat"
SIDE_CLIP = "rehab_bme410/squat"


def _analyse(shared_data: Path, limit: float | None, clip_id: str = SIDE_CLIP) -> dict:  # type: ignore[type-arg]
    clip = manifest_entry(shared_data, clip_id)
    fps, w, h = video_info(shared_data / clip["video"])
    lm = landmarks(shared_data, clip)
    engine = score_track(
        load_exercise("squat"), landmarks_track(lm, fps, (w, h)), (w, h), limit_deg=limit
    )
    return result_from_engine(engine, fps, len(lm) / fps, []).to_json()


def test_reps_past_the_limit_are_marked_on_the_stored_track(shared_data: Path) -> None:
    free = _analyse(shared_data, None)
    assert free["rep_count"] == 6
    assert [r["over_limit"] for r in free["reps"]] == [False] * 6
    assert all(r["measured"] for r in free["reps"])
    peaks = [r["peak_deg"] for r in free["reps"]]
    limit = sorted(peaks)[1] + 0.05  # between the second-lowest and the next peak
    out = _analyse(shared_data, limit)
    assert out["rep_count"] == 6
    marked = [r["over_limit"] for r in out["reps"]]
    assert marked == [p > limit for p in peaks] and 0 < sum(marked) < 6
    assert [r["limit_check"] for r in out["reps"]] == ["over" if m else "within" for m in marked]
    fired = [f for f in out["faults"] if f["id"] == "range_limit"]
    over = [r for r in out["reps"] if r["over_limit"]]
    assert [f["rep"] for f in fired] == [r["index"] for r in over]  # once per rep over it
    for fault, rep in zip(fired, over, strict=True):
        assert fault["t_s"] < rep["end_s"]  # when crossed, not at the rep's end
        assert fault["cue"] == "Not so far: stay within your limit"
        assert "range_limit" in rep["faults"]
    # Same reps, same peaks: the limit judges, it does not change the counting.
    assert [r["peak_deg"] for r in out["reps"]] == peaks


@pytest.mark.parametrize("bad", ["-1", "181", "nan", "inf", "ninety"])
def test_an_impossible_limit_is_one_line_and_nothing_runs(
    bad: str, tmp_path: Path, coach_cli: CoachCli
) -> None:
    # The video does not exist: the limit is refused before anything is opened.
    proc = coach_cli("analyze", str(tmp_path / "none.mp4"), "-e", "squat", f"--limit-deg={bad}")
    assert proc.returncode == 2
    line = one_line_error(proc)
    assert "--limit-deg" in line and "none.mp4" not in line


def test_from_the_front_no_limit_fires_and_every_rep_is_unchecked(shared_data: Path) -> None:
    out = _analyse(shared_data, 20.0, CLIP)
    assert out["rep_count"] == 4  # counted from the front
    assert not [f for f in out["faults"] if f["id"] == "range_limit"]
    assert [(r["limit_check"], r["measured"], r["peak_deg"], r["confidence_reason"])
            for r in out["reps"]] == [("unchecked", False, None, "view")] * 4  # fmt: skip


@pytest.mark.model
def test_analyze_limit_deg_on_the_real_front_view_squat(
    shared_data: Path, coach_cli: CoachCli
) -> None:
    """Issue 26's case: from the front, the knee read 20-22 degrees standing in 3-D and every
    squat went "past" a 60 degree limit; now the knee is not measured there, so nothing fires
    on noise and the reps say they were not checked."""
    video = shared_data / manifest_entry(shared_data, CLIP)["video"]
    proc = coach_cli("analyze", str(video), "-e", "squat", "--limit-deg", "60", "--json", "-q")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["rep_count"] == 4  # counted from the front
    assert not any(r["over_limit"] for r in out["reps"])
    assert [r["limit_check"] for r in out["reps"]] == ["unchecked"] * 4
    assert not [f for f in out["faults"] if f["id"] == "range_limit"]
