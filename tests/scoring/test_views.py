"""The views a definition counts in: `view` or `views` (normalised to a list), counting in any
listed view, the setup check passing in any of them with a tip for the better one (never a
gate), and the library's hip-height exercises counting from the front as from the side."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from coach.offline.analysis import landmarks_track
from coach.pipeline import FrameProcessor, LandmarksOnly
from exercises.loader import load_exercise, load_file
from scoring.definition import Exercise
from scoring.engine import ExerciseEngine
from scoring.events import Cue, RepCompleted
from scoring.setup import check_setup, view_tip
from tests.helpers.cli import CoachCli
from tests.helpers.data import manifest_entry
from tests.scoring.poses import front_points, side_points, to_landmarks
from tests.scoring.streams import Dip, of, run, side_squats
from tests.scoring.tracks import landmarks, video_info

BASE: dict[str, Any] = {
    "id": "knee_bend",
    "name": "Knee bend",
    "kind": "reps",
    "category": "strength",
    "instructions": "Bend.",
    "rep": {"measure": "hip_height", "direction": "decrease", "enter": 0.8, "exit": 0.9,
            "target": 0.55, "min_rom": 0.15},
}  # fmt: skip


def test_one_view_becomes_a_list_and_a_list_names_the_preferred_view() -> None:
    one = Exercise.model_validate(BASE | {"view": "side"})
    assert (one.view, one.views) == ("side", ["side"])
    both = Exercise.model_validate(BASE | {"views": ["front", "side"]})
    assert (both.view, both.views) == ("front", ["front", "side"])
    assert Exercise.model_validate(BASE).views == ["any"]
    assert both.counts_in("side") and both.counts_in("oblique") and not one.counts_in("front")


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"views": ["side", "side"]}, "listed twice"),
        ({"views": ["any", "side"]}, "list it alone"),
        ({"views": []}, "at least 1"),
        ({"views": ["top"]}, "'front', 'side' or 'any'"),
        ({"view": "front", "views": ["side"]}, "not among views"),
    ],
)
def test_bad_view_lists_are_refused(extra: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        Exercise.model_validate(BASE | extra)


def test_a_front_only_measure_with_a_side_view_in_the_list() -> None:
    rep = {"measure": "hip_abduction", "enter": 15, "exit": 7, "target": 30, "min_rom": 5}
    with pytest.raises(ValidationError, match=r"views include 'side': set views = \["):
        Exercise.model_validate(BASE | {"views": ["front", "side"], "rep": rep})


def test_a_file_may_list_its_views_but_must_say_one(tmp_path: Path) -> None:
    text = (Path("exercises/library/squat.toml")).read_text(encoding="utf-8")
    assert '\nviews = ["side", "front"]\n' in text
    assert load_file(Path("exercises/library/squat.toml")).views == ["side", "front"]
    bad = tmp_path / "squat.toml"
    bad.write_text(text.replace('views = ["side", "front"]\n', ""), encoding="utf-8")
    with pytest.raises(Exception, match="Field required") as exc:
        load_file(bad)
    assert exc.value.field_path == "view"  # type: ignore[attr-defined]


@pytest.mark.parametrize("ex_id", ["squat", "mini_squat", "sit_to_stand"])
def test_hip_height_exercises_count_from_both_views(ex_id: str) -> None:
    ex = load_exercise(ex_id)
    assert ex.rep is not None and ex.rep.measure == "hip_height"
    assert set(ex.views) == {"front", "side"} and ex.view == "side"


def test_the_setup_passes_in_any_listed_view_with_a_tip_for_the_better_one() -> None:
    squat = load_exercise("squat")
    side, front = to_landmarks(side_points()), to_landmarks(front_points())
    tip = view_tip(squat.views, squat.faults, "side")
    assert tip == "For knee and trunk checks, face the camera."
    from_side = check_setup(side, "full", squat.views, "side", tip)
    assert from_side.ok and from_side.tip == tip  # a tip, not a gate
    from_front = check_setup(front, "full", squat.views, "front")
    assert from_front.ok and view_tip(squat.views, squat.faults, "front") == ""
    # A view not listed is still refused by the setup check.
    refused = check_setup(front, "full", ["side"], "front")
    assert not refused.ok and refused.message == "Turn sideways to the camera."
    assert check_setup(front, "full", "side", "front").message == refused.message


def test_the_engine_says_the_tip_once_and_counts_anyway() -> None:
    engine = ExerciseEngine(load_exercise("squat"), 1.0, require_setup=True)
    events = run(engine, side_squats([Dip(1.0), Dip(4.5), Dip(8.0)]), 20.0)
    assert len(of(events, RepCompleted)) == 3
    tips = [c for c in of(events, Cue) if c.source == "tip"]
    assert [c.text for c in tips] == ["For knee and trunk checks, face the camera."]
    assert engine.state.setup_tip == tips[0].text


def test_the_front_view_squat_clip_counts_4_with_the_setup_check_on(shared_data: Path) -> None:
    """postop_cv/squat faces the camera: with the squat counting from the front too, the
    live page's setup check (require_setup) passes and all 4 reps count; the knee angle is
    not measured from the front (issue 26: it read 20-22 degrees standing in 3-D there), so
    the reps say so, and why, instead of a number."""
    clip = manifest_entry(shared_data, "postop_cv/squat")
    fps, w, h = video_info(shared_data / clip["video"])
    proc = FrameProcessor(load_exercise("squat"), LandmarksOnly(), require_setup=True)
    for t, pose in landmarks_track(landmarks(shared_data, clip), fps, (w, h)):
        proc.process_pose(t, pose, (w, h))
    proc.finish()
    engine = proc.engine
    assert engine is not None and len(engine.reps) == clip["ground_truth"]["reps"] == 4
    assert not any(w.detected == "front" and "counted from" in w.message
                   for w in engine.view_warnings)  # fmt: skip
    assert np.isnan([r.peak_deg for r in engine.reps]).all()
    assert {(r.measured, r.confidence_reason) for r in engine.reps} == {(False, "view")}


def test_exercises_list_shows_the_views(coach_cli: CoachCli) -> None:
    proc = coach_cli("exercises", "list")
    assert proc.returncode == 0
    rows = {line.split()[0]: line.split()[2] for line in proc.stdout.splitlines()}
    assert rows["squat"] == "side+front" and rows["bicep_curl"] == "side"
    assert rows["lunge"] == "any"
