"""The everyday-tasks benchmark's results (benchmarks/everyday.py --json FILE) for the card:
timed up-and-go totals and events, gait cadence and heel strikes, the four balance stages.

What is read (anything else is ignored; a missing file leaves the section "not yet
measured"):

    generated {date, commit, command, model},
    tug {target_s, figures {n, mae, bias, max_abs}, from_seat_off {...},
         rows [{clip, view, truth_total_s, total_s, error_s, truth_from_seat_off_s,
                from_seat_off_s, events {name: {truth, measured, error}}, phases [...],
                steps, warnings, live_total_s, live_error_s, live_minus_recorded_s}],
         live {...}}  (the live_* keys: the live test on the same frames, optional)
    gait {cadence {...}, within_accept, strikes {...},
          rows [{clip, view, truth_cadence_spm, accept_cadence_spm, cadence_spm,
                 cadence_plus_minus, error_spm, within_accept, strikes {labelled, matched,
                 missed, extra, mae, bias}, stride_time_cv_pct, step_time_asymmetry_pct,
                 walking_speed_m_s}]},
    balance {held {...}, status_agrees, stages, rows [{track, stage, made_s, truth_held_s,
             held_s, error_s, truth_status, status, live_held_s, live_error_s, live_status}],
             live_held {...}, live_status_agrees}  (the live_* keys: the live test, optional)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read(path: Path) -> dict[str, Any] | None:
    """The benchmark's results, or None when it has not written its file yet."""
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    return data if isinstance(data, dict) and "tug" in data else None


def section(results: dict[str, Any] | None, file: str) -> dict[str, Any]:
    """The card's everyday section: the results as they are, and where they came from."""
    if results is None:
        return {"file": file, "measured": False}
    return {"file": file, "measured": True, **results}


def product(section: dict[str, Any]) -> dict[str, Any]:
    """What the pages may quote (coach/accuracy.json "protocols"): the timed up-and-go's total
    time and the gait's cadence against hand labels; nothing for the balance stages, which
    were measured on made tracks, not on recordings."""
    if not section.get("measured"):
        return {}
    out: dict[str, Any] = {}
    tug = section["tug"]["figures"]
    if tug.get("n"):
        out["tug"] = {"recordings": tug["n"], "mae_s": tug["mae"], "bias_s": tug["bias"]}
    gait = section["gait"]
    if gait["cadence"].get("n"):
        out["gait"] = {
            "recordings": gait["cadence"]["n"],
            "cadence_mae_spm": gait["cadence"]["mae"],
            "within_accept": gait["within_accept"],
            "strikes_mae_s": gait["strikes"].get("mae"),
        }
    return out
