"""Protocol runner and `coach protocol` on real stored tracks and bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from coach.offline import protocols as offline_protocols
from coach.offline.protocols import (
    NoPersonFound,
    Track,
    format_result,
    run_four_stage_balance,
    run_rom,
    run_single_leg_stance,
    track_from_landmarks,
)
from pose.sources import VideoFileSource
from tests.helpers.cli import CoachCli, one_line_error, run_coach
from tests.helpers.estimators import ClipTrackEstimator
from tests.scoring.tracks import clinical


def stored_track(shared_data: Path, clip_id: str) -> tuple[Track, dict[str, Any]]:
    manifest = json.loads((shared_data / "MANIFEST.json").read_text())
    clip = next(c for c in manifest["videos"] if c["id"] == clip_id)
    with VideoFileSource(shared_data / clip["video"]) as src:  # header only: fps and size
        info = src.info
    lm = np.load(shared_data / clip["landmarks"])["lm"]
    return track_from_landmarks(lm, info.fps, (info.width, info.height)), clip


def test_single_leg_stance_on_the_real_medflex_clip(shared_data: Path) -> None:
    track, clip = stored_track(shared_data, "medflex/sls")
    gt = clip["ground_truth"]
    lo, hi = gt["accept_hold_s"]
    res = run_single_leg_stance(track, side="right", age=72)
    assert lo <= res.value <= hi  # type: ignore[operator]
    assert res.measured["touch_downs"] == gt["touch_downs"]
    assert res.interpretation == "below the mean for adults 70-79 (21.5 s)"
    other = run_single_leg_stance(track, side="left")
    assert other.value is None  # the right foot never leaves the floor
    text = format_result(res)
    assert "Single-leg stance (eyes open): 8.0 s" in text and "Springer" in text


def test_four_stage_on_a_side_view_says_it_needs_the_front(shared_data: Path) -> None:
    track, _ = stored_track(shared_data, "medflex/sls")
    res = run_four_stage_balance([track])
    assert res.value == 0
    assert any("need a front view" in w for w in res.warnings), res.warnings


def test_shoulder_abduction_range_on_a_real_clip(shared_data: Path) -> None:
    track, _ = stored_track(shared_data, "rehab_bme410/shoulder_abduction")
    res = run_rom(track, joint="shoulder", movement="abduction")
    sides = res.measured["sides"]
    # Both arms are raised overhead together in this clip.
    assert sides["left"]["peak_deg"] > 150 and sides["right"]["peak_deg"] > 150
    assert {r["deg"] for r in res.reference["values"]} >= {151.5, 149.7, 180.0}
    assert "Gill" in format_result(res)
    json.dumps(res.to_json(), allow_nan=False)


def test_a_track_without_a_person_is_refused() -> None:
    with pytest.raises(NoPersonFound):
        track_from_landmarks(np.full((30, 33, 4), np.nan), 30.0, (640, 480))


def test_rom_refuses_unknown_movements(shared_data: Path) -> None:
    track, _ = stored_track(shared_data, "medflex/sls")
    with pytest.raises(ValueError, match="no range-of-motion test for knee abduction"):
        run_rom(track, joint="knee", movement="abduction")


# --- the command line -------------------------------------------------------------------------


def test_protocol_list(coach_cli: CoachCli) -> None:
    proc = coach_cli("protocol", "list")
    assert proc.returncode == 0
    ids = [ln.split()[0] for ln in proc.stdout.splitlines()]
    assert ids == [
        "chair-stand",
        "five-times-sit-to-stand",
        "single-leg-stance",
        "four-stage-balance",
        "rom",
        "tug",
        "gait",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["six-minute-walk", "x.mp4"], "unknown protocol 'six-minute-walk'; known: chair-stand"),
        (["gait", "x.mp4", "--height-cm", "20"], "--height-cm must be 50-250, got 20"),
        (["tug", "a.mp4", "b.mp4"], "takes one video"),
        (
            ["four-stage-balance", "1.mp4", "2.mp4", "3.mp4", "4.mp4", "5.mp4"],
            "one continuous video, or 2-4 videos",
        ),
        (["chair-stand", "x.mp4"], "need the patient's age"),
        (["chair-stand", "x.mp4", "--age", "72"], "need the patient's sex"),
        (["chair-stand", "x.mp4", "--age", "40", "--sex", "male"], "cover ages 60-94, not 40"),
        (["single-leg-stance", "x.mp4"], "needs --side left|right"),
        (["rom", "x.mp4"], "rom needs --joint"),
        (["rom", "x.mp4", "--joint", "knee", "--movement", "abduction"], "knee abduction"),
        (["five-times-sit-to-stand"], "needs a video"),
        (["five-times-sit-to-stand", "a.mp4", "b.mp4"], "takes one video"),
        (["five-times-sit-to-stand", "missing.mp4"], "no such file: missing.mp4"),
    ],
)
def test_protocol_bad_input_is_one_line_and_exit_2(
    args: list[str], message: str, coach_cli: CoachCli
) -> None:
    proc = coach_cli("protocol", *args)
    assert proc.returncode == 2
    assert message in one_line_error(proc)


def test_protocol_on_a_file_that_is_not_a_video(tmp_path: Path, coach_cli: CoachCli) -> None:
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    proc = coach_cli("protocol", "single-leg-stance", str(bad), "--side", "left")
    assert proc.returncode == 2
    assert "cannot open" in one_line_error(proc)


@pytest.mark.model
@pytest.mark.subprocess
def test_protocol_json_on_the_real_single_leg_stance_video(shared_data: Path) -> None:
    """The `protocol` command as a user runs it (its subprocess smoke test)."""
    video = shared_data / "videos" / "medflex" / "sls.MP4"
    proc = run_coach(
        "protocol", "single-leg-stance", str(video), "--side", "right", "--age", "72", "--json"
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["protocol"] == "single_leg_stance" and out["unit"] == "s"
    assert 7.3 <= out["value"] <= 8.1
    assert out["reference"] == {"max_s": 45.0, "band": "adults 70-79", "mean_s": 21.5}
    assert out["measured"]["touch_downs"] == 0


def test_stand_detector_on_real_squat_tracks(shared_data: Path) -> None:
    """No sit-to-stand clip is in the shared data; squats end each rep in a stand, so the
    stand detector (sit_to_stand thresholds on hip height) should count one per squat."""
    from exercises import load_exercise
    from scoring.protocols import detect_stands

    rule = load_exercise("sit_to_stand").rep
    assert rule is not None
    manifest = json.loads((shared_data / "MANIFEST.json").read_text())
    clips = [
        c for c in manifest["videos"] if c["exercise"] == "squat" and "reps" in c["ground_truth"]
    ]
    hits = []
    for clip in clips:
        track, _ = stored_track(shared_data, clip["id"])
        h = track.measures(["hip_height"])["hip_height"]
        stand, sit = max(rule.enter, rule.exit), min(rule.enter, rule.exit)
        n = len(detect_stands(track.t, h, stand, sit))
        lo, hi = clip["ground_truth"]["accept"]
        hits.append(lo <= n <= hi)
    # 6 of 7 today. postop_cv/squat: 5 stands for 4 squats, its track starts with the hips low
    # (0.34 leg lengths), so the first rise counts as a stand.
    assert len(clips) >= 7 and sum(hits) >= len(clips) - 1, hits


# --- the everyday tasks on their real clips (clinical_clips.json) -----------------------------


def _clinical(shared_data: Path, clip_id: str) -> dict[str, Any]:
    clips = json.loads((shared_data / "clinical_clips.json").read_text())
    return next(c for c in clips if c["id"] == clip_id)


def test_tug_json_on_the_real_clip(
    shared_data: Path, coach_cli: CoachCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The high front-oblique clip whose seated hips read above the sit-to-stand threshold:
    the video read, its stored landmarks for the guarded model's (the real model times a real
    TUG in tests/web/test_everyday_tests_page.py), then the total against the hand-labelled
    one (in this process: the single-leg stance test above is the command's subprocess smoke
    test)."""
    clip = _clinical(shared_data, "tug_moeed/trial_2")
    lm = clinical("tug_moeed_trial_2")[1]
    guards: list[bool] = []

    def stored(guard: bool) -> ClipTrackEstimator:
        guards.append(guard)
        return ClipTrackEstimator(lm)

    monkeypatch.setattr(offline_protocols, "_default_estimator", stored)
    proc = coach_cli("protocol", "tug", str(shared_data / clip["video"]), "--age", "72", "--json")
    assert proc.returncode == 0, proc.stderr
    assert guards == [True]  # walked in a room: the model kept on the patient
    out = json.loads(proc.stdout)
    assert out["protocol"] == "timed_up_and_go" and out["unit"] == "s"
    assert abs(out["value"] - clip["ground_truth"]["total_s"]) <= 0.3
    m = out["measured"]
    assert [p["phase"] for p in m["phases"]][0] == "sit_to_stand"
    assert m["walking_aid"] == "not detectable" and m["steps"] >= 4
    assert out["reference"]["fall_risk_s"] == 12.0 and out["reference"]["mean_s"] == 9.2
    assert "Bohannon" in out["source"] and "STEADI" in out["source"]


@pytest.mark.model
def test_gait_json_on_the_real_side_view_walk(shared_data: Path, coach_cli: CoachCli) -> None:
    clip = _clinical(shared_data, "sports2d/demo4_walk")
    proc = coach_cli(
        "protocol", "gait", str(shared_data / clip["video"]), "--height-cm", "160", "--json"
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    lo, hi = clip["ground_truth"]["accept_cadence"]
    assert out["protocol"] == "gait" and lo <= out["value"] <= hi
    m = out["measured"]
    assert m["cadence_spm"]["plus_minus"] > 0
    assert m["walking_speed_m_s"]["status"] == "measured"
    assert {p["view"] for p in m["passes"]} == {"across"}


def test_four_stage_balance_on_one_made_recording_and_per_stage() -> None:
    """One continuous recording (made from real standing: samples/make_balance_tracks.py),
    and the same recording cut into one track per stage (the form with one video each)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_balance_tracks", Path(__file__).parents[3] / "samples" / "make_balance_tracks.py"
    )
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    lm, t, size, meta = script.made_track("tandem_fails")
    fps = 1 / float(np.median(np.diff(t)))
    res = run_four_stage_balance([track_from_landmarks(lm, fps, size)])
    assert res.value == 2 and "increased fall risk" in res.interpretation
    assert res.measured["recording"] == "one continuous recording"
    cuts = [
        track_from_landmarks(lm[(t >= s["start_s"]) & (t < s["end_s"])], fps, size)
        for s in meta["ground_truth"]["stances"]
    ]
    per_stage = run_four_stage_balance(cuts)
    assert [s["status"] for s in per_stage.measured["stages"]] == [
        "passed",
        "passed",
        "failed",
        "not tested",
    ]
    text = format_result(res)
    assert "stage 3 tandem: failed" in text
