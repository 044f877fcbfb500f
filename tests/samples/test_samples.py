"""samples/: the stored tracks, the example definition, program and export, and the scripts.

Everything here runs without the shared data (the samples are in the repository); the checks
against ../shared/data (same ground truth, same video) skip without it, like the other
real-data tests.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from coach.store.store import PROGRAM_FIELDS
from exercises import load_file, load_library
from exercises.loader import LIBRARY_DIR
from tests.helpers.cli import CoachCli

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
TRACKS = sorted((SAMPLES / "tracks").glob("*.npz"))
DEFINITION = SAMPLES / "exercises" / "chair_squat_partial.toml"
SESSION = SAMPLES / "examples" / "session.json"
PROGRAM = SAMPLES / "examples" / "program.json"
META_KEYS = {
    "clip_id",
    "video",
    "video_sha256",
    "exercise",
    "view",
    "ground_truth",
    "source",
    "license",
    "frames",
    "frames_with_pose",
    "extractor",
}


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"samples_{name}", SAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _meta(path: Path) -> dict[str, Any]:
    with np.load(path, allow_pickle=False) as data:
        return json.loads(str(data["meta"]))


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


CLINICAL = sorted((SAMPLES / "tracks" / "clinical").glob("*.npz"))


@pytest.mark.parametrize(
    "path", [p for p in CLINICAL if p.stem != "yoga_tree_stances"], ids=lambda p: p.stem
)
def test_a_clinical_track_is_the_guarded_models_numbers_of_a_labelled_clip(path: Path) -> None:
    """samples/extract_tracks.py --clinical: float16 landmarks, no world, the clip's labels."""
    with np.load(path, allow_pickle=False) as data:
        lm, t = data["lm"], data["t"]
        assert "world" not in data.files
    meta = _meta(path)
    assert lm.dtype == np.float16 and lm.shape[1:] == (33, 4) and len(lm) == meta["frames"]
    assert t.shape == (len(lm),) and (np.diff(t) > 0).all()
    assert meta["kind"] in ("tug", "walk", "sit_to_stand", "jump") and meta["ground_truth"]
    assert re.fullmatch(r"[0-9a-f]{64}", meta["video_sha256"]) and meta["license"]
    ex = meta["extractor"]
    assert ex["estimator"].startswith("coach.pipeline.guarded(") and ex["filtered"] is False
    assert path.stat().st_size < 150_000


def test_the_jump_tracks_are_made_from_the_real_jump() -> None:
    script = _script("make_jump_tracks")
    t, real, _, _ = script._source()
    for name in ("valgus", "drop_jump"):
        made_t, lm, size, truth = script.made_track(name)
        assert lm.shape[1:] == (33, 4) and len(made_t) == len(lm) and size == (1080, 1920)
        assert truth["jumps"] == 1 and (np.diff(made_t) > 0).all()
    _, caved, _, _ = script.made_track("valgus")
    moved = np.abs(caved - real).max(axis=(0, 2))
    assert set(np.flatnonzero(moved > 0)) == {25, 26}  # the knees only


def test_the_four_stage_tracks_are_made_from_the_stored_real_frames() -> None:
    script = _script("make_balance_tracks")
    for name, tandem_s in script.MADE.items():
        lm, t, size, meta = script.made_track(name)
        assert lm.shape[1:] == (33, 4) and len(t) == len(lm) and size == (1280, 720)
        stances = meta["ground_truth"]["stances"]
        assert stances[2]["stage"] == "tandem"
        assert stances[2]["end_s"] - stances[2]["start_s"] == pytest.approx(tandem_s, abs=0.05)
        assert "yoga_tree" in meta["made_from"]


def test_the_folder_holds_a_few_small_tracks() -> None:
    assert 2 <= len(TRACKS) <= 6
    for path in TRACKS:
        assert path.stat().st_size < 1_000_000, path
    total = sum(p.stat().st_size for p in SAMPLES.rglob("*") if p.is_file())
    assert total < 2_000_000
    assert sum(p.stat().st_size for p in CLINICAL) < 600_000  # with the two jump clips: 501 KB
    # Only derived numbers: no video or image of anyone is ever stored here.
    media = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".jpg", ".jpeg", ".png", ".gif"}
    assert not [p for p in SAMPLES.rglob("*") if p.suffix.lower() in media]


@pytest.mark.parametrize("path", TRACKS, ids=lambda p: p.stem)
def test_a_track_loads_with_the_expected_shapes(path: Path) -> None:
    with np.load(path, allow_pickle=False) as data:
        lm, t, size, fps = data["lm"], data["t"], data["image_size"], float(data["fps"])
    meta = _meta(path)
    assert set(meta) >= META_KEYS
    assert lm.dtype == np.float32 and lm.ndim == 3 and lm.shape[1:] == (33, 4)
    assert t.shape == (len(lm),) and len(lm) == meta["frames"] >= 30
    assert np.isfinite(t).all() and t[0] >= 0 and (np.diff(t) > 0).all()
    assert size.shape == (2,) and (size > 0).all() and 0 < fps <= 120
    found = np.isfinite(lm).all(axis=(1, 2))
    assert found.sum() == meta["frames_with_pose"] and found.mean() > 0.9
    # Rows are either a whole pose or NaN (no person): never half-filled.
    assert np.isnan(lm[~found]).all()
    xy, vis = lm[found][:, :, :2], lm[found][:, :, 3]
    assert (np.abs(xy) < 3).all() and ((vis >= 0) & (vis <= 1)).all()
    ex = meta["extractor"]
    assert ex["mediapipe"] == "0.10.21" and ex["model_complexity"] == 1
    assert ex["filtered"] is False
    assert re.fullmatch(r"[0-9a-f]{64}", meta["video_sha256"])


@pytest.mark.parametrize("path", TRACKS, ids=lambda p: p.stem)
def test_each_track_scores_within_its_ground_truth(path: Path) -> None:
    st = _script("score_track")
    lm, t, size, meta = st.load_track(path)
    engine = st.score_track(st.resolve_exercise(meta["exercise"]), st.poses(lm, t, size), size)
    gt = meta["ground_truth"]
    if "reps" in gt:
        lo, hi = gt["accept"]
        assert lo <= len(engine.reps) <= hi
    else:
        lo, hi = gt["accept_hold_s"]
        assert len(engine.holds) == 1
        assert lo <= engine.holds[0].duration_s <= hi
        assert engine.holds[0].touch_downs == gt["touch_downs"]


@pytest.mark.subprocess
def test_score_track_needs_no_arguments(tmp_path: Path) -> None:
    """As the README runs it: `python samples/score_track.py`, from any folder."""
    proc = _run(str(SAMPLES / "score_track.py"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    match = re.search(r"^reps\s+(\d+)", out, re.MULTILINE)
    assert match, out
    st = _script("score_track")
    gt = _meta(st.DEFAULT_TRACK)["ground_truth"]
    lo, hi = gt["accept"]
    assert lo <= int(match.group(1)) <= hi, out
    # Each rep with its range, or why its angle was not measured (the barbell squat's first,
    # turned three-quarters by the plates: scoring.measures reports the knee from the side).
    shown = r"^  rep \d+: .* (range +[\d.]+ deg .*|angle not measured \(\w+\)) +score +[\d.]+"
    assert len(re.findall(shown, out, re.M)) == int(match.group(1))
    assert re.search(r"^  rep \d+: .* range +[\d.]+ deg", out, re.M)
    assert re.search(r"^faults\s+\d+", out, re.MULTILINE)


def test_score_track_takes_a_track_and_a_definition_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main = _script("score_track").main
    track = SAMPLES / "tracks" / "medflex_single_leg_stance.npz"
    assert main([str(track)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^holds\s+1$", out, re.MULTILINE), out
    assert main(["--exercise", str(DEFINITION)]) == 0
    out = capsys.readouterr().out
    assert "chair_squat_partial" in out
    # A full barbell squat is far deeper than this partial squat: the definition says so.
    assert "too_deep" in out


def test_the_example_definition_validates(coach_cli: CoachCli) -> None:
    ex = load_file(DEFINITION)
    assert ex.id == "chair_squat_partial" and ex.kind == "reps" and ex.rep is not None
    library = load_library([LIBRARY_DIR])
    assert ex.id not in library.exercises
    # Shallower than the library squat, deeper than the mini squat (hip height falls).
    squat, mini = library.exercises["squat"].rep, library.exercises["mini_squat"].rep
    assert squat is not None and mini is not None
    assert squat.target < ex.rep.target < mini.target
    proc = coach_cli("exercises", "validate", str(DEFINITION))
    assert proc.returncode == 0, proc.stderr
    assert "ok (chair_squat_partial, reps)" in proc.stdout


def test_the_example_session_export() -> None:
    doc = json.loads(SESSION.read_text())
    assert set(doc) == {
        "id",
        "patient_id",
        "patient",
        "exercise",
        "source",
        "status",
        "started_at",
        "ended_at",
        "duration_s",
        "video",
        "rep_count",
        "reps",
        "holds",
        "faults",
        "warnings",
        "ratings",
        "targets",
    }
    assert doc["status"] == "completed" and doc["exercise"] == "squat"
    assert doc["rep_count"] == len(doc["reps"])
    gt = _meta(SAMPLES / "tracks" / "formfit_squat.npz")["ground_truth"]
    assert gt["accept"][0] <= doc["rep_count"] <= gt["accept"][1]
    for rep in doc["reps"]:
        assert {"index", "start_s", "end_s", "rom_deg", "score", "faults", "features"} <= set(rep)
        assert 0 <= rep["score"] <= 100
    for fault in doc["faults"]:
        assert {"id", "t_s", "rep", "message"} <= set(fault) and fault["message"]


def test_the_example_program() -> None:
    doc = json.loads(PROGRAM.read_text())
    library = load_library([LIBRARY_DIR, DEFINITION.parent])
    assert not library.errors
    assert doc["program"]
    for pos, item in enumerate(doc["program"]):
        assert set(item) == {"position", *PROGRAM_FIELDS}
        assert item["position"] == pos and item["exercise_id"] in library.exercises
        assert item["reps"] > 0 or item["hold_s"] > 0
    assert "chair_squat_partial" in {i["exercise_id"] for i in doc["program"]}


def test_make_examples_regenerates_the_same_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The script adds samples/exercises to COACH_EXERCISES_DIR when it is imported: only for
    # this test (the library of the apps other tests serve must stay the built-in one).
    monkeypatch.setenv("COACH_EXERCISES_DIR", "")
    assert _script("make_examples").main(["--out", str(tmp_path)]) == 0
    new, old = (json.loads(p.read_text()) for p in (tmp_path / "session.json", SESSION))
    for key in ("id", "started_at", "ended_at"):  # new on every run
        new.pop(key), old.pop(key)
    assert new == old
    assert json.loads((tmp_path / "program.json").read_text()) == json.loads(PROGRAM.read_text())


def test_tracks_match_their_shared_clip(shared_data: Path) -> None:
    """Provenance: the clip still has the ground truth and the bytes the track was made from."""
    clips = {c["id"]: c for c in json.loads((shared_data / "MANIFEST.json").read_text())["videos"]}
    for path in TRACKS:
        meta = _meta(path)
        clip = clips[meta["clip_id"]]
        assert meta["ground_truth"] == clip["ground_truth"], path
        assert meta["exercise"] == clip["exercise"] and meta["license"] == clip["license"]
        video = shared_data / clip["video"]
        assert hashlib.sha256(video.read_bytes()).hexdigest() == meta["video_sha256"], path


def test_synthesized_demos_are_what_make_demos_makes() -> None:
    """exercises/demos/*.json made from a definition regenerate exactly (no clip is needed)."""
    from exercises import load_exercise
    from exercises.demonstrations import DEMO_DIR

    make_demos = _script("make_demos")
    for ex_id in make_demos.SYNTH:
        stored = json.loads((DEMO_DIR / f"{ex_id}.json").read_text())
        made = json.loads(json.dumps(make_demos.synthesized(load_exercise(ex_id))))
        assert made == stored, ex_id
