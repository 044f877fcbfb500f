"""What the frame loop and its counting modes share, and the small interface of a mode.

The engine (scoring.engine) does what every exercise needs each frame: view, measures, setup,
visibility, cues. How a seen frame is counted depends on the exercise's kind, so that part is
a `Mode`: reps (scoring.modes.reps), balance holds (scoring.modes.holds) or any movement
(scoring.modes.generic). Modes report through `Shared`, so the engine's public lists and its
display snapshot stay one object whichever mode wrote them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from pose.types import Array
from scoring.cues import CueSelector
from scoring.definition import FaultRule
from scoring.events import Event, FaultDetected, HoldEnded, RepCompleted
from scoring.faults import FaultMonitor
from scoring.reported import Reading
from scoring.words import Say


@dataclass
class EngineState:
    """A snapshot for displays: what the patient should see right now."""

    rep_count: int = 0
    phase: str = "idle"
    rep_measure: str = ""
    rep_value: float | None = None
    rep_target: float | None = None
    hold_active: bool = False
    hold_elapsed_s: float = 0.0
    hold_target_s: float = 0.0
    view: str = "unknown"
    setup_ok: bool = False
    # Messages (scoring.words.Say), "" when there is nothing to say.
    setup_message: str = ""
    setup_tip: str = ""  # a better listed view for the checks (never a gate)
    paused: bool = False
    paused_reason: str = ""
    cue: str | None = None
    fault_joints: list[int] = field(default_factory=list)
    # This frame's values as reported (scoring.reported: what the store and exports keep).
    measures: dict[str, float] = field(default_factory=dict)


@dataclass
class Shared:
    """The session's record and display, written by the modes and read through the engine.

    One fault monitor serves the engine (which checks are skipped in this view) and the modes
    (which fire); every fault event goes through `fault`, so each is recorded and cued alike.
    """

    state: EngineState
    cues: CueSelector
    monitor: FaultMonitor
    reps: list[RepCompleted] = field(default_factory=list)
    holds: list[HoldEnded] = field(default_factory=list)
    faults: list[FaultDetected] = field(default_factory=list)

    def fault(
        self,
        t: float,
        rule: FaultRule,
        rep: int | None,
        joints: Iterable[int],
        side: str,
        message: str | None = None,
    ) -> FaultDetected:
        """Record one fault event (`message` overrides the rule's) and offer its cue. A
        definition's words are message ids (extracted from the definition files): a
        therapist's own definition, in no catalog, is said in its own words."""
        text = Say(rule.message) if message is None else message
        return self.alert(t, rule.id, text, Say(rule.cue), rule.priority, rep, joints, side)

    def alert(
        self,
        t: float,
        fault_id: str,
        message: str,
        cue: str,
        priority: int,
        rep: int | None,
        joints: Iterable[int],
        side: str,
    ) -> FaultDetected:
        """Record one fault event, of a definition's rule or not (the range limit), and offer
        its cue at `priority`."""
        ev = FaultDetected(
            t=t, id=fault_id, message=message, cue=cue, rep=rep, joints=tuple(joints), side=side
        )
        self.faults.append(ev)
        self.cues.offer(cue, priority, fault_id)
        return ev


@dataclass(frozen=True)
class Frame:
    """One frame in which the person is seen, as the loop measured it."""

    t: float
    landmarks: Array  # (33, 4)
    values: Mapping[str, float]  # the measures this view can use; NaN when not visible
    view: str
    # The values as reported (scoring.reported): a joint angle only from a view that can
    # measure it, with its joints seen. None: a caller that only counts.
    reading: Reading | None = None


@dataclass
class Step:
    """What a mode made of one frame: events in order, and the joints now at fault."""

    events: list[Event] = field(default_factory=list)
    hot: set[int] = field(default_factory=set)


class Mode(ABC):
    """One way of counting an exercise; the engine's frame loop calls it on every frame."""

    # Counts from the whole skeleton (`any`): no joints to check before counting, and it
    # counts before the loop marks the pose as found.
    whole_body: ClassVar[bool] = False

    def visible(self, values: Mapping[str, float]) -> bool:
        """Whether this frame shows what the mode counts; if not, the loop pauses."""
        return True

    @abstractmethod
    def update(self, frame: Frame) -> Step:
        """Count one frame in which the person, and what `visible` asks for, is seen."""

    def unseen(self, t: float) -> list[Event]:
        """No pose at `t`, or not what the mode needs (then `update` is not called)."""
        return []

    def finish(self, t: float) -> list[Event]:
        """End of stream at `t`: whatever is still open."""
        return []
