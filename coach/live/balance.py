"""The four-stage balance test (CDC STEADI) as a live session (coach.live.clinical): the
stances in turn, each timed as it happens, the result stored like an uploaded test's.

The live page opens it as the exercise `four_stage_balance`. Its engine runs the first
stance's definition (its front view and setup check; its holds are not counted), under the
test's id and name. Once set up, each frame's (filtered) pose goes to the pure tracker
(scoring.protocols.balance_live.StageTracker).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from coach.live.clinical import image_aspect
from coach.live.protocol import Message, SetProgress
from exercises import load_exercise
from exercises.norms import load_norms
from scoring.definition import Exercise, HoldRule
from scoring.events import to_json
from scoring.protocols.balance_live import StageTracker
from scoring.protocols.norms import Norms

BALANCE_TEST = "four_stage_balance"  # the live page's exercise id (and the norms file's)
PROTOCOL = "four-stage-balance"  # the id its results are stored under (`coach protocol`)


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
    """One live run of the test (coach.live.clinical.LiveTest): the tracker, what the pages
    are told, the stored result."""

    key = "balance"
    protocol = PROTOCOL

    def __init__(self, norms: Norms | None = None) -> None:
        self.norms = norms or load_norms(BALANCE_TEST)
        self.tracker = StageTracker(stance_rules(self.norms), norms=self.norms)
        self.exercise = balance_exercise()

    @property
    def done(self) -> bool:
        return self.tracker.done

    @property
    def quiet(self) -> bool:
        return False  # the engine's words as for any exercise

    def frame(
        self, t: float, landmarks: np.ndarray | None, image: Any, raw: np.ndarray | None = None
    ) -> list[Message]:
        """One processed frame's (filtered) pose: the tracker's events as JSON."""
        return [to_json(e) for e in self.tracker.update(t, landmarks, image_aspect(image))]

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

    def progress(self) -> SetProgress:
        """The pages' `set`: stages held of the test's."""
        return {
            "set": 1,
            "sets": 1,
            "done": self.tracker.last_stage_passed,
            "per_set": len(self.tracker.rules),
            "unit": "stage",
            "complete": self.done,
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
