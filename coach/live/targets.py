"""A hand-eye targets task in a live session: its schedule, the page's latency, the results.

The schedule is drawn once, when the session opens, from a random seed that is kept and
stored; it runs in the session's engine (scoring.modes.targets.TargetMode; in the worker
process for `pose=server`). The session passes each TargetShown / TargetResult the engine
decides through here: a result gets the page's last measured camera-to-screen latency and
the patient's plain words, and is kept as the engine said it for the store. Here the
session learns when the schedule is done, what the pages show at the end (`block`) and
what the store keeps (`stored`: scoring.modes.targets.targets_summary, as for an offline
targets session, so the session page and the JSON export read both alike).
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

import numpy as np

from scoring.definition import TargetTask
from scoring.events import EventKind, TargetResult, TargetShown, from_json, json_safe
from scoring.modes.targets import TargetRun, targets_summary
from scoring.targets import TargetSpec, make_schedule
from scoring.words import Say, say

Message = dict[str, Any]

LATENCY_INTERVAL_S = 0.5  # the page's latency reports: at most two a second, more dropped
MAX_LATENCY_MS = 5000.0  # a loop slower than 5 s is not a latency, it is a broken page


class LiveTargets:
    """One live session's targets: the schedule (`task` at `level`, drawn from `seed`) and
    what has become of it so far."""

    def __init__(self, task: TargetTask, level: int, seed: int) -> None:
        self.task = task
        self.level = level
        self.seed = seed
        self.schedule: list[TargetSpec] = make_schedule(task, level, seed)
        self.latency_s = math.nan  # the page's last measured latency (NaN: never reported)
        self._latency_at = -math.inf
        self.shown: list[Message] = []
        self.results: list[Message] = []  # as the engine said them (with the latency)
        self._times: deque[float] = deque(maxlen=2000)

    # ---- the schedule ------------------------------------------------------------------
    @property
    def count(self) -> int:
        return len(self.schedule)

    @property
    def done(self) -> bool:
        """Every target of the schedule has its result."""
        return not self.remaining()

    def remaining(self) -> list[TargetSpec]:
        """The targets not yet done: what a new pipeline (a reconnect) runs."""
        closed = {r.get("index") for r in self.results}
        return [spec for spec in self.schedule if spec.index not in closed]

    def hands(self) -> list[str]:
        return list(dict.fromkeys(spec.hand for spec in self.schedule))

    def hello(self) -> Message:
        """The hello message's "targets": what the page needs before the first target."""
        return {
            "task": self.task.id,
            "level": self.level,
            "count": self.count,
            "hands": self.hands(),
            "layout": self.task.targets.layout,
            "point": self.task.targets.point,
        }

    # ---- what passes through -----------------------------------------------------------
    def frame(self, t: float) -> None:
        """A processed frame at session time `t` (the timing resolution is their interval)."""
        self._times.append(t)

    def offer_latency(self, ms: Any, now: float) -> str | None:
        """The page's measured median latency in milliseconds: None when taken (or dropped:
        more than two a second), else why it was refused, in words."""
        if type(ms) not in (int, float):
            return "latency: ms must be a number of milliseconds."
        try:
            value = float(ms)
        except OverflowError:  # a whole number of hundreds of digits (JSON allows it)
            value = math.inf if ms > 0 else -math.inf
        if math.isnan(value) or not 0 < value <= MAX_LATENCY_MS:
            got = f"{value:g}" if math.isfinite(value) else "a number far too large"
            return f"latency: ms must be more than 0 and at most {MAX_LATENCY_MS:g}; got {got}."
        if now - self._latency_at < LATENCY_INTERVAL_S:
            return None  # dropped: at most two a second
        self._latency_at = now
        self.latency_s = value / 1000.0
        return None

    def on_event(self, event: Message) -> Message:
        """An engine event on its way to the pages: a result gets the latency and plain
        words (the engine's own sentence kept as `detail`); both kinds are kept."""
        kind = event.get("kind")
        if kind == EventKind.TARGET_SHOWN:
            self.shown.append(event)
            return event
        if kind != EventKind.TARGET_RESULT:
            return event
        kept = json_safe({**event, "latency_s": self.latency_s})
        self.results.append(kept)
        moving = any(s.index == kept.get("index") and s.speed > 0 for s in self.schedule)
        words = patient_words(kept, moving)
        said_engine = (kept.get("say") or {}).get("message")
        return {
            **kept,
            "message": words,
            "detail": kept.get("message", ""),
            "say": {"message": words.to_json(), **({"detail": said_engine} if said_engine else {})},
        }

    # ---- the end -------------------------------------------------------------------------
    def frame_interval_s(self) -> float:
        t = np.asarray(self._times, dtype=np.float64)
        steps = np.diff(t)
        steps = steps[steps > 0]
        return float(np.median(steps)) if len(steps) else math.nan

    def stored(self) -> Message:
        """The stored session summary's "targets", as an offline targets session's."""
        run = TargetRun(
            shown=[_event(e, TargetShown) for e in self.shown],
            results=[_event(e, TargetResult) for e in self.results],
            frame_interval_s=self.frame_interval_s(),
        )
        return targets_summary(self.task, run, self.level, self.seed, self.latency_s)

    def block(self) -> Message:
        """The session summary's "targets" for the pages: counts in plain words, per hand."""
        touched = sum(r.get("hit") is True for r in self.results)
        moving = self.task.targets.layout == "follow"
        verb = "moving targets followed" if moving else "targets touched"
        hands: Message = {}
        for hand in self.hands():
            mine = [r for r in self.results if r.get("hand") == hand]
            hands[hand] = {
                "targets": sum(spec.hand == hand for spec in self.schedule),
                "done": len(mine),
                "touched": sum(r.get("hit") is True for r in mine),
            }
        words = "; ".join(
            f"{hand} hand {h['touched']} of {h['targets']}" for hand, h in hands.items()
        )
        return json_safe(
            {
                "task": self.task.id,
                "layout": self.task.targets.layout,
                "level": self.level,
                "seed": self.seed,
                "count": self.count,
                "done": len(self.results),
                "touched": touched,
                "hands": hands,
                "text": f"{touched} of {self.count} {verb}",
                "hands_text": words[:1].upper() + words[1:],
                "latency_s": self.latency_s,
                "frame_interval_s": self.frame_interval_s(),
            }
        )


def patient_words(result: Message, moving: bool = False) -> Say:
    """A target's result as the patient hears it (`moving`: a target to follow)."""
    status = result.get("status")
    if status == "hit":
        return say("Well done, you followed it") if moving else say("Well done, you touched it")
    if status == "miss":
        return (
            say("Try to stay with the moving circle next time")
            if moving
            else say("Missed: try to reach it next time")
        )
    if status == "hand_not_seen":
        hand = result.get("hand")
        if hand == "left":
            return say("I could not see your left hand")
        if hand == "right":
            return say("I could not see your right hand")
        return say("I could not see your hand")
    said_engine = (result.get("say") or {}).get("message")
    if said_engine:
        return Say.from_json(said_engine)
    return Say(str(result.get("message") or "")) if result.get("message") else NOT_SHOWN


NOT_SHOWN = say("That target could not be shown")


def _event(data: Message, cls: type) -> Any:
    """A kept JSON event back as the scoring's dataclass (null numbers as NaN)."""
    event = from_json({k: v for k, v in data.items() if k != "detail"})
    assert isinstance(event, cls)
    return event
