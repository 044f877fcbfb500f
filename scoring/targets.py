"""Hand-eye coordination targets: a seeded schedule, where each target goes, and its measures.

A `targets` task (scoring.definition.TargetTask) names a layout, a hand and levels. The
schedule (`make_schedule`) is drawn from a seed so a session can be replayed and tested;
each target is placed when it appears, around the patient's shoulder as seen at that moment,
in the patient's own arm lengths. Once a target is done, `measure_target` turns the hand's
track into the usual measures of aimed movements: reaction time (shown -> the hand's speed
rises past 10 % of its peak), movement time (start -> on the target), straightness (straight
distance over path length), smoothness (SPARC, scoring.smoothness), overshoot past the
target's centre along the reach, and for a moving target the tracking error (RMS distance)
and the share of time on it.

Times are only as good as the frames: every result carries the frame interval as its
resolution, and the loop latency when the caller measured it. Pure: arrays in, events out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal, TypedDict

import numpy as np

from pose.landmarks import Landmark
from pose.types import Array
from scoring.definition import TargetLevel, TargetTask
from scoring.events import TargetResult, TargetShown
from scoring.smoothness import sparc
from scoring.words import Say, say

MIN_VISIBILITY = 0.5
PATH_STEP_S = 0.1  # a moving target's path is sent as a point every 0.1 s
ONSET_FRACTION = 0.10  # movement starts where speed passes 10 % of its peak
ONSET_FLOOR = 0.2  # ... and at least 0.2 arm lengths per second (landmark jitter)
SMOOTH_FRAMES = 5  # centred moving average before differentiating (after the target ends)
SETTLE_S = 0.6  # after a hit, how long the hand is followed for overshoot
ANTICIPATION_S = 0.1  # no one reacts to a sight faster: a sooner start was already under way
TRACK_GRACE_S = 1.0  # a moving target's first second is for catching up, not scored

Hand = Literal["left", "right"]
_POINTS = {
    ("left", "wrist"): Landmark.LEFT_WRIST,
    ("right", "wrist"): Landmark.RIGHT_WRIST,
    ("left", "index"): Landmark.LEFT_INDEX,
    ("right", "index"): Landmark.RIGHT_INDEX,
}
_ARM = {
    "left": (Landmark.LEFT_SHOULDER, Landmark.LEFT_ELBOW, Landmark.LEFT_WRIST),
    "right": (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_ELBOW, Landmark.RIGHT_WRIST),
}


class TargetError(ValueError):
    """Input the targets scoring cannot use; the message says what and why."""


@dataclass(frozen=True)
class TargetSpec:
    """One target of a schedule, before it is placed on the image.

    `angle_deg` is up from the horizontal (outward for a reach, across the body for a
    cross-body reach, the arc's start for a moving target); `at` fixes the centre in
    normalised image coordinates instead (a placed target).
    """

    index: int
    hand: Hand
    foreperiod_s: float
    angle_deg: float
    distance: float  # arm lengths from the origin
    radius: float  # arm lengths
    timeout_s: float
    speed: float = 0.0  # arm lengths per second; 0 = still
    follow_s: float = 0.0
    sweep_deg: tuple[float, float] = (0.0, 0.0)  # a moving target's arc
    at: tuple[float, float] | None = None

    def check(self) -> None:
        """Raise TargetError for a spec that cannot be shown (a fixed target off the image)."""
        if self.at is not None:
            x, y = self.at
            if not (math.isfinite(x) and math.isfinite(y) and 0 <= x <= 1 and 0 <= y <= 1):
                raise TargetError(
                    f"target {self.index} at x={x:g}, y={y:g} lies outside the image: "
                    "positions are fractions of the image width and height, 0 to 1"
                )
        if not (self.radius > 0 and self.timeout_s > 0 and self.foreperiod_s >= 0):
            raise TargetError(f"target {self.index}: radius and timeout must be positive")


def make_schedule(task: TargetTask, level: int, seed: int) -> list[TargetSpec]:
    """The task's targets at `level`, drawn from `seed` (the same seed gives the same list)."""
    if isinstance(level, bool) or not isinstance(level, int):
        raise TargetError(f"level must be a whole number; got {level!r}")
    try:
        lv = task.level(level)
    except ValueError as exc:
        raise TargetError(str(exc)) from None
    rule = task.targets
    rng = np.random.default_rng(seed)
    hands: list[Hand] = ["left", "right"] if rule.hands == "both" else [rule.hands]
    specs: list[TargetSpec] = []
    for i in range(rule.count * len(hands)):
        hand = hands[i % len(hands)]
        fore = float(rng.uniform(rule.foreperiod_min_s, rule.foreperiod_max_s))
        angle = float(rng.uniform(rule.angle_min, rule.angle_max))
        specs.append(_spec(i + 1, hand, fore, angle, lv, task))
    return specs


def _spec(
    index: int, hand: Hand, fore: float, angle: float, lv: TargetLevel, task: TargetTask
) -> TargetSpec:
    rule = task.targets
    if rule.layout != "follow":
        return TargetSpec(index, hand, fore, angle, lv.distance, lv.radius, rule.timeout_s)
    # A moving target starts at whichever end of its arc the draw is nearer.
    lo, hi = rule.angle_min, rule.angle_max
    sweep = (lo, hi) if angle - lo < hi - angle else (hi, lo)
    return TargetSpec(
        index,
        hand,
        fore,
        sweep[0],
        lv.distance,
        lv.radius,
        rule.follow_s,
        speed=lv.speed,
        follow_s=rule.follow_s,
        sweep_deg=sweep,
    )


# -- geometry: isotropic image units (x * width / height, y), y down ---------------------------
def _xy(lm: Array, index: int, aspect: float) -> Array | None:
    row = lm[index]
    if not (np.isfinite(row[:2]).all() and row[3] >= MIN_VISIBILITY):
        return None
    return np.array([row[0] * aspect, row[1]], dtype=np.float64)


def hand_point(lm: Array, hand: Hand, point: str, aspect: float) -> Array | None:
    """The touching landmark in isotropic units, or None when it is not seen."""
    return _xy(lm, int(_POINTS[(hand, point)]), aspect)


def arm_length(lm: Array, hand: Hand, aspect: float) -> float | None:
    """Shoulder-elbow plus elbow-wrist of one arm in this frame, or None when not seen."""
    s, e, w = (_xy(lm, int(j), aspect) for j in _ARM[hand])
    if s is None or e is None or w is None:
        return None
    return float(np.linalg.norm(e - s) + np.linalg.norm(w - e))


@dataclass
class Placed:
    """A target on the image: its centre over time (isotropic units) and its radius."""

    spec: TargetSpec
    shown_s: float
    origin: Array
    arm: float
    taus: Array  # seconds after shown
    centres: Array  # (len(taus), 2)
    distance: float  # arm lengths, after any pulling in to fit the image (NaN: placed `at`)

    @property
    def radius_units(self) -> float:
        return self.spec.radius * self.arm

    def centre_at(self, t: float | Array) -> Array:
        tau = np.clip(np.asarray(t, dtype=np.float64) - self.shown_s, 0, self.taus[-1])
        x = np.interp(tau, self.taus, self.centres[:, 0])
        y = np.interp(tau, self.taus, self.centres[:, 1])
        return np.stack([x, y], axis=-1)

    def shown_event(self, aspect: float) -> TargetShown:
        cx, cy = self.centres[0]
        path: tuple[tuple[float, float, float], ...] = ()
        if len(self.taus) > 1:
            path = tuple(
                (round(float(tau), 2), round(float(x / aspect), 4), round(float(y), 4))
                for tau, (x, y) in zip(self.taus, self.centres, strict=True)
            )
        return TargetShown(
            t=self.shown_s,
            index=self.spec.index,
            hand=self.spec.hand,
            x=float(cx / aspect),
            y=float(cy),
            radius=float(self.radius_units),
            timeout_s=self.spec.timeout_s,
            path=path,
        )


def place(
    spec: TargetSpec, layout: str, lm: Array, arm: float, t: float, aspect: float
) -> Placed | None:
    """Put `spec` on the image around the body in `lm`; pull it toward the shoulder until
    it fits inside the image; None when it cannot fit (or the shoulders are not seen)."""
    if spec.at is not None:
        centre = np.array([spec.at[0] * aspect, spec.at[1]])
        return Placed(spec, t, centre, arm, np.zeros(1), centre[None, :], math.nan)
    left = _xy(lm, int(Landmark.LEFT_SHOULDER), aspect)
    right = _xy(lm, int(Landmark.RIGHT_SHOULDER), aspect)
    if left is None or right is None:
        return None
    # The person faces the camera: their left side is on the image's right (larger x).
    out = 1.0 if spec.hand == "left" else -1.0
    if layout == "cross_body":
        origin, out = (left + right) / 2, -out
    else:
        origin = left if spec.hand == "left" else right
    moving = spec.speed > 0
    taus = np.arange(0.0, spec.follow_s + 1e-9, PATH_STEP_S) if moving else np.zeros(1)
    distance = spec.distance
    while distance >= 0.2 - 1e-9:
        angles = _angles(spec, distance, taus)
        rad = np.radians(angles)
        dirs = np.stack([out * np.cos(rad), -np.sin(rad)], axis=-1)
        centres = origin + distance * arm * dirs
        if _inside(centres, spec.radius * arm, aspect):
            return Placed(spec, t, origin, arm, taus, centres, distance)
        distance -= 0.05
    return None


def _angles(spec: TargetSpec, distance: float, taus: Array) -> Array:
    """Degrees along a moving target's arc (a triangle wave at `speed`), else the angle."""
    if spec.speed <= 0:
        return np.full(len(taus), spec.angle_deg)
    a, b = spec.sweep_deg
    span = abs(b - a)
    travelled = np.degrees(spec.speed * taus / distance)  # arc length / radius
    phase = np.mod(travelled, 2 * span)
    along = np.where(phase <= span, phase, 2 * span - phase)
    return a + math.copysign(1.0, b - a) * along


def _inside(centres: Array, r: float, aspect: float) -> bool:
    x, y = centres[:, 0], centres[:, 1]
    return bool(np.all((x - r >= 0) & (x + r <= aspect) & (y - r >= 0) & (y + r <= 1)))


# -- measures -------------------------------------------------------------------------------
@dataclass
class Track:
    """The touching hand while one target was up: times and isotropic positions (NaN: unseen)."""

    t: list[float] = field(default_factory=list)
    xy: list[tuple[float, float]] = field(default_factory=list)

    def add(self, t: float, p: Array | None) -> None:
        self.t.append(t)
        self.xy.append((math.nan, math.nan) if p is None else (float(p[0]), float(p[1])))


class _Shown(TypedDict):
    """What a target's result says of the target itself, whatever the hand did."""

    t: float
    index: int
    hand: str
    shown_s: float
    distance: float
    radius: float
    latency_s: float
    x: float
    y: float


class _Measures(TypedDict, total=False):
    """The measures of the hand's movement to one target (only those that could be taken)."""

    resolution_s: float
    reaction_s: float
    movement_s: float
    straightness: float
    sparc: float
    overshoot: float
    tracking_error: float
    on_target: float


@dataclass(frozen=True)
class _HandPath:
    """The hand's seen positions resampled on an even grid of times (interval `dt`), lightly
    smoothed, in arm lengths, and its speed."""

    grid: Array
    xy: Array
    speed: Array
    dt: float


def measure_target(
    placed: Placed,
    track: Track,
    t_hit: float | None,
    end_s: float,
    aspect: float,
    latency_s: float = math.nan,
) -> TargetResult:
    """The measures of one target from the hand's track between its showing and `end_s`."""
    spec = placed.spec
    cx, cy = placed.centres[0]
    shown = _Shown(
        t=end_s,
        index=spec.index,
        hand=spec.hand,
        shown_s=placed.shown_s,
        distance=placed.distance,
        radius=spec.radius,
        latency_s=latency_s,
        x=float(cx / aspect),
        y=float(cy),
    )
    path = _hand_path(placed, track)
    if path is None:
        return TargetResult(status="hand_not_seen", message=_not_seen(spec), **shown)
    measures = _reach_measures(placed, path, t_hit)
    hit = t_hit is not None
    if spec.speed > 0:
        measures.update(_tracking(placed, path.grid, path.xy))
        hit = measures.get("on_target", 0.0) >= 0.5
    early = measures.get("reaction_s", math.inf) < ANTICIPATION_S
    if early:  # the hand was on its way before the target appeared: not a reaction
        measures["reaction_s"] = math.nan
    message = _result_message(spec, hit, measures.get("on_target", 0.0), early)
    return TargetResult(status="hit" if hit else "miss", message=message, hit=hit, **shown,
                        **measures)  # fmt: skip


def _hand_path(placed: Placed, track: Track) -> _HandPath | None:
    """The hand's path, or None when it was seen in fewer than half the frames (or 3)."""
    t = np.asarray(track.t, dtype=np.float64)
    p = np.asarray(track.xy, dtype=np.float64).reshape(-1, 2) / placed.arm
    ok = np.isfinite(p).all(axis=1)
    if ok.sum() < max(3, 0.5 * len(t)):
        return None
    t, p = t[ok], p[ok]
    dt = float(np.median(np.diff(t)))
    grid = np.arange(t[0], t[-1] + dt / 2, dt)
    xy = np.stack([np.interp(grid, t, p[:, 0]), np.interp(grid, t, p[:, 1])], axis=-1)
    xy = _smooth(xy, SMOOTH_FRAMES)
    speed = np.hypot(*np.gradient(xy, dt, axis=0).T)
    return _HandPath(grid, xy, speed, dt)


def _reach_measures(placed: Placed, path: _HandPath, t_hit: float | None) -> _Measures:
    """Reaction and movement time, straightness, SPARC and overshoot of the reach: the
    movement around the fastest moment up to the hit (or the end), from where its speed rises
    past the onset threshold until it falls back below it after the hit."""
    grid, xy, speed, dt = path.grid, path.xy, path.speed, path.dt
    measures = _Measures(resolution_s=dt)
    upto = grid <= (t_hit if t_hit is not None else grid[-1])
    k_peak = int(np.argmax(np.where(upto, speed, -1.0)))
    threshold = max(ONSET_FRACTION * speed[k_peak], ONSET_FLOOR)
    if not speed[k_peak] >= threshold:  # (NaN too)
        return measures
    k_on = k_peak
    while k_on > 0 and speed[k_on - 1] >= threshold:
        k_on -= 1
    k_end = k_peak
    after_hit = grid >= (t_hit if t_hit is not None else grid[k_peak])
    while k_end < len(grid) - 1 and (speed[k_end] >= threshold or not after_hit[k_end]):
        k_end += 1
    measures["reaction_s"] = max(0.0, grid[k_on] - placed.shown_s)
    if t_hit is not None:
        measures["movement_s"] = max(0.0, t_hit - grid[k_on])
    k_to = int(np.searchsorted(grid, t_hit)) if t_hit is not None else k_end
    k_to = min(max(k_to, k_on + 1), len(grid) - 1)
    seg = np.diff(xy[k_on : k_to + 1], axis=0)
    length = float(np.hypot(*seg.T).sum())
    if length > 1e-6:
        measures["straightness"] = float(np.linalg.norm(xy[k_to] - xy[k_on]) / length)
    measures["sparc"] = sparc(speed[k_on : k_end + 1], 1.0 / dt)
    if t_hit is not None and placed.spec.speed <= 0:
        measures["overshoot"] = _overshoot(placed, xy[k_on], grid, xy, t_hit)
    return measures


def _not_seen(spec: TargetSpec) -> Say:
    if spec.hand == "left":
        return say("The left hand was not seen while target {index} was up", index=spec.index)
    return say("The right hand was not seen while target {index} was up", index=spec.index)


# A target's result in words, by (moving, hand, touched): the index and share as parameters.
_RESULTS = {
    (False, "left", True): say("Target {index} (left hand): touched"),
    (False, "left", False): say("Target {index} (left hand): not reached in time"),
    (False, "right", True): say("Target {index} (right hand): touched"),
    (False, "right", False): say("Target {index} (right hand): not reached in time"),
    (True, "left", True): say("Moving target {index} (left hand): on it {percent}% of the time"),
    (True, "right", True): say("Moving target {index} (right hand): on it {percent}% of the time"),
}


def _result_message(spec: TargetSpec, hit: bool, on_target: float, early: bool) -> Say:
    moving = spec.speed > 0
    hand = "left" if spec.hand == "left" else "right"
    words = _RESULTS[(moving, hand, hit or moving)]
    message = say(words.id, index=spec.index, percent=round(100 * on_target))
    if early:
        message = say(
            "{result} (the hand was already moving when it appeared: no reaction time)",
            result=message,
        )
    return message


def _smooth(xy: Array, n: int) -> Array:
    if len(xy) < n:
        return xy
    pad = n // 2
    padded = np.pad(xy, ((pad, pad), (0, 0)), mode="edge")
    kernel = np.ones(n) / n
    return np.stack([np.convolve(padded[:, i], kernel, mode="valid") for i in (0, 1)], axis=-1)


def _overshoot(placed: Placed, start: Array, grid: Array, xy: Array, t_hit: float) -> float:
    """Furthest the hand went past the target's centre along the start-centre line, in arm
    lengths, from the hit until the hand settles (0 when it stopped short of the centre)."""
    centre = placed.centres[0] / placed.arm
    direction = centre - start
    norm = float(np.linalg.norm(direction))
    if norm < 1e-9:
        return math.nan
    after = (grid >= t_hit) & (grid <= t_hit + SETTLE_S)
    if not after.any():
        return 0.0
    beyond = (xy[after] - centre) @ (direction / norm)
    return float(max(0.0, beyond.max()))


def _tracking(placed: Placed, grid: Array, xy: Array) -> _Measures:
    scored = grid >= placed.shown_s + TRACK_GRACE_S
    if not scored.any():
        return _Measures()
    target = placed.centre_at(grid[scored]) / placed.arm
    dist = np.linalg.norm(xy[scored] - target, axis=1)
    return _Measures(
        tracking_error=float(np.sqrt(np.mean(dist**2))),
        on_target=float(np.mean(dist <= placed.spec.radius)),
    )


# -- left against right ---------------------------------------------------------------------
COMPARED = ("reaction_s", "movement_s", "straightness", "sparc", "overshoot", "tracking_error")


def compare_hands(results: list[TargetResult]) -> dict[str, object]:
    """Per hand: targets, hits and the median of each measure; and left minus right."""
    out: dict[str, object] = {}
    medians: dict[str, dict[str, float]] = {}
    for hand in ("left", "right"):
        mine = [r for r in results if r.hand == hand]
        if not mine:
            continue
        stats: dict[str, float] = {}
        for name in COMPARED:
            values = [getattr(r, name) for r in mine if math.isfinite(getattr(r, name))]
            stats[name] = float(np.median(values)) if values else math.nan
        medians[hand] = stats
        out[hand] = {"targets": len(mine), "hits": sum(r.hit for r in mine), **stats}
    if len(medians) == 2:
        out["left_minus_right"] = {
            name: medians["left"][name] - medians["right"][name] for name in COMPARED
        }
    return out
