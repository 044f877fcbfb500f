"""Range of motion: the peak angle per side of one movement, against its published values.

The peak is taken on a running median (`window_s`) so that a single-frame spike of the pose
estimate does not become the patient's range. Left and right are compared with each other too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from pose.types import Array
from scoring.protocols.norms import Norms, ProtocolResult
from scoring.protocols.tracking import lost_warnings


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


def _ref_label(r: Mapping[str, Any]) -> str:
    return f"{r['kind']} {float(r['deg']):g} deg ({r['cite']})"


def range_of_motion(
    t: Array,
    angles: Mapping[str, Array],
    *,
    movement_id: str,
    norms: Norms,
    sex: str | None = None,
    window_s: float = 0.2,
) -> ProtocolResult:
    """`angles` maps "left"/"right" to the movement's angle per frame (degrees, NaN unseen).

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
    verdicts: list[str] = []
    label = movement_id.replace("_", " ")
    for side in ("left", "right"):
        a = np.asarray(angles[side], float) if side in angles else np.full(len(t), np.nan)
        peak, when = robust_peak(t, a, window_s)
        if not math.isfinite(peak):
            sides[side] = {"peak_deg": None, "status": "not seen"}
            warnings.append(f"{side} side not seen: no {label} measured")
            continue
        sides[side] = {
            "peak_deg": peak,
            "at_s": when,
            "status": "measured",
            "of_reference": _shares(peak, refs),
        }
        peaks.append(peak)
        verdicts.append(f"{side} {peak:.0f} deg")
        seen = np.isfinite(a)
        if seen.any():
            warnings += lost_warnings(t, seen, f"{side} {m['joint']}", min_s=1.0)
    diff = abs(peaks[0] - peaks[1]) if len(peaks) == 2 else None
    verdicts += _compared(peaks, diff, refs)
    if sex is None and any(r.get("sex") for r in refs):
        warnings.append("patient's sex not given: compared with the values for men and women")
    return ProtocolResult(
        protocol=f"rom_{movement_id}",
        name=f"{norms.name}: {label}",
        value=max(peaks, default=None),
        unit=norms.unit,
        measured={"movement": movement_id, "sides": sides, "left_right_difference_deg": diff},
        reference={"values": refs},
        source=norms.source,
        interpretation="; ".join(verdicts) if verdicts else f"no {label} measured",
        warnings=warnings,
        patient={"sex": sex} if sex else {},
    )


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


def _compared(peaks: list[float], diff: float | None, refs: list[dict[str, Any]]) -> list[str]:
    """The sides against each other and the better side against each published value."""
    verdicts = []
    if diff is not None:
        verdicts.append(f"left-right difference {diff:.0f} deg")
    if peaks and refs:
        best = max(peaks)
        verdicts.append(
            "; ".join(f"{100 * best / float(r['deg']):.0f}% of the {_ref_label(r)}" for r in refs)
        )
    return verdicts
