"""Which days of the week a program is done on, for the calendar feed and the reminders.

A prescription says how many days a week (`days_per_week`), not which. The calendar and the
reminders need days, so they spread them over the week the way a therapist would say them:
the days are Monday-first and as evenly apart as they go (3 -> Monday, Wednesday, Friday),
with the weekend last. A program row's days are its own: a row of 3 days a week shows on
Monday, Wednesday and Friday, one of 5 on Monday to Friday.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# Monday = 0. Evenly apart on weekdays first: what "3 times a week" usually means.
SPREAD: dict[int, tuple[int, ...]] = {
    1: (0,),
    2: (0, 3),
    3: (0, 2, 4),
    4: (0, 1, 3, 4),
    5: (0, 1, 2, 3, 4),
    6: (0, 1, 2, 3, 4, 5),
    7: (0, 1, 2, 3, 4, 5, 6),
}


def weekdays(days_per_week: int) -> tuple[int, ...]:
    """The weekdays (Monday = 0) of a row prescribed `days_per_week` days a week."""
    return SPREAD[max(1, min(7, int(days_per_week)))]


def items_on(program: Sequence[Any], weekday: int) -> list[Any]:
    """The program rows to do on this weekday, in the program's order."""
    return [item for item in program if weekday in weekdays(item.days_per_week)]


def due_on(program: Sequence[Any], day: date) -> list[Any]:
    """The program rows due on this date."""
    return items_on(program, day.weekday())
