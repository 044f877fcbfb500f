"""The weekly check-ins over weeks, and the changes a published threshold calls meaningful.

Pure functions over stored check-ins (coach.store.checkins), like pain.py. Weeks are Monday-
based in UTC, from the first check-in (never twelve empty weeks before it).

The Patient-Specific Functional Scale (PSFS) is scored as change from the patient's first
rating (Stratford et al. 1995). Checked sources (docs/ACCURACY.md's style: where, what it says):
- Stratford et al. 1995 (Physiotherapy Canada 47(4):258-263), as reproduced with the authors'
  permission on the scale's published form: the minimum detectable change (90 % confidence) is
  2 points for the average score and 3 points for a single activity's score.
- Abbott & Schmitt 2014 (J Orthop Sports Phys Ther 44(8):560-564, doi:10.2519/jospt.2014.5248;
  1,708 patients of 5 clinics): the minimum important difference of the PSFS (average, 0-10)
  is 1.3 for a small, 2.3 for a medium and 2.7 for a large change patients perceive.
So a single activity's change is marked from 3 points (below that it may be measurement
noise), the average's from 2 (detectable, and within the important range). Sleep quality,
stress, headaches and energy are Coach's own single 0-10 questions, not a published
instrument: no threshold is published for them, so their changes are shown, never marked.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from coach.i18n import Day
from coach.review.progress import first_week, week_start
from coach.store.checkins import ITEMS, MAX_ACTIVITIES, PSFS_SOURCE, CheckIn
from scoring.words import Say, say

PSFS_ACTIVITY_POINTS = 3
PSFS_MEAN_POINTS = 2
ABBOTT_SOURCE = (
    "Abbott JH, Schmitt JS. Minimum important differences for the Patient-Specific Functional "
    "Scale, 4 region-specific outcome measures, and the Numeric Pain Rating Scale. J Orthop "
    "Sports Phys Ther 2014;44(8):560-564"
)
NO_THRESHOLD = say(
    "Sleep quality, stress, headaches and energy are single 0-10 questions of Coach's own: no "
    "published threshold tells a meaningful change, so none is marked."
)


@dataclass(frozen=True)
class Change:
    """A change since the first rating at or past the published threshold."""

    what: str  # the PSFS average (a message) or the activity's name (the patient's words)
    since: date  # the week of the first rating
    week: date  # the week of the latest
    old: float
    new: float
    threshold: int
    source: str

    @property
    def points(self) -> float:
        return self.new - self.old

    @property
    def text(self) -> Say:
        """The change in words (a message: each reader's language, docs/I18N.md)."""
        params: dict[str, Any] = {
            "what": self.what,
            "old": self.old,
            "since": Day(self.since),
            "new": self.new,
            "week": Day(self.week),
            "change": "%+g" % self.points,  # noqa: UP031 (a sign, in every language)
            "threshold": self.threshold,
        }
        if self.points > 0:
            return say(
                "{what}: {old} in the week of {since}, {new} in the week of {week} ({change} "
                "points, better; a change of {threshold} or more is meaningful)",
                **params,
            )
        return say(
            "{what}: {old} in the week of {since}, {new} in the week of {week} ({change} "
            "points, worse; a change of {threshold} or more is meaningful)",
            **params,
        )


@dataclass
class CheckInWeeks:
    """The check-ins week by week: each question's answers, each activity's scores, the PSFS
    average; None for a week without one (or a question left out)."""

    weeks: list[date]
    answers: dict[str, list[int | None]]
    activities: dict[str, list[int | None]] = field(default_factory=dict)
    psfs_mean: list[float | None] = field(default_factory=list)
    skipped: list[bool] = field(default_factory=list)


def _key(activity: str) -> str:
    return " ".join(activity.casefold().split())


def _names(c: CheckIn) -> set[str]:
    return {_key(a.activity) for a in c.activities}


def weekly_checkins(
    checkins: list[CheckIn], weeks: int = 12, today: date | None = None
) -> CheckInWeeks:
    today = today or datetime.now(timezone.utc).date()
    since = checkins[0].week_start if checkins else today
    first = first_week(today, weeks, since)
    count = (week_start(today) - first).days // 7 + 1
    out = CheckInWeeks(
        [first + timedelta(weeks=i) for i in range(count)],
        {item: [None] * count for item in ITEMS},
        psfs_mean=[None] * count,
        skipped=[False] * count,
    )
    names: dict[str, str] = {}  # an activity's key -> the words it was first named with
    for c in checkins:
        i = (c.week_start - first).days // 7
        if not 0 <= i < count:
            continue
        out.skipped[i] = c.skipped
        for item, value in c.answers.items():
            out.answers[item][i] = value
        for a in c.activities:
            name = names.setdefault(_key(a.activity), a.activity)
            out.activities.setdefault(name, [None] * count)[i] = a.score
        out.psfs_mean[i] = c.psfs_mean
    return out


def meaningful_changes(checkins: list[CheckIn]) -> list[Change]:
    """Each activity's latest score against its first, and the PSFS average's, where the change
    reaches the published threshold (module docstring)."""
    firsts: dict[str, tuple[date, str, int]] = {}
    lasts: dict[str, tuple[date, int]] = {}
    for c in checkins:
        for a in c.activities:
            firsts.setdefault(_key(a.activity), (c.week_start, a.activity, a.score))
            lasts[_key(a.activity)] = (c.week_start, a.score)
    out = []
    for key, (since, name, old) in firsts.items():
        week, new = lasts[key]
        if week != since and abs(new - old) >= PSFS_ACTIVITY_POINTS:
            out.append(Change(name, since, week, old, new, PSFS_ACTIVITY_POINTS, PSFS_SOURCE))
    rated = [c for c in checkins if c.psfs_mean is not None]
    same = len(rated) >= 2 and _names(rated[0]) == _names(rated[-1])
    if same:  # an average of other activities is another score
        first, last = rated[0], rated[-1]
        old_mean, new_mean = first.psfs_mean or 0.0, last.psfs_mean or 0.0
        if abs(new_mean - old_mean) >= PSFS_MEAN_POINTS:
            out.append(
                Change(
                    say("PSFS score (average of the activities)"),
                    first.week_start,
                    last.week_start,
                    round(old_mean, 1),
                    round(new_mean, 1),
                    PSFS_MEAN_POINTS,
                    f"{PSFS_SOURCE}; {ABBOTT_SOURCE}",
                )
            )
    return out


def sources() -> dict[str, Any]:
    """The words the pages and exports cite."""
    return {
        "psfs": PSFS_SOURCE,
        "psfs_mid": ABBOTT_SOURCE,
        "activity_points": PSFS_ACTIVITY_POINTS,
        "mean_points": PSFS_MEAN_POINTS,
        "no_threshold": NO_THRESHOLD,
    }


# ---- the CSV export (the patient page's download, the patient's archive) ---------------------
CSV_COLUMNS = ["week_start", "skipped", *ITEMS]
CSV_COLUMNS += [f"{k}_{i}" for i in range(1, MAX_ACTIVITIES + 1) for k in ("activity", "psfs")]
CSV_COLUMNS += ["psfs_mean", "answered_at"]


def checkins_csv(checkins: list[CheckIn]) -> str:
    """One row per check-in: the answers, up to three PSFS activities and their mean."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for c in checkins:
        row = c.to_json()
        acts: list[Any] = []
        for i in range(MAX_ACTIVITIES):
            a = c.activities[i] if i < len(c.activities) else None
            acts += [a.activity, a.score] if a else ["", ""]
        mean = "" if row["psfs_mean"] is None else row["psfs_mean"]
        answers = ["" if row[item] is None else row[item] for item in ITEMS]
        w.writerow([row["week_start"], int(c.skipped), *answers, *acts, mean, row["created_at"]])
    return buf.getvalue()
