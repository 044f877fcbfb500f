"""A patient's progress over weeks, from stored sessions (adherence to the program is
coach.review.volume's).

Pure functions over the store's rows (no queries), so the pages, exports and tests share them.
Weeks are ISO weeks (Monday first) in UTC.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from coach.store.store import aware


def week_start(d: date) -> date:
    return d - timedelta(days=d.weekday())


@dataclass
class WeekStats:
    start: date
    sessions: int = 0
    reps: int = 0
    peak_rom: dict[str, float] = field(default_factory=dict)  # side ("both"/left/right) -> deg
    mean_score: float | None = None
    best_hold_s: float | None = None


def _finite(values: list[float | None]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(float(v))]


def first_week(today: date, weeks: int, since: date | None) -> date:
    """The first week to show: `weeks` back from today, but never before `since` (the patient's
    record or first session: weeks before they existed are not zeros)."""
    first = week_start(today) - timedelta(weeks=weeks - 1)
    if since is not None:
        first = max(first, min(week_start(since), week_start(today)))
    return first


def weekly_progress(
    sessions: list[Any], weeks: int = 12, today: date | None = None, since: date | None = None
) -> list[WeekStats]:
    """One row per week for the last `weeks` weeks (oldest first, from `since` at the
    earliest), empty weeks included."""
    today = today or datetime.now(timezone.utc).date()
    first = first_week(today, weeks, since)
    weeks = (week_start(today) - first).days // 7 + 1
    rows = {first + timedelta(weeks=i): WeekStats(first + timedelta(weeks=i)) for i in range(weeks)}
    scores: dict[date, list[float]] = defaultdict(list)
    for s in sessions:
        wk = week_start(aware(s.started_at).date())
        row = rows.get(wk)
        if row is None:
            continue
        row.sessions += 1
        row.reps += len(s.reps)
        for rep in s.reps:
            if rep.rom_deg is not None:
                side = rep.side or "both"
                row.peak_rom[side] = max(row.peak_rom.get(side, 0.0), float(rep.rom_deg))
            if rep.score is not None:
                scores[wk].append(float(rep.score))
        holds = _finite([h.duration_s for h in s.holds])
        if holds:
            row.best_hold_s = max(row.best_hold_s or 0.0, max(holds))
    for wk, vals in scores.items():
        rows[wk].mean_score = sum(vals) / len(vals)
    return list(rows.values())


def record_start(patient: Any, sessions: list[Any]) -> date | None:
    """The patient's first day in the record (or first session, if earlier: imported data):
    weekly views start there, not with weeks of zeros before the patient existed."""
    days = [aware(s.started_at).date() for s in sessions]
    if getattr(patient, "created_at", None) is not None:
        days.append(aware(patient.created_at).date())
    return min(days) if days else None


def symmetry_index(left: float | None, right: float | None) -> float | None:
    """Robinson et al. (1987): |L - R| / ((L + R) / 2) x 100; 0 is perfect symmetry."""
    if left is None or right is None or left + right <= 0:
        return None
    return abs(left - right) / ((left + right) / 2.0) * 100.0


@dataclass
class ExerciseTrend:
    """One exercise's peak range per session and side, with the prescribed target and limit."""

    exercise_id: str
    dates: list[date] = field(default_factory=list)  # one per session with a measured rep
    peaks: dict[str, list[float | None]] = field(default_factory=dict)  # side -> per session
    target_deg: float | None = None
    limit_deg: float | None = None


def exercise_trends(sessions: list[Any], program: Sequence[Any] = ()) -> list[ExerciseTrend]:
    """Peak range of motion per exercise and side, one point per session (oldest first), so
    that exercises are never merged and a new patient's chart starts at her first session."""
    rx = {item.exercise_id: item for item in program}
    by_ex: dict[str, ExerciseTrend] = {}
    for s in sorted(sessions, key=lambda s: aware(s.started_at)):
        peaks: dict[str, float] = {}
        for rep in s.reps:
            if rep.rom_deg is not None and math.isfinite(float(rep.rom_deg)):
                side = rep.side or "both"
                peaks[side] = max(peaks.get(side, float("-inf")), float(rep.rom_deg))
        if not peaks:
            continue
        trend = by_ex.get(s.exercise_id)
        if trend is None:
            item = rx.get(s.exercise_id)
            trend = by_ex[s.exercise_id] = ExerciseTrend(
                s.exercise_id,
                target_deg=getattr(item, "target_rom_deg", None),
                limit_deg=getattr(item, "max_rom_deg", None),
            )
        n = len(trend.dates)
        trend.dates.append(aware(s.started_at).date())
        for side in set(trend.peaks) | set(peaks):
            trend.peaks.setdefault(side, [None] * n).append(peaks.get(side))
    return sorted(by_ex.values(), key=lambda t: t.exercise_id)
