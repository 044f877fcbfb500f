"""One cue at a time: the most urgent candidate, with a cooldown, never a wall of warnings."""

from __future__ import annotations

from dataclasses import dataclass

from scoring.events import Cue

# Cue priorities run 1 (a tip) to 5 (pose lost). A safety cue (the prescribed range limit)
# outranks them all and is never held back by the cooldown or the repeat rule: it is offered
# once per rep, when the limit is crossed.
SAFETY_PRIORITY = 6


@dataclass(frozen=True)
class CueCandidate:
    text: str  # a message (scoring.words.Say)
    priority: int
    source: str


class CueSelector:
    """Collects candidates each frame; releases at most one Cue per `cooldown_s`.

    The same text is not repeated within `repeat_s`, so a patient who cannot fix something at
    once is not nagged every few seconds; a higher-priority cue (pose lost) may cut the
    cooldown short after `urgent_after_s`, and a safety cue (`SAFETY_PRIORITY`) is said at once.
    """

    def __init__(
        self, cooldown_s: float = 3.0, repeat_s: float = 8.0, urgent_after_s: float = 1.0
    ) -> None:
        self.cooldown_s = cooldown_s
        self.repeat_s = repeat_s
        self.urgent_after_s = urgent_after_s
        self._pending: list[CueCandidate] = []
        self._last_t = -1e9
        self._last_priority = 0
        self._said: dict[str, float] = {}
        self.current: Cue | None = None

    def offer(self, text: str, priority: int, source: str) -> None:
        self._pending.append(CueCandidate(text, priority, source))

    def select(self, t: float) -> Cue | None:
        pending, self._pending = self._pending, []
        fresh = [
            c
            for c in pending
            if c.priority >= SAFETY_PRIORITY or t - self._said.get(c.text, -1e9) >= self.repeat_s
        ]
        if not fresh:
            return None
        best = max(fresh, key=lambda c: c.priority)
        since = t - self._last_t
        urgent = best.priority > self._last_priority and since >= self.urgent_after_s
        if since < self.cooldown_s and not urgent and best.priority < SAFETY_PRIORITY:
            return None
        self._last_t = t
        self._last_priority = best.priority
        self._said[best.text] = t
        self.current = Cue(t=t, text=best.text, priority=best.priority, source=best.source)
        return self.current

    def active(self, t: float) -> Cue | None:
        """The cue to show now (it stays on screen for one cooldown)."""
        if self.current is not None and t - self.current.t <= self.cooldown_s:
            return self.current
        return None
