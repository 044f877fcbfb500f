"""The rep counter (two thresholds with hysteresis) on synthetic signals."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np
import pytest

from scoring.reps import Phase, Rep, RepCounter, RepThresholds

FPS = 30.0

# Knee-flexion-like thresholds: rest near 0, a rep reaches 90+.
KNEE = RepThresholds(enter=60.0, exit=30.0, min_rom=40.0, min_duration_s=0.4, max_duration_s=8.0)


def run(counter: RepCounter, ts: Iterable[float], values: Iterable[float]) -> list[Rep]:
    reps = []
    for t, v in zip(ts, values, strict=True):
        rep = counter.update(float(t), float(v))
        if rep is not None:
            reps.append(rep)
    return reps


def sampled(fn: Callable[[np.ndarray], np.ndarray], duration_s: float) -> tuple[np.ndarray, ...]:
    t = np.arange(0.0, duration_s, 1.0 / FPS)
    return t, fn(t)


def raised_cosine(t: np.ndarray, period: float, low: float, high: float) -> np.ndarray:
    """Starts at `low`, peaks at `high` mid-period, back to `low` each period."""
    return low + (high - low) * 0.5 * (1 - np.cos(2 * np.pi * t / period))


# --- thresholds ----------------------------------------------------------------------------


def test_thresholds_must_make_a_band_in_the_working_direction() -> None:
    with pytest.raises(ValueError, match="enter must lie beyond exit"):
        RepThresholds(enter=30.0, exit=60.0)
    with pytest.raises(ValueError, match="enter must lie beyond exit"):
        RepThresholds(enter=60.0, exit=60.0)
    with pytest.raises(ValueError, match="enter must lie beyond exit"):
        RepThresholds(enter=0.9, exit=0.8, increasing=False)
    RepThresholds(enter=0.8, exit=0.9, increasing=False)  # fine: decreasing
    with pytest.raises(ValueError):
        RepThresholds(enter=60.0, exit=30.0, min_rom=0.0)
    with pytest.raises(ValueError):
        RepThresholds(enter=60.0, exit=30.0, min_duration_s=-0.1)
    with pytest.raises(ValueError):
        RepThresholds(enter=60.0, exit=30.0, max_duration_s=0.0)


# --- clean counting --------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "period"), [(1, 2.0), (5, 2.0), (10, 1.5), (3, 6.0)])
def test_clean_sine_counts_exactly(n: int, period: float) -> None:
    t, v = sampled(lambda t: raised_cosine(t, period, 0.0, 100.0), n * period + 0.5)
    counter = RepCounter(KNEE)
    reps = run(counter, t, v)
    assert len(reps) == n
    assert counter.count == n
    for i, rep in enumerate(reps):
        assert rep.peak == pytest.approx(100.0, abs=0.5)
        assert rep.rom == pytest.approx(100.0, abs=0.5)
        assert not rep.partial_start
        # Starts in this period's rise, peaks mid-period, ends on this period's fall.
        assert i * period < rep.start_s < rep.peak_t < rep.end_s < (i + 1) * period
        assert rep.peak_t == pytest.approx((i + 0.5) * period, abs=1.5 / FPS)


def test_rep_times_are_the_threshold_crossings() -> None:
    period = 4.0
    t, v = sampled(lambda t: raised_cosine(t, period, 0.0, 100.0), period)
    (rep,) = run(RepCounter(KNEE), t, v)
    # The signal is at 30 (exit) at t = P/pi * acos(1 - 0.6): the rep starts at the last sample
    # at or below exit on the way up and ends at the first one on the way down.
    cross = period / (2 * np.pi) * math.acos(1 - 2 * 30.0 / 100.0)
    assert rep.start_s == pytest.approx(cross, abs=1.0 / FPS)
    assert rep.start_s <= cross
    assert rep.end_s == pytest.approx(period - cross, abs=1.0 / FPS)
    assert rep.end_s >= period - cross
    assert rep.peak_t == pytest.approx(period / 2, abs=0.5 / FPS)


def test_phase_follows_the_signal() -> None:
    counter = RepCounter(KNEE)
    assert counter.phase is Phase.IDLE
    counter.update(0.0, 10.0)
    assert counter.phase is Phase.REST
    assert counter.working_since is None
    counter.update(0.1, 45.0)  # inside the band: still resting
    assert counter.phase is Phase.REST
    counter.update(0.2, 70.0)
    assert counter.phase is Phase.WORKING
    assert counter.working_since == pytest.approx(0.0)  # last time at or below exit
    counter.update(0.5, 45.0)  # inside the band on the way back: still working
    assert counter.phase is Phase.WORKING
    rep = counter.update(0.8, 20.0)
    assert rep is not None and counter.phase is Phase.REST
    assert (rep.start_s, rep.end_s, rep.peak_t, rep.peak) == (0.0, 0.8, 0.2, 70.0)
    assert rep.rom == pytest.approx(60.0)


# --- hysteresis ------------------------------------------------------------------------------


def test_jitter_around_enter_does_not_double_count() -> None:
    rng = np.random.default_rng(7)
    # Each rep: up to hover around `enter` (crossing it many times), then back to rest.
    segments = []
    for _ in range(4):
        up = np.linspace(0.0, 60.0, 30)
        hover = 60.0 + rng.normal(0.0, 6.0, 60)  # ~half the samples above, half below
        down = np.linspace(60.0, 0.0, 30)
        rest = np.zeros(20)
        segments += [up, hover, down, rest]
    v = np.concatenate(segments)
    crossings = np.sum(np.diff((v >= 60.0).astype(int)) == 1)
    assert crossings > 20  # the test signal really does cross `enter` many times
    t = np.arange(len(v)) / FPS
    counter = RepCounter(RepThresholds(enter=60.0, exit=30.0, min_rom=20.0))
    reps = run(counter, t, v)
    assert len(reps) == 4


def test_single_threshold_would_double_count_where_the_band_does_not() -> None:
    # Jitter of +-8 around 55 after the peak: with enter 60 / exit 50 it re-enters; with
    # exit 30 the band absorbs it.
    v = np.concatenate([np.linspace(0, 100, 30), np.linspace(100, 55, 15)])
    v = np.concatenate([v, 55 + 8 * np.sign(np.sin(np.arange(40))), np.linspace(55, 0, 15)])
    t = np.arange(len(v)) / FPS
    narrow = run(RepCounter(RepThresholds(60.0, 50.0, min_rom=5.0, min_duration_s=0.0)), t, v)
    wide = run(RepCounter(RepThresholds(60.0, 30.0, min_rom=5.0, min_duration_s=0.0)), t, v)
    assert len(narrow) > 1
    assert len(wide) == 1


def test_noise_in_the_rest_phase_does_not_count() -> None:
    rng = np.random.default_rng(3)
    v = 15.0 + rng.normal(0.0, 8.0, 300)  # rest with big noise, never reaching 60
    t = np.arange(len(v)) / FPS
    counter = RepCounter(KNEE)
    assert run(counter, t, v) == []
    assert counter.phase is Phase.REST


# --- minimum range and duration ------------------------------------------------------------


def test_small_wiggles_across_both_thresholds_are_rejected_by_min_rom() -> None:
    # 25 <-> 65 crosses exit (30) and enter (60) but covers only 40 < min_rom 50.
    t, v = sampled(lambda t: raised_cosine(t, 2.0, 25.0, 65.0), 10.0)
    counter = RepCounter(RepThresholds(enter=60.0, exit=30.0, min_rom=50.0))
    assert run(counter, t, v) == []
    assert counter.count == 0
    # The same wiggle counts with a lower min_rom: the thresholds themselves are crossed.
    assert len(run(RepCounter(RepThresholds(60.0, 30.0, min_rom=30.0)), t, v)) == 5


def test_fast_flicks_are_rejected_by_min_duration() -> None:
    # 0 -> 100 -> 0 in 0.3 s, every 2 s.
    def flick(t: np.ndarray) -> np.ndarray:
        phase = np.mod(t, 2.0)
        return np.where(phase < 0.3, 100.0 * np.sin(np.pi * phase / 0.3), 0.0)

    t, v = sampled(flick, 10.0)
    assert run(RepCounter(RepThresholds(60.0, 30.0, min_duration_s=0.4)), t, v) == []
    assert len(run(RepCounter(RepThresholds(60.0, 30.0, min_duration_s=0.1)), t, v)) == 5


def test_rom_is_measured_from_the_rest_before_the_rep() -> None:
    counter = RepCounter(RepThresholds(60.0, 30.0, min_rom=20.0, min_duration_s=0.0))
    samples = [(0.0, 5.0), (0.1, 20.0), (0.2, 80.0), (0.3, 25.0)]
    reps = run(counter, *zip(*samples, strict=True))
    assert len(reps) == 1
    assert reps[0].rom == pytest.approx(75.0)  # 80 - lowest rest value (5)


# --- stuck reps -------------------------------------------------------------------------------


def _stuck_signal(t: np.ndarray) -> np.ndarray:
    """Rest, up to 120 within 1 s, stuck there for 10 s, back down within 1 s, rest."""
    return np.interp(t, [0.0, 1.0, 2.0, 12.0, 13.0, 20.0], [0.0, 0.0, 120.0, 120.0, 0.0, 0.0])


def test_max_duration_abandons_a_stuck_rep_before_it_returns() -> None:
    t, v = sampled(_stuck_signal, 12.0)  # ends while still stuck
    counter = RepCounter(RepThresholds(90.0, 50.0, min_rom=30.0, max_duration_s=5.0))
    run(counter, t, v)
    # At 12 s the rep started at ~1.6 s has lasted far longer than 5 s: not a working phase.
    since = counter.working_since
    assert since is None or 12.0 - since <= 5.0 + 1.0 / FPS


def test_a_stuck_rep_is_not_counted_when_it_finally_returns() -> None:
    t, v = sampled(_stuck_signal, 16.0)
    counter = RepCounter(RepThresholds(90.0, 50.0, min_rom=30.0, max_duration_s=5.0))
    reps = run(counter, t, v)
    assert reps == []
    assert counter.count == 0


def test_a_normal_rep_after_a_stuck_one_still_counts() -> None:
    def signal(t: np.ndarray) -> np.ndarray:
        stuck = _stuck_signal(t)
        later = raised_cosine(t - 15.0, 3.0, 0.0, 120.0) * ((t >= 15.0) & (t < 18.0))
        return stuck + later

    t, v = sampled(signal, 19.0)
    reps = run(RepCounter(RepThresholds(90.0, 50.0, min_rom=30.0, max_duration_s=5.0)), t, v)
    normal = [r for r in reps if r.start_s >= 15.0]
    assert len(normal) == 1
    assert normal[0].peak_t == pytest.approx(16.5, abs=1.0 / FPS)


# --- missing samples, direction, partial start --------------------------------------------


def test_nan_samples_are_ignored() -> None:
    t, v = sampled(lambda t: raised_cosine(t, 2.0, 0.0, 100.0), 10.0)
    holes = v.copy()
    holes[::3] = np.nan  # a third of the samples missing, including some peaks and troughs
    holes[100:110] = np.nan
    counter = RepCounter(KNEE)
    reps = run(counter, t, holes)
    assert len(reps) == 5
    assert counter.update(99.0, float("nan")) is None
    assert counter.update(99.1, None) is None  # type: ignore[arg-type]
    # A stream of nothing but NaN stays idle.
    idle = RepCounter(KNEE)
    run(idle, t, np.full_like(t, np.nan))
    assert idle.phase is Phase.IDLE and idle.count == 0


def test_decreasing_direction_counts_dips() -> None:
    # Hip height: 1.0 standing, 0.5 at the bottom of a squat.
    th = RepThresholds(
        enter=0.8, exit=0.9, min_rom=0.15, min_duration_s=0.5, max_duration_s=20.0, increasing=False
    )
    t, v = sampled(lambda t: 1.0 - raised_cosine(t, 3.0, 0.0, 0.5), 4 * 3.0 + 0.2)
    reps = run(RepCounter(th), t, v)
    assert len(reps) == 4
    for rep in reps:
        assert rep.peak == pytest.approx(0.5, abs=0.01)  # original units: the lowest value
        assert rep.rom == pytest.approx(0.5, abs=0.01)  # always positive
        assert rep.rest == pytest.approx(1.0, abs=0.01)  # standing: where the rom starts
    # An increasing counter with the same (valid) numbers sees nothing in this signal.
    up = RepThresholds(enter=1.2, exit=1.1, min_rom=0.05)
    assert run(RepCounter(up), t, v) == []


def test_a_stream_starting_inside_the_working_phase_counts_that_rep() -> None:
    # Starts at the peak (e.g. the camera started mid-rep), then two full reps.
    t, v = sampled(lambda t: raised_cosine(t + 1.0, 2.0, 0.0, 100.0), 5.0)
    assert v[0] == pytest.approx(100.0)
    counter = RepCounter(KNEE)
    reps = run(counter, t, v)
    assert len(reps) == 3
    assert reps[0].partial_start
    assert reps[0].start_s == 0.0
    assert reps[0].end_s < 1.0
    assert not reps[1].partial_start and not reps[2].partial_start


def test_a_stream_starting_inside_the_band_does_not_invent_a_rep() -> None:
    # Starts at 45 on the way down (between exit and enter): that is rest, not a partial rep.
    t, v = sampled(lambda t: raised_cosine(t + 1.53, 2.0, 0.0, 100.0), 0.6)
    assert 30.0 < v[0] < 60.0
    counter = RepCounter(KNEE)
    assert run(counter, t, v) == []
    assert counter.phase is Phase.REST


def test_reset_forgets_everything() -> None:
    t, v = sampled(lambda t: raised_cosine(t, 2.0, 0.0, 100.0), 5.0)
    counter = RepCounter(KNEE)
    run(counter, t, v)
    assert counter.count == 2 and counter.phase is Phase.WORKING
    counter.reset()
    assert counter.count == 0 and counter.phase is Phase.IDLE and counter.th is KNEE


def test_a_movement_that_turns_back_before_enter_is_an_attempt_not_a_rep() -> None:
    # Peaks at 50 (enter 60, exit 30): covers min_rom, never enters. Then a real rep.
    def signal(t: np.ndarray) -> np.ndarray:
        return np.where(
            t < 2.0, raised_cosine(t, 2.0, 0.0, 50.0), raised_cosine(t, 2.0, 0.0, 100.0)
        )

    t, v = sampled(signal, 4.0)
    counter = RepCounter(KNEE)
    attempts = []
    reps = []
    for ti, vi in zip(t, v, strict=True):
        rep = counter.update(float(ti), float(vi))
        if counter.attempt is not None:
            attempts.append(counter.attempt)
        if rep is not None:
            reps.append(rep)
    assert len(reps) == 1 and counter.count == 1
    (attempt,) = attempts
    assert attempt.peak == pytest.approx(50.0, abs=0.5)
    assert attempt.rest == pytest.approx(0.0, abs=0.5)
    assert attempt.rom == pytest.approx(50.0, abs=0.5)
    assert 0.0 < attempt.start_s < attempt.peak_t < attempt.end_s < 2.0
    # A smaller wobble (peak 35: rom under min_rom) is nothing at all.
    t, v = sampled(lambda t: raised_cosine(t, 2.0, 0.0, 35.0), 2.0)
    quiet = RepCounter(KNEE)
    for ti, vi in zip(t, v, strict=True):
        quiet.update(float(ti), float(vi))
        assert quiet.attempt is None
