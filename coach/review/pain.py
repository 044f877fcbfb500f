"""A patient's pain and effort over days and weeks, and the rises a therapist should see.

Pure functions over stored ratings (coach.store.ratings), like progress.py. A training day's
pain "before" is its first pain-before rating, its pain "after" its last pain-after rating;
effort is the Borg CR10 rating after each set. Days and weeks are UTC, by when the session
began.

A rise is flagged when it is clinically important by Farrar et al. (2001): on the 0-10 numeric
rating scale a change of about 2 points or 30 % is what patients call "much" different.
Checked against the paper's abstract (PubMed 11690728, doi 10.1016/S0304-3959(01)00349-9):
2,724 patients of 10 pregabalin trials in chronic pain; "a reduction of approximately two
points or a reduction of approximately 30 %" matched "much improved", and higher baselines
needed larger raw changes while the percentage held. The study measured reductions only: using
it for rises is our extrapolation, and a rise from a low baseline passes 30 % with a single
point, so the flag says both numbers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from coach.i18n import Day
from coach.review.progress import first_week, week_start
from scoring.words import Say, say

FARRAR_POINTS = 2
FARRAR_PERCENT = 30.0
FARRAR_SOURCE = (
    "Farrar JT, Young JP, LaMoreaux L, Werth JL, Poole RM. Clinical importance of changes in "
    "chronic pain intensity measured on an 11-point numerical pain rating scale. "
    "Pain 2001;94(2):149-158"
)
BORG_SOURCE = (
    "Borg GA. Psychophysical bases of perceived exertion. Med Sci Sports Exerc 1982;14(5):377-381"
)


@dataclass
class PainDay:
    day: date
    before: int | None = None
    after: int | None = None
    efforts: list[int] = field(default_factory=list)
    area: str = ""


@dataclass
class PainWeek:
    start: date
    before: float | None = None  # mean of the days' pain before
    after: float | None = None
    effort: float | None = None  # mean effort of the sets


@dataclass(frozen=True)
class PainFlag:
    """A clinically important rise in pain (Farrar 2001), within a day or from one to the next."""

    day: date
    where: str  # "within" (before -> after the same day) | "between" (previous day -> this)
    old: int
    new: int

    @property
    def points(self) -> int:
        return self.new - self.old

    @property
    def percent(self) -> float | None:
        return None if self.old == 0 else 100.0 * self.points / self.old

    @property
    def text(self) -> Say:
        """The rise in words (a message: each reader's language, docs/I18N.md)."""
        change = (
            say("(+{points} points)", points=self.points)
            if self.percent is None
            else say(
                "(+{points} points, +{percent}%)",
                points=self.points,
                percent=round(self.percent),
            )
        )
        params: dict[str, Any] = {
            "day": Day(self.day),
            "old": self.old,
            "new": self.new,
            "change": change,
        }
        if self.where == "within":
            return say("{day}: from {old} before training to {new} after {change}", **params)
        return say(
            "{day}: {new} before training, up from {old} before the previous session {change}",
            **params,
        )


def _started(r: Any) -> datetime:
    t = r.started_at or r.created_at
    return t if t.tzinfo is not None else t.replace(tzinfo=timezone.utc)


def daily_pain(ratings: list[Any]) -> list[PainDay]:
    """One row per day with a rating, oldest first."""
    days: dict[date, PainDay] = {}
    for r in sorted(ratings, key=_started):
        day = _started(r).date()
        row = days.setdefault(day, PainDay(day))
        if r.kind == "pain_before" and row.before is None:
            row.before, row.area = r.value, row.area or row.area
        elif r.kind == "pain_after":
            row.after, row.area = r.value, r.area or row.area
        elif r.kind == "effort":
            row.efforts.append(r.value)
    return sorted(days.values(), key=lambda d: d.day)


def _important(old: int, new: int) -> bool:
    if new <= old:
        return False
    rise = new - old
    return rise >= FARRAR_POINTS or (old > 0 and 100.0 * rise / old >= FARRAR_PERCENT)


def _flag(day: date, where: str, old: int | None, new: int | None) -> PainFlag | None:
    """The flag of a rise from `old` to `new` when both were rated and it is important."""
    if old is None or new is None or not _important(old, new):
        return None
    return PainFlag(day, where, old, new)


def pain_flags(ratings: list[Any]) -> list[PainFlag]:
    """Every clinically important rise, oldest first: within a day, and between training days
    (pain before this day against pain before the previous one)."""
    flags: list[PainFlag] = []
    previous: int | None = None
    for d in daily_pain(ratings):
        between = _flag(d.day, "between", previous, d.before)
        within = _flag(d.day, "within", d.before, d.after)
        flags.extend(f for f in (between, within) if f is not None)
        if d.before is not None:
            previous = d.before
    return flags


def _mean(values: list[int]) -> float | None:
    return sum(values) / len(values) if values else None


def weekly_pain(
    ratings: list[Any], weeks: int = 12, today: date | None = None, since: date | None = None
) -> list[PainWeek]:
    """Mean pain before, after and effort per week for the last `weeks` weeks, oldest first,
    from the week of `since` at the earliest (the first rating: the axis does not start
    months before it)."""
    today = today or datetime.now(timezone.utc).date()
    first = first_week(today, weeks, since)
    weeks = (week_start(today) - first).days // 7 + 1
    values: dict[date, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for d in daily_pain(ratings):
        wk = week_start(d.day)
        if d.before is not None:
            values[wk]["before"].append(d.before)
        if d.after is not None:
            values[wk]["after"].append(d.after)
        values[wk]["effort"].extend(d.efforts)
    out = []
    for i in range(weeks):
        start = first + timedelta(weeks=i)
        v = values.get(start, {})
        out.append(
            PainWeek(
                start,
                _mean(v.get("before", [])),
                _mean(v.get("after", [])),
                _mean(v.get("effort", [])),
            )
        )
    return out
