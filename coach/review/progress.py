"""A patient's progress over weeks and adherence to the program, from stored sessions.

Pure functions over the store's rows (no queries), so the pages, exports and tests share them.
Weeks are ISO weeks (Monday first) in UTC.
"""

from __future__ import annotations

import math
from collections import defaultdict
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


def weekly_progress(
    sessions: list[Any], weeks: int = 12, today: date | None = None
) -> list[WeekStats]:
    """One row per week for the last `weeks` weeks (oldest first), empty weeks included."""
    today = today or datetime.now(timezone.utc).date()
    first = week_start(today) - timedelta(weeks=weeks - 1)
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


@dataclass
class AdherenceWeek:
    start: date
    days_done: int
    days_prescribed: int
    done_days: list[bool]  # Monday..Sunday: at least one session that day

    @property
    def ratio(self) -> float:
        if self.days_prescribed <= 0:
            return 1.0
        return min(1.0, self.days_done / self.days_prescribed)


def adherence(
    sessions: list[Any], days_per_week: int, weeks: int = 6, today: date | None = None
) -> list[AdherenceWeek]:
    """Days with at least one session, per week, against the prescribed days per week."""
    today = today or datetime.now(timezone.utc).date()
    done = {aware(s.started_at).date() for s in sessions if s.reps or s.holds}
    first = week_start(today) - timedelta(weeks=weeks - 1)
    out = []
    for i in range(weeks):
        start = first + timedelta(weeks=i)
        days = [(start + timedelta(days=d)) in done for d in range(7)]
        out.append(AdherenceWeek(start, sum(days), days_per_week, days))
    return out


def symmetry_index(left: float | None, right: float | None) -> float | None:
    """Robinson et al. (1987): |L - R| / ((L + R) / 2) x 100; 0 is perfect symmetry."""
    if left is None or right is None or left + right <= 0:
        return None
    return abs(left - right) / ((left + right) / 2.0) * 100.0
