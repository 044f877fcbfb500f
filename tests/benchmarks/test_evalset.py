"""benchmarks/evalset: the manifest is complete and consistent, fetching checks sha256, and the
runner's totals and the diagnosis's swings are right. The clips themselves are never needed:
fetching is tested against a throw-away local git repository; the overlap with
../shared/data is checked where that data is (the `shared_data` fixture)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from exercises import load_exercise

REPO = Path(__file__).resolve().parents[2]
EVALSET = REPO / "benchmarks" / "evalset"
MANIFEST = json.loads((EVALSET / "MANIFEST.json").read_text())
# Kept for independent checks, or already in ../shared/data (issue 26, item 8).
EXCLUDED = {
    "RJ-song/MediapipePy_movement_detect",
    "Wissem-Sahli-Engineer/GYM-Range-Of-Motion-CV",
    "vicvaz111/Aris_workout_routine",
    "ErayBD/intellifit-trainer",
    "SonicHedghog/Senior-Fit",
    "kunal-104/khelsetu",
    "Abdul-Moeed10/Timed-up-and-go",
    "brennanleez-coder/frailty-vision",
    "SrinivasaChivukula/Capstone---1-Project",
}


def _script(name: str) -> ModuleType:
    sys.path.insert(0, str(EVALSET))  # the scripts import fetch.py as a sibling
    try:
        spec = importlib.util.spec_from_file_location(f"evalset_{name}", EVALSET / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # its dataclasses resolve their annotations there
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(EVALSET))


def test_every_clip_is_fully_described() -> None:
    clips = MANIFEST["videos"]
    assert 15 <= len(clips) <= 30
    assert len({c["id"] for c in clips}) == len(clips)
    assert len({c["video"] for c in clips}) == len(clips)
    for c in clips:
        assert load_exercise(c["exercise"]).rep is not None, c["id"]
        gt = c["ground_truth"]
        lo, hi = gt["accept"]
        assert lo <= gt["reps"] <= hi, c["id"]
        assert re.fullmatch(r"[0-9a-f]{64}", c["sha256"]), c["id"]
        assert re.fullmatch(r"[0-9a-f]{40}", c["commit"]), c["id"]
        assert c["source"] == f"{c['repo']}@{c['commit'][:8]}"
        assert c["repo"] not in EXCLUDED, c["id"]
        for key in ("view", "framing", "subject", "setting", "note", "license", "tags"):
            assert c[key], (c["id"], key)
        assert "/" not in c["video"] and not c["video"].startswith(".")


def test_the_set_covers_what_it_was_made_for() -> None:
    tags = [set(c["tags"]) for c in MANIFEST["videos"]]
    assert sum("oblique" in t and "upper-body" in t for t in tags) >= 4
    assert sum("partial-framing" in t for t in tags) >= 3
    assert sum(bool(t & {"older-adult", "seated"}) for t in tags) >= 2


def test_no_clip_is_one_of_the_shared_data_videos(shared_data: Path) -> None:
    shared = {
        hashlib.sha256(p.read_bytes()).hexdigest()
        for p in (shared_data / "videos").rglob("*")
        if p.is_file()
    }
    assert not shared & {c["sha256"] for c in MANIFEST["videos"]}


def _git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout


@pytest.mark.subprocess
def test_fetch_takes_the_labelled_commit_and_refuses_other_bytes(tmp_path: Path) -> None:
    fetch = _script("fetch")
    work = tmp_path / "owner+name" / "repo"
    work.mkdir(parents=True)
    _git("init", "-q", cwd=work)
    (work / "clips").mkdir()
    (work / "clips" / "a b.mp4").write_bytes(b"first version")
    _git("add", ".", cwd=work)
    _git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "1", cwd=work)
    commit = _git("rev-parse", "HEAD", cwd=work).strip()
    (work / "clips" / "a b.mp4").write_bytes(b"a later version")
    _git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "2", cwd=work)
    clip = {
        "repo": "owner/name",
        "path": "clips/a b.mp4",
        "commit": commit,
        "video": "a.mp4",
        "sha256": hashlib.sha256(b"first version").hexdigest(),
    }
    cache = tmp_path / "cache"
    cache.mkdir()
    assert fetch.fetch_clip(clip, cache, tmp_path) == "fetched"
    assert (cache / "a.mp4").read_bytes() == b"first version"
    assert fetch.fetch_clip(clip, cache, tmp_path) == "ok"
    (cache / "a.mp4").write_bytes(b"tampered")
    wrong = dict(clip, sha256="0" * 64)
    assert fetch.fetch_clip(wrong, cache, tmp_path).startswith("sha256 mismatch")
    assert not (cache / "a.mp4.part").exists()
    assert (cache / "a.mp4").read_bytes() == b"tampered"  # a refused download replaces nothing


def test_totals_exact_within_one_range_and_mae() -> None:
    run = _script("run")

    def row(truth: int, accept: tuple[int, int], count: int | None) -> object:
        return run.ClipResult("c", "bicep_curl", "front", [], truth, accept, count, 1.0)

    rows = [row(5, (5, 5), 5), row(7, (6, 7), 3), row(2, (2, 3), 3), row(1, (1, 1), None)]
    t = run.totals(rows)
    assert t["exact"] == 0.25
    assert t["within_1"] == 0.75  # no person found counts as 0 reps: 1 off a 1-rep truth
    assert t["in_accepted_range"] == 0.5
    assert t["mae"] == pytest.approx((0 + 4 + 1 + 1) / 4)
    assert (t["reps_truth"], t["reps_counted"]) == (15, 11)


def test_swings_find_each_excursion_and_its_rests() -> None:
    diagnose = _script("diagnose")
    t = np.arange(0, 6, 0.05)
    # Three curls: to 120, to 125 with a return only to 70, to 118 and back to 15.
    knots_t = [0, 1, 2, 2.5, 3.5, 4.5, 6]
    knots_v = [15, 120, 70, 70, 125, 15, 15]
    v = np.interp(t, knots_t, knots_v)
    v[40:42] = np.nan  # a short gap is skipped
    got = diagnose.swings(t, v, 22.5, increasing=True)
    assert [round(s.extreme) for s in got] == [120, 125]
    assert got[0].rest_after == pytest.approx(70, abs=1)
    assert got[1].rest_after == pytest.approx(15, abs=1)
