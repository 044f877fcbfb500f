"""Pain over days and weeks, and the clinically important rises (Farrar et al. 2001: 2 points
or 30 % on the 0-10 scale) a therapist is shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from coach.review.pain import daily_pain, pain_flags, weekly_pain

MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


@dataclass
class R:
    kind: str
    value: int
    started_at: datetime
    created_at: datetime = MONDAY
    area: str = ""


def day(n: int, before: int | None, after: int | None, *efforts: int) -> list[R]:
    t = MONDAY + timedelta(days=n)
    out = [] if before is None else [R("pain_before", before, t)]
    out += [R("effort", e, t + timedelta(minutes=5 + i)) for i, e in enumerate(efforts)]
    if after is not None:
        out.append(R("pain_after", after, t + timedelta(minutes=30)))
    return out


def test_a_day_is_first_pain_before_last_pain_after_and_every_effort() -> None:
    ratings = day(0, 3, None, 4) + [R("pain_before", 7, MONDAY + timedelta(hours=2))]
    ratings += [
        R("pain_after", 2, MONDAY + timedelta(hours=1)),
        R("pain_after", 5, MONDAY + timedelta(hours=3)),
    ]
    (d,) = daily_pain(ratings)
    assert (d.day, d.before, d.after, d.efforts) == (date(2026, 11, 2), 3, 5, [4])


def test_rises_of_two_points_or_thirty_percent_are_flagged() -> None:
    ratings = (
        day(0, 4, 5)  # +1 (25 %): not important
        + day(1, 4, 6)  # +2 within the day
        + day(2, 6, 6)  # +2 since the day before (4 -> 6)
        + day(3, 6, 4)  # a fall is never flagged
        + day(4, 1, 2)  # +1 from 1 is +100 %: flagged, the text says both numbers
        + day(5, None, 9)  # no "before": nothing to compare within the day
    )
    flags = pain_flags(ratings)
    got = [(f.day.day, f.where, f.old, f.new) for f in flags]
    assert got == [(3, "within", 4, 6), (4, "between", 4, 6), (6, "within", 1, 2)]
    assert flags[0].text == "03 Nov: from 4 before training to 6 after (+2 points, +50%)"
    assert "up from 4 before the previous session (+2 points, +50%)" in flags[1].text
    assert flags[2].points == 1 and flags[2].percent == 100.0


def test_weekly_means_with_empty_weeks() -> None:
    ratings = day(0, 4, 6, 5, 7) + day(2, 2, 2, 3) + day(7, 1, None)
    weeks = weekly_pain(ratings, weeks=3, today=date(2026, 11, 12))
    assert [w.start.day for w in weeks] == [26, 2, 9]
    assert (weeks[0].before, weeks[0].after, weeks[0].effort) == (None, None, None)
    assert (weeks[1].before, weeks[1].after, weeks[1].effort) == (3.0, 4.0, 5.0)
    assert (weeks[2].before, weeks[2].after) == (1.0, None)
