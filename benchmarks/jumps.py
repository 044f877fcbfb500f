"""Jump landings against hand labels: jumps counted, take-off and landing times, valgus flags.

    python benchmarks/jumps.py [--data ../shared/data] [--stored]
                               [--json benchmarks/results/jumps.json]

Real clips: the jumps of ../shared/data/clinical_clips.json (kind "jump": a countermovement
jump from the front, seven tuck jumps from the side; times in seconds of the decoded frames),
each scored as `coach analyze VIDEO -e countermovement_jump --json` scores it (the real model,
the live path's smoothing, scoring.modes.jump), or with `--stored` from the committed tracks
(samples/tracks/clinical/, the same model's landmarks: seconds, no model); and the jump squats
of MANIFEST.json (rehab_bme410/squat, counted only: no times are labelled), from its stored
landmarks as `squat_jump`.

Made tracks (samples/make_jump_tracks.py: no public recording of a landing with the knees
caving in, nor of a drop jump, was found): the real jump with its landing's knees moved inward
(the valgus fault should fire on both knees) and a drop jump (one jump, judged on the drop).

Other exercises: every other MANIFEST clip with a stored track, scored as a countermovement
jump: the jumps found there are false ones.

Prints per clip the truth, the result and the error, and writes the JSON that
benchmarks/accuracy_card.py reads for docs/ACCURACY.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import shlex
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's code, not another installed copy

from coach.offline.analysis import (  # noqa: E402
    AnalysisResult,
    analyze_video,
    result_from_engine,
    score_track,
)
from coach.offline.evaluate import result_from_landmarks  # noqa: E402
from exercises import load_exercise  # noqa: E402
from pose.types import Pose  # noqa: E402

STORED = REPO / "samples" / "tracks" / "clinical"
DEFAULT_JSON = REPO / "benchmarks" / "results" / "jumps.json"
EXERCISE = "countermovement_jump"
MATCH_S = 0.2  # a landing further than this from a labelled one is not it
JUMP_CLIPS = {"rehab_bme410/squat": "squat_jump"}  # MANIFEST clips that are jumps


def _track_poses(path: Path) -> tuple[list[tuple[float, Pose | None]], tuple[int, int]]:
    with np.load(path, allow_pickle=False) as d:
        lm, t = d["lm"].astype(np.float32), d["t"]
        size = (int(d["image_size"][0]), int(d["image_size"][1]))
    t = t - t[0]
    poses = [
        (float(t[i]), Pose(lm[i], float(t[i]), size) if np.isfinite(lm[i, :, :2]).all() else None)
        for i in range(len(t))
    ]
    return poses, size


def score_clip(clip: dict[str, Any], data: Path, *, stored: bool) -> AnalysisResult:
    exercise = load_exercise(EXERCISE)
    path = STORED / (clip["id"].replace("/", "_") + ".npz")
    if stored and path.is_file():
        poses, size = _track_poses(path)
        engine = score_track(exercise, poses, size)
        return result_from_engine(engine, 0.0, poses[-1][0], [])
    return analyze_video(data / clip["video"], exercise)


def _labelled(gt: dict[str, Any]) -> tuple[list[float], list[float]]:
    """(landings, take-offs) labelled in a clip's ground truth."""
    landings = gt.get("landings_s") or ([gt["landing_s"]] if "landing_s" in gt else [])
    takeoffs = gt.get("takeoffs_s_quva") or ([gt["takeoff_s"]] if "takeoff_s" in gt else [])
    return list(landings), list(takeoffs)


def _matched(labels: list[float], found: list[float]) -> list[float]:
    """found - label for each label with a found time within MATCH_S (nearest first)."""
    errors = []
    for label in labels:
        near = min(found, key=lambda x: abs(x - label), default=None)
        if near is not None and abs(near - label) <= MATCH_S:
            errors.append(round(near - label, 3))
    return errors


def clip_row(clip: dict[str, Any], res: AnalysisResult) -> dict[str, Any]:
    gt = clip["ground_truth"]
    landings = [r.landing for r in res.reps]
    contact = [x["contact_s"] for x in landings if "contact_s" in x]
    takeoff = [x["takeoff_s"] for x in landings if "takeoff_s" in x]
    truth_landings, truth_takeoffs = _labelled(gt)
    lo, hi = gt["accept_count"]
    flight = None
    if "flight_time_s" in gt and len(landings) == 1:
        flight = round(landings[0]["flight_s"] - gt["flight_time_s"], 3)
    flagged = sorted({f.side for f in res.faults if f.id == "knee_valgus"})
    return {
        "clip": clip["id"],
        "view": clip["view"].split(",")[0],
        "jump_type": gt.get("jump_type", ""),
        "truth_count": gt["count"],
        "accept_count": [lo, hi],
        "count": res.rep_count,
        "within_accept": lo <= res.rep_count <= hi,
        "landing_errors_s": _matched(truth_landings, contact),
        "landings_labelled": len(truth_landings),
        "takeoff_errors_s": _matched(truth_takeoffs, takeoff),
        "takeoff_label": "QUVA cycle annotation" if "takeoffs_s_quva" in gt else "by hand",
        "flight_error_s": flight,
        "valgus_label": gt.get("landing_knee_valgus", "not labelled (no front view)"),
        "valgus_flagged": flagged,
        "landings": [_landing_summary(x) for x in landings],
    }


def _landing_summary(x: dict[str, float]) -> dict[str, Any]:
    keys = ("contact_s", "flight_s", "knee_contact_left", "knee_contact_right",
            "knee_peak_left", "knee_peak_right", "valgus_peak_left", "valgus_peak_right",
            "contact_gap_s")  # fmt: skip
    return {k: x.get(k) for k in keys}


def _made() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mjt", REPO / "samples" / "make_jump_tracks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def made_rows() -> list[dict[str, Any]]:
    made = _made()
    rows = []
    for name, exercise in (("valgus", EXERCISE), ("drop_jump", "drop_jump")):
        t, lm, size, truth = made.made_track(name)
        lm = lm.astype(np.float32)
        poses = [(float(t[i]), Pose(lm[i], float(t[i]), size)) for i in range(len(t))]
        engine = score_track(load_exercise(exercise), poses, size)
        flagged = sorted({f.side for f in engine.faults if f.id == "knee_valgus"})
        rows.append(
            {
                "track": name,
                "exercise": exercise,
                "truth": truth,
                "count": len(engine.reps),
                "valgus_flagged": flagged,
                "drop_judged": bool(engine.reps and engine.reps[0].landing.get("drop")),
                "ground_contact_s": engine.reps[0].landing.get("ground_contact_s")
                if engine.reps
                else None,
                "agrees": len(engine.reps) == truth["jumps"]
                and flagged == sorted(truth.get("valgus", flagged)),
            }
        )
    return rows


def manifest_rows(data: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(jump clips counted, other exercises' clips with the jumps wrongly found there)."""
    clips = json.loads((data / "MANIFEST.json").read_text())["videos"]
    jumps, others = [], []
    for clip in clips:
        gt = clip.get("ground_truth", {})
        if not clip.get("landmarks") or gt.get("pose_detectable") is False:
            continue
        exercise = JUMP_CLIPS.get(clip["id"], EXERCISE)
        res, _ = result_from_landmarks(data, clip, load_exercise(exercise))
        count = res.rep_count if res is not None else 0
        if clip["id"] in JUMP_CLIPS:
            lo, hi = gt.get("accept", [gt["reps"], gt["reps"]])
            jumps.append(
                {
                    "clip": clip["id"],
                    "exercise": exercise,
                    "view": clip.get("view", ""),
                    "note": clip.get("note", ""),
                    "truth_count": gt["reps"],
                    "accept_count": [lo, hi],
                    "count": count,
                    "within_accept": lo <= count <= hi,
                }
            )
        else:
            others.append({"clip": clip["id"], "exercise": clip["exercise"], "jumps": count})
    return jumps, others


def figures(errors: list[float]) -> dict[str, Any]:
    if not errors:
        return {"n": 0}
    return {
        "n": len(errors),
        "mae": round(float(np.mean(np.abs(errors))), 3),
        "bias": round(float(np.mean(errors)), 3),
        "max_abs": round(float(np.max(np.abs(errors))), 3),
    }


def run(clips: list[dict[str, Any]], data: Path, *, stored: bool) -> dict[str, Any]:
    rows = []
    for clip in clips:
        if clip.get("kind") != "jump":
            continue
        print(f"jumps: {clip['id']}", file=sys.stderr, flush=True)
        rows.append(clip_row(clip, score_clip(clip, data, stored=stored)))
    counted, others = manifest_rows(data)
    made = made_rows()
    return {
        "exercise": EXERCISE,
        "match_s": MATCH_S,
        "landing": figures([e for r in rows for e in r["landing_errors_s"]]),
        "takeoff": figures([e for r in rows for e in r["takeoff_errors_s"]]),
        "counts_within_accept": sum(r["within_accept"] for r in rows + counted),
        "count_clips": len(rows) + len(counted),
        "rows": rows,
        "counted": counted,
        "made": made,
        "others": {
            "clips": len(others),
            "with_jumps": sum(o["jumps"] > 0 for o in others),
            "jumps": sum(o["jumps"] for o in others),
            "rows": [o for o in others if o["jumps"]],
        },
    }


def _n(x: Any, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:.{digits}f}" if isinstance(x, float) else str(x)


def report(result: dict[str, Any]) -> None:
    print(f"Jumps scored as {result['exercise']} (landings within {result['match_s']} s)")
    for r in result["rows"] + result["counted"]:
        print(
            f"  {r['clip']:26s} jumps {r['count']} (truth {r['truth_count']}, accept "
            f"{r['accept_count']})  landing errors {r.get('landing_errors_s', '-')}  "
            f"take-off errors {r.get('takeoff_errors_s', '-')}  valgus flagged "
            f"{r.get('valgus_flagged', '-')} (label: {r.get('valgus_label', '-')})"
        )
    f = result["landing"]
    print(f"  landing MAE {_n(f.get('mae'), 3)} s, bias {_n(f.get('bias'), 3)} s (n {f['n']})")
    for m in result["made"]:
        print(f"  made {m['track']:10s} jumps {m['count']} valgus {m['valgus_flagged']}: "
              f"{'agrees' if m['agrees'] else 'DISAGREES'} ({m['truth']})")  # fmt: skip
    o = result["others"]
    print(f"  other exercises: {o['jumps']} jumps found in {o['with_jumps']} of {o['clips']} clips")


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


def _command(argv: list[str]) -> str:
    words = ["python", "benchmarks/jumps.py", *map(shlex.quote, argv)]
    env = os.environ.get("COACH_SHARED_DATA")
    if env and not any(a == "--data" or a.startswith("--data=") for a in argv):
        words.insert(0, f"COACH_SHARED_DATA={shlex.quote(env)}")
    return " ".join(words)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    default_data = Path(os.environ.get("COACH_SHARED_DATA", REPO.parent / "shared" / "data"))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=default_data)
    ap.add_argument("--stored", action="store_true", help="the committed tracks, no model")
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON)
    args = ap.parse_args(argv)
    listing = args.data / "clinical_clips.json"
    if not listing.is_file():
        print(f"no clinical_clips.json in {args.data} (set COACH_SHARED_DATA)", file=sys.stderr)
        return 2
    result = run(json.loads(listing.read_text()), args.data, stored=args.stored)
    result["generated"] = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        "commit": git_commit(),
        "command": _command(argv),
        "model": "stored tracks (samples/tracks/clinical)" if args.stored else "real model",
    }
    report(result)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
