"""The cue selector: one cue at a time, most urgent first, with a cooldown and no nagging."""

from __future__ import annotations

import pytest

from scoring.cues import CueSelector
from scoring.events import Cue


def test_nothing_offered_nothing_said() -> None:
    cues = CueSelector()
    assert cues.select(0.0) is None
    assert cues.active(0.0) is None


def test_the_highest_priority_of_a_frame_wins_and_only_one_is_said() -> None:
    cues = CueSelector()
    cues.offer("Keep your chest up", 2, "trunk_lean")
    cues.offer("Push your knees out", 3, "knee_valgus")
    cues.offer("Go a little deeper", 1, "incomplete_range")
    cue = cues.select(0.0)
    assert cue == Cue(t=0.0, text="Push your knees out", priority=3, source="knee_valgus")
    # The losers were not queued: the next frame with nothing offered says nothing.
    assert cues.select(5.0) is None


def test_cooldown_between_cues() -> None:
    cues = CueSelector(cooldown_s=3.0, repeat_s=8.0, urgent_after_s=1.0)
    cues.offer("A", 2, "a")
    assert cues.select(0.0) is not None
    for t in (0.5, 1.5, 2.9):
        cues.offer("B", 2, "b")  # same priority: not urgent, must wait for the cooldown
        assert cues.select(t) is None
    cues.offer("B", 2, "b")
    cue = cues.select(3.0)
    assert cue is not None and cue.text == "B"


def test_same_text_not_repeated_within_repeat_s() -> None:
    cues = CueSelector(cooldown_s=3.0, repeat_s=8.0)
    said = []
    for i in range(200):  # the same fault offered on every frame for 20 s
        t = i * 0.1
        cues.offer("Keep your chest up", 2, "trunk_lean")
        cue = cues.select(t)
        if cue is not None:
            said.append(round(cue.t, 1))
    assert said == [0.0, 8.0, 16.0]


def test_another_text_is_said_while_the_first_one_is_muted() -> None:
    cues = CueSelector(cooldown_s=3.0, repeat_s=8.0)
    cues.offer("A", 2, "a")
    assert cues.select(0.0) is not None
    # At 4 s "A" is still muted (repeat) but "B" is fresh: B is said even though A ranks higher.
    cues.offer("A", 3, "a")
    cues.offer("B", 1, "b")
    cue = cues.select(4.0)
    assert cue is not None and cue.text == "B"


def test_an_urgent_cue_cuts_the_cooldown_short() -> None:
    cues = CueSelector(cooldown_s=3.0, repeat_s=8.0, urgent_after_s=1.0)
    cues.offer("Go a little deeper", 1, "incomplete_range")
    assert cues.select(0.0) is not None
    cues.offer("I can't see you", 5, "pose_lost")
    assert cues.select(0.5) is None  # not even an urgent cue within urgent_after_s
    cues.offer("I can't see you", 5, "pose_lost")
    cue = cues.select(1.2)
    assert cue is not None and cue.priority == 5
    # Equal priority after that is not urgent: back to the cooldown.
    cues.offer("Step back", 5, "setup")
    assert cues.select(2.5) is None
    cues.offer("Step back", 5, "setup")
    assert cues.select(4.2) is not None


def test_active_cue_stays_on_screen_for_one_cooldown() -> None:
    cues = CueSelector(cooldown_s=3.0)
    cues.offer("Keep your chest up", 2, "trunk_lean")
    cue = cues.select(10.0)
    assert cues.active(10.0) == cue
    assert cues.active(13.0) == cue
    assert cues.active(13.01) is None


@pytest.mark.parametrize("cooldown", [1.0, 5.0])
def test_never_more_than_one_cue_per_cooldown_under_a_flood(cooldown: float) -> None:
    cues = CueSelector(cooldown_s=cooldown, repeat_s=0.0, urgent_after_s=cooldown)
    times = []
    for i in range(300):
        t = i / 30
        for k in range(6):
            cues.offer(f"cue {k} {i}", 1 + k % 3, "flood")
        cue = cues.select(t)
        if cue is not None:
            times.append(t)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(times) >= 2
    assert min(gaps) >= cooldown - 1e-9
