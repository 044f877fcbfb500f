"""Jumps from the feet: when they leave the floor, when they land, and how deep the landing
goes. Pure and causal: one frame at a time (live and offline alike), each landing reported once
it has been absorbed.

The feet are the lowest visible point of each foot (ankle, heel or toes, image heights, y
down); the *support* is the lower of the two feet, so one foot lifted (a step, a march) is no
flight, and a heel raise keeps its toes down. Distances are in leg lengths (hip-knee-ankle,
the longest seen lately: a thigh pointing at the camera in a deep landing looks short), so a
threshold means the same near and far from the camera.

- On the floor, the floor is where the support rests. A flight starts when the support rises
  `rise` leg lengths above it (a drop from a box: falls as far below it, when the rule allows).
- In the air, the landing is the end of the support's descent (a flight whose hips did not go
  up half the feet's `rise` was a foot landmark jumping about, not a jump): once the feet have
  stopped falling for a few frames, the exact moments are read back from the frames kept:
  take-off is the last frame before the feet's upward speed reaches half its peak, contact the
  last before their downward speed falls under half its peak (the impact), for the support and
  for each foot (their difference is the left/right landing gap).
- The landing lasts from contact to its deepest point (the hips' lowest): it ends when the hips
  have come back up `rebound` leg lengths, `landing_max_s` after contact, or at a new take-off.

The landing floor may differ from the take-off floor (a landing nearer the camera sits lower
in the picture; a drop jump lands below its box): contact is found from the feet's speed, not
their height, and the floor is taken again after each landing.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from pose.landmarks import Landmark as L
from pose.types import Array

NAN = float("nan")
SPEED_SHARE = 0.5  # of the peak speed: the take-off and contact frames (see the docstring)
STILL_FRAMES = 3  # frames without falling further: the feet have landed
KEEP_S = 4.0  # seconds of frames kept: a flight and its landing, and the floor before
MAX_GAP_S = 0.25  # longer between two frames with feet: the flight is lost
_FEET = {
    "left": (L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX),
    "right": (L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX),
}
_LEGS = {
    "left": (L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE),
    "right": (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE),
}
MIN_VISIBILITY = 0.5


@dataclass(frozen=True)
class JumpSettings:
    """See scoring.definition.JumpRule, whose fields these are."""

    rise: float = 0.12
    min_flight_s: float = 0.1
    max_flight_s: float = 1.5
    rebound: float = 0.05
    landing_max_s: float = 1.0
    from_box: bool = False


@dataclass(frozen=True)
class FeetSample:
    """One frame's feet and hips, in image heights (y down); NaN where not seen."""

    t: float
    left: float
    right: float
    hips: float
    leg: float  # leg length in image heights

    @property
    def support(self) -> float:
        seen = [v for v in (self.left, self.right) if math.isfinite(v)]
        return max(seen) if seen else NAN


@dataclass(frozen=True)
class Landing:
    """One flight and its landing (times in seconds of the stream)."""

    takeoff_s: float
    contact_s: float
    deepest_s: float  # the hips' lowest point after contact: the landing's end
    drop: bool  # the flight began by falling from a box, not by jumping up
    contact_left_s: float = NAN
    contact_right_s: float = NAN
    depth: float = NAN  # hips from contact to deepest, in leg lengths
    end_s: float = NAN  # when the landing was over (back up, timed out, or off again)

    @property
    def flight_s(self) -> float:
        return self.contact_s - self.takeoff_s

    @property
    def contact_gap_s(self) -> float:
        """How much later one foot met the floor than the other (NaN: one not seen)."""
        return abs(self.contact_left_s - self.contact_right_s)


def feet_sample(t: float, landmarks: Array, aspect: float) -> FeetSample:
    """The feet, hips and leg length of one (33, 4) pose (`aspect`: width over height)."""
    xy = landmarks[:, :2] * np.array([aspect, 1.0])
    vis = landmarks[:, 3]
    seen = np.isfinite(xy).all(axis=1) & (vis >= MIN_VISIBILITY)
    # A foot below the picture's edge is the model's guess, not a foot seen.
    inside = (landmarks[:, 1] >= 0) & (landmarks[:, 1] <= 1)
    feet = {}
    for side, points in _FEET.items():
        ys = [float(xy[p, 1]) for p in points if seen[p] and inside[p]]
        feet[side] = max(ys) if ys else NAN
    hips = [float(xy[p, 1]) for p in (L.LEFT_HIP, L.RIGHT_HIP) if seen[p]]
    legs = []
    for hip, knee, ankle in _LEGS.values():
        if seen[hip] and seen[knee] and seen[ankle]:
            thigh = float(np.hypot(*(xy[hip] - xy[knee])))
            legs.append(thigh + float(np.hypot(*(xy[knee] - xy[ankle]))))
    return FeetSample(
        t,
        feet["left"],
        feet["right"],
        sum(hips) / len(hips) if hips else NAN,
        max(legs) if legs else NAN,
    )


class Phase(Enum):
    GROUND = "ground"
    AIR = "air"
    LANDING = "landing"


@dataclass
class _Flight:
    start_i: int  # index (in the kept frames' count) of the first frame off the floor
    drop: bool
    apex: float  # the support's highest point so far (smallest y)
    low: float  # and lowest after the apex
    still: int = 0


@dataclass
class _Absorbing:
    flight: _Flight
    landing: Landing  # without its deepest point yet
    deepest: float  # the hips' lowest (largest y) so far
    deepest_s: float


@dataclass
class JumpTracker:
    """Feed `update` one FeetSample a frame; it returns a Landing when one has been absorbed.
    `phase` says where the jumper is now (the mode judges faults during the landing)."""

    settings: JumpSettings = field(default_factory=JumpSettings)
    phase: Phase = Phase.GROUND
    floor: float = NAN
    _kept: deque[FeetSample] = field(default_factory=deque)
    _count: int = 0  # samples ever kept (indices stay valid as old ones are dropped)
    _flight: _Flight | None = None
    _absorbing: _Absorbing | None = None

    def update(self, s: FeetSample) -> Landing | None:
        if not math.isfinite(s.support):
            self.unseen()
            return None
        if self._kept and s.t - self._kept[-1].t > MAX_GAP_S:
            self.unseen()
        self._keep(s)
        if self.phase is Phase.LANDING:
            return self._absorb(s)
        if self.phase is Phase.GROUND:
            self._on_ground(s)
            return None
        return self._in_air(s)

    def unseen(self) -> None:
        """No feet in a frame: a flight cannot be followed through it, and the person found
        again may be elsewhere (the floor is taken again); a landing being absorbed goes on."""
        if self.phase is not Phase.LANDING:
            self._flight, self.phase, self.floor = None, Phase.GROUND, NAN

    @property
    def landing(self) -> Landing | None:
        """The landing being absorbed now, without its deepest point (None outside one)."""
        return self._absorbing.landing if self._absorbing is not None else None

    def scale(self) -> float:
        """The leg length to measure in: the longest of the kept frames' (see the docstring)."""
        legs = [k.leg for k in self._kept if math.isfinite(k.leg)]
        return max(legs) if legs else NAN

    # -- the phases ---------------------------------------------------------------------------
    def _on_ground(self, s: FeetSample) -> None:
        scale = self.scale()
        if not math.isfinite(self.floor) or not math.isfinite(scale):
            self.floor = s.support
            return
        above = (self.floor - s.support) / scale
        if above > self.settings.rise or (self.settings.from_box and -above > self.settings.rise):
            start = self._left_floor()
            self._flight = _Flight(start, above < 0, s.support, s.support)
            self.phase = Phase.AIR
            return
        # Resting: the floor follows the support slowly (a camera that drifts, a shifted foot);
        # a step down (off a box, not a jump's drop) is a new floor.
        if abs(above) < self.settings.rise / 2:
            self.floor += 0.2 * (s.support - self.floor)
        elif -above > self.settings.rise / 2 and not self.settings.from_box:
            self.floor = s.support

    def _left_floor(self) -> int:
        """Index of the last kept frame still on the floor before this flight."""
        scale, tol = self.scale(), self.settings.rise / 4
        for k in range(len(self._kept) - 1, -1, -1):
            if abs(self._kept[k].support - self.floor) / scale <= tol:
                return self._count - len(self._kept) + k
        return self._count - len(self._kept)

    def _in_air(self, s: FeetSample) -> Landing | None:
        f = self._flight
        assert f is not None
        start_t = self._at(f.start_i).t if self._has(f.start_i) else s.t
        if s.t - start_t > self.settings.max_flight_s + 0.5:
            self._reset(s)  # lost: not a jump we can time
            return None
        if s.support < f.apex:
            f.apex, f.low, f.still = s.support, s.support, 0
            return None
        if s.support > f.low + 0.01 * self.scale():
            f.low, f.still = s.support, 0
            return None
        f.still += 1
        fell = (f.low - f.apex) / self.scale()
        if f.still < STILL_FRAMES or fell < self.settings.rise / 2:
            return None
        self._landed(f, s)
        return None

    def flush(self) -> Landing | None:
        """End of the stream: the landing being absorbed, as deep as it got."""
        a = self._absorbing
        if a is None:
            return None
        depth = (a.deepest - self._hips_at(a.landing.contact_s)) / self.scale()
        self._absorbing, self._flight, self.phase = None, None, Phase.GROUND
        end = self._kept[-1].t
        return Landing(
            **{**a.landing.__dict__, "deepest_s": a.deepest_s, "depth": depth, "end_s": end}
        )

    def _landed(self, f: _Flight, s: FeetSample) -> None:
        """The feet have stopped falling: time the flight from the kept frames."""
        frames = [k for i, k in self._indexed() if i >= f.start_i - 2]
        t = np.array([k.t for k in frames])
        support = np.array([k.support for k in frames])
        takeoff, contact = flight_times(t, support, f.drop)
        flight_s = contact - takeoff
        timed = self.settings.min_flight_s <= flight_s <= self.settings.max_flight_s
        if not timed or not (f.drop or self._hips_rose(frames, takeoff, contact)):
            self._reset(s)
            return
        sides = {
            side: flight_times(t, np.array([getattr(k, side) for k in frames]), f.drop)[1]
            for side in ("left", "right")
        }
        landing = Landing(takeoff, contact, NAN, f.drop, sides["left"], sides["right"])
        after = [k for k in frames if k.t >= contact and math.isfinite(k.hips)]
        low = max(after, key=lambda k: k.hips) if after else s
        self._absorbing = _Absorbing(f, landing, low.hips, low.t)
        self.phase = Phase.LANDING

    def _hips_rose(self, frames: list[FeetSample], takeoff: float, contact: float) -> bool:
        """The body went up with the feet, by half as much at least (a tuck jump lifts the feet
        more than the hips; a foot landmark that jumps about lifts no hips)."""
        at = [k.hips for k in frames if k.t <= takeoff and math.isfinite(k.hips)]
        up = [k.hips for k in frames if takeoff < k.t < contact and math.isfinite(k.hips)]
        return bool(at and up) and (at[-1] - min(up)) / self.scale() >= self.settings.rise / 2

    def _absorb(self, s: FeetSample) -> Landing | None:
        a = self._absorbing
        assert a is not None
        scale = self.scale()
        if math.isfinite(s.hips) and not s.hips <= a.deepest:
            a.deepest, a.deepest_s = s.hips, s.t
        risen = (a.deepest - s.hips) / scale if math.isfinite(s.hips) else 0.0
        too_long = s.t - a.landing.contact_s > self.settings.landing_max_s
        new_floor = self._floor_after(a.landing.contact_s)
        off_again = (
            math.isfinite(new_floor) and (new_floor - s.support) / scale > self.settings.rise
        )
        if not (risen >= self.settings.rebound or too_long or off_again):
            return None
        contact_hips = self._hips_at(a.landing.contact_s)
        depth = (a.deepest - contact_hips) / scale
        done = Landing(
            **{**a.landing.__dict__, "deepest_s": a.deepest_s, "depth": depth, "end_s": s.t}
        )
        self._absorbing, self._flight = None, None
        self.phase, self.floor = Phase.GROUND, new_floor
        if off_again:  # straight into the next flight (a rebound): judge it from here
            self._on_ground(s)
        return done

    # -- the kept frames ----------------------------------------------------------------------
    def _keep(self, s: FeetSample) -> None:
        self._kept.append(s)
        self._count += 1
        while self._kept and self._kept[0].t < s.t - KEEP_S:
            self._kept.popleft()

    def _indexed(self) -> list[tuple[int, FeetSample]]:
        first = self._count - len(self._kept)
        return [(first + k, s) for k, s in enumerate(self._kept)]

    def _has(self, i: int) -> bool:
        return 0 <= i - (self._count - len(self._kept)) < len(self._kept)

    def _at(self, i: int) -> FeetSample:
        return self._kept[i - (self._count - len(self._kept))]

    def _floor_after(self, contact_s: float) -> float:
        """Where the support rests since contact: the median of its frames."""
        after = [k.support for k in self._kept if k.t >= contact_s]
        return float(np.median(after)) if after else NAN

    def _hips_at(self, t: float) -> float:
        near = min(self._kept, key=lambda k: abs(k.t - t))
        return near.hips

    def _reset(self, s: FeetSample) -> None:
        self._flight, self._absorbing = None, None
        self.phase, self.floor = Phase.GROUND, s.support


def flight_times(t: Array, y: Array, drop: bool = False) -> tuple[float, float]:
    """(take-off, contact) of one flight in the frames `t`, `y` (a foot's height, y down, NaN
    where not seen): take-off the last frame before the upward speed reaches SPEED_SHARE of
    its peak, contact the last before the downward speed falls under it after its peak. A
    drop (from a box) has no upward phase: it leaves when the downward speed first reaches
    SPEED_SHARE of its peak. NaN, NaN when the foot is not seen enough."""
    ok = np.isfinite(y)
    if ok.sum() < 5:
        return NAN, NAN
    t, y = t[ok], y[ok]
    v = np.gradient(y, t)  # image heights a second, + down
    apex = int(np.argmin(y))
    down = apex + int(np.argmax(v[apex:]))
    if v[down] <= 0:
        return NAN, NAN
    k = down
    while k + 1 < len(v) and v[k + 1] >= SPEED_SHARE * v[down]:
        k += 1
    contact = float(t[k])
    if drop:
        k = down
        while k > 0 and v[k - 1] >= SPEED_SHARE * v[down]:
            k -= 1
        return float(t[max(k - 1, 0)]), contact
    up = int(np.argmin(v[: apex + 1]))
    if v[up] >= 0:
        return NAN, contact
    k = up
    while k > 0 and v[k - 1] <= SPEED_SHARE * v[up]:
        k -= 1
    return float(t[max(k - 1, 0)]), contact
