"""Hand-eye targets sessions over weeks, per task and hand, for the therapist's charts.

Pure, like progress.py: stored sessions in, weekly rows out. A targets session keeps its run in
`summary["targets"]` (scoring.modes.targets.targets_summary): each target's hand, status and
times. Per task, week (UTC, Monday first, by when the session began) and hand: the targets
shown (a target placed outside the image never was), the share touched, and the median
reaction and movement time of the touched ones (a miss has no movement time, and its reaction
may be a hand that never set off for it). For a `follow` task the median tracking error
replaces the movement time, over every shown target that has one: a moving target counts as
"touched" only when the hand was on it half the time, and the error of the others is exactly
what the therapist needs to see. Values that are missing or not finite are left out.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from coach.review.progress import first_week, week_start
from coach.store.store import aware

HANDS = ("left", "right")


@dataclass
class HandWeek:
    """One hand's targets in one week of one task."""

    sessions: int = 0
    shown: int = 0
    touched: int = 0
    reaction_s: float | None = None  # median over touched targets
    movement_s: float | None = None  # median over touched targets (reach tasks)
    tracking_error: float | None = None  # median, arm lengths (follow tasks)

    @property
    def share(self) -> float | None:
        """Touched / shown, 0..1; None when nothing was shown."""
        return self.touched / self.shown if self.shown else None


@dataclass
class TargetsWeek:
    start: date
    sessions: int = 0
    hands: dict[str, HandWeek] = field(default_factory=dict)


@dataclass
class TargetsTrend:
    """One targets task's weeks, oldest first, empty weeks included (gaps in the charts)."""

    task: str
    follow: bool
    weeks: list[TargetsWeek]
    # The coarsest timing of its sessions: the largest frame interval, and the largest loop
    # latency the live page measured (None: only recordings, where there is no loop).
    frame_interval_s: float | None = None
    latency_s: float | None = None

    def series(self, measure: str, scale: float = 1.0) -> dict[str, list[float | None]]:
        """Per hand with a value, `measure` (a HandWeek field or "share") times `scale` per
        week (None: no value that week)."""
        out: dict[str, list[float | None]] = {}
        for hand in HANDS:
            values = [
                getattr(w.hands[hand], measure) if hand in w.hands else None for w in self.weeks
            ]
            if any(v is not None for v in values):
                out[hand] = [None if v is None else v * scale for v in values]
        return out


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        return None
    return float(v)


def _median(values: list[float | None]) -> float | None:
    finite = [v for v in values if v is not None]
    return statistics.median(finite) if finite else None


def _max(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else max(a, b)


def _targets(session: Any) -> dict[str, Any] | None:
    """The session's stored targets run, or None for any other session (or a malformed one)."""
    tg = (session.summary or {}).get("targets") if isinstance(session.summary, dict) else None
    if not isinstance(tg, dict) or not isinstance(tg.get("results"), list):
        return None
    return tg


def weekly_targets(
    sessions: list[Any], weeks: int = 12, today: date | None = None, since: date | None = None
) -> list[TargetsTrend]:
    """One trend per targets task done in the last `weeks` weeks (from `since` at the
    earliest), sorted by task id; nothing when there was no targets session."""
    today = today or datetime.now(timezone.utc).date()
    first = first_week(today, weeks, since)
    starts = [first + timedelta(weeks=i) for i in range((week_start(today) - first).days // 7 + 1)]
    follow: dict[str, bool] = {}
    timing: dict[str, list[float | None]] = defaultdict(lambda: [None, None])
    week_sessions: dict[tuple[str, date], int] = defaultdict(int)
    # (task, week, hand) -> the hand's sessions that week and its shown targets' results
    shown: dict[tuple[str, date, str], list[dict[str, Any]]] = defaultdict(list)
    hand_sessions: dict[tuple[str, date, str], int] = defaultdict(int)
    for s in sessions:
        tg = _targets(s)
        wk = week_start(aware(s.started_at).date())
        if tg is None or not starts[0] <= wk <= starts[-1]:
            continue
        task = str(tg.get("task") or s.exercise_id)
        follow[task] = follow.get(task, False) or tg.get("layout") == "follow"
        week_sessions[task, wk] += 1
        for i, key in enumerate(("frame_interval_s", "latency_s")):
            timing[task][i] = _max(timing[task][i], _number(tg.get(key)))
        results = [r for r in tg["results"] if isinstance(r, dict) and r.get("hand") in HANDS]
        for hand in {r["hand"] for r in results}:
            hand_sessions[task, wk, hand] += 1
            shown[task, wk, hand] += [
                r for r in results if r["hand"] == hand and r.get("status") != "outside_image"
            ]
    out = []
    for task in sorted(follow):
        rows = [TargetsWeek(start, week_sessions.get((task, start), 0)) for start in starts]
        for week in rows:
            for hand in HANDS:
                if hand_sessions.get((task, week.start, hand)):
                    results = shown[task, week.start, hand]
                    week.hands[hand] = _hand_week(
                        results, hand_sessions[task, week.start, hand], follow[task]
                    )
        out.append(TargetsTrend(task, follow[task], rows, *timing[task]))
    return out


def _hand_week(results: list[dict[str, Any]], sessions: int, follow: bool) -> HandWeek:
    touched = [r for r in results if r.get("hit") is True]
    row = HandWeek(sessions, len(results), len(touched))
    row.reaction_s = _median([_number(r.get("reaction_s")) for r in touched])
    if follow:
        row.tracking_error = _median([_number(r.get("tracking_error")) for r in results])
    else:
        row.movement_s = _median([_number(r.get("movement_s")) for r in touched])
    return row


def touched_this_week(sessions: list[Any], today: date | None = None) -> tuple[int, int]:
    """(targets touched, targets shown) this week over every task and hand: the patient's page
    says it in words."""
    rows = [
        w.hands.values() for t in weekly_targets(sessions, weeks=1, today=today) for w in t.weeks
    ]
    return sum(h.touched for r in rows for h in r), sum(h.shown for r in rows for h in r)
