"""Sit-to-stand tests: the 30-second chair stand (count) and the five-times sit-to-stand (time).

Both read hip height above the ankles in leg lengths (scoring.measures `hip_height`: about
0.5 seated, 1 standing), with the two thresholds of the `sit_to_stand` definition: a stand is
reached when the signal rises past `enter` from below `exit`. The engine's RepCounter counts a
repetition when the patient sits back down; these tests count *stands* (the fifth stand stops
the clock; a stand at 30 s counts), so they use the same hysteresis on the same signal but
mark the moment of standing.

"Go" is not in the video: the test clock starts at the first movement, the moment the hips
begin to rise for the first stand (the last sample within `onset_margin` of the seated level).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pose.types import Array
from scoring.protocols.norms import Band, Norms, ProtocolResult, clauses, fixed
from scoring.protocols.tracking import lost_warnings
from scoring.words import Say, psay, say

# The body parts whose loss a warning names (the stands are seen by them).
LOWER_BODY = psay("body part", "hips, knees or ankles")


@dataclass(frozen=True)
class Stand:
    onset_s: float  # the hips began to rise (seated level + margin, last time before the stand)
    stand_s: float  # the hips passed `enter`: standing
    seated: float  # lowest hip height of the sitting phase before this stand
    peak: float  # highest hip height of the standing phase (NaN while it has not ended)


def detect_stands(
    t: Array,
    hip_height: Array,
    enter: float,
    exit: float,
    onset_margin: float = 0.03,
) -> list[Stand]:
    """Every sit -> stand transition, with hysteresis; NaN samples are skipped (not seen).

    A track that begins standing counts its first stand only after the patient has sat down.
    """
    if enter <= exit:
        raise ValueError("enter must be above exit (the hysteresis band)")
    stands: list[Stand] = []
    state = "unknown"
    seated = math.inf
    onset = math.nan
    peak = -math.inf
    for ti, h in zip(np.asarray(t, float), np.asarray(hip_height, float), strict=True):
        if not math.isfinite(h):
            continue
        if state == "stand":
            peak = max(peak, h)
            if h <= exit:
                stands[-1] = Stand(stands[-1].onset_s, stands[-1].stand_s, stands[-1].seated, peak)
                state, seated, onset = "sit", h, ti
            continue
        if state == "unknown":
            if h >= enter:
                state, peak = "standing_at_start", h
                continue
            if h <= exit:
                state, seated, onset = "sit", h, ti
            continue
        if state == "standing_at_start":
            if h <= exit:
                state, seated, onset = "sit", h, ti
            continue
        # sit
        if h < seated:
            seated = h
        if h <= seated + onset_margin:
            onset = ti
        if h >= enter:
            stands.append(Stand(float(onset), float(ti), float(seated), math.nan))
            state, peak = "stand", h
    if state == "stand" and stands:
        last = stands[-1]
        stands[-1] = Stand(last.onset_s, last.stand_s, last.seated, peak)
    return stands


def _value_at(t: Array, x: Array, when: float) -> float:
    """The last seen value at or before `when` (NaN if none)."""
    ok = (t <= when) & np.isfinite(x)
    idx = np.flatnonzero(ok)
    return float(x[idx[-1]]) if len(idx) else math.nan


def _state_at(stands: list[Stand], t: Array, h: Array, exit: float, when: float) -> str:
    """ "stand" if a counted stand has not yet returned below `exit` at `when`, else "sit"."""
    before = [s for s in stands if s.stand_s <= when]
    if not before:
        return "sit"
    last = before[-1]
    after = (t > last.stand_s) & (t <= when) & np.isfinite(h)
    return "sit" if np.any(h[after] <= exit) else "stand"


def chair_stand_30s(
    t: Array,
    hip_height: Array,
    *,
    enter: float,
    exit: float,
    norms: Norms,
    age: int,
    sex: str,
    standing_level: float | None = None,
) -> ProtocolResult:
    """Full stands within 30 s of the first movement; one in progress counts if past halfway.

    Halfway is between the seated level and the standing level (the median peak of the
    stands seen, else `standing_level`, else `enter`).
    """
    band = norms.band(age, sex)  # fail early on bad age/sex
    t = np.asarray(t, float)
    h = np.asarray(hip_height, float)
    duration = norms.constant("duration_s", 30.0)
    stands = detect_stands(t, h, enter, exit)
    warnings = lost_warnings(t, np.isfinite(h), LOWER_BODY)
    measured: dict[str, object] = {"stands_detected": len(stands)}
    if not stands:
        count, start, end = 0, math.nan, math.nan
        warnings.append(say("no stand detected: is the patient seated at the start and in view?"))
        halfway_credit = False
    else:
        start = stands[0].onset_s
        end = start + duration
        level = standing_level if standing_level else enter
        count, halfway_credit = _stands_by(stands, t, h, exit, end, level)
        if t[-1] < end:
            warnings.append(_ends_early(end - t[-1], duration))
        full = [s for s in stands if s.stand_s <= end]
        measured["stand_times_s"] = [round(s.stand_s - start, 2) for s in full]
    measured.update(
        {
            "start_s": start,
            "end_s": end,
            "stands": count,
            "halfway_stand_counted": halfway_credit,
        }
    )
    low, high = band.values["low"], band.values["high"]
    return ProtocolResult.of(
        norms,
        float(count),
        measured=measured,
        reference={"band": band.label(), "normal_range": [low, high], "below_average": low},
        interpretation=_count_verdict(count, band),
        warnings=warnings,
        patient={"age": age, "sex": sex},
    )


def _ends_early(early: float, duration: float) -> Say:
    """The warning that the recording stopped `early` seconds before the test's end."""
    return say(
        "the recording ends {early} s before the {duration} s were up: the count may be low",
        early=fixed(early, 1),
        duration=fixed(duration, 0),
    )


def _count_verdict(count: int, band: Band) -> Say:
    """The count against the age and sex band's normal range, in words."""
    low, high = band.values["low"], band.values["high"]
    if count < low:
        return say(
            "below average for {band} (< {low}): increased fall risk (STEADI)",
            band=band.words(),
            low=low,
        )
    if count > high:
        return say("above average for {band} (> {high})", band=band.words(), high=high)
    return say("average for {band} ({low}-{high})", band=band.words(), low=low, high=high)


def _stands_by(
    stands: list[Stand], t: Array, h: Array, exit: float, end: float, level: float
) -> tuple[int, bool]:
    """The full stands by `end`, and whether one in progress then counts too: the patient is
    rising and past halfway between the seated level and the standing level (the median peak
    of the stands seen, else `level`)."""
    full = [s for s in stands if s.stand_s <= end]
    count = len(full)
    peaks = [s.peak for s in stands if math.isfinite(s.peak)]
    stand_level = float(np.median(peaks)) if peaks else level
    if end <= t[-1] and _state_at(stands, t, h, exit, end) == "sit":
        seated = stands[count].seated if count < len(stands) else _seated_since(t, h, full, end)
        h_end = _value_at(t, h, end)
        if math.isfinite(h_end) and h_end > seated + 0.5 * (stand_level - seated):
            return count + 1, True
    return count, False


def _seated_since(t: Array, h: Array, full: list[Stand], when: float) -> float:
    """Lowest hip height between the last counted stand and `when` (the current sit)."""
    after = (t > full[-1].stand_s) & (t <= when) & np.isfinite(h)
    return float(np.min(h[after])) if np.any(after) else math.nan


def five_times_sit_to_stand(
    t: Array,
    hip_height: Array,
    *,
    enter: float,
    exit: float,
    norms: Norms,
    age: int | None = None,
) -> ProtocolResult:
    """Seconds from the first movement to the fifth stand; compared with the age mean (if an
    age is given) and the fall-risk cut-off (studied only from `fall_risk_min_age` on: younger
    patients are not judged by it, and an unknown age is said to need it)."""
    t = np.asarray(t, float)
    h = np.asarray(hip_height, float)
    n = int(norms.constant("stands", 5))
    cutoff = norms.constant("fall_risk_s", 15.0)
    min_age = int(norms.constant("fall_risk_min_age", 65))
    stands = detect_stands(t, h, enter, exit)
    warnings = lost_warnings(t, np.isfinite(h), LOWER_BODY)
    band = norms.optional_band(age, warnings)
    measured: dict[str, object] = {"stands_detected": len(stands)}
    ref: dict[str, object] = {"fall_risk_cutoff_s": cutoff, "fall_risk_min_age": min_age}
    if band is not None:
        ref.update({"band": band.label(), "mean_s": band.values["mean"]})
    if len(stands) < n:
        warnings.append(say("only {found} of {n} stands detected: no time", found=len(stands), n=n))
        return ProtocolResult.of(
            norms,
            None,
            measured=measured,
            reference=ref,
            interpretation=say(
                "test not completed ({found} of {n} stands)", found=len(stands), n=n
            ),
            warnings=warnings,
            patient={"age": age},
        )
    start = stands[0].onset_s
    seconds = stands[n - 1].stand_s - start
    measured.update(
        {
            "start_s": start,
            "end_s": stands[n - 1].stand_s,
            "time_s": seconds,
            "stand_times_s": [round(s.stand_s - start, 2) for s in stands[:n]],
        }
    )
    verdict = _time_verdict(seconds, band, age, cutoff, min_age)
    return ProtocolResult.of(
        norms,
        seconds,
        measured=measured,
        reference=ref,
        interpretation=verdict,
        warnings=warnings,
        patient={"age": age},
    )


def _time_verdict(
    seconds: float, band: Band | None, age: int | None, cutoff: float, min_age: int
) -> Say:
    """The time against the age band's mean and the fall-risk cut-off, in words."""
    parts = []
    if band is not None:
        mean, who = band.values["mean"], band.words()
        if seconds > mean:
            parts.append(say("slower than the mean for {band} ({mean} s)", band=who, mean=mean))
        else:
            parts.append(
                say("at or faster than the mean for {band} ({mean} s)", band=who, mean=mean)
            )
    if age is not None and age < min_age:
        parts.append(
            say(
                "the {cutoff} s fall-risk cut-off applies from age {age}: not judged",
                cutoff=cutoff,
                age=str(min_age),
            )
        )
    elif seconds >= cutoff:
        parts.append(
            say(
                "at or above the {cutoff} s fall-risk cut-off: increased risk of falls",
                cutoff=cutoff,
            )
        )
    else:
        parts.append(say("below the {cutoff} s fall-risk cut-off", cutoff=cutoff))
    if age is None:
        parts.append(say("the cut-off is for ages {age} and older: give the age", age=str(min_age)))
    return clauses(*parts)
