"""One angle from the command line (issue 26): `coach analyze --frames` writes the values a
rep's peak is the extreme of, and `coach protocol rom` reports the same knee peak as
`coach analyze` for the same clip; on stored tracks (fast) and once on the real video with the
real model (slow)."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from coach.offline.analysis import landmarks_track, score_track
from coach.offline.frames import FrameTable
from coach.offline.protocols import run_rom, track_from_landmarks
from exercises import load_exercise
from tests.helpers.cli import CoachCli
from tests.helpers.cli import one_line_error as _one_line_error
from tests.helpers.data import manifest_entry
from tests.scoring.tracks import landmarks, video_info


def _rows(path: Path) -> tuple[list[str], np.ndarray, dict[str, np.ndarray]]:
    """A --frames CSV: its header, times and each column (NaN for an empty cell)."""
    with path.open(newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    t = np.array([float(r[0]) for r in rows])
    columns = {
        name: np.array([float(r[i]) if r[i] else math.nan for r in rows])
        for i, name in enumerate(header)
        if i
    }
    return header, t, columns


def _peaks_from_frames(reps: list[dict], t: np.ndarray, columns: dict[str, np.ndarray]) -> list:  # type: ignore[type-arg]
    knee = np.fmax(columns["knee_flexion_left"], columns["knee_flexion_right"])
    return [
        round(float(np.nanmax(knee[(t >= r["start_s"] - 5e-4) & (t <= r["end_s"] + 5e-4)])), 1)
        for r in reps
    ]


@pytest.mark.parametrize("clip_id", ["medflex/squat", "aitrainer_vengaza/squats"])
def test_frames_and_rom_agree_with_the_reps_on_stored_tracks(
    shared_data: Path, tmp_path: Path, clip_id: str
) -> None:
    clip = manifest_entry(shared_data, clip_id)
    fps, w, h = video_info(shared_data / clip["video"])
    lm = landmarks(shared_data, clip)
    squat = load_exercise("squat")
    table = FrameTable(tmp_path / "frames.csv", squat.measures_named())
    engine = score_track(squat, landmarks_track(lm, fps, (w, h)), (w, h), sink=table)
    table.close()
    header, t, columns = _rows(table.path)
    assert header == ["t_s", *sorted(squat.measures_named())]
    assert len(t) == len(lm)
    reps = [{"start_s": r.start_s, "end_s": r.end_s} for r in engine.reps]
    assert _peaks_from_frames(reps, t, columns) == [r.peak_deg for r in engine.reps]
    rom = run_rom(track_from_landmarks(lm, fps, (w, h)), joint="knee")
    assert rom.value is not None
    assert round(rom.value, 1) == max(r.peak_deg for r in engine.reps)


def test_frames_needs_a_folder_that_exists(tmp_path: Path, coach_cli: CoachCli) -> None:
    proc = coach_cli(
        "analyze", str(tmp_path / "none.mp4"), "-e", "squat", "--frames", str(tmp_path / "x/f.csv")
    )
    assert proc.returncode == 2
    assert "--frames" in _one_line_error(proc)


@pytest.mark.model
def test_analyze_frames_and_protocol_rom_on_the_real_side_view_squat(
    shared_data: Path, tmp_path: Path, coach_cli: CoachCli
) -> None:
    """Both commands in this process (their subprocess smoke tests: tests/coach/cli/test_cli.py
    and the single-leg stance one in tests/coach/offline/test_protocols.py)."""
    video = str(shared_data / manifest_entry(shared_data, "medflex/squat")["video"])
    out_csv = tmp_path / "frames.csv"
    proc = coach_cli("analyze", video, "-e", "squat", "--json", "-q", "--frames", str(out_csv))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["rep_count"] == 2
    assert all(r["measured"] and r["confidence"] >= 0.5 for r in result["reps"])
    header, t, columns = _rows(out_csv)
    assert header[0] == "t_s" and "knee_flexion_left" in header and "hip_height" in header
    assert len(t) == result["frames"]
    assert _peaks_from_frames(result["reps"], t, columns) == [r["peak_deg"] for r in result["reps"]]
    # Standing before the first squat: the near (left) knee reads straight, the far one is
    # not measured (hidden behind it).
    standing = t <= 0.5
    assert np.nanmedian(columns["knee_flexion_left"][standing]) <= 10
    proc = coach_cli("protocol", "rom", video, "--joint", "knee", "--json", "-q")
    assert proc.returncode == 0, proc.stderr
    rom = json.loads(proc.stdout)
    assert round(rom["value"], 1) == max(r["peak_deg"] for r in result["reps"])
    assert rom["measured"]["sides"]["left"]["confidence"] >= 0.5
    assert rom["measured"]["sides"]["right"]["status"] == "not measured"
