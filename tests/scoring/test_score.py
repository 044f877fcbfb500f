"""The per-rep score: 100 * min(1, rom / target_rom) - penalties, clipped to [0, 100]."""

from __future__ import annotations

import pytest

from scoring.score import rep_score


@pytest.mark.parametrize(
    ("rom", "target", "penalties", "expected"),
    [
        (90.0, 90.0, [], 100.0),  # full range, clean
        (120.0, 90.0, [], 100.0),  # beyond the target earns no extra
        (45.0, 90.0, [], 50.0),  # half the range
        (60.0, 90.0, [], 66.7),  # rounded to one decimal
        (90.0, 90.0, [15.0], 85.0),  # one fault
        (90.0, 90.0, [15.0, 10.0], 75.0),  # two faults add up
        (45.0, 90.0, [15.0], 35.0),
        (10.0, 90.0, [15.0, 15.0], 0.0),  # never below 0
        (0.0, 90.0, [], 0.0),
        (-5.0, 90.0, [], 0.0),  # a negative range is no range
        (0.35, 0.35, [10.0], 90.0),  # units do not matter (hip height, leg lengths)
        (90.0, 90.0, [0.0], 100.0),
    ],
)
def test_formula(rom: float, target: float, penalties: list[float], expected: float) -> None:
    assert rep_score(rom, target, penalties) == expected


def test_penalties_may_be_any_iterable() -> None:
    assert rep_score(90.0, 90.0, {"a": 15.0, "b": 5.0}.values()) == 80.0
    assert rep_score(90.0, 90.0, (p for p in [20.0])) == 80.0


@pytest.mark.parametrize("target", [0.0, -10.0])
def test_target_must_be_positive(target: float) -> None:
    with pytest.raises(ValueError, match="target_rom"):
        rep_score(50.0, target, [])


def test_score_never_exceeds_100_or_drops_below_0() -> None:
    for rom in (0.0, 10.0, 100.0, 1e6):
        for pen in ([], [50.0], [100.0, 100.0]):
            assert 0.0 <= rep_score(rom, 90.0, pen) <= 100.0
