"""The therapists following a live session, and what passes between them and the patient.

Followers get every frame message the patient gets (they are the session's sinks), and
besides: the patient's status (connected, disconnected, a problem only the page sees,
ended), the patient's video when they share it, and every therapist message with whether it
reached the patient. A message sent while the patient is away waits and is delivered when
they come back. The patient is told how many follow.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from coach.live.outbox import Outbox
from coach.live.protocol import (
    MAX_MESSAGE_CHARS,
    Journal,
    Message,
    SessionError,
    SessionKind,
    Status,
    Summary,
    TherapistNote,
)
from scoring.words import nsay, said, say

MAX_CLIENT_PROBLEMS = 20
FOLLOWER_FRAMES = 8  # a follower's queue keeps at most this many frames (docs/LIVE-PROTOCOL.md)


class Followers:
    """One session's followers and messages. `patient()` is the patient's outbox while they
    are connected (else None); `journal` logs the messages and problems."""

    def __init__(
        self,
        journal: Journal,
        patient: Callable[[], Outbox | None],
        *,
        clock: Callable[[], float] = time.monotonic,
        max_followers: int = 10,
        max_client_problems: int = MAX_CLIENT_PROBLEMS,
    ) -> None:
        self._journal = journal
        self._patient = patient
        self._clock = clock
        self._max = max_followers
        self._max_problems = max_client_problems
        self.outboxes: set[Outbox] = set()
        self.video = False  # the patient shares their video
        self._video_sent_at = 0.0
        self._undelivered: list[TherapistNote] = []  # sent while the patient was away
        self.client_problems = 0

    @property
    def count(self) -> int:
        return len(self.outboxes)

    def add(self, max_backlog: int = 500) -> Outbox:
        if len(self.outboxes) >= self._max:
            raise SessionError(
                "too_many",
                nsay(
                    "This session already has {n} follower.",
                    "This session already has {n} followers.",
                    self._max,
                ),
            )
        outbox = Outbox(max_frames=FOLLOWER_FRAMES, max_backlog=max_backlog)
        self.outboxes.add(outbox)
        self._tell_patient()
        return outbox

    def remove(self, outbox: Outbox) -> None:
        if outbox in self.outboxes:
            self.outboxes.discard(outbox)
            self._tell_patient()

    def close(self, code: int, reason: str) -> None:
        for outbox in list(self.outboxes):
            outbox.close(code, reason)

    def expire(self) -> None:
        """The session is forgotten: followers are told and closed."""
        self.broadcast(_status("expired", say("Session closed.")))
        self.close(1000, "session expired")

    def broadcast(self, message: Mapping[str, Any] | bytes) -> None:
        for outbox in self.outboxes:
            outbox.put(message)

    # ---- the patient's status ----------------------------------------------------------------
    def patient_connected(self, patient: Outbox) -> None:
        """The patient is (back) on: followers are told, waiting messages delivered."""
        self.broadcast(_status("connected", say("Patient connected")))
        for note in self._undelivered:
            patient.put(note)
        self._undelivered.clear()

    def patient_left(self, rep_count: int) -> None:
        text = say("The patient's page disconnected; the session waits for them.")
        self.broadcast({**_status("disconnected", text), "rep_count": rep_count})

    def session_ended(self, summary: Summary) -> None:
        self.broadcast(_status("ended", say("The session has ended.")))
        self.broadcast({"type": "summary", "summary": summary})

    def _tell_patient(self) -> None:
        patient = self._patient()
        if patient is not None:
            patient.put({"type": "followers", "count": len(self.outboxes)})

    # ---- from the patient ------------------------------------------------------------------
    def share_video(self, enabled: bool) -> None:
        """The patient chose whether their (downscaled) frames go to followers."""
        if enabled != self.video:
            self.video = enabled
            self._journal.log_event(SessionKind.VIDEO_SHARING, enabled=enabled)
            status: Status = {"type": "status", "video": enabled}
            self.broadcast(status)

    def forward_video(self, data: bytes, max_fps: float = 10.0) -> None:
        """Pass a patient frame on to followers, if the patient shares video (rate-limited)."""
        if not (self.video and self.outboxes):
            return
        now = self._clock()
        if now - self._video_sent_at >= 1.0 / max_fps:
            self._video_sent_at = now
            self.broadcast(data)

    def client_problem(self, code: str, text: str) -> None:
        """The patient's page hit a problem the server cannot see (camera blocked, ...)."""
        self.client_problems += 1
        if self.client_problems > self._max_problems:
            return  # counted (stats), not logged: a page cannot fill the log
        code = re.sub(r"[^a-z0-9_]", "", code[:200].lower())[:40] or "client_error"
        text = " ".join(text[: MAX_MESSAGE_CHARS * 4].split())[:MAX_MESSAGE_CHARS]
        self._journal.log_event(SessionKind.CLIENT_PROBLEM, code=code, message=text)
        self.broadcast({"type": "status", "patient": "problem", "code": code, "message": text})

    # ---- to the patient ----------------------------------------------------------------------
    def therapist_message(self, text: str) -> Message:
        """A short message from a follower to the patient; returns the logged event.

        Raises ValueError when the text is empty. Messages sent while the patient is away
        are delivered when they reconnect (`patient_connected`).
        """
        clean = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
        if not clean:
            raise ValueError("The message is empty.")
        clean = clean[:MAX_MESSAGE_CHARS]
        event = self._journal.log_event(SessionKind.THERAPIST_MESSAGE, text=clean)
        note: TherapistNote = {"type": "therapist_message", "text": clean, "t": event["t"]}
        patient = self._patient()
        if patient is not None:
            patient.put(note)
        else:
            self._undelivered.append(note)
        self.broadcast({**note, "delivered": patient is not None})
        return event


def _status(patient: str, message: str) -> dict[str, Any]:
    """A status for the followers: the patient's state, and in words (scoring.words)."""
    return {"type": "status", "patient": patient, "message": message, **said(message=message)}
