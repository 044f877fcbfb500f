"""The patient's weekly check-ins to and from FHIR.

One Observation `weekly-checkin` per week (category survey, `effectivePeriod` the week, Monday
to Monday UTC, `issued` when answered, component `checkin-skipped`), whose `hasMember` are
one Observation per question answered (`checkin-sleep-quality`, `-stress`, `-headaches`,
`-energy`: `valueInteger` 0-10) and one per Patient-Specific Functional Scale activity
(`psfs-activity`: `valueInteger` the score, components the activity's words and position).
All coded in our CodeSystem: no LOINC term was found for the PSFS, nor for these single
0-10 questions (docs/FHIR.md).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from coach.review.fhir import method
from coach.review.fhir.refs import Context, parse_when, ref, when
from coach.review.fhir.terms import (
    CONCEPTS,
    category,
    component,
    component_values,
    concept,
    our_code,
)
from coach.store.checkins import ITEMS, CheckIn

ITEM_CODES = {
    "sleep": "checkin-sleep-quality",
    "stress": "checkin-stress",
    "headaches": "checkin-headaches",
    "energy": "checkin-energy",
}
_ITEM_BY_CODE = {code: item for item, code in ITEM_CODES.items()}


def _monday(week: date) -> datetime:
    return datetime.combine(week, time(0), tzinfo=timezone.utc)


def _base(code: str, c: CheckIn, ctx: Context, text: str) -> dict[str, Any]:
    start = _monday(c.week_start)
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": category("survey"),
        "code": concept(code, text=text),
        "subject": ref(ctx.patient),
        "effectivePeriod": {"start": when(start), "end": when(start + timedelta(days=7))},
        "issued": when(c.created_at),
        "method": method.self_report(),
    }


def checkin_entries(c: CheckIn, ctx: Context) -> list[dict[str, Any]]:
    """The week's check-in and its answers, as bundle entries (the week's Observation first)."""
    key = c.week_start.isoformat()
    members: list[dict[str, Any]] = []
    for item in ITEMS:
        if item in c.answers:
            obs = _base(ITEM_CODES[item], c, ctx, CONCEPTS[ITEM_CODES[item]][1])
            members.append(ctx.entry(ctx.ids.url("checkin-item", f"{key}/{item}"),
                                     obs | {"valueInteger": c.answers[item]}))  # fmt: skip
    for a in c.activities:
        obs = _base("psfs-activity", c, ctx, f"Patient-Specific Functional Scale: {a.activity}")
        obs["valueInteger"] = a.score
        obs["component"] = [
            component("psfs-activity-name", a.activity),
            component("psfs-position", a.position),
        ]
        members.append(ctx.entry(ctx.ids.url("psfs", f"{key}/{a.position}"), obs))
    week = _base("weekly-checkin", c, ctx, "Weekly check-in")
    week["component"] = [component("checkin-skipped", c.skipped)]
    if members:
        week["hasMember"] = [ref(m["fullUrl"]) for m in members]
    return [ctx.entry(ctx.ids.url("checkin", key), week), *members]


def is_checkin(obs: dict[str, Any]) -> bool:
    return our_code(obs.get("code")) == "weekly-checkin"


def read_checkin(week: dict[str, Any], by_url: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """week_start, skipped, created_at, answers and (activity, score) pairs in order."""
    start = parse_when((week.get("effectivePeriod") or {}).get("start"))
    if start is None:
        raise ValueError("a weekly check-in has no week (effectivePeriod.start)")
    answers: dict[str, object] = {}
    activities: list[tuple[int, str, object]] = []
    for member in week.get("hasMember") or []:
        obs = by_url.get(member.get("reference", ""))
        if obs is None:
            raise ValueError("a weekly check-in's answer is not in the bundle")
        code = our_code(obs.get("code")) or ""
        if code in _ITEM_BY_CODE:
            answers[_ITEM_BY_CODE[code]] = obs.get("valueInteger")
        elif code == "psfs-activity":
            parts = component_values(obs)
            activities.append(
                (
                    int(parts.get("psfs-position") or 0),
                    str(parts.get("psfs-activity-name") or ""),
                    obs.get("valueInteger"),
                )  # fmt: skip
            )
    return {
        "week_start": start.date(),
        "skipped": component_values(week).get("checkin-skipped") is True,
        "created_at": parse_when(week.get("issued")),
        "answers": answers,
        "activities": [(name, score) for _, name, score in sorted(activities)],
    }
