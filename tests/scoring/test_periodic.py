"""Generic repetition counting from the periodicity of a synthetic landmark track."""

from __future__ import annotations

import math

import numpy as np
import pytest

from exercises.loader import load_exercise
from pose.landmarks import Landmark as L
from scoring.engine import ExerciseEngine
from scoring.events import RepCompleted
from scoring.periodic import (
    BODY_POINTS,
    GenericRepCounter,
    count_cycles,
    dominant_period,
    main_component,
    trajectory_matrix,
)
from tests.scoring.poses import front_points, side_points, to_landmarks
from tests.scoring.streams import arm_raises

FPS = 30.0
# The library's "any" definition.
MIN_PERIOD, MAX_PERIOD, PROMINENCE = 0.6, 8.0, 0.35


def squats(n: int, period: float, noise: float = 0.002) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    t = np.arange(int(round(n * period * FPS)) + 1) / FPS
    frames = []
    for ti in t:
        phase = (ti % period) / period
        k = 0.0 if phase >= 0.7 else 50.0 * (1 - math.cos(2 * math.pi * phase / 0.7))
        lm = to_landmarks(side_points(knee_flex=k, trunk_lean=k / 4))
        lm[:, :2] += rng.normal(0.0, noise, (lm.shape[0], 2))
        frames.append(lm)
    return t, np.asarray(frames)


def count(t: np.ndarray, lm: np.ndarray) -> int:
    comp = main_component(trajectory_matrix(lm, 1.0))
    return len(count_cycles(t, comp, MIN_PERIOD, MAX_PERIOD, PROMINENCE))


# --- the pieces ------------------------------------------------------------------------------


def test_trajectory_matrix_scales_x_and_hides_unseen_points() -> None:
    lm = to_landmarks(front_points())[None].repeat(3, axis=0)
    lm[1, L.LEFT_WRIST, 3] = 0.1
    x = trajectory_matrix(lm, 2.0)
    assert x.shape == (3, 2 * len(BODY_POINTS))
    k = BODY_POINTS.index(L.LEFT_WRIST)
    assert x[0, 2 * k] == pytest.approx(2.0 * lm[0, L.LEFT_WRIST, 0])
    assert x[0, 2 * k + 1] == pytest.approx(lm[0, L.LEFT_WRIST, 1])
    assert np.isnan(x[1, 2 * k : 2 * k + 2]).all()
    assert np.isfinite(x[2]).all()


def test_main_component_follows_the_movement() -> None:
    t, lm = arm_raises(4, 2.0, noise=0.0)
    comp = main_component(trajectory_matrix(lm, 1.0))
    wrist_height = -lm[:, L.LEFT_WRIST, 1]
    # One number per frame that rises and falls with the arms (sign is arbitrary).
    assert abs(np.corrcoef(comp, wrist_height)[0, 1]) > 0.95
    still = np.repeat(lm[:1], len(lm), axis=0)
    assert np.allclose(main_component(trajectory_matrix(still, 1.0)), 0.0)


def test_main_component_with_mostly_missing_data() -> None:
    x = np.full((20, 4), np.nan)
    assert np.isnan(main_component(x)).all()
    x[:, 0] = np.sin(np.arange(20))
    x[:, 1] = np.cos(np.arange(20))
    x[::2, 2] = 1.0  # half missing: dropped
    comp = main_component(x)
    assert np.isfinite(comp).all()


@pytest.mark.parametrize("period", [1.2, 2.0, 3.5])
def test_dominant_period_is_found(period: float) -> None:
    t, lm = arm_raises(6, period)
    comp = main_component(trajectory_matrix(lm, 1.0))
    found = dominant_period(comp, FPS, MIN_PERIOD, MAX_PERIOD)
    assert found == pytest.approx(period, abs=2.0 / FPS)


def test_dominant_period_needs_data() -> None:
    assert dominant_period(np.full(50, np.nan), FPS, 0.6, 8.0) is None
    assert dominant_period(np.zeros(50), FPS, 0.6, 8.0) is None  # flat: no periodicity
    assert count_cycles(np.arange(5) / FPS, np.arange(5.0), 0.6, 8.0, 0.35) == []


# --- counting ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "period"), [(3, 2.0), (6, 2.0), (4, 3.0), (10, 1.2), (3, 5.0), (5, 1.5), (8, 2.5)]
)
def test_arm_raises_count_exactly(n: int, period: float) -> None:
    t, lm = arm_raises(n, period)
    assert count(t, lm) == n


def test_squats_seen_from_the_side_count_exactly() -> None:
    t, lm = squats(5, 2.5)
    assert count(t, lm) == 5


def test_cycle_times_match_the_movement() -> None:
    t, lm = arm_raises(4, 3.0)
    comp = main_component(trajectory_matrix(lm, 1.0))
    cycles = count_cycles(t, comp, MIN_PERIOD, MAX_PERIOD, PROMINENCE)
    assert len(cycles) == 4
    for i, c in enumerate(cycles):
        # Each cycle spans (part of) its own raise: 0.7 of the period moving, from i * 3 s.
        assert i * 3.0 - 0.1 <= c.start_s < c.end_s <= i * 3.0 + 2.1 + 0.1
        assert c.amplitude > PROMINENCE


def test_missing_frames_do_not_break_the_count() -> None:
    t, lm = arm_raises(6, 2.0)
    lm[40:52] = np.nan  # the person lost for 0.4 s
    lm[::7, :, 3] = 0.0  # and every 7th frame unseen
    assert count(t, lm) == 6


def test_reps_with_pauses_at_rest_between_them_are_counted() -> None:
    t, lm = arm_raises(6, 2.0, rest_frac=0.5)
    assert count(t, lm) == 6


def test_symmetric_up_down_cycles_from_rest_to_rest_count_n() -> None:
    got = {}
    for n, period in [(3, 2.0), (6, 2.0), (10, 1.2), (8, 2.5)]:
        t, lm = arm_raises(n, period, rest_frac=0.0)
        got[(n, period)] = count(t, lm)
    assert got == {key: key[0] for key in got}


def test_standing_still_counts_nothing() -> None:
    rng = np.random.default_rng(1)
    lm = np.repeat(to_landmarks(front_points())[None], 300, axis=0)
    lm[:, :, :2] += rng.normal(0.0, 0.002, (300, lm.shape[1], 2))
    assert count(np.arange(300) / FPS, lm) == 0


# --- streaming and the engine ---------------------------------------------------------------


def test_streaming_counter_only_adds_and_settles_on_the_whole_track() -> None:
    t, lm = arm_raises(6, 2.0)
    counter = GenericRepCounter(1.0, MIN_PERIOD, MAX_PERIOD, PROMINENCE, every_s=0.5)
    seen = 0
    for ti, frame in zip(t, lm, strict=True):
        new = counter.update(float(ti), frame)
        seen += len(new)
        assert len(counter.cycles) == seen
    assert 4 <= seen <= 6  # the running count may lag at the end of the stream
    final = counter.recount_all()
    assert len(final) == 6
    assert counter.update(float(t[-1]) + 0.01, None) == []  # a missing frame adds a NaN row


def test_engine_counts_any_movement_and_replaces_the_running_guess_at_the_end() -> None:
    t, lm = arm_raises(5, 2.0)
    engine = ExerciseEngine(load_exercise("any"), 1.0)
    streamed = []
    for ti, frame in zip(t, lm, strict=True):
        streamed += [e for e in engine.update(float(ti), frame) if isinstance(e, RepCompleted)]
    for ti in np.arange(1, 6) / FPS + t[-1]:
        engine.update(float(ti), None)  # the person walks off: time goes on
    tail = [e for e in engine.finish() if isinstance(e, RepCompleted)]
    assert len(engine.reps) == 5
    assert engine.state.rep_count == 5
    assert [r.index for r in engine.reps] == [1, 2, 3, 4, 5]
    assert len(streamed) + len(tail) == 5
    for rep in engine.reps:
        assert math.isnan(rep.score) and math.isnan(rep.rom_deg)  # no angle to score
        assert rep.end_s > rep.start_s
        assert rep.duration_s == pytest.approx(rep.end_s - rep.start_s, abs=2e-3)
