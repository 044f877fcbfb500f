"""The range limit on a real clip: `postop_cv/squat` (front view, 4 squats, knee flexion
peaking at about 155-165 degrees in MediaPipe's 3-D angle), from its stored track and, once,
through `coach analyze --limit-deg` on the video; and the refusal of impossible limits."""

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


def _analyse(shared_data: Path, limit: float | None) -> dict:  # type: ignore[type-arg]
    clip = manifest_entry(shared_data, CLIP)
    fps, w, h = video_info(shared_data / clip["video"])
    lm = landmarks(shared_data, clip)
    engine = score_track(
        load_exercise("squat"), landmarks_track(lm, fps, (w, h)), (w, h), limit_deg=limit
    )
    return result_from_engine(engine, fps, len(lm) / fps, []).to_json()


def test_reps_past_the_limit_are_marked_on_the_stored_track(shared_data: Path) -> None:
    free = _analyse(shared_data, None)
    assert free["rep_count"] == 4
    assert [r["over_limit"] for r in free["reps"]] == [False] * 4
    peaks = [r["peak_deg"] for r in free["reps"]]
    limit = sorted(peaks)[1] + 0.05  # between the second-lowest and the next peak
    out = _analyse(shared_data, limit)
    assert out["rep_count"] == 4
    marked = [r["over_limit"] for r in out["reps"]]
    assert marked == [p > limit for p in peaks] and 0 < sum(marked) < 4
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


@pytest.mark.model
def test_analyze_limit_deg_on_the_real_front_view_squat(
    shared_data: Path, coach_cli: CoachCli
) -> None:
    video = shared_data / manifest_entry(shared_data, CLIP)["video"]
    proc = coach_cli("analyze", str(video), "-e", "squat", "--limit-deg", "60", "--json", "-q")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["rep_count"] == 4  # counted from the front
    assert all(r["over_limit"] is True for r in out["reps"])
    assert {f["rep"] for f in out["faults"] if f["id"] == "range_limit"} == {1, 2, 3, 4}
