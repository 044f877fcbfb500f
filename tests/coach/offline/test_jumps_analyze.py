"""`coach analyze VIDEO -e countermovement_jump --json` on the real clips: the real model, the
jump counted, its landing timed against the hand label, and the landing's numbers stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import run_coach


def _clinical(shared_data: Path, clip_id: str) -> dict[str, Any]:
    clips = json.loads((shared_data / "clinical_clips.json").read_text())
    return next(c for c in clips if c["id"] == clip_id)


@pytest.mark.model
@pytest.mark.subprocess
def test_analyze_counts_the_real_tuck_jumps_and_times_their_landings(shared_data: Path) -> None:
    clip = _clinical(shared_data, "quva/023_tuck_jumps")
    video = shared_data / clip["video"]
    proc = run_coach("analyze", str(video), "-e", "countermovement_jump", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    gt = clip["ground_truth"]
    lo, hi = gt["accept_count"]
    assert lo <= out["rep_count"] <= hi
    assert [x["rep"] for x in out["landings"]] == [r["index"] for r in out["reps"]]
    for landing in out["landings"]:  # side view: the knee's bend, no valgus
        near = min(gt["landings_s"], key=lambda x: abs(x - landing["contact_s"]))
        assert abs(landing["contact_s"] - near) <= 0.15
        assert "knee_peak_left" in landing and "valgus_peak_left" not in landing
    assert any("knee_valgus" in w for w in out["warnings"])  # not checked from the side
