"""The clinical tests the live page can run (coach.live.clinical), by their exercise id (the
norms file's): a new live test is a row here, no other special case."""

from __future__ import annotations

from collections.abc import Callable

from coach.live.balance import BALANCE_TEST, LiveBalance, balance_exercise
from coach.live.clinical import LiveTest
from coach.live.tug import TUG_TEST, LiveTug, tug_exercise
from scoring.definition import Exercise

# exercise id -> (the engine's definition, a new run of the test)
LIVE_TESTS: dict[str, tuple[Callable[[], Exercise], Callable[[], LiveTest]]] = {
    BALANCE_TEST: (balance_exercise, LiveBalance),
    TUG_TEST: (tug_exercise, LiveTug),
}


def live_test_exercise(exercise_id: str) -> Exercise | None:
    """The engine's definition of a live test (None: not a test)."""
    row = LIVE_TESTS.get(exercise_id)
    return row[0]() if row else None


def new_test(exercise_id: str) -> LiveTest | None:
    """A new run of the live test `exercise_id` (None: not a test)."""
    row = LIVE_TESTS.get(exercise_id)
    return row[1]() if row else None
