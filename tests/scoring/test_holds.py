"""Balance holds: start, touch-downs, end, minimum length and scale-free sway."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from scoring.holds import Hold, HoldSettings, HoldTracker, sway

FPS = 30.0
DT = 1.0 / FPS
SETTINGS = HoldSettings(min_start_s=0.3, touchdown_max_s=1.0, min_hold_s=1.0)


def feed(
    tracker: HoldTracker,
    ok_at: Callable[[float], bool | None],
    until_s: float,
    centre_at: Callable[[float], tuple[float, float]] | None = None,
    height: float = 0.6,
) -> tuple[list[Hold], float]:
    """Feed frames at FPS from 0 to `until_s`; returns the holds that ended and the last t."""
    holds = []
    t = 0.0
    for i in range(int(round(until_s * FPS))):
        t = i * DT
        centre = centre_at(t) if centre_at is not None else (0.5, 0.5)
        hold = tracker.update(t, ok_at(t), centre, height)
        if hold is not None:
            holds.append(hold)
    return holds, t


def between(*spans: tuple[float, float]) -> Callable[[float], bool]:
    return lambda t: any(a <= t < b for a, b in spans)


def test_hold_starts_after_min_start_and_ends_after_a_long_lapse() -> None:
    tracker = HoldTracker(SETTINGS)
    holds, _ = feed(tracker, between((1.0, 6.0)), 9.0)
    assert len(holds) == 1
    hold = holds[0]
    assert hold.start_s == pytest.approx(1.0, abs=DT)  # dated from when it became true
    assert hold.end_s == pytest.approx(6.0 - DT, abs=DT)  # last good instant
    assert hold.duration_s == pytest.approx(5.0, abs=2 * DT)
    assert hold.touch_downs == 0
    assert not tracker.active


def test_not_active_until_min_start_has_passed() -> None:
    tracker = HoldTracker(SETTINGS)
    tracker.update(0.0, True)
    assert not tracker.active
    tracker.update(0.2, True)
    assert not tracker.active and tracker.elapsed(0.2) == 0.0
    tracker.update(0.31, True)
    assert tracker.active
    assert tracker.elapsed(0.31) == pytest.approx(0.31)


def test_end_is_decided_only_after_touchdown_max() -> None:
    tracker = HoldTracker(SETTINGS)
    feed(tracker, between((0.0, 3.0)), 3.0)
    assert tracker.active
    assert tracker.update(3.0, False) is None
    assert tracker.update(3.9, False) is None  # still possibly a touch-down
    assert tracker.active
    hold = tracker.update(4.05, False)
    assert hold is not None and not tracker.active
    assert hold.end_s == pytest.approx(3.0 - DT, abs=1e-9)


def test_short_lapses_are_touch_downs_and_the_hold_goes_on() -> None:
    tracker = HoldTracker(SETTINGS)
    # Two brief touch-downs (0.5 s and 0.8 s) inside one 10 s hold.
    ok = between((0.0, 3.0), (3.5, 6.0), (6.8, 10.0))
    holds, _ = feed(tracker, ok, 12.0)
    assert len(holds) == 1
    assert holds[0].touch_downs == 2
    assert holds[0].start_s == pytest.approx(0.0)
    assert holds[0].duration_s == pytest.approx(10.0, abs=2 * DT)


def test_a_long_lapse_splits_into_two_holds() -> None:
    tracker = HoldTracker(SETTINGS)
    holds, _ = feed(tracker, between((0.0, 3.0), (5.0, 8.0)), 10.0)
    assert [round(h.start_s, 1) for h in holds] == [0.0, 5.0]
    assert all(h.touch_downs == 0 for h in holds)


def test_holds_shorter_than_min_hold_are_not_reported() -> None:
    tracker = HoldTracker(HoldSettings(min_start_s=0.3, touchdown_max_s=1.0, min_hold_s=2.0))
    holds, _ = feed(tracker, between((0.0, 1.5), (4.0, 7.0)), 9.0)
    assert len(holds) == 1
    assert holds[0].start_s == pytest.approx(4.0, abs=DT)


def test_flicker_shorter_than_min_start_never_starts_a_hold() -> None:
    tracker = HoldTracker(SETTINGS)
    # True for 0.2 s out of every 0.5 s.
    holds, _ = feed(tracker, lambda t: (t % 0.5) < 0.2, 5.0)
    assert holds == []
    assert not tracker.active


def test_unseen_frames_are_neither_progress_nor_lapse_until_too_long() -> None:
    tracker = HoldTracker(SETTINGS)
    feed(tracker, between((0.0, 2.0)), 2.0)
    # 0.8 s of "can't see": the hold stays open, elapsed time does not grow.
    for i in range(24):
        assert tracker.update(2.0 + i * DT, None) is None
    assert tracker.active
    assert tracker.elapsed(2.8) == pytest.approx(2.0 - DT)
    # Seen again, still good: the same hold goes on, with no touch-down.
    for i in range(30):
        tracker.update(2.8 + i * DT, True)
    hold = tracker.finish(4.0)
    assert hold is not None and hold.touch_downs == 0
    assert hold.start_s == 0.0
    # Unseen for longer than touchdown_max: ends at the last good instant.
    tracker = HoldTracker(SETTINGS)
    feed(tracker, between((0.0, 2.0)), 2.0)
    ended = [tracker.update(2.0 + i * DT, None) for i in range(45)]
    done = [h for h in ended if h is not None]
    assert len(done) == 1 and done[0].end_s == pytest.approx(2.0 - DT)


def test_finish_closes_an_open_hold() -> None:
    tracker = HoldTracker(SETTINGS)
    holds, t = feed(tracker, lambda t: t >= 1.0, 5.0)
    assert holds == [] and tracker.active
    hold = tracker.finish(t)
    assert hold is not None
    assert hold.start_s == pytest.approx(1.0, abs=DT)
    assert hold.end_s == pytest.approx(t)
    assert tracker.finish(t) is None  # nothing open any more


def test_sway_is_the_rms_excursion_in_body_heights() -> None:
    # Centre on a circle of radius r: RMS distance from the mean is r.
    angles = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    centres = [(0.5 + 0.03 * math.cos(a), 0.4 + 0.03 * math.sin(a), 0.6) for a in angles]
    assert sway(centres) == pytest.approx(0.03 / 0.6, rel=1e-6)
    assert sway([(0.5, 0.5, 0.6)] * 10) == 0.0
    assert sway([(0.5, 0.5, 0.6)]) == 0.0
    assert sway([(0.5, 0.5, 0.0), (0.6, 0.5, 0.0)]) == 0.0  # no usable height


@pytest.mark.parametrize("scale", [0.5, 2.0])
def test_same_motion_at_two_scales_gives_the_same_sway(scale: float) -> None:
    def centre(t: float) -> tuple[float, float]:
        return (0.5 + 0.02 * math.sin(2.1 * t), 0.45 + 0.01 * math.cos(3.3 * t))

    def scaled(t: float) -> tuple[float, float]:
        x, y = centre(t)
        return (0.2 + scale * x, 0.1 + scale * y)  # farther or nearer, elsewhere in the image

    near, _ = feed(HoldTracker(SETTINGS), between((0.0, 6.0)), 8.0, centre, 0.6)
    far, _ = feed(HoldTracker(SETTINGS), between((0.0, 6.0)), 8.0, scaled, 0.6 * scale)
    assert near[0].sway > 0.01
    assert far[0].sway == pytest.approx(near[0].sway, rel=1e-9)


def test_more_movement_means_more_sway() -> None:
    def wobble(amp: float) -> Callable[[float], tuple[float, float]]:
        return lambda t: (0.5 + amp * math.sin(4 * t), 0.5)

    small, _ = feed(HoldTracker(SETTINGS), between((0.0, 5.0)), 7.0, wobble(0.005))
    large, _ = feed(HoldTracker(SETTINGS), between((0.0, 5.0)), 7.0, wobble(0.03))
    assert large[0].sway > 4 * small[0].sway


def test_frames_without_a_centre_still_count_for_time_not_for_sway() -> None:
    tracker = HoldTracker(SETTINGS)
    for i in range(150):
        t = i * DT
        centre = (0.5 + (0.05 if i % 2 else -0.05), 0.5) if i < 75 else None
        tracker.update(t, True, centre, 0.5 if centre else None)
    hold = tracker.finish(150 * DT)
    assert hold is not None
    assert hold.duration_s == pytest.approx(149 * DT)
    assert hold.sway == pytest.approx(0.05 / 0.5, rel=0.02)
