"""The weekly check-ins week by week and the changes marked meaningful (coach.review.checkins):
pure functions on made check-ins, and the store's checks on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from coach.review.checkins import meaningful_changes, weekly_checkins
from coach.store import Store
from coach.store.checkins import (
    Activity,
    CheckIn,
    CheckInError,
    check_answers,
    last_activities,
    patient_checkins,
    record_checkin,
    week_of,
)

MONDAY = date(2026, 3, 2)


def _checkin(weeks: int, answers: dict[str, int], *acts: tuple[str, int]) -> CheckIn:
    when = datetime.combine(
        MONDAY + timedelta(weeks=weeks, days=2), datetime.min.time(), timezone.utc
    )
    activities = tuple(Activity(i, name, score) for i, (name, score) in enumerate(acts, start=1))
    return CheckIn(1, MONDAY + timedelta(weeks=weeks), when, False, answers, activities)


def test_an_activity_changed_by_three_points_is_marked_and_by_two_is_not() -> None:
    checkins = [
        _checkin(0, {"sleep": 4}, ("Climbing stairs", 2), ("Gardening", 5)),
        _checkin(1, {"sleep": 6}, ("climbing  stairs", 4), ("Gardening", 6)),
        _checkin(3, {}, ("Climbing stairs", 5), ("Gardening", 7)),
    ]
    changes = meaningful_changes(checkins)
    # Gardening 5 -> 7 (+2) is not marked; the average (2+5)/2 -> (5+7)/2, +2.5, is.
    assert [(c.what, c.old, c.new) for c in changes] == [
        ("Climbing stairs", 2, 5),
        ("PSFS score (average of the activities)", 3.5, 6.0),
    ]
    assert "Stratford" in changes[0].source and "+3 points, better" in changes[0].text
    worse = meaningful_changes(
        [checkins[0], _checkin(2, {}, ("Climbing stairs", 0), ("Gardening", 3))]
    )
    assert {c.what for c in worse} == {"PSFS score (average of the activities)"}
    assert worse[0].points == -2.0 and "worse" in worse[0].text and "Abbott" in worse[0].source


def test_an_average_of_other_activities_is_not_compared() -> None:
    checkins = [_checkin(0, {}, ("Running", 2)), _checkin(1, {}, ("Walking", 8))]
    assert meaningful_changes(checkins) == []


def test_weeks_hold_each_answer_activity_and_the_average() -> None:
    checkins = [
        _checkin(0, {"sleep": 4, "energy": 3}, ("Climbing stairs", 2)),
        _checkin(2, {"stress": 7}, ("climbing stairs", 6), ("Kneeling", 1)),
    ]
    weeks = weekly_checkins(checkins, today=MONDAY + timedelta(weeks=3))
    assert weeks.weeks[0] == MONDAY and len(weeks.weeks) == 4
    assert weeks.answers["sleep"] == [4, None, None, None]
    assert weeks.answers["stress"] == [None, None, 7, None]
    assert weeks.activities == {
        "Climbing stairs": [2, None, 6, None],
        "Kneeling": [None, None, 1, None],
    }
    assert weeks.psfs_mean == [2.0, None, 3.5, None]


@pytest.mark.parametrize(
    ("answers", "activities", "reason"),
    [
        ({"sleep": "11"}, [], "from 0 to 10"),
        ({"sleep": -1}, [], "from 0 to 10"),
        ({"mood": 3}, [], "unknown question"),
        ({}, [("", "4")], "no name"),
        ({}, [("Stairs", "")], "choose how well"),
        ({}, [("x" * 81, "4")], "at most 80"),
        ({}, [("a", 1), ("b", 2), ("c", 3), ("d", 4)], "at most 3"),
    ],
)
def test_a_check_in_that_cannot_be_stored_says_why(answers, activities, reason) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CheckInError, match=reason):
        check_answers(answers, activities)


def test_questions_left_out_and_empty_activities_are_skipped() -> None:
    given, rated = check_answers({"sleep": "", "stress": "3"}, [("", ""), (" Stairs ", "4")])
    assert given == {"stress": 3} and rated == (Activity(1, "Stairs", 4),)


def test_one_check_in_a_week_replaced_and_kept_apart_by_patient(any_store: Store) -> None:
    ther = any_store.create_user("ther.checkin", "T", "a long secret pw")
    a = any_store.create_patient(ther.id, "Ann Check").id
    b = any_store.create_patient(ther.id, "Ben Check").id
    monday = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
    record_checkin(any_store, a, {"sleep": 3}, [("Stairs", 2), ("Kneeling", 1)], when=monday)
    record_checkin(any_store, a, {"sleep": 5}, [("Stairs", 4)], when=monday + timedelta(days=3))
    record_checkin(any_store, a, {}, [], skipped=True, when=monday + timedelta(weeks=1))
    record_checkin(any_store, b, {"energy": 9}, [], when=monday)
    mine = patient_checkins(any_store, a)
    first = week_of(monday.date())
    assert [(c.week_start, c.skipped) for c in mine] == [
        (first, False),
        (first + timedelta(weeks=1), True),
    ]
    assert mine[0].answers == {"sleep": 5} and [x.activity for x in mine[0].activities] == [
        "Stairs"
    ]
    assert mine[0].psfs_mean == 4.0
    assert last_activities(mine) == ["Stairs"]
    assert [c.answers for c in patient_checkins(any_store, b)] == [{"energy": 9}]
