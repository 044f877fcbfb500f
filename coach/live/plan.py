"""What a live session's frames count towards, and the counts so far.

A session runs one plan: `SetPlan` (sets of reps or holds with rests between them, as the
prescription says; coach.live.sets) or `TargetsPlan` (a hand-eye targets task: one set of its
targets; coach.live.targets). Both share `Plan`, the counting every session does:

- the setup gate: "setup" until the engine's setup check has passed for `setup_hold_s`, then
  "active": reps count from then on (what was counted during setup belongs to it);
- counts that survive a new pipeline (reconnect, worker crash, server restart via
  `carry_reps`): the engine's count is added to an offset of earlier reps;
- engine events renumbered in session terms (reps, faults) and holds counted the moment they
  reach the prescribed time.

Each frame's engine message goes through `step`, which returns the frame's events for the
pages; whatever the plan decides is logged through the session's `Journal`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from coach.live.protocol import (
    MAX_MESSAGE_CHARS,
    Journal,
    Message,
    Phase,
    PlanFields,
    RestState,
    SessionKind,
    SetProgress,
    Stage,
)
from coach.live.readouts import set_progress
from coach.live.sets import SetFlow
from coach.live.targets import LiveTargets
from coach.prescription import Prescription
from scoring.events import EventKind
from scoring.modes.reps import RANGE_LIMIT_ID
from scoring.targets import TargetSpec
from scoring.words import Say, say

SLACK_S = 0.05  # a hold this close to its target has reached it (frame timing)


@dataclass(frozen=True)
class PlanStart:
    """How a plan starts: reps and holds counted by an earlier life of the session (a server
    restart), and how long the setup check must pass before counting starts."""

    carry_reps: int = 0
    carry_holds: int = 0
    setup_hold_s: float = 0.5


class Plan(ABC):
    """The counting of one session, whatever it counts towards (see the module)."""

    def __init__(
        self, prescription: Prescription, kind: str, journal: Journal, start: PlanStart
    ) -> None:
        self.prescription = prescription
        self.kind = kind  # the exercise's kind: "reps", "hold", ... (holds count holds)
        self._journal = journal
        self._setup_hold_s = start.setup_hold_s
        self.stage: Literal["setup", "active"] = "setup"
        self._setup_ok_since: float | None = None
        self.setup_message = ""  # why the setup check last failed
        self._rep_offset = max(0, start.carry_reps)  # reps from earlier pipelines / a lost server
        self._hold_offset = max(0, start.carry_holds)
        self._engine_base = 0  # engine count when counting started (reps before are setup)
        self._engine_reps = 0
        self._holds_done = 0
        self._hold_counted = False  # the current hold reached its target and was counted
        self._announce: list[Message] = []  # plan events for the next frame message

    # ---- what the plan is ----------------------------------------------------------------
    @property
    @abstractmethod
    def phase(self) -> Phase:
        """ "set" (counting may go on), "rest" (between sets) or "done"."""

    @abstractmethod
    def progress(self) -> SetProgress:
        """Which set and how far along (every message's `set`)."""

    @abstractmethod
    def rest(self, now: float) -> RestState | None:
        """The rest in progress, for the pages (None: not resting)."""

    @abstractmethod
    def next_set(self, now: float) -> None:
        """The patient is ready before the rest is over: the next set starts now."""

    def schedule(self) -> tuple[TargetSpec, ...] | None:
        """What a new pipeline runs of a targets task (None: not a targets task)."""
        return None

    @property
    def ends_session(self) -> bool:
        """Nothing is left to do: the session ends by itself (a set plan never does; the
        patient's page ends it)."""
        return False

    def offer_latency(self, ms: Any, now: float) -> str | None:
        """The page's measured latency: None when taken or ignored, else why it is refused."""
        return None

    def hello_fields(self) -> PlanFields:
        """What the plan adds to the hello."""
        return {}

    def summary_fields(self) -> PlanFields:
        """What the plan adds to the summary."""
        return {}

    def stored(self) -> PlanFields:
        """What the store keeps of the plan (in PatientDisconnected and SessionEnded)."""
        return {}

    # ---- counts -----------------------------------------------------------------------------
    @property
    def counting(self) -> bool:
        """Reps and holds count now: set up, and in a set (not resting, not done)."""
        return self.stage == "active" and self.phase == "set"

    @property
    def shown_stage(self) -> Stage:
        """The stage the pages see: "setup", "active", "rest" or "done"."""
        phase = self.phase
        return self.stage if phase == "set" else phase

    @property
    def rep_count(self) -> int:
        """Reps completed in this session, across pipelines."""
        if not self.counting:
            return self._rep_offset
        return self._rep_offset + max(0, self._engine_reps - self._engine_base)

    @property
    def holds_done(self) -> int:
        return self._hold_offset + self._holds_done

    def no_count_reason(self, events: list[Message]) -> str | None:
        """Why nothing was counted, for a session that counted nothing (else None): a
        message (scoring.words), the setup check's own inside."""
        if self.rep_count or self.holds_done:
            return None
        if not any(e["kind"] == SessionKind.SETUP_PASSED for e in events):
            why = self.setup_message or say("I could not see you well enough.")
            return say("Counting never started: {why}", why=why)
        if self.kind == "hold":
            return say("No hold reached its target while I was counting.")
        return say("No rep was completed while I was counting.")

    # ---- frames and pipelines --------------------------------------------------------------
    def see(
        self, t: float, landmarks: np.ndarray | None, image: Any, raw: np.ndarray | None = None
    ) -> None:
        """A processed frame's pose (before `step`), for a plan that reads poses itself (a
        live clinical test, coach.live.clinical); `raw`: the same pose before the filter,
        where the frame kept it (a `pose=device` page's landmarks)."""
        return None

    def support(self) -> None:
        """The page says the patient held on to a support (read by the balance test)."""
        return None

    def step(
        self, message: Message, t: float, now: float, pose: tuple[Any, Any, Any] | None = None
    ) -> list[Message]:
        """One processed frame at stream time `t` (the engine's frame `message`, and its
        `pose`: landmarks, image size, unfiltered landmarks or None): the counts move on;
        returns the frame's events in session terms."""
        if pose is not None:
            self.see(t, *pose)
        events, self._announce = self._announce, []
        self._before_frame(t, now, events)
        engine_reps = int(message.get("rep_count") or 0)
        counting = self.counting
        if self.stage != "active":
            self._check_setup(message.get("setup") or {}, t, engine_reps)
        self._engine_reps = engine_reps
        for event in message.get("events") or []:
            kept = self._handle(event, counting=counting)
            if kept is not None:
                events.append(kept)
        self._after_frame(events, now, counting)
        return events

    def finish(self, events: list[Message], *, counting: bool) -> None:
        """A pipeline's last events (open holds closed as it went); then its counts carry."""
        for event in events:
            kept = self._handle(event, counting=counting)
            if kept is not None and kept["kind"] == EventKind.REP_COMPLETED:
                self._engine_reps = max(self._engine_reps, int(event.get("index", 0)))
        self._after_pipeline()
        self.carry()

    def carry(self) -> None:
        """The pipeline is going away: its count becomes the offset for the next one, which
        starts in setup again."""
        self._rep_offset = self.rep_count
        self._hold_offset += self._holds_done
        self._holds_done = 0
        self._engine_base = self._engine_reps = 0
        self.stage = "setup"
        self._setup_ok_since = None

    # ---- what a plan adds around each frame ----------------------------------------------
    @abstractmethod
    def _before_frame(self, t: float, now: float, events: list[Message]) -> None:
        """Before the frame's engine events (plan events go to `events`)."""

    @abstractmethod
    def _after_frame(self, events: list[Message], now: float, counting: bool) -> None:
        """After the frame's engine events (`counting`: as it was before them)."""

    @abstractmethod
    def _after_pipeline(self) -> None:
        """The pipeline's last events are in."""

    def _moved(self, event: Message | None, before: int) -> Message | None:
        """The plan moved on (a set finished, a rest ended): counting stops or starts afresh
        here, from `before` (the count just before the move); the event is logged."""
        if event is not None:
            self._rep_offset = before
            self._engine_base = self._engine_reps
            self._journal.log(event)
        return event

    def _check_setup(self, setup: Message, t: float, engine_reps: int) -> None:
        if not setup.get("ok") and setup.get("message"):
            said_setup = (setup.get("say") or {}).get("message")
            self.setup_message = (
                Say.from_json(said_setup)
                if said_setup
                else str(setup["message"])[:MAX_MESSAGE_CHARS]
            )
        if not setup.get("ok"):
            self._setup_ok_since = None
            return
        if self._setup_ok_since is None:
            self._setup_ok_since = t
        if t - self._setup_ok_since >= self._setup_hold_s:
            self.stage = "active"
            self._engine_base = engine_reps
            self._journal.log_event(SessionKind.SETUP_PASSED, rep_count=self.rep_count)

    def _handle(self, event: Message, *, counting: bool) -> Message | None:
        """Renumber an engine event into session terms and log it; None drops it.

        Reps and faults decided while not counting belong to the setup (or the rest), not
        the set; past the range limit is always recorded (and shown). A hold counts the
        moment it reaches the prescribed target: that frame's HoldProgress becomes a
        "HoldReached" event (the patient hears they made it, and the set can end); its later
        HoldEnded does not count it again.
        """
        kind = event.get("kind")
        if kind in (EventKind.REP_COMPLETED, EventKind.FAULT_DETECTED) and not counting:
            if not (kind == EventKind.FAULT_DETECTED and event.get("id") == RANGE_LIMIT_ID):
                return None
            event = {**event, "rep": None}
            self._journal.log(event)
            return event
        event = dict(event)
        if kind == EventKind.REP_COMPLETED:
            event["index"] = self._rep_offset + int(event.get("index", 0)) - self._engine_base
        elif kind == EventKind.FAULT_DETECTED and event.get("rep") is not None:
            event["rep"] = self._rep_offset + int(event["rep"]) - self._engine_base
        elif kind == EventKind.HOLD_PROGRESS:  # in every frame message already: not logged
            return self._hold_progress(event, counting)
        elif kind == EventKind.HOLD_ENDED:
            self._hold_ended(event, counting)
        self._journal.log(event)
        return event

    def _hold_progress(self, event: Message, counting: bool) -> Message:
        target = self.prescription.hold_s
        held = float(event.get("elapsed_s", 0.0))
        if not (counting and target > 0 and not self._hold_counted and held >= target - SLACK_S):
            return event
        self._hold_counted = True
        self._holds_done += 1
        reached = {
            "kind": SessionKind.HOLD_REACHED,
            "t": event.get("t"),
            "target_s": target,
            "hold": self.holds_done,
        }
        self._journal.log(reached)
        return reached

    def _hold_ended(self, event: Message, counting: bool) -> None:
        target = self.prescription.hold_s
        if self._hold_counted:
            self._hold_counted = False  # counted when it reached its target
        elif counting and (target <= 0 or float(event.get("duration_s", 0.0)) >= target - SLACK_S):
            self._holds_done += 1


class SetPlan(Plan):
    """Sets of reps (or holds) with rests between them, as prescribed (coach.live.sets): a
    set's last rep (or the hold that reaches its target) starts the rest; nothing counts
    until it is over, then the next set; after the last set nothing counts."""

    def __init__(
        self, prescription: Prescription, kind: str, journal: Journal, start: PlanStart
    ) -> None:
        super().__init__(prescription, kind, journal, start)
        self._flow = SetFlow(prescription, kind)
        self._flow.resume(max(0, start.carry_holds if kind == "hold" else start.carry_reps))

    @property
    def phase(self) -> Phase:
        return self._flow.phase

    def progress(self) -> SetProgress:
        rx = self.prescription
        return set_progress(self.kind, self.rep_count, self.holds_done, rx.sets, rx.reps)

    def rest(self, now: float) -> RestState | None:
        return self._flow.rest(now)

    def next_set(self, now: float) -> None:
        before = self.rep_count  # before the flow moves: counting may start
        event = self._moved(self._flow.tick(now, ready=True), before)
        if event is not None:
            self._announce.append(event)

    def _before_frame(self, t: float, now: float, events: list[Message]) -> None:
        before = self.rep_count  # before the flow moves: counting may start
        rested = self._moved(self._flow.tick(now), before)  # the rest is over
        if rested is not None:
            events.append(rested)

    def _after_pipeline(self) -> None:
        pass  # the counts carry as they are

    def _after_frame(self, events: list[Message], now: float, counting: bool) -> None:
        if not counting:
            return
        before = self.rep_count
        done = self.holds_done if self.kind == "hold" else before
        moved = self._moved(self._flow.after_count(done, now), before)
        if moved is not None:
            events.append(moved)


class TargetsPlan(Plan):
    """A hand-eye targets task (coach.live.targets): one set of its targets, counted by
    their results. The engine runs the schedule; the plan passes its events on (with the
    page's latency and plain words), and once every target has its result the plan is done
    ("AllSetsDone", carrying the results) and the session ends by itself."""

    def __init__(
        self,
        targets: LiveTargets,
        prescription: Prescription,
        kind: str,
        journal: Journal,
        start: PlanStart,
    ) -> None:
        super().__init__(prescription, kind, journal, start)
        self.targets = targets
        self._done = False  # "AllSetsDone" was said

    @property
    def phase(self) -> Phase:
        return "done" if self._done else "set"

    def progress(self) -> SetProgress:
        done, count = len(self.targets.results), self.targets.count
        return {
            "set": 1,
            "sets": 1,
            "done": done,
            "per_set": count,
            "unit": "target",
            "complete": done >= count,
        }

    def rest(self, now: float) -> RestState | None:
        return None  # one set: no rest

    def next_set(self, now: float) -> None:
        pass  # one set: no rest to cut short

    def schedule(self) -> tuple[TargetSpec, ...]:
        return tuple(self.targets.remaining())

    @property
    def ends_session(self) -> bool:
        return self.targets.done

    def offer_latency(self, ms: Any, now: float) -> str | None:
        return self.targets.offer_latency(ms, now)

    def hello_fields(self) -> PlanFields:
        return {"targets": self.targets.hello()}

    def summary_fields(self) -> PlanFields:
        return {"targets": self.targets.block()}

    def stored(self) -> PlanFields:
        return {"targets": self.targets.stored()}

    def no_count_reason(self, events: list[Message]) -> str | None:
        return None  # no reps to count: the summary's "targets" says what was done

    def _handle(self, event: Message, *, counting: bool) -> Message | None:
        if event.get("kind") in (EventKind.TARGET_SHOWN, EventKind.TARGET_RESULT):
            event = self.targets.on_event(event)
            self._journal.log(event)
            return event
        return super()._handle(event, counting=counting)

    def _before_frame(self, t: float, now: float, events: list[Message]) -> None:
        self.targets.frame(t)

    def _after_frame(self, events: list[Message], now: float, counting: bool) -> None:
        self._check_done(events)

    def _after_pipeline(self) -> None:
        self._check_done([])  # the last target closed as the pipeline went

    def _check_done(self, events: list[Message]) -> None:
        """Every target has its result: the plan is done (an "AllSetsDone" in this frame's
        `events`, so the page says well done and ends the session)."""
        if self._done or not self.targets.done:
            return
        self._done = True
        event = {
            "kind": SessionKind.ALL_SETS_DONE,
            "t": round(self._journal.now(), 3),
            "sets": 1,
            "done": len(self.targets.results),
            "targets": self.targets.block(),
        }
        self._journal.log(event)
        events.append(event)


def make_plan(
    prescription: Prescription,
    kind: str,
    journal: Journal,
    start: PlanStart,
    targets: LiveTargets | None = None,
) -> Plan:
    """A targets task's plan when there are `targets`, else sets of the exercise `kind`."""
    if targets is not None:
        return TargetsPlan(targets, prescription, kind, journal, start)
    return SetPlan(prescription, kind, journal, start)
