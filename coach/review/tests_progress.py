"""A patient's clinical test results week by week, one trend per test, for the charts beside
the tests (the tests page, web/templates/review/_tests_progress.html).

Pure functions over stored results (coach.store.protocol_results rows: `protocol` the
`coach protocol` id, `created_at`, `result` the ProtocolResult's JSON), like progress.py. A
week shows its last result of that test (the latest measurement stands, as a retest does);
weeks are Monday-based, in UTC, from the first result (never twelve empty weeks before it).
A test's value is in its own unit, so each test is its own chart; a reference the result was
compared with is a line on it (the timed up-and-go's 12 s fall-risk cut-off). A result
taken live (the four-stage balance test or Timed Up and Go on the live page:
`measured.recording` "live") is marked so in `live`, week by week.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from coach.review.progress import first_week, week_start
from coach.store.models import aware

# A reference value of a result drawn as a line: (key in its `reference`, the line's name).
REFERENCE_LINES = {
    "tug": ("fall_risk_s", "fall risk (STEADI)"),
    "five-times-sit-to-stand": ("fall_risk_cutoff_s", "fall risk (65 and over)"),
}


@dataclass
class TestTrend:
    """One test's results by week, oldest first; None for a week without one."""

    protocol: str  # the `coach protocol` id
    name: str
    unit: str
    weeks: list[date]
    values: list[float | None]
    lines: dict[str, float] = field(default_factory=dict)
    live: list[bool] = field(default_factory=list)  # per week: its result was taken live

    @property
    def measured(self) -> int:
        return sum(v is not None for v in self.values)


def _value(result: dict[str, Any]) -> float | None:
    v = result.get("value")
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(float(v)):
        return None
    return float(v)


def _taken_live(result: dict[str, Any]) -> bool:
    return (result.get("measured") or {}).get("recording") == "live"


def weekly_tests(rows: list[Any], weeks: int = 12, today: date | None = None) -> list[TestTrend]:
    """One trend per test the patient has a result of, in the order first done."""
    if not rows:
        return []
    today = today or datetime.now(timezone.utc).date()
    ordered = sorted(rows, key=lambda r: aware(r.created_at))
    first = first_week(today, weeks, aware(ordered[0].created_at).date())
    count = (week_start(today) - first).days // 7 + 1
    starts = [first + timedelta(weeks=i) for i in range(count)]
    trends: dict[str, TestTrend] = {}
    for row in ordered:
        result = row.result or {}
        trend = trends.get(row.protocol)
        if trend is None:
            trend = trends[row.protocol] = TestTrend(
                row.protocol,
                str(result.get("name") or row.protocol),
                str(result.get("unit") or ""),
                starts,
                [None] * count,
                live=[False] * count,
            )
        week = week_start(aware(row.created_at).date())
        value = _value(result)
        if week >= first and value is not None:
            trend.values[(week - first).days // 7] = value  # the week's last stands
            trend.live[(week - first).days // 7] = _taken_live(result)
        key, line = REFERENCE_LINES.get(row.protocol, ("", ""))
        ref = (result.get("reference") or {}).get(key)
        if isinstance(ref, int | float):
            trend.lines[line] = float(ref)
    return list(trends.values())
