"""The order of a prescribed session: a set, a rest, the next set, ..., done.

Pure bookkeeping on the session clock (no I/O): the session tells it how many reps (or holds)
count so far and what time it is; it answers whether counting is on and which session event
marks a change. Between sets the patient rests: nothing counts until the rest is over (by
itself after `rest_s`, or earlier when the patient says they are ready), so reps made while
resting never spill into the next set. After the last set nothing counts any more.
"""

from __future__ import annotations

from coach.live.protocol import Message, Phase, RestState, SessionKind
from coach.prescription import Prescription


class SetFlow:
    """Where a session is in its prescription: phase "set", "rest" or "done"."""

    def __init__(self, prescription: Prescription, kind: str) -> None:
        self.prescription = prescription
        self.kind = kind
        self.phase: Phase = "set"
        self.sets_done = 0
        self.rest_until: float | None = None

    def resume(self, done: int) -> None:
        """Counting on from `done` reps (or holds) of an earlier life of the session (a
        server restart): the sets they filled are done; the next set starts without a rest."""
        per = self.per_set
        if per > 0:
            self.sets_done = min(max(0, done) // per, self.prescription.sets)
            if self.sets_done >= self.prescription.sets:
                self.phase = "done"

    @property
    def per_set(self) -> int:
        """Reps (or holds) in one set; 0: open-ended."""
        if self.kind == "hold":
            return max(1, self.prescription.reps)
        return self.prescription.reps

    @property
    def counting(self) -> bool:
        return self.phase == "set"

    def after_count(self, done: int, now: float) -> Message | None:
        """`done` reps (or holds) count now: a "SetCompleted" event when that finished a set
        (its rest starts), "AllSetsDone" when it finished the last; else None."""
        per = self.per_set
        if per <= 0 or self.phase != "set":
            return None
        sets = self.prescription.sets
        finished = min(done // per, sets)
        if finished <= self.sets_done:
            return None
        self.sets_done = finished
        if finished >= sets:
            self.phase = "done"
            return {
                "kind": SessionKind.ALL_SETS_DONE,
                "t": round(now, 3),
                "sets": sets,
                "done": done,
            }
        rest = self.prescription.rest_s
        if rest > 0:
            self.phase = "rest"
            self.rest_until = now + rest
        return {
            "kind": SessionKind.SET_COMPLETED,
            "t": round(now, 3),
            "set": finished,
            "sets": sets,
            "rest_s": rest,
        }

    def tick(self, now: float, *, ready: bool = False) -> Message | None:
        """The rest is over (its time is up, or the patient is `ready`): a "RestEnded"
        event, counting again; else None."""
        if self.phase != "rest" or self.rest_until is None:
            return None
        if not ready and now < self.rest_until:
            return None
        early = now < self.rest_until
        self.phase, self.rest_until = "set", None
        return {
            "kind": SessionKind.REST_ENDED,
            "t": round(now, 3),
            "set": self.sets_done + 1,
            "sets": self.prescription.sets,
            "early": early,
        }

    def rest(self, now: float) -> RestState | None:
        """The rest in progress, for the pages: seconds left and the set that follows."""
        if self.phase != "rest" or self.rest_until is None:
            return None
        return {
            "left_s": round(max(0.0, self.rest_until - now), 1),
            "rest_s": self.prescription.rest_s,
            "next_set": self.sets_done + 1,
            "sets": self.prescription.sets,
        }
