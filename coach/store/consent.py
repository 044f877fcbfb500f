"""The patient's consent to keeping their exercise results (the screen a personal link opens
first, web/routes/rights.py), and what a "no" stops.

Three answers: "given", "declined" (on the first screen), "withdrawn" (later, on /me). Every
answer is kept with the version of the text the patient read; the latest one counts. A "no"
(declined or withdrawn) stops every new recording for the patient: their live sessions run
but nothing of them is stored (`ConsentingRecorder`), and uploads and `--save` refuse
(`recording_refusal`). A patient who has not answered yet is recorded as before this screen
existed: they are asked at their link and on /me before anything else (docs/SECURITY.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import numpy as np
from sqlalchemy import desc, select

from coach.sinks import NO_INFO, EventSink, FrameInfo
from coach.store.models import ConsentAnswer, Patient, User, aware
from coach.store.part import StorePart

log = logging.getLogger(__name__)

ANSWERS = ("given", "declined", "withdrawn")
REFUSED = ("declined", "withdrawn")


class ConsentError(ValueError):
    """An answer that can't be stored (the message says why)."""


@dataclass(frozen=True)
class Consent:
    """A patient's latest answer, detached from the database."""

    answer: str  # "given" | "declined" | "withdrawn"
    text_version: str
    at: datetime

    @property
    def refused(self) -> bool:
        """A "no": nothing new is recorded for the patient."""
        return self.answer in REFUSED


def refusal_words(consent: Consent | None) -> str | None:
    """Why nothing new may be recorded for the patient, in words for the page or the
    terminal; None when recording may go on."""
    if consent is None or not consent.refused:
        return None
    said = "declined" if consent.answer == "declined" else "withdrew"
    return (
        f"The patient {said} consent on {aware(consent.at):%Y-%m-%d}: nothing new is recorded "
        "for them (they can agree again on their page)."
    )


class ConsentStore(StorePart):
    def record_consent(self, patient_id: int, answer: str, text_version: str) -> Consent:
        """Keep the patient's answer to the consent text of `text_version`."""
        if answer not in ANSWERS:
            raise ConsentError(f"answer must be one of {', '.join(ANSWERS)}; got {answer!r}")
        if not text_version or len(text_version) > 20:
            raise ConsentError("the text's version is 1-20 characters")
        with self.factory.begin() as db:
            if db.get(Patient, patient_id) is None:
                raise ConsentError("no such patient")
            row = ConsentAnswer(patient_id=patient_id, answer=answer, text_version=text_version)
            db.add(row)
            db.flush()
            return Consent(row.answer, row.text_version, aware(row.created_at))

    def consent(self, patient_id: int) -> Consent | None:
        """The patient's latest answer, or None when they have not answered yet."""
        with self.factory() as db:
            row = db.scalar(
                select(ConsentAnswer)
                .where(ConsentAnswer.patient_id == patient_id)
                .order_by(desc(ConsentAnswer.id))
                .limit(1)
            )
            return (
                None
                if row is None
                else Consent(row.answer, row.text_version, aware(row.created_at))
            )

    def consent_answers(self, patient_id: int) -> list[Consent]:
        """Every answer the patient gave, oldest first (their copy of their data)."""
        with self.factory() as db:
            q = select(ConsentAnswer).where(ConsentAnswer.patient_id == patient_id)
            rows = db.scalars(q.order_by(ConsentAnswer.id))
            return [Consent(r.answer, r.text_version, aware(r.created_at)) for r in rows]

    def may_record(self, patient_id: int | None) -> bool:
        """Whether a new session of this patient may be stored (anonymous ones: yes)."""
        if patient_id is None:
            return True
        consent = self.consent(patient_id)
        return consent is None or not consent.refused

    def recording_refusal(self, patient_id: int) -> str | None:
        """Why nothing new may be stored for the patient (`refusal_words`), or None."""
        return refusal_words(self.consent(patient_id))

    def therapist_name(self, patient_id: int) -> str | None:
        """The name of the patient's therapist (the consent text says who sees the data)."""
        with self.factory() as db:
            return db.scalar(
                select(User.name)
                .join(Patient, Patient.therapist_id == User.id)
                .where(Patient.id == patient_id)
            )


class Recorder(Protocol):
    """What coach.live calls a recorder (coach.live.options.Recorder), seen from here, with
    the `flush` of `LiveRecorder`."""

    def sink(self, session_id: str) -> EventSink: ...

    def flush(self, timeout: float = 5.0) -> None: ...

    def close(self) -> None: ...


MayRecord = Callable[[int | None], bool]


class ConsentingRecorder:
    """A live recorder (e.g. `LiveRecorder`) that stores nothing of a session whose patient
    said no: the session's first event ("SessionStarted", with its patient) decides, with one
    read of the patient's latest answer. Anonymous sessions and patients who agreed, or have
    not answered yet, are recorded as before."""

    def __init__(self, inner: Recorder, may_record: MayRecord) -> None:
        self.inner = inner
        self._may_record = may_record

    def sink(self, session_id: str) -> EventSink:
        return _ConsentSink(self.inner.sink(session_id), self._may_record)

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until what was recorded so far is written (tests, shutdown)."""
        self.inner.flush(timeout)

    def close(self) -> None:
        self.inner.close()


class _ConsentSink:
    """One session's sink: passes everything on, or nothing once its patient said no."""

    def __init__(self, inner: EventSink, may_record: MayRecord) -> None:
        self._inner = inner
        self._may_record = may_record
        self._drop = False

    def event(self, event: dict[str, Any]) -> None:
        if event.get("kind") == "SessionStarted":
            patient_id = event.get("patient_id")
            try:
                self._drop = not self._may_record(
                    patient_id if isinstance(patient_id, int) else None
                )
            except Exception:  # the answer can't be read: keep nothing rather than too much
                log.exception("consent of patient %s unreadable: session not recorded", patient_id)
                self._drop = True
        if not self._drop:
            self._inner.event(event)

    def frame(self, t: float, landmarks: np.ndarray | None, info: FrameInfo = NO_INFO) -> None:
        if not self._drop:
            self._inner.frame(t, landmarks, info)

    def close(self) -> None:
        self._inner.close()
