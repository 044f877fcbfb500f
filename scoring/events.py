"""Typed events the exercise engine emits; every consumer (page, recorder, CLI) reads these.

`to_json` is the one place an event becomes JSON (the live protocol's events, the store's
input, the event sinks); `report_item` takes the reps, holds and faults of a session report
(`coach analyze --json`, the live summary) from that JSON. `from_json` reads it back.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from scoring.words import Say, source_text


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
    # The reported angle (`peak_deg`) went past the patient's prescribed range limit.
    over_limit: bool = False
    # How well the reported angle was seen (scoring.confidence): 0-1 (NaN: the rep reports no
    # angle, as for any movement). Below scoring.confidence.MEASURED_MIN it is not `measured`:
    # `rom_deg` and `peak_deg` are NaN and `confidence_reason` says why, as an id ("view",
    # "hidden", "jitter"; "" when measured).
    measured: bool = True
    confidence: float = float("nan")
    confidence_reason: str = ""
    # The range limit's verdict on the rep: "" (no limit), "within", "over", or "unchecked"
    # (the angle was not measured: no limit fault on noise; the patient was asked to turn).
    limit_check: str = ""
    # A jump's landing (scoring.modes.jump): flight, the knee at contact and at its peak and
    # the valgus peak per side, the feet's contact gap; only what was measured. Empty for
    # other exercises.
    landing: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class FaultDetected(Event):
    id: str
    message: str  # messages are `scoring.words.Say`: their source text, id and parameters
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
    reason: str  # e.g. "I can't see your knees. Step back a little."
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


@dataclass(frozen=True)
class TargetShown(Event):
    """A hand-eye target appears (scoring.targets): where to draw it, in the camera image's
    normalised coordinates (not mirrored), its radius in image heights."""

    index: int  # 1-based
    hand: str  # "left" or "right": the hand that should touch it
    x: float
    y: float
    radius: float
    timeout_s: float
    # A moving target: (seconds after shown, x, y) every 0.1 s; empty for a still one.
    path: tuple[tuple[float, float, float], ...] = ()


@dataclass(frozen=True)
class TargetResult(Event):
    """One target's measures (scoring.targets). Times in seconds, each only as good as
    `resolution_s` (the frame interval) plus the loop's `latency_s` (NaN when not measured);
    distances in the patient's arm lengths."""

    index: int
    hand: str
    status: str  # "hit", "miss", "hand_not_seen", "outside_image"
    message: str
    shown_s: float
    hit: bool = False
    reaction_s: float = float("nan")  # shown -> the hand starts moving
    movement_s: float = float("nan")  # movement start -> on the target
    straightness: float = float("nan")  # straight distance / path length, 1 = straight
    sparc: float = float("nan")  # smoothness of the hand's speed (scoring.smoothness)
    overshoot: float = float("nan")  # furthest past the target centre, arm lengths
    tracking_error: float = float("nan")  # moving target: RMS hand-target distance
    on_target: float = float("nan")  # moving target: share of the time on it
    distance: float = float("nan")  # target centre from the reach's origin, arm lengths
    radius: float = float("nan")  # arm lengths
    resolution_s: float = float("nan")
    latency_s: float = float("nan")
    x: float = float("nan")  # where it was drawn (normalised image coordinates)
    y: float = float("nan")


@dataclass(frozen=True)
class PersonWarning(Event):
    """Someone besides the patient came into view (pose.guard); the coach stays on the
    patient and judges no one else."""

    message: str


@dataclass(frozen=True)
class StageShown(Event):
    """The four-stage balance test live (scoring.protocols.balance_live): stage `stage`
    (1-4, `id` from the norms) is the one to take now."""

    stage: int
    id: str
    hold_s: float


@dataclass(frozen=True)
class StageStarted(Event):
    """The stance is kept: its clock runs from `start_s` (when it was taken)."""

    stage: int
    id: str
    start_s: float
    hold_s: float


@dataclass(frozen=True)
class StageEnded(Event):
    """The stage is over: `held_s` of `hold_s`, passed or why not (`reason`)."""

    stage: int
    id: str
    held_s: float
    hold_s: float
    passed: bool
    reason: str


@dataclass(frozen=True)
class BalanceDone(Event):
    """The test is over: the last stage held (0-4) and whether that means a fall risk."""

    last_stage_passed: int
    stages: int
    fall_risk: bool


@dataclass(frozen=True)
class TugReady(Event):
    """Timed Up and Go live (scoring.protocols.tug_live): the patient is seen seated; the
    page says "Go"."""


@dataclass(frozen=True)
class TugStarted(Event):
    """The patient has risen from the chair: the page's clock runs (the timed start, the
    rise onset, is found when the attempt is over)."""


@dataclass(frozen=True)
class TugDone(Event):
    """The attempt is over (seated again, or given up: `reason`): the total time (None when
    no rise and sit were found) and whether it is at or past the fall-risk cut-off."""

    total_s: float | None
    fall_risk_s: float
    fall_risk: bool
    reason: str


EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        RepCompleted,
        FaultDetected,
        HoldProgress,
        HoldEnded,
        Cue,
        PoseLost,
        PoseFound,
        ViewWarning,
        TargetShown,
        TargetResult,
        PersonWarning,
        StageShown,
        StageStarted,
        StageEnded,
        BalanceDone,
        TugReady,
        TugStarted,
        TugDone,
    )
}


_PLAIN = frozenset({str, int, bool, type(None)})


def json_safe(value: Any) -> Any:
    """NaN and infinities are not JSON (browsers reject them): null instead; tuples become
    lists and numpy scalars plain numbers, at any depth."""
    # Exact built-in types first, and a container's plain values without a call each: every
    # live frame message passes here (a few dozen values).
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is dict:
        return {k: v if type(v) in _PLAIN else json_safe(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _PLAIN else json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        return json_safe(value.item())
    return value


def to_json(event: Event) -> dict[str, Any]:
    """The event as JSON: {"kind": class name, every field}; a number not measured is null.
    A message field (a `Say`: scoring.words) holds its source text, and `say` holds each
    message's id and parameters, by field, for the readers that render it in their language."""
    out: dict[str, Any] = {"kind": event.kind}
    said: dict[str, Any] = {}
    for f in fields(event):
        value = getattr(event, f.name)
        if isinstance(value, Say):
            out[f.name] = source_text(value)
            said[f.name] = value.to_json()
        else:
            out[f.name] = json_safe(value)
    if said:
        out["say"] = said
    return out


def from_json(data: dict[str, Any]) -> Event:
    """The event `to_json` gave (null numbers come back as NaN, lists as tuples)."""
    cls = EVENT_TYPES[data["kind"]]
    values: dict[str, Any] = {}
    said = data.get("say") or {}
    for f in fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        if f.name in said:
            value = Say.from_json(said[f.name])
        elif value is None and f.type == "float":
            value = math.nan
        elif isinstance(value, list):
            value = tuple(value)
        elif isinstance(value, dict):
            value = {k: math.nan if v is None else v for k, v in value.items()}
        values[f.name] = value
    return cls(**values)


# A rep's fields: RepCompleted's, in order, without the event's `t`. The one list of them:
# the store keeps each (coach.store.records), a report those below.
REP_FIELDS = tuple(f.name for f in fields(RepCompleted) if f.name != "t")
# A session report's reps, holds and faults (`coach analyze --json`, docs/ARCHITECTURE.md):
# the fields, in order, taken from the event's JSON; `t_s` is the event's `t`. A rep's are
# all but what feeds the session's symmetry and a personal reference.
# A jump's `landing` is reported on its own (`coach analyze --json`'s `landings`).
REP_REPORT = tuple(
    name for name in REP_FIELDS if name not in ("rom_left", "rom_right", "profile", "landing")
)
HOLD_REPORT = ("start_s", "end_s", "duration_s", "sway", "touch_downs")
FAULT_REPORT = ("id", "t_s", "rep", "message", "cue", "side")
_MEASURED = frozenset(
    {
        "start_s",
        "end_s",
        "rom_deg",
        "peak_deg",
        "score",
        "duration_s",
        "up_s",
        "down_s",
        "sparc",
        "sway",
        "t_s",
        "confidence",
    }
)


def report_item(
    event: dict[str, Any], keys: tuple[str, ...], digits: int | None = None
) -> dict[str, Any]:
    """One rep, hold or fault of a report: `keys` of the event's JSON (`to_json`), measured
    numbers rounded to `digits` (None: as they are)."""
    out: dict[str, Any] = {}
    for key in keys:
        if key == "faults":
            value: Any = list(event.get("faults") or [])
        elif key == "side":
            value = event.get("side", "")
        elif key in ("over_limit", "measured"):
            value = bool(event.get(key, key == "measured"))
        elif key in ("confidence_reason", "limit_check"):
            value = str(event.get(key) or "")
        else:
            value = event.get("t" if key == "t_s" else key)
            if digits is not None and key in _MEASURED:
                value = (
                    None
                    if value is None or not math.isfinite(value)
                    else round(float(value), digits)
                )
        out[key] = value
    return out


# ---- event kinds ------------------------------------------------------------------------
from typing import Final  # noqa: E402  (kept with the one block that uses it)


class EventKind:
    """Each engine event's `kind`, as its JSON says it (the class name): readers of the JSON
    compare with these rather than spell the names (tests check they match the classes)."""

    REP_COMPLETED: Final = "RepCompleted"
    FAULT_DETECTED: Final = "FaultDetected"
    HOLD_PROGRESS: Final = "HoldProgress"
    HOLD_ENDED: Final = "HoldEnded"
    CUE: Final = "Cue"
    POSE_LOST: Final = "PoseLost"
    POSE_FOUND: Final = "PoseFound"
    VIEW_WARNING: Final = "ViewWarning"
    TARGET_SHOWN: Final = "TargetShown"
    TARGET_RESULT: Final = "TargetResult"
    PERSON_WARNING: Final = "PersonWarning"
    STAGE_SHOWN: Final = "StageShown"
    STAGE_STARTED: Final = "StageStarted"
    STAGE_ENDED: Final = "StageEnded"
    BALANCE_DONE: Final = "BalanceDone"
    TUG_READY: Final = "TugReady"
    TUG_STARTED: Final = "TugStarted"
    TUG_DONE: Final = "TugDone"
