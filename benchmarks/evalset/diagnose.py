"""Why a clip counted what it counted: the counted measure's swings against the thresholds.

    PYTHONPATH=. python benchmarks/evalset/diagnose.py [--cache DIR] [--only TEXT] [--delta D]

Reads the traces `run.py --traces` wrote (CACHE/traces/<clip>.npz) and, per clip, prints the
definition's counting rule (measure, enter, exit, min_rom), how often the measure was seen,
the views the engine decided, and every swing of the measure: its time, its extreme, the
rest values before and after it, and whether it crossed `enter` and came back past `exit`
(the two conditions for a rep). A swing is a turn of at least `delta` (default: half the
rule's min_rom) in the signal after a 0.25 s running median (the engine's own filtering
differs a little: read the values as the measure's range, not as the counter's decisions).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from exercises import load_exercise

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fetch import add_clip_options  # noqa: E402


@dataclass
class Swing:
    t: float
    extreme: float
    rest_before: float
    rest_after: float


def smooth(t: np.ndarray, v: np.ndarray, window_s: float = 0.25) -> np.ndarray:
    """Running median over about `window_s` (NaN samples ignored): swings, not jitter."""
    if len(t) < 3:
        return v
    fps = (len(t) - 1) / max(t[-1] - t[0], 1e-6)
    half = max(1, int(round(window_s * fps / 2)))
    out = np.full_like(v, np.nan)
    for i in range(len(v)):
        w = v[max(0, i - half) : i + half + 1]
        w = w[np.isfinite(w)]
        if len(w) and np.isfinite(v[i]):
            out[i] = np.median(w)
    return out


def swings(t: np.ndarray, v: np.ndarray, delta: float, increasing: bool) -> list[Swing]:
    """Excursions in the working direction of at least `delta`, with the rests around them."""
    sign = 1.0 if increasing else -1.0
    ok = np.isfinite(v)
    t, x = t[ok], sign * v[ok]
    if len(x) < 3:
        return []
    # Turning points with hysteresis `delta`: alternate lows and highs.
    turns: list[tuple[int, str]] = []
    lo_i = hi_i = 0
    mode = "start"
    for i in range(1, len(x)):
        if x[i] > x[hi_i]:
            hi_i = i
        if x[i] < x[lo_i]:
            lo_i = i
        if mode in ("start", "low") and x[i] - x[lo_i] >= delta:
            turns.append((lo_i, "low"))
            mode, hi_i = "high", i
        elif mode in ("start", "high") and x[hi_i] - x[i] >= delta:
            turns.append((hi_i, "high"))
            mode, lo_i = "low", i
    turns.append((hi_i if mode == "high" else lo_i, mode if mode != "start" else "low"))
    out = []
    for k, (i, kind) in enumerate(turns):
        if kind != "high":
            continue
        before = x[turns[k - 1][0]] if k > 0 else math.nan
        after = x[turns[k + 1][0]] if k + 1 < len(turns) else math.nan
        out.append(Swing(float(t[i]), sign * x[i], sign * before, sign * after))
    return out


def report(cache: Path, clip: dict, delta: float | None) -> str:
    name = clip["id"].split("/")[-1]
    path = cache / "traces" / f"{name}.npz"
    if not path.is_file():
        return f"{name}: no trace (run run.py --traces)"
    d = np.load(path)
    rule = load_exercise(clip["exercise"]).rep
    if rule is None:
        return f"{name}: {clip['exercise']} counts no reps"
    inc = rule.direction == "increase"
    dl = delta if delta is not None else rule.min_rom / 2
    t = d["t"]
    v = smooth(t, d["value"])
    seen = float(np.isfinite(v).mean()) if len(v) else 0.0
    views = Counter(str(x) for x in d["view"])
    lines = [
        f"== {name}  ({clip['exercise']}: {rule.measure} {'up' if inc else 'down'} past "
        f"{rule.enter}, back past {rule.exit}, min_rom {rule.min_rom}; truth "
        f"{clip['ground_truth']['reps']} {clip['ground_truth']['accept']})",
        f"   measure seen in {seen:.0%} of {len(v)} frames; views: "
        + ", ".join(f"{k} {n / len(v):.0%}" for k, n in views.most_common()),
    ]
    fmt = "{:.2f}" if abs(rule.enter) < 2 else "{:.0f}"
    for s in swings(t, v, dl, inc):
        reach = (s.extreme >= rule.enter) if inc else (s.extreme <= rule.enter)
        back = (s.rest_after <= rule.exit) if inc else (s.rest_after >= rule.exit)
        lines.append(
            f"   t={s.t:6.2f}s  extreme {fmt.format(s.extreme):>6}  rest before "
            f"{fmt.format(s.rest_before):>6} after {fmt.format(s.rest_after):>6}  "
            f"{'enter' if reach else 'NO-ENTER'} {'exit' if back else 'NO-EXIT'}"
        )
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_clip_options(ap)
    ap.add_argument("--delta", type=float, help="smallest swing reported (measure units)")
    a = ap.parse_args()
    clips = json.loads((a.cache / "MANIFEST.json").read_text())["videos"]
    for clip in clips:
        if a.only and a.only not in clip["id"]:
            continue
        print(report(a.cache, clip, a.delta))
    return 0


if __name__ == "__main__":
    sys.exit(main())
