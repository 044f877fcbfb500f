"""The store: one object with the queries the CLI and the web app need.

Every method opens its own short transaction, so the object is safe to share between threads
(FastAPI runs plain `def` routes in a thread pool). Access rules are not decided here but in
the web layer (web/access.py), which calls `patient_visible_to` before returning data.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, delete, select

from coach.prescription import ProgramError, check_program
from coach.store.analysis_jobs import AnalysisJobStore
from coach.store.audit import AuditStore
from coach.store.calendar_feeds import CalendarFeedStore
from coach.store.consent import ConsentStore
from coach.store.db import create_db_engine, migrate, session_factory
from coach.store.erasure import ErasureStore
from coach.store.models import ProgramItem, aware
from coach.store.patients import PatientStore
from coach.store.protocol_results import ProtocolResultStore
from coach.store.records import mark_interrupted
from coach.store.references import ReferenceStore
from coach.store.reminders import ReminderStore
from coach.store.retention import RetentionStore
from coach.store.second_factor import SecondFactorStore
from coach.store.sessions import SessionFrames, SessionStore
from coach.store.users import LINK_LOGIN_TTL, LOGIN_TTL

__all__ = [
    "LINK_LOGIN_TTL",
    "LOGIN_TTL",
    "PROGRAM_FIELDS",
    "ProgramError",
    "SessionFrames",
    "Store",
    "aware",
    "check_program",
    "open_store",
]

PROGRAM_FIELDS = (
    "exercise_id",
    "sets",
    "reps",
    "hold_s",
    "rest_s",
    "days_per_week",
    "target_rom_deg",
    "max_rom_deg",
    "notes",
)


class Store(
    PatientStore,  # and, under it, UserStore: accounts and sign-ins
    SessionStore,
    ProtocolResultStore,
    ReferenceStore,
    AnalysisJobStore,
    ConsentStore,  # the patient's rights: consent.py, erasure.py, retention.py
    ErasureStore,
    RetentionStore,
    CalendarFeedStore,  # between sessions: calendar_feeds.py, reminders.py
    ReminderStore,
    AuditStore,  # who looked at what: audit.py
    SecondFactorStore,  # therapists' second factor: second_factor.py
):
    """The one object the CLI and the web app hold: the parts above, each a job of its own
    (coach/store/users.py, patients.py, sessions.py, protocol_results.py, references.py,
    analysis_jobs.py, consent.py, erasure.py, retention.py, calendar_feeds.py, reminders.py,
    audit.py, second_factor.py), plus programs (checked by
    `check_program`) and crash recovery."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.factory = session_factory(engine)

    def close(self) -> None:
        self.engine.dispose()

    # ---- programs ------------------------------------------------------------------------
    def program(self, patient_id: int) -> list[ProgramItem]:
        with self.factory() as db:
            q = select(ProgramItem).where(ProgramItem.patient_id == patient_id)
            return list(db.scalars(q.order_by(ProgramItem.position, ProgramItem.id)))

    def program_item(self, patient_id: int, exercise_id: str) -> ProgramItem | None:
        """The patient's prescription of one exercise (the first row for it), or None."""
        for item in self.program(patient_id):
            if item.exercise_id == exercise_id:
                return item
        return None

    def set_program(self, patient_id: int, items: list[dict[str, Any]]) -> list[ProgramItem]:
        """Replace the patient's program; a row `check_program` refuses raises ProgramError
        and changes nothing."""
        check_program(items)
        with self.factory.begin() as db:
            db.execute(delete(ProgramItem).where(ProgramItem.patient_id == patient_id))
            for pos, item in enumerate(items):
                db.add(
                    ProgramItem(
                        patient_id=patient_id,
                        position=pos,
                        **{k: item[k] for k in PROGRAM_FIELDS if k in item},
                    )
                )
        return self.program(patient_id)

    # ---- after a crash -------------------------------------------------------------------
    def mark_interrupted(self, *, jobs: bool = True) -> int:
        """After a crash: sessions still "recording" and jobs still running are marked so.
        `jobs=False` with a task queue: its jobs outlive a web server (workers finish them)."""
        if jobs:
            self.fail_unfinished_jobs()
        return mark_interrupted(self.factory)


def open_store(url: str | None = None, *, upgrade: bool = True) -> Store:
    """Connect (default: the SQLite file in the data directory) and apply migrations."""
    engine = create_db_engine(url)
    if upgrade:
        migrate(engine)
    return Store(engine)
