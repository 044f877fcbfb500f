"""Heel strikes from the heels' paths in the picture, in any view a walk is filmed from.

The feet travel the way the person walks: across the picture seen from the side, down it
walking towards a camera above the floor, up it walking away. Each heel's position along that
direction of travel (`progress`) is flat while the foot is on the floor and rises while it
swings. The leading foot's progress (the larger of the two) is a staircase: it rises as the
swinging foot passes the other and goes ahead, and stops when the heel lands. So a heel
strike ends each rise of the leading foot's progress (its speed above a quarter of a typical
step's peak): the moment 90% of that rise is covered. Taking the larger of the two heels, rather
than following "the left heel", leaves the model's left/right swaps out of the count; its
running maximum within a pass (the leading foot never goes back) leaves out the dips of the
model's jitter.

Direction of travel: the smoothed velocity of the heels' midpoint (over `DIRECTION_SIGMA_S`);
where the feet travel slower than `MIN_WALK` leg lengths a second (standing, turning on the
spot) nobody is walking and no step is counted. Straight stretches between turns are
`passes` (a gait test's measures are taken per pass).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from pose.types import Array, FloatArray
from scoring.protocols.motion import rate, runs, smooth

DIRECTION_SIGMA_S = 0.4
MIN_WALK = 0.25  # leg lengths a second: slower feet are not walking
MIN_PASS_S = 1.0  # a straight stretch shorter than this is a turn or a shuffle, not a pass
MAX_TURN_DEG = 45.0  # the direction of travel within one pass stays within this of its mean
RISE_FRACTION = 0.25  # of a step's peak speed: a swing has ended below it
MIN_STEP = 0.15  # leg lengths: a rise of the leading foot shorter than this is not a step
MIN_STEP_S = 0.25  # steps closer in time than this are one step
MERGE_S = 0.15  # a pause shorter than this within a rise of the leading foot is jitter
GAP_SHARE = 0.6  # of the typical step time: two strikes closer than this are one step
EDGE = 0.05  # image heights: a heel this close to the picture's edge may be partly out of view
LANDED = 0.9  # of a step's length covered: the heel has landed
STEP_SHARE = 0.4  # of the typical step's gain: a smaller rise is a glitch, not a step


@dataclass(frozen=True)
class Step:
    t: float  # the heel strike
    foot: str  # "left" or "right": the model's label of the landing heel (may be swapped)
    pass_index: int  # which straight stretch of walking it belongs to


@dataclass(frozen=True)
class Pass:
    start_s: float
    end_s: float
    direction: tuple[float, float]  # unit vector of travel in the picture (x right, y down)
    scale_change: float  # log of the leg length's ratio, end over start (+: came closer)


@dataclass(frozen=True)
class Walk:
    passes: list[Pass]
    steps: list[Step]


def heel_values(values: Mapping[str, Array]) -> tuple[FloatArray, FloatArray]:
    """(T, 2) left and right heel positions (image heights) from measures heel_x/heel_y."""
    left = np.stack([values["heel_x_left"], values["heel_y_left"]], axis=1).astype(float)
    right = np.stack([values["heel_x_right"], values["heel_y_right"]], axis=1).astype(float)
    return left, right


def _travel(
    t: FloatArray, left: FloatArray, right: FloatArray, leg: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """(direction (T, 2) unit vectors, NaN where not walking; feet speed in leg lengths/s)."""
    both = np.stack([left, right])
    seen = np.isfinite(both)
    with np.errstate(invalid="ignore"):
        mid = np.where(seen, both, 0.0).sum(axis=0) / seen.sum(axis=0)  # NaN: neither seen
    smooth_mid = np.stack([smooth(t, mid[:, k], DIRECTION_SIGMA_S) for k in (0, 1)], axis=1)
    vel = np.stack([rate(t, smooth_mid[:, k]) for k in (0, 1)], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        speed = np.hypot(vel[:, 0], vel[:, 1]) / leg
        direction = vel / np.hypot(vel[:, 0], vel[:, 1])[:, None]
    direction[~(speed >= MIN_WALK)] = np.nan
    return direction, speed


def _passes(t: FloatArray, direction: FloatArray, leg: FloatArray) -> list[Pass]:
    """Straight stretches of walking: runs of a steady direction of travel."""
    out = []
    walking = np.isfinite(direction).all(axis=1)
    for a, b in runs(walking):
        start = a
        for i in range(a + 1, b + 1):
            ref = direction[start:i].mean(axis=0)
            turned = i < b and _angle(direction[i], ref) > MAX_TURN_DEG
            if i == b or turned:
                if t[i - 1] - t[start] >= MIN_PASS_S:
                    out.append(_pass(t, direction, leg, start, i))
                start = i
    return out


def _angle(u: FloatArray, v: FloatArray) -> float:
    cos = float(np.dot(u, v) / max(np.hypot(*u) * np.hypot(*v), 1e-12))
    return math.degrees(math.acos(min(1.0, max(-1.0, cos))))


def _pass(t: FloatArray, direction: FloatArray, leg: FloatArray, a: int, b: int) -> Pass:
    d = direction[a:b].mean(axis=0)
    d = d / max(float(np.hypot(*d)), 1e-12)
    seen = np.flatnonzero(np.isfinite(leg[a:b])) + a
    change = math.log(leg[seen[-1]] / leg[seen[0]]) if len(seen) >= 2 else math.nan
    return Pass(float(t[a]), float(t[b - 1]), (float(d[0]), float(d[1])), change)


def detect_steps(
    t: Array,
    left: Array,
    right: Array,
    leg_length: Array,
    walking: Array | None = None,
    *,
    width: float | None = None,
) -> Walk:
    """The heel strikes of a track (see the module docstring). `left`, `right`: (T, 2) heel
    positions in image heights (NaN unseen); `leg_length` per frame (image heights);
    `walking`: optional mask of the frames to look at (e.g. between a rise and a sit);
    `width`: the picture's width in image heights (its aspect ratio), to leave out a strike
    whose heel lands at the picture's edge (the foot is partly out of view)."""
    t = np.asarray(t, float)
    left, right = np.asarray(left, float), np.asarray(right, float)
    leg = smooth(t, np.asarray(leg_length, float), 1.0)
    if walking is not None:
        hide = ~np.asarray(walking, bool)
        left, right = left.copy(), right.copy()
        left[hide], right[hide] = np.nan, np.nan
    direction, _ = _travel(t, left, right, leg)
    passes = _passes(t, direction, leg)
    steps: list[Step] = []
    for k, p in enumerate(passes):
        inside = (t >= p.start_s) & (t <= p.end_s)
        steps += _pass_steps(t, left, right, leg, np.asarray(p.direction), inside, k)
    if width is not None:
        steps = [s for s in steps if not _at_edge(t, left, right, s, width)]
    return Walk(passes, steps)


def _at_edge(t: FloatArray, left: FloatArray, right: FloatArray, step: Step, width: float) -> bool:
    """Whether the landing heel is within `EDGE` of the picture's left, right or bottom edge."""
    i = min(int(np.searchsorted(t, step.t)), len(t) - 1)
    x, y = (left if step.foot == "left" else right)[i]
    return bool(x < EDGE or x > width - EDGE or y > 1.0 - EDGE)


def _pass_steps(
    t: FloatArray,
    left: FloatArray,
    right: FloatArray,
    leg: FloatArray,
    d: FloatArray,
    inside: Array,
    k: int,
) -> list[Step]:
    """Heel strikes within one pass: ends of the rises of the leading heel's progress."""
    u_left = smooth(t, np.where(inside, left @ d, np.nan), 0.03)
    u_right = smooth(t, np.where(inside, right @ d, np.nan), 0.03)
    front = np.fmax(u_left, u_right)
    front[~(np.isfinite(u_left) & np.isfinite(u_right))] = np.nan
    front = _running_max(front)
    v = rate(t, front) / leg
    if not np.isfinite(v).any():
        return []
    threshold = RISE_FRACTION * float(np.nanpercentile(v, 90))
    if threshold <= 0:
        return []
    rises: list[tuple[float, float, int]] = []  # (heel strike, gain in leg lengths, end)
    for a, b in _merged(t, runs(v > threshold)):
        end = min(b, len(t) - 1)
        low, high = front[max(a - 1, 0)], front[end]
        if (high - low) / leg[end] >= MIN_STEP:
            rises.append((_landing(t, front, a, end, low, high), (high - low) / leg[end], end))
    return [
        Step(strike, "left" if u_left[end] >= u_right[end] else "right", k)
        for strike, _, end in _true_steps(rises)
    ]


def _running_max(x: FloatArray) -> FloatArray:
    """The highest value so far (NaN before the first seen sample): the leading foot never
    goes back, so a dip is the model's jitter, and the rise after it no new step."""
    filled = np.where(np.isfinite(x), x, -np.inf)
    out: FloatArray = np.maximum.accumulate(filled)
    out[np.isneginf(out)] = np.nan
    return out


def _merged(t: FloatArray, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans closer than `MERGE_S` joined: a rise the model's jitter cut in two is one."""
    out: list[tuple[int, int]] = []
    for a, b in spans:
        if out and t[a] - t[out[-1][1] - 1] < MERGE_S:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def _true_steps(rises: list[tuple[float, float, int]]) -> list[tuple[float, float, int]]:
    """Rises that are steps: at least `STEP_SHARE` of the typical step's gain (a left/right
    swap of the model's heels makes small false rises), and the larger of two that come
    closer than `GAP_SHARE` of the typical step time (or `MIN_STEP_S`)."""
    if not rises:
        return []
    typical = float(np.median([g for _, g, _ in rises]))
    kept = [r for r in rises if r[1] >= STEP_SHARE * typical]
    if len(kept) >= 3:
        gap = max(MIN_STEP_S, GAP_SHARE * float(np.median(np.diff([r[0] for r in kept]))))
    else:
        gap = MIN_STEP_S
    out: list[tuple[float, float, int]] = []
    for r in kept:
        if out and r[0] - out[-1][0] < gap:
            if r[1] > out[-1][1]:
                out[-1] = r
            continue
        out.append(r)
    return out


def _landing(t: FloatArray, front: FloatArray, a: int, end: int, low: float, high: float) -> float:
    """When the leading heel had covered `LANDED` of its step from `low` to `high`: the
    heel strike, before the slow last millimetres the smoothing and the model's jitter
    draw out."""
    level = low + LANDED * (high - low)
    i = a + int(np.argmax(front[a : end + 1] >= level))
    if i == 0 or not np.isfinite(front[i - 1]) or front[i] == front[i - 1]:
        return float(t[i])
    f = (level - front[i - 1]) / (front[i] - front[i - 1])
    return float(t[i - 1] + min(max(f, 0.0), 1.0) * (t[i] - t[i - 1]))
