"""A patient's program as an iCalendar feed (RFC 5545, written by the `icalendar` library):
one all-day event a week for each weekday with exercises (coach.review.schedule spreads a
row's days over the week), repeating weekly, that any phone calendar subscribes to. Each
event names the day's exercises and doses; an alarm at 9:00 on the day reminds the patient.
Its words are the patient's (a `Reader` of coach.i18n: English by default).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any

from icalendar import Alarm, Calendar, Event, vRecur

from coach.i18n import Reader, reader
from coach.review.schedule import ICAL_DAYS, items_on

PRODID = "-//Coach//Home exercise program//EN"
REFRESH = timedelta(hours=6)  # how often a subscribed calendar should look again
ALARM_AT = timedelta(hours=9)  # from the start of the (all-day) event's day


def _first_on_or_after(start: date, weekday: int) -> date:
    return start + timedelta(days=(weekday - start.weekday()) % 7)


def program_calendar(
    patient_id: int,
    program: Sequence[Any],
    name_of: Callable[[str], str],
    dose_of: Callable[[Any], str],
    start: date,
    link: str | None = None,
    now: datetime | None = None,
    words: Reader | None = None,
) -> bytes:
    """The feed: events from the week of `start` on, one per weekday with exercises.
    `name_of` names an exercise id, `dose_of` says a row's dose (messages, rendered in
    `words`'s language); `link` (the public address of the patient's page) goes in each event."""
    now = now or datetime.now(timezone.utc)
    words = words or reader("en")
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", words.gettext("My exercises (Coach)"))
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT6H")  # an X- property: its value as written
    for weekday in range(7):
        items = items_on(program, weekday)
        if items:
            cal.add_component(
                _day_event(patient_id, weekday, items, name_of, dose_of, start, link, now, words)
            )
    return bytes(cal.to_ical())


def _day_event(
    patient_id: int,
    weekday: int,
    items: list[Any],
    name_of: Callable[[str], str],
    dose_of: Callable[[Any], str],
    start: date,
    link: str | None,
    now: datetime,
    words: Reader,
) -> Event:
    """The weekly all-day event of one weekday: its exercises, their doses, an alarm."""
    named = [words.say(name_of(item.exercise_id)) for item in items]
    names = ", ".join(named)
    doses = [words.say(dose_of(item)) for item in items]
    lines = [f"- {name}: {dose}" for name, dose in zip(named, doses, strict=True)]
    if link:
        lines.append(words.gettext("Open your exercises: {link}", link=link))
    lines.append(words.gettext("Stop and rest if anything hurts, and tell your therapist."))
    heading = words.gettext("Your exercises on {day}s:", day=words.weekday(weekday))
    day = _first_on_or_after(start, weekday)
    event = Event()
    event.add("uid", f"coach-patient-{patient_id}-{ICAL_DAYS[weekday].lower()}@coach")
    event.add("dtstamp", now)
    event.add("summary", words.gettext("Exercises: {names}", names=names))
    event.add("description", heading + "\n" + "\n".join(lines))
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("rrule", vRecur(freq="weekly", byday=ICAL_DAYS[weekday]))
    event.add("transp", "TRANSPARENT")
    if link:
        event.add("url", link)
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", words.gettext("Time for your exercises: {names}", names=names))
    alarm.add("trigger", ALARM_AT)
    event.add_component(alarm)
    return event
