"""What the live tests share: the stored landmark tracks our pipeline extracted from real clips
(samples/tracks), a clock that steps with the recording, and a session's event log as its
parts see it (coach.live.protocol.Journal) without a session around it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

TRACKS = Path(__file__).resolve().parents[3] / "samples" / "tracks"


class StepClock:
    """Session time that moves only when the test says."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def load_track(name: str) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """A stored track: (T, 33, 4) landmarks, their times, the image size (w, h)."""
    with np.load(TRACKS / f"{name}.npz", allow_pickle=False) as data:
        w, h = (int(v) for v in data["image_size"])
        return data["lm"].astype(np.float32), data["t"].astype(np.float64), (w, h)


class Journal:
    """A session's event log for a part under test (`now` from the clock)."""

    def __init__(self, clock: StepClock) -> None:
        self.clock = clock
        self.events: list[dict[str, Any]] = []

    def now(self) -> float:
        return self.clock()

    def log(self, event: dict[str, Any]) -> None:
        self.events.append(event)

    def log_event(self, kind: str, **fields: Any) -> dict[str, Any]:
        event = {"kind": kind, "t": round(self.now(), 3), **fields}
        self.log(event)
        return event

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["kind"] == kind]
