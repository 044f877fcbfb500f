"""Range of motion: the peak angle per side of one movement, against its normal end range.

The peak is taken on a running median (`window_s`) so that a single-frame spike of the pose
estimate does not become the patient's range. Left and right are compared with each other too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from scoring.protocols.norms import Norms, ProtocolResult
from scoring.protocols.tracking import lost_warnings


def movement(norms: Norms, movement_id: str) -> dict[str, object]:
    """The norms entry of one movement (shoulder_flexion, shoulder_abduction, knee_flexion)."""
    for m in norms.extra.get("movements", []):
        if m["id"] == movement_id:
            return dict(m)
    known = ", ".join(m["id"] for m in norms.extra.get("movements", []))
    raise ValueError(f"unknown movement {movement_id!r}; known: {known}")


def robust_peak(t: np.ndarray, angle: np.ndarray, window_s: float = 0.2) -> tuple[float, float]:
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


def range_of_motion(
    t: np.ndarray,
    angles: Mapping[str, np.ndarray],
    *,
    movement_id: str,
    norms: Norms,
    window_s: float = 0.2,
) -> ProtocolResult:
    """`angles` maps "left"/"right" to the movement's angle per frame (degrees, NaN unseen)."""
    m = movement(norms, movement_id)
    normal = float(m["normal_deg"])  # type: ignore[arg-type]
    tol = norms.constant("tolerance_deg", 10.0)
    asym = norms.constant("asymmetry_deg", 10.0)
    t = np.asarray(t, float)
    sides: dict[str, dict[str, object]] = {}
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
        share = peak / normal
        within = peak >= normal - tol
        sides[side] = {
            "peak_deg": peak,
            "at_s": when,
            "percent_of_normal": 100.0 * share,
            "status": "within normal limits" if within else "limited",
        }
        verdicts.append(
            f"{side} {peak:.0f} deg ({100 * share:.0f}% of normal): "
            + ("within normal limits" if within else "limited")
        )
        seen = np.isfinite(a)
        if seen.any():
            warnings += lost_warnings(t, seen, f"{side} {m['joint']}", min_s=1.0)
    peaks = [s["peak_deg"] for s in sides.values() if s.get("peak_deg") is not None]
    diff = abs(float(peaks[0]) - float(peaks[1])) if len(peaks) == 2 else None  # type: ignore[arg-type]
    if diff is not None:
        verdicts.append(
            f"left-right difference {diff:.0f} deg"
            + (f" (over {asym:g} deg: asymmetric)" if diff > asym else "")
        )
    best = max((float(p) for p in peaks), default=None)  # type: ignore[arg-type]
    return ProtocolResult(
        protocol=f"rom_{movement_id}",
        name=f"{norms.name}: {label}",
        value=best,
        unit=norms.unit,
        measured={"movement": movement_id, "sides": sides, "left_right_difference_deg": diff},
        reference={
            "normal_deg": normal,
            "tolerance_deg": tol,
            "asymmetry_deg": asym,
        },
        source=norms.source,
        interpretation="; ".join(verdicts) if verdicts else f"no {label} measured",
        warnings=warnings,
    )
