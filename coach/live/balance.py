"""The four-stage balance test (CDC STEADI) as a live session: the stances in turn, each
timed as it happens, the result stored like an uploaded test's.

The live page opens it as the exercise `four_stage_balance`. Its engine runs the first
stance's definition (its front view and setup check; its holds are not counted), under the
test's id and name. Once the setup check has passed, each frame's pose goes to the pure
tracker (scoring.protocols.balance_live.StageTracker), whose events (ids and numbers; the
page says them in words) travel in the frame messages. When the test is over the session
logs a `ProtocolResult` event carrying the result (scoring.protocols.norms.ProtocolResult
JSON, `measured.recording` "live"): the store keeps it as a protocol result (the tests
page charts it beside the uploaded ones) and keeps no exercise session of it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from coach.live.plan import Plan, PlanStart, make_plan
from coach.live.protocol import Journal, Message, Phase, PlanFields, RestState, SetProgress
from coach.prescription import Prescription
from exercises import load_exercise
from exercises.norms import load_norms
from scoring.definition import Exercise, HoldRule
from scoring.events import EventKind, to_json
from scoring.protocols.balance_live import StageTracker
from scoring.protocols.norms import Norms

BALANCE_TEST = "four_stage_balance"  # the live page's exercise id (and the norms file's)
PROTOCOL = "four-stage-balance"  # the id its results are stored under (`coach protocol`)
PROTOCOL_RESULT = "ProtocolResult"  # the session event carrying the result for the store
# The engine's events the test does not count (its stance timing is the tracker's).
_NOT_COUNTED = {
    EventKind.HOLD_PROGRESS,
    EventKind.HOLD_ENDED,
    EventKind.REP_COMPLETED,
    EventKind.FAULT_DETECTED,
}


def stance_rules(norms: Norms) -> list[tuple[str, HoldRule]]:
    """Each stage's stance: its exercise definition's hold, in the test's order."""
    rules = []
    for stage in norms.extra["stages"]:
        hold = load_exercise(stage["exercise"]).hold
        assert hold is not None, stage
        rules.append((str(stage["id"]), hold))
    return rules


@cache
def balance_exercise() -> Exercise:
    """The engine's definition for the test: the first stance's (its front view and setup
    check) under the test's id and name."""
    norms = load_norms(BALANCE_TEST)
    first = load_exercise(norms.extra["stages"][0]["exercise"])
    return first.model_copy(update={"id": BALANCE_TEST, "name": norms.name})


class LiveBalance:
    """One live run of the test: the tracker, what the pages are told, the stored result."""

    def __init__(self, norms: Norms | None = None) -> None:
        self.norms = norms or load_norms(BALANCE_TEST)
        self.tracker = StageTracker(stance_rules(self.norms), norms=self.norms)
        self.exercise = balance_exercise()

    @property
    def done(self) -> bool:
        return self.tracker.done

    def frame(self, t: float, landmarks: np.ndarray | None, image: Any) -> list[Message]:
        """One processed frame's pose: the tracker's events as JSON."""
        size = image if isinstance(image, list | tuple) and len(image) == 2 else None
        aspect = float(size[0]) / float(size[1]) if size and float(size[1]) > 0 else 0.0
        return [to_json(e) for e in self.tracker.update(t, landmarks, aspect)]

    def support(self, t: float) -> list[Message]:
        """The page says a hand went to a support: the stage in progress fails."""
        return [to_json(e) for e in self.tracker.support(t)]

    def result(self, session_id: str) -> Message:
        """The stored result (as an uploaded test's JSON), with the live session's id."""
        result = self.tracker.result().to_json()
        result["measured"]["session"] = session_id
        return result

    def hello(self) -> Message:
        """What the page needs before the first stance: each stage's id and the stick
        figure to show (its exercise's demonstration), the hold time, the source."""
        stages = self.norms.extra["stages"]
        return {
            "test": BALANCE_TEST,
            "hold_s": self.tracker.hold_s,
            "fall_risk_below_stage": self.tracker.risk_below,
            "stages": [
                {"stage": i, "id": s["id"], "demo": s["exercise"]}
                for i, s in enumerate(stages, start=1)
            ],
            "source": self.norms.source,
        }

    def block(self) -> Message:
        """The summary's "balance": each stage ended so far, the last held, the fall risk."""
        last = self.tracker.last_stage_passed
        return {
            "test": BALANCE_TEST,
            "done": self.done,
            "stages": [to_json(e) for e in self.tracker.ended],
            "last_stage_passed": last,
            "fall_risk": self.done and last < self.tracker.risk_below,
            "source": self.norms.source,
        }


class BalancePlan(Plan):
    """The plan of a balance test session: no sets or reps; the stages, in order, until the
    test is over (then the session ends by itself, as a targets task's does)."""

    def __init__(
        self,
        balance: LiveBalance,
        prescription: Prescription,
        kind: str,
        journal: Journal,
        start: PlanStart,
        session_id: str,
    ) -> None:
        super().__init__(prescription, kind, journal, start)
        self.balance = balance
        self._session_id = session_id
        self._seen_t: float | None = None  # the last frame's stream time

    @property
    def phase(self) -> Phase:
        return "done" if self.balance.done else "set"

    def progress(self) -> SetProgress:
        stages = len(self.balance.tracker.rules)
        passed = self.balance.tracker.last_stage_passed
        return {
            "set": 1,
            "sets": 1,
            "done": passed,
            "per_set": stages,
            "unit": "stage",
            "complete": self.balance.done,
        }

    def rest(self, now: float) -> RestState | None:
        return None

    def next_set(self, now: float) -> None:
        pass  # one test: no rest to cut short

    @property
    def ends_session(self) -> bool:
        return self.balance.done

    def hello_fields(self) -> PlanFields:
        return {"balance": self.balance.hello()}

    def summary_fields(self) -> PlanFields:
        return {"balance": self.balance.block()}

    def stored(self) -> PlanFields:
        return {"balance": self.balance.block()}

    def no_count_reason(self, events: list[Message]) -> str | None:
        return None  # nothing to count: the summary's "balance" says what was held

    def see(self, t: float, landmarks: np.ndarray | None, image: Any) -> None:
        """Once set up, the frame's pose goes to the tracker; its events go out with the
        frame, and the result to the store when the test is over."""
        self._seen_t = t
        if self.counting:
            self._tell(self.balance.frame(t, landmarks, image))

    def support(self) -> None:
        """The page says a hand went to a support (the model cannot see one): the stance
        ends at the last frame's time (stream time, as the stances are timed)."""
        if self.stage == "active" and self._seen_t is not None:
            self._tell(self.balance.support(self._seen_t))

    def _tell(self, events: list[Message]) -> None:
        for event in events:
            self._journal.log(event)
            self._announce.append(event)
        if events and self.balance.done:
            result = self.balance.result(self._session_id)
            self._journal.log_event(PROTOCOL_RESULT, protocol=PROTOCOL, result=result)

    def _handle(self, event: Message, *, counting: bool) -> Message | None:
        if event.get("kind") in _NOT_COUNTED:
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
    """A session's plan: the balance test's when its options (coach.live.options.
    SessionOptions) carry one, else sets or a targets task (coach.live.plan.make_plan)."""
    balance: LiveBalance | None = options.balance
    if balance is None:
        return make_plan(prescription, kind, journal, start, options.targets)
    return BalancePlan(balance, prescription, kind, journal, start, session_id)
