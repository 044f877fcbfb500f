"""Everyday tasks against hand labels: timed up-and-go, gait and the four balance stages.

    python benchmarks/everyday.py [--data ../shared/data] [--stored] [--cache DIR]
                                  [--json benchmarks/results/everyday.json]

Timed up-and-go and gait: the clips of ../shared/data/clinical_clips.json labelled by hand
(kind "tug" and "walk"; times in seconds from the first decoded frame, WebM clips with a
variable frame rate included: every time is a frame's own timestamp). The real model runs
over each video as `coach protocol tug|gait` runs it (guarded, unfiltered landmarks kept,
scored by coach.offline.protocols), its track cached under --cache keyed by the video's
sha256 (a minute or two the first time). `--stored` scores the committed tracks instead
(samples/tracks/clinical/, the same model's output, float16: seconds, no model). Each
timed up-and-go is also taken live on the same frames, pose by pose, as the live page's test
runs it (scoring.protocols.tug_live.TugTracker).

Four balance stages: no public recording of the semi-tandem and tandem stances exists, so the
two tracks made from a real front-view standing recording by samples/make_balance_tracks.py
(real feet placed; its docstring says how) are scored, each stance's time against the time
it was made to last: as one recording (`coach protocol four-stage-balance`) and live, pose by
pose, as the live page's test runs it (scoring.protocols.balance_live.StageTracker).

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

from coach.live.balance import LiveBalance  # noqa: E402
from coach.offline.protocols import (  # noqa: E402
    Track,
    run_four_stage_balance,
    run_gait,
    run_tug,
    track_from_landmarks,
    track_from_video,
)
from exercises.norms import load_norms  # noqa: E402
from pose.mediapipe_backend import sha256_file  # noqa: E402
from scoring.events import TugDone  # noqa: E402
from scoring.protocols.tug_live import TugTracker  # noqa: E402

STORED = REPO / "samples" / "tracks" / "clinical"
DEFAULT_JSON = REPO / "benchmarks" / "results" / "everyday.json"
DEFAULT_CACHE = (
    Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "coach" / "everyday"
)
TUG_TARGET_S = 0.3  # total-time error, from published video-based TUG timing (issue 24)
MATCH_S = 0.25  # a detected heel strike further than this from a labelled one is not it
HOLD_S = 10.0


# --- tracks ----------------------------------------------------------------------------------


def _fps(t: np.ndarray) -> float:
    return 1.0 / float(np.median(np.diff(t)))


def stored_track(clip_id: str) -> Track | None:
    """The committed track of a clip (samples/extract_tracks.py --clinical), or None."""
    path = STORED / (clip_id.replace("/", "_") + ".npz")
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as d:
        lm, t = d["lm"].astype(np.float64), d["t"]
        w, h = (int(v) for v in d["image_size"])
    track = track_from_landmarks(lm, _fps(t), (w, h), source=str(path))
    track.t = t - t[0]  # the frames' own times (the clip may have a variable frame rate)
    return track


def model_track(video: Path, cache: Path) -> Track:
    """The real model's guarded track of `video` (as `coach protocol tug|gait`), cached."""
    key = cache / f"{video.stem}-guarded-{sha256_file(video)[:16]}.npz"
    if not key.is_file():
        track = track_from_video(video, guard=True)
        cache.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            key,
            t=track.t - track.t[0],
            landmarks=track.landmarks,
            raw=track.raw if track.raw is not None else track.landmarks,
            aspect=track.aspect,
            warnings=json.dumps(track.warnings),
        )
    with np.load(key, allow_pickle=False) as d:
        warnings = json.loads(str(d["warnings"]))
        return Track(d["t"], d["landmarks"], float(d["aspect"]), str(video), warnings, raw=d["raw"])


# --- scoring ---------------------------------------------------------------------------------


def _err(measured: float | None, truth: float | None) -> float | None:
    if measured is None or truth is None or not math.isfinite(measured):
        return None
    return round(measured - truth, 3)


def live_tug_total(track: Track) -> float | None:
    """The live test's total on the same frames, one pose at a time (the raw landmarks, as
    a `pose=device` page sends them): scoring.protocols.tug_live."""
    tracker = TugTracker(norms=load_norms("timed_up_and_go"))
    lm = track.raw if track.raw is not None else track.landmarks
    for ti, pose in zip(track.t, lm, strict=True):
        seen = bool(np.isfinite(pose[:, :2]).all())
        for event in tracker.update(float(ti), pose if seen else None, track.aspect):
            if isinstance(event, TugDone):
                return event.total_s
    return None


def tug_row(clip: dict[str, Any], track: Track) -> dict[str, Any]:
    gt = clip["ground_truth"]
    res = run_tug(track).to_json()
    live = live_tug_total(track)
    m = res["measured"]
    events = m.get("events_s", {})
    truth_events = {
        "rise_onset": gt["rise_onset_s"],
        "seat_off": gt["seat_off_s"],
        "upright": gt["upright_s"],
        "sit_start": gt["sit_descent_start_s"],
        "seat_contact": gt["seat_contact_s"],
    }
    return {
        "clip": clip["id"],
        "view": clip["view"].split(";")[0],
        "truth_total_s": gt["total_s"],
        "total_s": res["value"],
        "error_s": _err(res["value"], gt["total_s"]),
        "accept_total_s": gt["accept_total_s"],
        "truth_from_seat_off_s": gt["total_from_seat_off_s"],
        "from_seat_off_s": m.get("total_from_seat_off_s"),
        "from_seat_off_error_s": _err(m.get("total_from_seat_off_s"), gt["total_from_seat_off_s"]),
        "events": {
            k: {"truth": v, "measured": events.get(k), "error": _err(events.get(k), v)}
            for k, v in truth_events.items()
        },
        "phases": _phase_rows(gt["phases"], m.get("phases", [])),
        "steps": m.get("steps"),
        "live_total_s": live,
        "live_error_s": _err(live, gt["total_s"]),
        "live_minus_recorded_s": _err(live, res["value"]),
        "warnings": res["warnings"],
    }


# The labels' phase names for the boundaries the product reports (each phase's end).
PHASE_ENDS = {
    "sit_to_stand": "sit_to_stand",
    "walk_out": "walk_out",
    "turn": "turn",
    "walk_back": "walk_back",
}


def _phase_rows(truth: list[list[Any]], measured: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each labelled phase's end against the product's, and the turn-to-sit's start."""
    labelled = {str(name).split(" ")[0]: (a, b) for a, b, name in truth}
    rows = []
    for ph in measured:
        name = ph["phase"]
        key = PHASE_ENDS.get(name)
        if name == "turn_to_sit" and "turn_at_chair" in labelled:
            truth_end = labelled["turn_at_chair"][0]  # the walk back ended where this began
            rows.append(_boundary("walk_back end / turn_to_sit start", truth_end, ph["start_s"]))
        elif key in labelled:
            rows.append(_boundary(f"{name} end", labelled[key][1], ph["end_s"], ph["seen"]))
    return rows


def _boundary(what: str, truth: float, measured: float, seen: bool = True) -> dict[str, Any]:
    return {
        "boundary": what,
        "truth_s": truth,
        "measured_s": measured,
        "error_s": _err(measured, truth),
        "seen": seen,
    }


def labelled_strikes(gt: dict[str, Any]) -> list[float]:
    if "heel_strikes" in gt:
        return [float(h["t"]) for h in gt["heel_strikes"]]
    return [float(x) for k in ("pass1", "pass2") for x in gt.get(k, {}).get("heel_strikes_s", [])]


def truth_cadence(gt: dict[str, Any]) -> float:
    if "cadence_steps_per_min" in gt:
        return float(gt["cadence_steps_per_min"])
    passes = [gt[k]["cadence_steps_per_min"] for k in ("pass1", "pass2") if k in gt]
    return float(np.mean(passes))


def strike_errors(labels: list[float], found: list[float]) -> dict[str, Any]:
    """Each labelled strike against the nearest unused detected one within MATCH_S."""
    free = list(found)
    errors = []
    for label in labels:
        near = [s for s in free if abs(s - label) <= MATCH_S]
        if near:
            best = min(near, key=lambda s: abs(s - label))
            free.remove(best)
            errors.append(best - label)
    return {
        "labelled": len(labels),
        "matched": len(errors),
        "missed": len(labels) - len(errors),
        "extra": len(free),
        **figures(errors),
        "errors_s": [round(e, 3) for e in errors],
    }


def gait_row(clip: dict[str, Any], track: Track) -> dict[str, Any]:
    gt = clip["ground_truth"]
    res = run_gait(track, height_cm=None).to_json()
    m = res["measured"]
    cadence = m["cadence_spm"]["value"]
    lo, hi = gt["accept_cadence"]
    return {
        "clip": clip["id"],
        "view": clip["view"].split(",")[0],
        "truth_cadence_spm": truth_cadence(gt),
        "accept_cadence_spm": [lo, hi],
        "cadence_spm": cadence,
        "cadence_plus_minus": m["cadence_spm"].get("plus_minus"),
        "error_spm": _err(cadence, truth_cadence(gt)),
        "within_accept": cadence is not None and lo <= cadence <= hi,
        "strikes": strike_errors(labelled_strikes(gt), m["heel_strikes_s"]),
        "step_time_s": m["step_time_s"],
        "step_time_asymmetry_pct": m["step_time_asymmetry_pct"],
        "stride_time_cv_pct": m["stride_time_cv_pct"],
        "walking_speed_m_s": m["walking_speed_m_s"],
        "passes": m["passes"],
        "warnings": res["warnings"],
    }


def _balance_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_balance_tracks", REPO / "samples" / "make_balance_tracks.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def balance_rows() -> list[dict[str, Any]]:
    """Each stance of the made tracks: the time it was made to last against the time
    measured (capped at the test's 10 s), and passed or failed against the truth."""
    script = _balance_script()
    rows = []
    for name in script.MADE:
        lm, t, size, meta = script.made_track(name)
        track = track_from_landmarks(lm, _fps(t), size, source=name)
        track.t = t
        res = run_four_stage_balance([track]).to_json()
        live = _live_stages(lm, t, size)
        truth = {s["stage"]: s for s in meta["ground_truth"]["stances"]}
        for stage, taken in zip(res["measured"]["stages"], live, strict=True):
            made = truth.get(stage["id"])
            lasted = (made["end_s"] - made["start_s"]) if made else None
            held = stage.get("held_s")
            expected = None if lasted is None else min(lasted, HOLD_S)
            rows.append(
                {
                    "track": name,
                    "stage": stage["id"],
                    "made_s": lasted,
                    "truth_held_s": expected,
                    "held_s": held,
                    "error_s": _err(held, expected),
                    "truth_status": _status(lasted),
                    "status": stage["status"],
                    "live_held_s": taken.get("held_s"),
                    "live_error_s": _err(taken.get("held_s"), expected),
                    "live_status": taken["status"],
                }
            )
    return rows


def _live_stages(lm: np.ndarray, t: np.ndarray, size: tuple[int, int]) -> list[dict[str, Any]]:
    """The live test's stages on the same landmarks, one pose at a time."""
    balance = LiveBalance()
    for ti, pose in zip(t, lm, strict=True):
        balance.frame(float(ti), pose, list(size))
    balance.tracker.finish(float(t[-1]))
    stages: list[dict[str, Any]] = balance.result("benchmark")["measured"]["stages"]
    return stages


def _status(lasted: float | None) -> str:
    if lasted is None:
        return "not tested"
    return "passed" if lasted >= HOLD_S else "failed"


def figures(errors: list[float]) -> dict[str, Any]:
    e = [x for x in errors if x is not None]
    if not e:
        return {"n": 0}
    return {
        "n": len(e),
        "mae": round(float(np.mean(np.abs(e))), 3),
        "bias": round(float(np.mean(e)), 3),
        "max_abs": round(float(np.max(np.abs(e))), 3),
    }


# --- the run ---------------------------------------------------------------------------------


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


def run(clips: list[dict[str, Any]], data: Path, *, stored: bool, cache: Path) -> dict[str, Any]:
    tug, gait = [], []
    for clip in clips:
        if clip.get("kind") not in ("tug", "walk"):
            continue
        print(f"everyday: {clip['id']}", file=sys.stderr, flush=True)
        track = stored_track(clip["id"]) if stored else None
        if track is None:
            track = model_track(data / clip["video"], cache)
        if clip["kind"] == "tug":
            tug.append(tug_row(clip, track))
        else:
            gait.append(gait_row(clip, track))
    balance = balance_rows()
    return {
        "tug": {
            "target_s": TUG_TARGET_S,
            "figures": figures([r["error_s"] for r in tug]),
            "from_seat_off": figures([r["from_seat_off_error_s"] for r in tug]),
            "live": figures([r["live_error_s"] for r in tug]),
            "rows": tug,
        },
        "gait": {
            "cadence": figures([r["error_spm"] for r in gait]),
            "within_accept": sum(r["within_accept"] for r in gait),
            "strikes": figures([e for r in gait for e in r["strikes"]["errors_s"]]),
            "rows": gait,
        },
        "balance": {
            "made_with": "samples/make_balance_tracks.py",
            "held": figures([r["error_s"] for r in balance]),
            "status_agrees": sum(r["status"] == r["truth_status"] for r in balance),
            "live_held": figures([r["live_error_s"] for r in balance]),
            "live_status_agrees": sum(r["live_status"] == r["truth_status"] for r in balance),
            "stages": len(balance),
            "rows": balance,
        },
    }


def _n(x: Any, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:.{digits}f}" if isinstance(x, float) else str(x)


def report(result: dict[str, Any]) -> None:
    print(
        f"Timed Up and Go (total = rise onset to seat contact; target |error| <= {TUG_TARGET_S} s)"
    )
    for r in result["tug"]["rows"]:
        print(
            f"  {r['clip']:24s} truth {_n(r['truth_total_s'])} s  measured {_n(r['total_s'])} s"
            f"  error {_n(r['error_s'])} s  (from seat-off: truth "
            f"{_n(r['truth_from_seat_off_s'])}, measured {_n(r['from_seat_off_s'])})"
            f"  live {_n(r['live_total_s'], 3)} s"
            f" (live - recorded {_n(r['live_minus_recorded_s'], 3)})"
        )
        for k, e in r["events"].items():
            print(
                f"      {k:13s} truth {_n(e['truth'])}  measured {_n(e['measured'])}"
                f"  error {_n(e['error'])}"
            )
    print("Gait (cadence, steps/min; heel strikes within 0.25 s of a label)")
    for r in result["gait"]["rows"]:
        s = r["strikes"]
        print(
            f"  {r['clip']:24s} truth {_n(r['truth_cadence_spm'], 0)} "
            f"[{r['accept_cadence_spm'][0]}-{r['accept_cadence_spm'][1]}]  measured "
            f"{_n(r['cadence_spm'], 1)} +-{_n(r['cadence_plus_minus'], 1)}  error "
            f"{_n(r['error_spm'], 1)}  strikes {s['matched']}/{s['labelled']} matched, "
            f"{s['extra']} extra, MAE {_n(s.get('mae'), 3)} s"
        )
    print("Four balance stages (tracks made from real standing)")
    for r in result["balance"]["rows"]:
        print(
            f"  {r['track']:14s} {r['stage']:14s} made {_n(r['made_s'], 1)} s  held "
            f"{_n(r['held_s'], 2)} s (truth {_n(r['truth_held_s'], 2)})  {r['status']} "
            f"(truth {r['truth_status']})  live {_n(r['live_held_s'], 2)} s {r['live_status']}"
        )


def _command(argv: list[str]) -> str:
    """The command as it can be run again from the repository's root."""
    words = ["python", "benchmarks/everyday.py", *map(shlex.quote, argv)]
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
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON)
    args = ap.parse_args(argv)
    listing = args.data / "clinical_clips.json"
    if not listing.is_file():
        print(f"no clinical_clips.json in {args.data} (set COACH_SHARED_DATA)", file=sys.stderr)
        return 2
    result = run(json.loads(listing.read_text()), args.data, stored=args.stored, cache=args.cache)
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
