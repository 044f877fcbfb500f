"""Landmark streams over time for the engine tests: squats (`Dip`s) and arm raises drawn with
the pose builders (tests/scoring/poses.py), and the engine run over them."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from scoring.engine import ExerciseEngine
from scoring.events import Event
from tests.scoring.poses import front_points, side_points, to_landmarks

FPS = 30.0
DT = 1.0 / FPS
E = TypeVar("E", bound=Event)
PoseAt = Callable[[float], "np.ndarray | None"]


@dataclass(frozen=True)
class Dip:
    """One squat: knees bend from `rest` to `depth` degrees and back, starting at `start`."""

    start: float
    period: float = 3.0
    depth: float = 120.0
    rest: float = 0.0
    lean: float = 0.0  # forward trunk lean at the bottom, degrees


def knee_angle(t: float, dips: list[Dip]) -> tuple[float, float]:
    """(knee flexion, trunk lean) at time t; standing straight between dips."""
    for d in dips:
        if d.start <= t < d.start + d.period:
            s = 0.5 * (1 - math.cos(2 * math.pi * (t - d.start) / d.period))
            return d.rest + (d.depth - d.rest) * s, d.lean * s
    return 0.0, 0.0


def side_squats(dips: list[Dip]) -> PoseAt:
    def at(t: float) -> np.ndarray:
        k, lean = knee_angle(t, dips)
        return to_landmarks(side_points(knee_flex=k, trunk_lean=lean))

    return at


def front_squats(dips: list[Dip]) -> PoseAt:
    def at(t: float) -> np.ndarray:
        k, _ = knee_angle(t, dips)
        return to_landmarks(front_points(knee_flex=k))

    return at


def run(
    engine: ExerciseEngine, pose_at: PoseAt, until_s: float, start_s: float = 0.0
) -> list[Event]:
    events: list[Event] = []
    for i in range(int(round((until_s - start_s) * FPS))):
        t = start_s + i * DT
        events += engine.update(t, pose_at(t))
    events += engine.finish()
    return events


def of(events: list[Event], kind: type[E]) -> list[E]:
    return [e for e in events if isinstance(e, kind)]


def arm_raises(
    n: int, period: float, rest_frac: float = 0.3, noise: float = 0.002, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Both arms raised sideways to 150 deg and lowered, `n` times, starting and ending at
    rest; each cycle rests (arms down) for `rest_frac` of its period. Landmark jitter added."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(n * period * FPS)) + 1) / FPS
    frames = []
    move = 1.0 - rest_frac
    for ti in t:
        phase = (ti % period) / period
        a = 0.0 if phase >= move else 75.0 * (1 - math.cos(2 * math.pi * phase / move))
        lm = to_landmarks(front_points(abduction=(a, a)))
        lm[:, :2] += rng.normal(0.0, noise, (lm.shape[0], 2))
        frames.append(lm)
    return t, np.asarray(frames)
