"""Timed Up and Go as a live session (coach.live.clinical): seated, "Go", a running clock,
the total in words when the patient sits down again, stored like an uploaded test's.

The live page opens it as the exercise `timed_up_and_go` (its norms file's id). Its engine
runs the sit-to-stand definition (side or front view, the whole body: its setup check; its
reps are not counted) under the test's id and name. Once set up, each frame's pose goes to
the pure tracker (scoring.protocols.tug_live.TugTracker), which times the attempt with the
recorded test's own timing (scoring.protocols.tug). The tracker reads the pose as the model
gave it, unfiltered, as `coach protocol tug` does: a `pose=device` page's landmarks; a
`pose=server` session's frames carry only the filtered pose, which it then reads.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from coach.live.clinical import image_aspect
from coach.live.protocol import Message, SetProgress
from exercises import load_exercise
from exercises.norms import load_norms
from scoring.definition import Exercise
from scoring.events import to_json
from scoring.protocols.norms import Norms
from scoring.protocols.tug_live import TugTracker

TUG_TEST = "timed_up_and_go"  # the live page's exercise id (and the norms file's)
PROTOCOL = "tug"  # the id its results are stored under (`coach protocol tug`)
SETUP_EXERCISE = "sit_to_stand"  # the definition whose view and setup check it runs


@cache
def tug_exercise() -> Exercise:
    """The engine's definition for the test: sit-to-stand's, under the test's id and name,
    without its faults (a test times the patient; it does not coach how they rise)."""
    norms = load_norms(TUG_TEST)
    update = {"id": TUG_TEST, "name": norms.name, "faults": []}
    return load_exercise(SETUP_EXERCISE).model_copy(update=update)


class LiveTug:
    """One live attempt (coach.live.clinical.LiveTest): the tracker, what the pages are told,
    the stored result."""

    key = "tug"
    protocol = PROTOCOL

    def __init__(self, norms: Norms | None = None) -> None:
        self.norms = norms or load_norms(TUG_TEST)
        self.tracker = TugTracker(norms=self.norms)
        self.exercise = tug_exercise()
        self.ended: Message | None = None  # the TugDone event, once over

    @property
    def done(self) -> bool:
        return self.tracker.done

    @property
    def quiet(self) -> bool:
        """Up and walking (often out of the picture at the far turn): the engine says
        nothing; the page shows the clock."""
        return self.tracker.phase in ("up", "done")

    def frame(
        self, t: float, landmarks: np.ndarray | None, image: Any, raw: np.ndarray | None = None
    ) -> list[Message]:
        """One frame's pose (unfiltered where the frame kept it): the tracker's events."""
        pose = raw if raw is not None else landmarks
        events = [to_json(e) for e in self.tracker.update(t, pose, image_aspect(image))]
        self.ended = next((e for e in events if e["kind"] == "TugDone"), self.ended)
        return events

    def support(self, t: float) -> list[Message]:
        return []  # a support is allowed in the test (and cannot be seen): nothing changes

    def result(self, session_id: str) -> Message | None:
        """The recorded test's result on the attempt's frames, with the live session's id;
        None when no total was found (nothing worth charting)."""
        if self.ended is None or self.ended.get("total_s") is None:
            return None
        result = self.tracker.result().to_json()
        result["measured"]["session"] = session_id
        return result

    def hello(self) -> Message:
        """What the page needs: the cut-off and its source, the walk's length."""
        return {
            "test": TUG_TEST,
            "fall_risk_s": self.tracker.fall_risk_s,
            "walk_m": self.norms.constant("walk_m", 3.0),
            "source": self.norms.source,
        }

    def progress(self) -> SetProgress:
        done = int(self.done)
        return {
            "set": 1,
            "sets": 1,
            "done": done,
            "per_set": 1,
            "unit": "attempt",
            "complete": bool(done),
        }

    def block(self) -> Message:
        """The summary's "tug": where the attempt got to, and its result once over."""
        return {
            "test": TUG_TEST,
            "phase": self.tracker.phase,
            "started_at": self.tracker.started_at,
            "done": self.done,
            "result": self.ended,
            "source": self.norms.source,
        }
