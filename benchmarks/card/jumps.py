"""The jump benchmark's results (benchmarks/jumps.py --json FILE) for the card: jumps counted,
landing and take-off times against hand labels, the valgus flag, made tracks, and the jumps
wrongly found in other exercises' clips.

What is read (anything else is ignored; a missing file leaves the section "not yet measured"):

    generated {date, commit, command, model}, exercise, match_s,
    landing {n, mae, bias, max_abs}, takeoff {...}, counts_within_accept, count_clips,
    rows [{clip, view, jump_type, truth_count, accept_count, count, within_accept,
           landing_errors_s, landings_labelled, takeoff_errors_s, takeoff_label,
           flight_error_s, valgus_label, valgus_flagged, landings [...]}],
    counted [{clip, exercise, view, note, truth_count, accept_count, count, within_accept}],
    made [{track, exercise, truth, count, valgus_flagged, agrees}],
    others {clips, with_jumps, jumps, rows [{clip, exercise, jumps}]}
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

TITLE = "## Jump landings: jumps counted, landing times, knee valgus"


def read(path: Path) -> dict[str, Any] | None:
    """The benchmark's results, or None when it has not written its file yet."""
    if not path.is_file():
        return None
    data = json.loads(path.read_text())
    return data if isinstance(data, dict) and "landing" in data else None


def section(results: dict[str, Any] | None, file: str) -> dict[str, Any]:
    if results is None:
        return {"file": file, "measured": False}
    return {"file": file, "measured": True, **results}


def product(section: dict[str, Any]) -> dict[str, Any]:
    """What the pages may quote (coach/accuracy.json's "jumps"): landing times against hand
    labels and jumps counted within the labels' range."""
    if not section.get("measured") or not section["landing"].get("n"):
        return {}
    return {
        "jumps": {
            "recordings": section["count_clips"],
            "counts_within_accept": section["counts_within_accept"],
            "landing_mae_s": section["landing"]["mae"],
            "landing_bias_s": section["landing"]["bias"],
        }
    }


def _num(x: Any, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:.{digits}f}"


def _errors(f: dict[str, Any]) -> str:
    if not f.get("n"):
        return "-"
    return (
        f"MAE {f['mae']:.3f} s, bias {f['bias']:+.3f} s, largest {f['max_abs']:.3f} s (n {f['n']})"
    )


def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def _sides(flagged: list[str]) -> str:
    return ", ".join(flagged) if flagged else "none"


def _clip_rows(j: dict[str, Any]) -> str:
    rows = [
        [
            r["clip"],
            r["view"],
            f"{r['truth_count']} [{r['accept_count'][0]}-{r['accept_count'][1]}]",
            str(r["count"]),
            ", ".join(f"{e:+.3f}" for e in r["landing_errors_s"]) or "-",
            ", ".join(f"{e:+.3f}" for e in r["takeoff_errors_s"]) + f" ({r['takeoff_label']})",
            _num(r["flight_error_s"], 3),
            f"{_sides(r['valgus_flagged'])} (label: {r['valgus_label']})",
        ]
        for r in j["rows"]
    ]
    rows += [
        [
            r["clip"],
            r["view"],
            f"{r['truth_count']} [{r['accept_count'][0]}-{r['accept_count'][1]}]",
            str(r["count"]),
            "no times labelled",
            "-",
            "-",
            f"not checked (as {r['exercise']}: {r['note']})",
        ]
        for r in j["counted"]
    ]
    head = ["clip", "view", "jumps labelled", "counted", "landing errors s",
            "take-off errors s", "flight error s", "valgus flagged"]  # fmt: skip
    return _table(head, rows)


def _made_rows(j: dict[str, Any]) -> str:
    rows = [
        [
            m["track"],
            m["exercise"],
            json.dumps(m["truth"]),
            str(m["count"]),
            _sides(m["valgus_flagged"]),
            "yes" if m["agrees"] else "no",
        ]
        for m in j["made"]
    ]
    return _table(["made track", "scored as", "truth", "jumps", "valgus flagged", "agrees"], rows)


def markdown(j: dict[str, Any]) -> str:
    if not j.get("measured"):
        return f"""{TITLE}

**No results yet.** `python benchmarks/jumps.py` has not written `{j.get("file", "-")}`."""
    g, o = j["generated"], j["others"]
    knees = "; ".join(
        f"{r['clip']}: knee at contact / deepest "
        + ", ".join(
            f"{_num(x.get('knee_contact_left'), 0)}/{_num(x.get('knee_peak_left'), 0)}"
            for x in r["landings"]
        )
        for r in j["rows"]
        if r["view"].startswith("side")
    )
    wrong = ", ".join(f"{r['clip']} ({r['jumps']})" for r in o["rows"]) or "none"
    return f"""{TITLE}

From `{j["file"]}`, written by `{g["command"]}` on {g["date"]} (commit `{g["commit"]}`,
{g["model"]}), each clip scored as `coach analyze VIDEO -e {j["exercise"]} --json` scores it: the
live path's smoothing, `scoring.modes.jump`. Labelled clips: `clinical_clips.json` (kind "jump",
seconds of the decoded frames, labelled on contact sheets) and the jump squats of
`MANIFEST.json` (counted only). A landing is matched to the nearest labelled one within
{j["match_s"]:g} s. Landing (first contact) against its label: {_errors(j["landing"])}; take-off:
{_errors(j["takeoff"])}. Jumps counted within the labels' range on
{j["counts_within_accept"]}/{j["count_clips"]} clips. The landings read late by the live path's
smoothing (the One Euro filter lags the feet's sudden stop); on the unfiltered landmarks the
same method is within 0.07 s of every label (tests/scoring/test_jumps.py).

{_clip_rows(j)}

Knee valgus is the knee's frontal-plane projection angle, from the front only, flagged above
13 deg for 0.1 s of a landing: the upper end of a drop-jump landing's usual range in women
(7-13 deg; men 3-8 deg: Herrington & Munro 2010). On the one front-view recording, labelled "no
obvious valgus" by eye, the left knee reads above that bound late in the landing and is
flagged: a disagreement with the label, not confirmed either way (a 2-D angle also reads a
slightly turned camera or a rotated hip as valgus). Knee flexion at contact and at the deepest
point is read in the variant the camera's view reports (`scoring.measures`' reported-variant
table: the image-plane angle from the side; from the front, "not measured" once that table's
per-view rule is in); from the side: {knees or "no side-view landing"}. No recording with
measured knee angles was found, so these are not validated. The jump squats of
rehab_bme410 are filmed handheld from above with the toes at or below the picture's bottom
edge: a foot point outside the picture is not used, and few of the jumps are found.

No public recording of a landing with the knees caving in, nor of a drop jump, was found: both
are made from the real countermovement jump (`samples/make_jump_tracks.py`: its docstring says
how).

{_made_rows(j)}

Other exercises: the {o["clips"]} other clips of `MANIFEST.json` with a stored track, scored as
a countermovement jump, gave {_many(o["jumps"], "jump")} in {_many(o["with_jumps"], "clip")}
({wrong})."""


def _many(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
