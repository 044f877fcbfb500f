"""Generic mode (`any`): count repetitions of whatever the body does, with no definition.

The periodicity counter (scoring.periodic) watches the whole skeleton's main direction of
motion. It has no joints to check and no faults; it sees every frame, an empty one as a gap,
so that its time axis stays whole. While streaming it only adds cycles; at the end the whole
track settles the count, which replaces the running one.
"""

from __future__ import annotations

from scoring.definition import GenericRule
from scoring.events import Event, RepCompleted
from scoring.modes.base import Frame, Mode, Shared, Step
from scoring.periodic import Cycle, GenericRepCounter

NAN = float("nan")


class GenericMode(Mode):
    """Counts cycles of any movement; reps carry times only (no range, no score)."""

    whole_body = True

    def __init__(self, rule: GenericRule, aspect: float, shared: Shared) -> None:
        self.shared = shared
        self._counter = GenericRepCounter(
            aspect, rule.min_period_s, rule.max_period_s, rule.min_prominence
        )
        self._rep_index = 0

    def update(self, frame: Frame) -> Step:
        return Step(events=[self._rep(c) for c in self._counter.update(frame.t, frame.landmarks)])

    def unseen(self, t: float) -> list[Event]:
        return [self._rep(c) for c in self._counter.update(t, None)]

    def finish(self, t: float) -> list[Event]:
        """Recount the whole track; report the reps the running count had not found."""
        final = self._counter.recount_all()
        self.shared.reps = []
        self._rep_index = 0
        already = len(self._counter.cycles)
        events: list[Event] = []
        for i, cycle in enumerate(final):
            rep = self._rep(cycle)
            if i >= already:
                events.append(rep)
        self._counter.cycles = list(final)
        return events

    def _rep(self, cycle: Cycle) -> RepCompleted:
        self._rep_index += 1
        rep = RepCompleted(
            t=cycle.end_s,
            index=self._rep_index,
            start_s=round(cycle.start_s, 3),
            end_s=round(cycle.end_s, 3),
            rom_deg=NAN,
            peak_deg=NAN,
            measured=False,
            score=NAN,
            duration_s=round(cycle.end_s - cycle.start_s, 3),
        )
        self.shared.reps.append(rep)
        self.shared.state.rep_count = self._rep_index
        return rep
