"""Jump mode: count jumps from the feet (scoring.jumps) and judge each landing.

A landing is judged from contact to its deepest point: the reported knee angle (the
definition's `report`, in the variant the camera's view reports, scoring.measures; none where
that view does not measure it) at contact and at its peak, per side; the definition's fault
rules in their "working" phase (knee valgus from the front, with its cue); and how far apart
the feet met the floor. Each jump is one RepCompleted: start at take-off, end when its
landing is over, `up_s` the flight, `down_s` contact to the deepest point, `peak_deg` and
`rom_deg` the knee's peak and its bend during the landing, `score` 100 less the faults'
penalties, and the landing's numbers in `landing` (scoring.events). A drop jump (`from_box`)
is counted at the rebound's landing, judged on the drop's (the screening landing), with the
ground contact between them.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from scoring.definition import Exercise, JumpRule
from scoring.events import Event, RepCompleted
from scoring.jumps import JumpSettings, JumpTracker, Landing, Phase, feet_sample
from scoring.measures import reported_measure
from scoring.modes.base import Frame, Mode, Shared, Step
from scoring.symmetry import symmetry_index

NAN = float("nan")
SIDES = ("left", "right")
GRAVITY = 9.81  # m/s^2: jump height from flight time, h = g t^2 / 8 (Bosco et al. 1983)


@dataclass
class _Judged:
    """One landing with what was seen during it."""

    landing: Landing
    faults: list[str] = field(default_factory=list)
    penalties: dict[str, float] = field(default_factory=dict)
    numbers: dict[str, float] = field(default_factory=dict)


class JumpMode(Mode):
    """Counts jumps of `exercise.jump` and judges their landings (module docstring)."""

    def __init__(self, exercise: Exercise, aspect: float, shared: Shared) -> None:
        if exercise.jump is None:
            raise ValueError(f"{exercise.id!r} has no [jump] table")
        self.rule: JumpRule = exercise.jump
        self.aspect = aspect
        self.shared = shared
        r = self.rule
        self._tracker = JumpTracker(
            JumpSettings(
                r.rise, r.min_flight_s, r.max_flight_s, r.rebound, r.landing_max_s, r.from_box
            )  # fmt: skip
        )
        # (t, {"knee_left": angle, "valgus_left": ..., ...}) over the last few seconds.
        self._trace: deque[tuple[float, dict[str, float]]] = deque()
        self._faults: list[str] = []  # faults fired in the landing being absorbed
        self._penalties: dict[str, float] = {}
        self._pending_drop: _Judged | None = None
        self._index = 0

    def visible(self, values: Mapping[str, float]) -> bool:
        """A heel is seen (scoring.measures `heel_y`): the feet are what is counted."""
        return any(math.isfinite(values.get(f"heel_y_{s}", NAN)) for s in SIDES)

    def update(self, frame: Frame) -> Step:
        step, state = Step(), self.shared.state
        t = frame.t
        self._remember(t, frame.values, frame.view)
        landing = self._tracker.update(feet_sample(t, frame.landmarks, self.aspect))
        phase = self._tracker.phase
        working = phase is Phase.LANDING
        rep_no = self._index + 1 if working else None
        hits, step.hot = self.shared.monitor.update(
            t, frame.values, "working" if working else "rest", frame.view, rep_no
        )
        for hit in hits:
            if hit.rule.id not in self._faults:
                self._faults.append(hit.rule.id)
                self._penalties[hit.rule.id] = hit.rule.penalty
            step.events.append(self.shared.fault(t, hit.rule, rep_no, hit.joints, hit.side))
        state.phase = "rest" if phase is Phase.GROUND else "working"
        if landing is not None:
            step.events.extend(self._landed(landing, t))
        elif self._pending_drop is not None and self._drop_expired(t):
            drop, self._pending_drop = self._pending_drop, None
            step.events.extend(self._complete(drop, None))
        return step

    def unseen(self, t: float) -> list[Event]:
        """The feet not seen: a flight cannot be followed through the gap."""
        self._tracker.unseen()
        return []

    def finish(self, t: float) -> list[Event]:
        events: list[Event] = []
        landing = self._tracker.flush()
        if landing is not None:
            events.extend(self._landed(landing, t))
        if self._pending_drop is not None:
            drop, self._pending_drop = self._pending_drop, None
            events.extend(self._complete(drop, None))
        return events

    # -- a landing ----------------------------------------------------------------------------
    def _landed(self, landing: Landing, t: float) -> list[Event]:
        judged = _Judged(landing, self._faults, self._penalties, self._numbers(landing))
        self._faults, self._penalties = [], {}
        drop, self._pending_drop = self._pending_drop, None
        if self.rule.from_box and landing.drop:
            self._pending_drop = judged  # counted at its rebound's landing
            return self._complete(drop, None) if drop is not None else []  # one without
        if drop is not None:
            return self._complete(drop, judged)
        return self._complete(judged, None)

    def _drop_expired(self, t: float) -> bool:
        """A drop with no rebound in time: counted on its own."""
        drop = self._pending_drop
        assert drop is not None
        return t - drop.landing.end_s > self.rule.contact_max_s + self.rule.max_flight_s

    def _complete(self, judged: _Judged, rebound: _Judged | None) -> list[Event]:
        """The jump: `judged`'s landing (a drop jump's drop), and its rebound if any."""
        self._index += 1
        landing, numbers = judged.landing, dict(judged.numbers)
        faults, penalties = list(judged.faults), dict(judged.penalties)
        end = landing.end_s
        if rebound is not None:
            numbers["ground_contact_s"] = round(rebound.landing.takeoff_s - landing.contact_s, 3)
            numbers["rebound_flight_s"] = round(rebound.landing.flight_s, 3)
            for f in rebound.faults:
                if f not in faults:
                    faults.append(f)
                    penalties[f] = rebound.penalties.get(f, 0.0)
            end = rebound.landing.end_s
        peaks = {s: numbers.get(f"knee_peak_{s}", NAN) for s in SIDES}
        bends = {s: peaks[s] - numbers.get(f"knee_contact_{s}", NAN) for s in SIDES}
        side = max(SIDES, key=lambda s: peaks[s] if math.isfinite(peaks[s]) else -math.inf)
        start = landing.takeoff_s if math.isfinite(landing.takeoff_s) else landing.contact_s
        rep = RepCompleted(
            t=end,
            index=self._index,
            start_s=round(start, 3),
            end_s=round(end, 3),
            rom_deg=round(bends[side], 1),
            peak_deg=round(peaks[side], 1),
            score=round(max(0.0, 100.0 - sum(penalties.values())), 1),
            faults=tuple(faults),
            duration_s=round(end - start, 3),
            up_s=round(landing.flight_s, 3),
            down_s=round(landing.deepest_s - landing.contact_s, 3),
            rom_left=round(bends["left"], 1),
            rom_right=round(bends["right"], 1),
            landing={k: v for k, v in numbers.items() if math.isfinite(v)},
        )
        self.shared.reps.append(rep)
        self.shared.state.rep_count = self._index
        return [rep]

    def _numbers(self, landing: Landing) -> dict[str, float]:
        """What a landing measured: times, the knee at contact and at its peak per side, the
        valgus peak per side, the feet's contact gap, the knee's left/right symmetry index."""
        flight = landing.flight_s
        out = {
            "takeoff_s": landing.takeoff_s,
            "contact_s": landing.contact_s,
            "flight_s": flight,
            "jump_height_m": GRAVITY * flight * flight / 8 if not landing.drop else NAN,
            "depth_leg_lengths": landing.depth,
            "contact_gap_s": landing.contact_gap_s,
            "drop": 1.0 if landing.drop else 0.0,
        }
        during = [(t, v) for t, v in self._trace if landing.contact_s <= t <= landing.end_s]
        at_contact = min(self._trace, key=lambda x: abs(x[0] - landing.contact_s), default=None)
        for s in SIDES:
            knee = [v.get(f"knee_{s}", NAN) for _, v in during]
            valgus = [v.get(f"valgus_{s}", NAN) for _, v in during]
            out[f"knee_contact_{s}"] = at_contact[1].get(f"knee_{s}", NAN) if at_contact else NAN
            out[f"knee_peak_{s}"] = _max(knee)
            out[f"valgus_peak_{s}"] = _max(valgus)
        out["knee_symmetry_pct"] = symmetry_index(out["knee_peak_left"], out["knee_peak_right"])
        return {k: round(v, 3) for k, v in out.items()}

    def _remember(self, t: float, values: Mapping[str, float], view: str) -> None:
        """This frame's reported knee angle (the variant this view reports, none where it does
        not measure it) and frontal-plane knee angle, per side."""
        name = reported_measure(self.rule.report, view)
        row: dict[str, float] = {}
        for s in SIDES:
            row[f"knee_{s}"] = values.get(f"{name}_{s}", NAN) if name else NAN
            row[f"valgus_{s}"] = values.get(f"knee_valgus_{s}", NAN)
        self._trace.append((t, row))
        keep = self.rule.max_flight_s + self.rule.landing_max_s + 2.0
        while self._trace and self._trace[0][0] < t - keep:
            self._trace.popleft()


def _max(values: list[float]) -> float:
    seen = [v for v in values if math.isfinite(v)]
    return max(seen) if seen else NAN
