"""Typed events the exercise engine emits; every consumer (page, recorder, CLI) reads these."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    """Base: `t` is the stream time in seconds at which the event was decided."""

    t: float

    @property
    def kind(self) -> str:
        return type(self).__name__

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **asdict(self)}


@dataclass(frozen=True)
class RepCompleted(Event):
    index: int  # 1-based
    start_s: float
    end_s: float
    rom_deg: float  # range of motion of the rep measure within the rep
    peak_deg: float  # value of the rep measure at the deepest point
    score: float  # 0..100, see scoring.score
    faults: tuple[str, ...] = ()
    side: str = ""  # "left", "right" or "" when both sides move together
    duration_s: float = 0.0
    up_s: float = 0.0  # time from start to peak (concentric or eccentric, by exercise)
    down_s: float = 0.0  # time from peak back to rest
    sparc: float = float("nan")  # smoothness of the counted measure (scoring.smoothness)
    # Range of the counted measure on each side within the rep (its own units); NaN for a side
    # not measured. They feed the session's symmetry index (scoring.symmetry).
    rom_left: float = float("nan")
    rom_right: float = float("nan")
    # One number per fault rule (scoring.reference): what a personal reference is made of and
    # compared on. Only the features that could be measured.
    profile: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class FaultDetected(Event):
    id: str
    message: str
    cue: str
    rep: int | None  # the rep (1-based) in progress or just completed; None outside reps
    joints: tuple[int, ...] = ()  # landmark indices to draw in red
    side: str = ""


@dataclass(frozen=True)
class HoldProgress(Event):
    elapsed_s: float
    target_s: float


@dataclass(frozen=True)
class HoldEnded(Event):
    start_s: float
    end_s: float
    duration_s: float
    sway: float  # RMS excursion of the body centre, in body heights (see scoring.holds)
    touch_downs: int = 0


@dataclass(frozen=True)
class Cue(Event):
    """One short instruction for the patient, already prioritised and rate-limited."""

    text: str
    priority: int = 1  # higher is more urgent
    source: str = ""  # fault id, "setup", "rep", "pose_lost", ...


@dataclass(frozen=True)
class PoseLost(Event):
    reason: str  # e.g. "no person in view", "knees not visible"
    missing: tuple[str, ...] = field(default=())  # names of the body parts not seen


@dataclass(frozen=True)
class PoseFound(Event):
    """The person (or the needed joints) are back in view after a PoseLost."""


@dataclass(frozen=True)
class ViewWarning(Event):
    expected: str  # "front" or "side"
    detected: str  # "front", "side" or "oblique"
    message: str
    skipped_faults: tuple[str, ...] = ()
