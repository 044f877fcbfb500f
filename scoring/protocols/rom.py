"""Range of motion: the peak angle per side of one movement, against its published values.

A joint angle reported by view (knee flexion: scoring.reported) comes as its reported values,
frame by frame: its peak is their maximum, the number `coach analyze` reports
as the deepest rep's peak, and it carries how well it was seen (scoring.confidence; below the
threshold the side is "not measured" and says why). Any other angle (the shoulder's) is taken
on a running median (`window_s`), so that a single-frame spike of the pose estimate does not
become the patient's range. Left and right are compared with each other too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from pose.types import Array
from scoring.confidence import Confidence, seen_confidence
from scoring.protocols.norms import Norms, ProtocolResult, clauses, fixed
from scoring.protocols.tracking import lost_warnings
from scoring.words import Say, psay, say

# A side as the verdicts name it.
SIDES: dict[str, Say] = {"left": psay("side", "left"), "right": psay("side", "right")}
# The frames around a reported peak whose view, visibility and jitter say how well it was seen.
SEEN_AROUND_S = 1.0
# Why a side was not measured, for the record (scoring.confidence's reason ids).
_NOT_MEASURED = {
    "view": say("not measured from this camera view: film the movement side-on"),
    "hidden": say("not measured: the joints were not seen clearly enough"),
    "jitter": say("not measured: the angle jumped from frame to frame"),
}


@dataclass(frozen=True)
class Seen:
    """How one side's reported angle was seen, frame by frame (scoring.reported): whether the
    view could measure it, its landmarks' lowest visibility, and the error to expect from the
    view it was measured from (degrees; None: no figure)."""

    valid: Array
    visibility: Array
    error_deg: float | None


def seen_peak(t: Array, angle: Array, seen: Seen) -> tuple[float, float, Confidence]:
    """(peak, time of peak, confidence) of a reported angle: its largest value, and how well
    it was seen within `SEEN_AROUND_S` of it (over the whole track when never measured)."""
    t = np.asarray(t, float)
    a = np.asarray(angle, float)
    valid = np.asarray(seen.valid, bool)
    visibility = np.asarray(seen.visibility, float)
    if not np.isfinite(a).any():
        confidence = seen_confidence(a, valid, visibility, seen.error_deg)
        return math.nan, math.nan, confidence
    i = int(np.nanargmax(a))
    near = np.abs(t - t[i]) <= SEEN_AROUND_S
    confidence = seen_confidence(a[near], valid[near], visibility[near], seen.error_deg)
    return float(a[i]), float(t[i]), confidence


def movement(norms: Norms, movement_id: str) -> dict[str, Any]:
    """The norms entry of one movement (shoulder_flexion, shoulder_abduction, knee_flexion)."""
    for m in norms.extra.get("movements", []):
        if m["id"] == movement_id:
            return dict(m)
    known = ", ".join(m["id"] for m in norms.extra.get("movements", []))
    raise ValueError(f"unknown movement {movement_id!r}; known: {known}")


def robust_peak(t: Array, angle: Array, window_s: float = 0.2) -> tuple[float, float]:
    """(peak, time of peak) of the running median over `window_s`; NaN samples are ignored."""
    t = np.asarray(t, float)
    a = np.asarray(angle, float)
    ok = np.isfinite(a)
    if not ok.any():
        return math.nan, math.nan
    tt, aa = t[ok], a[ok]
    dt = float(np.median(np.diff(tt))) if len(tt) > 1 else 1.0
    half = max(0, int(round(window_s / max(dt, 1e-6) / 2)))
    if half == 0 or len(aa) <= 2 * half:
        i = int(np.argmax(aa))
        return float(aa[i]), float(tt[i])
    windows = np.lib.stride_tricks.sliding_window_view(aa, 2 * half + 1)
    med = np.median(windows, axis=1)
    i = int(np.argmax(med))
    return float(med[i]), float(tt[i + half])


def references(norms: Norms, movement_id: str, sex: str | None = None) -> list[dict[str, Any]]:
    """The published values of one movement, each with its citation; with `sex`, only the
    values for that sex (and those for both)."""
    refs = [dict(r) for r in movement(norms, movement_id).get("references", [])]
    return [r for r in refs if sex is None or r.get("sex") in (None, sex)]


def range_of_motion(
    t: Array,
    angles: Mapping[str, Array],
    *,
    movement_id: str,
    norms: Norms,
    sex: str | None = None,
    window_s: float = 0.2,
    seen: Mapping[str, Seen] | None = None,
) -> ProtocolResult:
    """`angles` maps "left"/"right" to the movement's angle per frame (degrees, NaN unseen);
    with `seen` (per side), they are a reported angle's values (scoring.reported) and each
    side's peak is their maximum, with its confidence.

    Each side's peak is stated as a share of every published value (the active mean first);
    there is no "limited" verdict and no asymmetry flag, as no source gives a cut-off for
    either: the therapist compares with the other side and the patient's own earlier results.
    """
    m = movement(norms, movement_id)
    refs = references(norms, movement_id, sex)
    t = np.asarray(t, float)
    sides: dict[str, dict[str, object]] = {}
    peaks: list[float] = []  # of the sides seen, left first
    warnings: list[str] = []
    verdicts: list[Say] = []
    label = movement_id.replace("_", " ")
    named = Say(label, context="norms")  # the movement, as the norms page names it
    for side in ("left", "right"):
        a = np.asarray(angles[side], float) if side in angles else np.full(len(t), np.nan)
        side_seen = None if seen is None else seen.get(side)
        sides[side], said = _side_peak(t, a, side_seen, window_s, refs, (side, named))
        warnings += said
        peak = sides[side]["peak_deg"]
        if not isinstance(peak, float):
            continue
        peaks.append(peak)
        verdicts.append(say("{side} {degrees} deg", side=SIDES[side], degrees=fixed(peak, 0)))
        found = np.isfinite(a)
        if found.any():
            warnings += lost_warnings(t, found, _joint(side, Say(m["joint"])), min_s=1.0)
    diff = abs(peaks[0] - peaks[1]) if len(peaks) == 2 else None
    verdicts += _compared(peaks, diff, refs)
    if sex is None and any(r.get("sex") for r in refs):
        warnings.append(say("patient's sex not given: compared with the values for men and women"))
    return ProtocolResult(
        protocol=f"rom_{movement_id}",
        name=f"{norms.name}: {label}",
        value=max(peaks, default=None),
        unit=norms.unit,
        measured={"movement": movement_id, "sides": sides, "left_right_difference_deg": diff},
        reference={"values": refs},
        source=norms.source,
        interpretation=clauses(*verdicts)
        if verdicts
        else say("no {movement} measured", movement=named),
        warnings=warnings,
        patient={"sex": sex} if sex else {},
    )


def _joint(side: str, part: Say) -> Say:
    """A side's joint or movement ("left knee", "left knee flexion")."""
    return say("{side} {part}", side=SIDES[side], part=part)


def _side_peak(
    t: Array,
    angle: Array,
    seen: Seen | None,
    window_s: float,
    refs: list[dict[str, Any]],
    what: tuple[str, Say],
) -> tuple[dict[str, object], list[str]]:
    """One side's figure (`what`: the side and the movement) and what to warn of: its peak (a
    reported angle's largest value, with its confidence; another's robust peak), or why
    there is none."""
    side, named = what
    confidence: Confidence | None = None
    if seen is None:
        peak, when = robust_peak(t, angle, window_s)
    else:
        peak, when, confidence = seen_peak(t, angle, seen)
    if confidence is not None and not confidence.measured:
        figure: dict[str, object] = {
            "peak_deg": None,
            "status": "not measured",
            "confidence": confidence.value,
            "confidence_reason": confidence.reason,
        }
        why = _NOT_MEASURED[confidence.reason]
        return figure, [say("{what} {why}", what=_joint(side, named), why=why)]
    if not math.isfinite(peak):
        return {"peak_deg": None, "status": "not seen"}, [
            say("{side} side not seen: no {movement} measured", side=SIDES[side], movement=named)
        ]
    figure = {
        "peak_deg": peak,
        "at_s": when,
        "status": "measured",
        "of_reference": _shares(peak, refs),
    }
    if confidence is not None:
        figure["confidence"] = confidence.value
    return figure, []


def _shares(peak: float, refs: list[dict[str, Any]]) -> list[dict[str, object]]:
    """A side's peak as a share of each published value."""
    return [
        {
            "kind": r["kind"],
            "sex": r.get("sex"),
            "cite": r["cite"],
            "percent": 100.0 * peak / float(r["deg"]),
        }
        for r in refs
    ]


def _compared(peaks: list[float], diff: float | None, refs: list[dict[str, Any]]) -> list[Say]:
    """The sides against each other and the better side against each published value."""
    verdicts = []
    if diff is not None:
        verdicts.append(say("left-right difference {degrees} deg", degrees=fixed(diff, 0)))
    if peaks and refs:
        best = max(peaks)
        verdicts.append(clauses(*(_share_words(best, r) for r in refs)))
    return verdicts


def _share_words(best: float, r: Mapping[str, Any]) -> Say:
    """The better side as a share of one published value, the value named by its kind and
    cited as published (the citation is not translated)."""
    return say(
        "{percent}% of the {kind} {degrees} deg ({cite})",
        percent=fixed(100 * best / float(r["deg"]), 0),
        kind=Say(str(r["kind"]), context="norms"),
        degrees=float(r["deg"]),
        cite=str(r["cite"]),
    )
