"""A clinical test taken live: the plan of its session, whichever test it is.

A live test (the four-stage balance test, coach.live.balance; Timed Up and Go, coach.live.tug)
is opened from the live page under its norms file's id (coach.live.clinical_tests lists them).
Its engine runs an exercise definition for the setup check only (the engine's own counts are
not the test's); once set up, each frame's pose goes to the test's pure tracker (in
scoring.protocols), whose events (ids and numbers; the page says them in words) travel in
the frame messages. When the test is over the session logs a `ProtocolResult` event with the
result (scoring.protocols.norms.ProtocolResult JSON, `measured.recording` "live"): the store
keeps it as a protocol result (the tests page charts it beside the uploaded ones) and keeps
no exercise session of it; then the session ends by itself.
"""

from __future__ import annotations

from typing import Any, Protocol, cast

import numpy as np

from coach.live.plan import Plan, PlanStart, make_plan
from coach.live.protocol import Journal, Message, Phase, PlanFields, RestState, SetProgress
from coach.prescription import Prescription
from scoring.definition import Exercise
from scoring.events import EventKind

PROTOCOL_RESULT = "ProtocolResult"  # the session event carrying the result for the store
# The engine's events a test does not count (its timing is the tracker's).
_NOT_COUNTED = {
    EventKind.HOLD_PROGRESS,
    EventKind.HOLD_ENDED,
    EventKind.REP_COMPLETED,
    EventKind.FAULT_DETECTED,
}
# The engine's words a test keeps to itself while it is `quiet` (the patient is walking out of
# the picture on purpose: no "I can't see you").
_QUIET = {EventKind.CUE, EventKind.POSE_LOST, EventKind.POSE_FOUND, EventKind.VIEW_WARNING}


class LiveTest(Protocol):
    """One live run of a clinical test, as its session's plan uses it."""

    key: str  # the field of the hello and summary that carries the test ("balance", "tug")
    protocol: str  # the id its results are stored under (`coach protocol`)
    exercise: Exercise  # the engine's definition (its view and setup check)

    @property
    def done(self) -> bool: ...

    @property
    def quiet(self) -> bool:
        """The engine's cues and pose-lost words are not passed on now."""
        ...

    def frame(
        self, t: float, landmarks: np.ndarray | None, image: Any, raw: np.ndarray | None
    ) -> list[Message]:
        """One set-up frame's pose: the tracker's events as JSON."""
        ...

    def support(self, t: float) -> list[Message]:
        """The page says a hand went to a support (at the last frame's time `t`)."""
        ...

    def result(self, session_id: str) -> Message | None:
        """The result to store once done (None: nothing worth storing)."""
        ...

    def hello(self) -> Message: ...

    def block(self) -> Message:
        """The summary's and the store's view of the test so far."""
        ...

    def progress(self) -> SetProgress: ...


def image_aspect(image: Any) -> float:
    """A frame's [width, height] as width / height (0 when unknown)."""
    size = image if isinstance(image, list | tuple) and len(image) == 2 else None
    return float(size[0]) / float(size[1]) if size and float(size[1]) > 0 else 0.0


class LiveTestPlan(Plan):
    """The plan of a clinical test's session: no sets or reps; the test until it is over
    (then the session ends by itself, as a targets task's does)."""

    def __init__(
        self,
        test: LiveTest,
        prescription: Prescription,
        kind: str,
        journal: Journal,
        start: PlanStart,
        session_id: str,
    ) -> None:
        super().__init__(prescription, kind, journal, start)
        self.test = test
        self._session_id = session_id
        self._seen_t: float | None = None  # the last frame's stream time

    @property
    def phase(self) -> Phase:
        return "done" if self.test.done else "set"

    def progress(self) -> SetProgress:
        return self.test.progress()

    def rest(self, now: float) -> RestState | None:
        return None

    def next_set(self, now: float) -> None:
        pass  # one test: no rest to cut short

    @property
    def ends_session(self) -> bool:
        return self.test.done

    def hello_fields(self) -> PlanFields:
        return self._fields(self.test.hello())

    def summary_fields(self) -> PlanFields:
        return self._fields(self.test.block())

    def stored(self) -> PlanFields:
        return self._fields(self.test.block())

    def _fields(self, block: Message) -> PlanFields:
        return cast("PlanFields", {self.test.key: block})

    def no_count_reason(self, events: list[Message]) -> str | None:
        return None  # nothing to count: the summary's test block says what was done

    def see(
        self, t: float, landmarks: np.ndarray | None, image: Any, raw: np.ndarray | None = None
    ) -> None:
        """Once set up, the frame's pose goes to the tracker; its events go out with the
        frame, and the result to the store when the test is over."""
        self._seen_t = t
        if self.counting:
            self._tell(self.test.frame(t, landmarks, image, raw))

    def support(self) -> None:
        """The page says a hand went to a support (the model cannot see one): at the last
        frame's time (stream time, as the tracker times)."""
        if self.stage == "active" and self._seen_t is not None:
            self._tell(self.test.support(self._seen_t))

    def _tell(self, events: list[Message]) -> None:
        for event in events:
            self._journal.log(event)
            self._announce.append(event)
        if events and self.test.done:
            result = self.test.result(self._session_id)
            if result is not None:
                self._journal.log_event(PROTOCOL_RESULT, protocol=self.test.protocol, result=result)

    def _handle(self, event: Message, *, counting: bool) -> Message | None:
        kind = event.get("kind")
        if kind in _NOT_COUNTED or (kind in _QUIET and self.test.quiet):
            return None
        return super()._handle(event, counting=counting)

    def _before_frame(self, t: float, now: float, events: list[Message]) -> None:
        pass

    def _after_frame(self, events: list[Message], now: float, counting: bool) -> None:
        pass

    def _after_pipeline(self) -> None:
        pass


def session_plan(
    journal: Journal,
    session_id: str,
    prescription: Prescription,
    kind: str,
    start: PlanStart,
    options: Any,
) -> Plan:
    """A session's plan: a clinical test's when its options (coach.live.options.
    SessionOptions) carry one, else sets or a targets task (coach.live.plan.make_plan)."""
    test: LiveTest | None = options.clinical_test
    if test is None:
        return make_plan(prescription, kind, journal, start, options.targets)
    return LiveTestPlan(test, prescription, kind, journal, start, session_id)
