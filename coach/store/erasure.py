"""Erasing a patient (GDPR art. 17): the patient and every row and file keyed to them, the
rows in one transaction, then their files, then (SQLite) the write-ahead log emptied.

What goes (docs/STORAGE.md, "Erasure"): their sessions with every rep, hold, fault, frame chunk
and rating; clinical test results; personal references; analysis jobs and their uploads
(`uploads/`); kept videos (`videos/`); program; personal links and every sign-in (by link, by
patient, by their account); consent answers; their account (and its second factor, if any); the
patient row, and with it their audit reference. The audit trail stays (coach/store/audit.py: it
names them only by that random reference, which no other table holds afterwards). SQLite runs
with `secure_delete` (coach/store/db.py), so deleted rows are overwritten with zeros in the
file, and the erasure ends with a `wal_checkpoint(TRUNCATE)`: the write-ahead log, which still
holds the pages as they were, is emptied. secure_delete alone is not enough: when SQLite
compacts or splits a page it rewrites the cells still there and leaves their old copies in the
page's unallocated gap, which a later delete does not zero (benchmarks/secure_delete.py: ids
left in the file after 18 of 100 erasures). So a SQLite erasure always ends with `VACUUM`,
which rebuilds every page (about 190 MB/s here; it holds the write lock meanwhile: writers
wait up to the busy timeout). `vacuum=True` also runs
PostgreSQL's `VACUUM FULL` on the tables that held rows (their dead rows stay in the table
files until then).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Engine, delete, func, or_, select, update
from sqlalchemy.orm import Session

from coach.store import cluster
from coach.store.models import (
    AnalysisJob,
    CalendarFeed,
    ConsentAnswer,
    EmailReminder,
    ExerciseSession,
    Fault,
    FrameChunk,
    Hold,
    LoginSession,
    Patient,
    PatientLink,
    PersonalReferenceRow,
    ProgramItem,
    ProtocolResult,
    PsfsRating,
    Rating,
    RecoveryCode,
    Rep,
    SecondFactor,
    User,
    WeeklyCheckIn,
)
from coach.store.part import StorePart
from scoring.words import Say, nsay, say

log = logging.getLogger(__name__)

# A crash's kept upload goes to the videos as `interrupted-<job>.keep.<ext>` (web/uploads).
INTERRUPTED = "interrupted-"


def confirms(answer: str, patient_id: int, name: str) -> bool:
    """Whether a typed confirmation names the patient: their id, or their name (letter case
    and runs of spaces aside)."""
    typed = " ".join(answer.split()).casefold()
    return bool(typed) and typed in (str(patient_id), " ".join(name.split()).casefold())


# Each table's rows in words, for the confirmation (one, many).
# What an erasure removes, counted in words (messages: the reader's language at the page; the
# terminal prints their English).
WORDS: dict[str, Callable[[int], Say]] = {
    "ratings": lambda n: nsay("{n} pain or effort rating", "{n} pain and effort ratings", n),
    "frame_chunks": lambda n: nsay(
        "{n} second of per-frame poses", "{n} seconds of per-frame poses", n
    ),
    "reps": lambda n: nsay("{n} rep", "{n} reps", n),
    "holds": lambda n: nsay("{n} hold", "{n} holds", n),
    "faults": lambda n: nsay("{n} fault mark", "{n} fault marks", n),
    "protocol_results": lambda n: nsay("{n} clinical test result", "{n} clinical test results", n),
    "personal_references": lambda n: nsay("{n} personal reference", "{n} personal references", n),
    "analysis_jobs": lambda n: nsay("{n} video upload", "{n} video uploads", n),
    "consent_answers": lambda n: nsay("{n} consent answer", "{n} consent answers", n),
    "login_sessions": lambda n: nsay("{n} sign-in", "{n} sign-ins", n),
    "second_factors": lambda n: nsay("{n} second factor", "{n} second factors", n),
    "recovery_codes": lambda n: nsay("{n} recovery code", "{n} recovery codes", n),
    "patient_links": lambda n: nsay("{n} personal link", "{n} personal links", n),
    "program_items": lambda n: nsay("{n} program row", "{n} program rows", n),
    "sessions": lambda n: nsay("{n} session", "{n} sessions", n),
    "patients": lambda n: nsay("{n} patient record", "{n} patient records", n),
    "users": lambda n: nsay("{n} account", "{n} accounts", n),
    "files": lambda n: nsay(
        "{n} file (upload or kept video)", "{n} files (uploads and kept videos)", n
    ),
}


class ErasureRefused(Exception):
    """The patient can't be erased now (the message says why, for the page or terminal)."""


@dataclass
class Erasure:
    """What an erasure removes (`erasure_plan`) or removed (`erase_patient`): rows per table,
    and files."""

    patient_id: int
    name: str
    rows: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # files that could not be deleted, why
    log_emptied: bool | None = None  # SQLite: the write-ahead log emptied (None: not SQLite)

    def summary(self) -> list[Say]:
        """The counts in words ("3 sessions", "1 account"), kinds with none left out."""
        counts = [*self.rows.items(), ("files", len(self.files))]
        out = []
        for table, n in counts:
            if n:
                words = WORDS.get(table)
                out.append(
                    words(n) if words else say("{n} {rows}", n=n, rows=table.replace("_", " "))
                )
        return out


def _files(sessions: list[tuple[str, str | None]], jobs: list[str]) -> list[Path]:
    """The patient's files: kept videos (the session's path, or named after the session or an
    interrupted job) and uploads waiting for or under analysis (named after the job)."""
    uploads, videos = cluster.upload_dir(), cluster.video_dir()
    found: set[Path] = set()
    for sid, video_path in sessions:
        if video_path:
            found.add(Path(video_path))
        found.update(videos.glob(f"{sid}.*"))
    for job_id in jobs:
        found.update(uploads.glob(f"{job_id}.*"))
        found.update(videos.glob(f"{INTERRUPTED}{job_id}.*"))
    return sorted(p for p in found if p.is_file())


Owned = dict[str, tuple[Any, ColumnElement[bool]]]


def _owned(patient_id: int) -> Owned:
    """Per table, in the order a delete must follow (children first): its model and which of
    its rows are keyed to the patient, directly or through their sessions, links or account."""
    sessions = select(ExerciseSession.id).where(ExerciseSession.patient_id == patient_id)
    links = select(PatientLink.id).where(PatientLink.patient_id == patient_id)
    account = select(Patient.user_id).where(Patient.id == patient_id)
    return {
        "ratings": (
            Rating,
            or_(Rating.patient_id == patient_id, Rating.session_id.in_(sessions)),
        ),
        "frame_chunks": (FrameChunk, FrameChunk.session_id.in_(sessions)),
        "reps": (Rep, Rep.session_id.in_(sessions)),
        "holds": (Hold, Hold.session_id.in_(sessions)),
        "faults": (Fault, Fault.session_id.in_(sessions)),
        "protocol_results": (
            ProtocolResult,
            or_(ProtocolResult.patient_id == patient_id, ProtocolResult.session_id.in_(sessions)),
        ),
        "personal_references": (
            PersonalReferenceRow,
            or_(
                PersonalReferenceRow.patient_id == patient_id,
                PersonalReferenceRow.session_id.in_(sessions),
            ),
        ),
        "analysis_jobs": (AnalysisJob, AnalysisJob.patient_id == patient_id),
        "consent_answers": (ConsentAnswer, ConsentAnswer.patient_id == patient_id),
        "calendar_feeds": (CalendarFeed, CalendarFeed.patient_id == patient_id),
        "psfs_ratings": (
            PsfsRating,
            PsfsRating.checkin_id.in_(
                select(WeeklyCheckIn.id).where(WeeklyCheckIn.patient_id == patient_id)
            ),
        ),
        "weekly_checkins": (WeeklyCheckIn, WeeklyCheckIn.patient_id == patient_id),
        "email_reminders": (EmailReminder, EmailReminder.patient_id == patient_id),
        "login_sessions": (
            LoginSession,
            or_(
                LoginSession.patient_id == patient_id,
                LoginSession.link_id.in_(links),
                LoginSession.user_id.in_(account),
            ),
        ),
        # An account's second factor (therapists have one; a patient's account never should).
        "recovery_codes": (RecoveryCode, RecoveryCode.user_id.in_(account)),
        "second_factors": (SecondFactor, SecondFactor.user_id.in_(account)),
        "patient_links": (PatientLink, PatientLink.patient_id == patient_id),
        "program_items": (ProgramItem, ProgramItem.patient_id == patient_id),
        "sessions": (ExerciseSession, ExerciseSession.patient_id == patient_id),
    }


class ErasureStore(StorePart):
    engine: Engine

    def erasure_plan(self, patient_id: int) -> Erasure | None:
        """What erasing the patient would remove (None: no such patient); nothing changes."""
        with self.factory() as db:
            patient = db.get(Patient, patient_id)
            if patient is None:
                return None
            plan = Erasure(patient_id, patient.name)
            for table, (model, which) in _owned(patient_id).items():
                count = select(func.count()).select_from(model).where(which)
                plan.rows[table] = int(db.scalar(count) or 0)
            plan.rows["patients"] = 1
            plan.rows["users"] = 1 if patient.user_id is not None else 0
            plan.files = _files(*self._keys(db, patient_id))
            return plan

    @staticmethod
    def _keys(db: Session, patient_id: int) -> tuple[list[tuple[str, str | None]], list[str]]:
        """The patient's sessions (id, kept video) and analysis jobs (id): what files are
        named after."""
        rows = db.execute(
            select(ExerciseSession.id, ExerciseSession.video_path).where(
                ExerciseSession.patient_id == patient_id
            )
        )
        sessions = [(sid, path) for sid, path in rows]
        jobs = list(db.scalars(select(AnalysisJob.id).where(AnalysisJob.patient_id == patient_id)))
        return sessions, jobs

    def erase_patient(self, patient_id: int, *, vacuum: bool = False) -> Erasure:
        """Remove the patient and everything keyed to them (module docstring). Refused
        (`ErasureRefused`, nothing changed) for an unknown patient, or while one of their
        uploads is being analysed (the analysis would write into what is being erased)."""
        with self.factory.begin() as db:
            patient = db.get(Patient, patient_id)
            if patient is None:
                raise ErasureRefused(f"No patient with id {patient_id}.")
            running = db.scalar(
                select(AnalysisJob.id)
                .where(AnalysisJob.patient_id == patient_id, AnalysisJob.status == "running")
                .with_for_update()
            )
            if running is not None:
                raise ErasureRefused(
                    "One of this patient's videos is being analysed now: erase them once it "
                    "is done (the patient page shows its progress)."
                )
            done = Erasure(patient_id, patient.name)
            files = _files(*self._keys(db, patient_id))
            account = patient.user_id
            for table, (model, which) in _owned(patient_id).items():
                done.rows[table] = _rowcount(db.execute(_bulk(delete(model).where(which))))
            db.execute(_bulk(delete(Patient).where(Patient.id == patient_id)))
            done.rows["patients"] = 1
            done.rows["users"] = 0
            if account is not None:
                db.execute(
                    update(PersonalReferenceRow)
                    .where(PersonalReferenceRow.created_by == account)
                    .values(created_by=None)
                )
                gone = db.execute(_bulk(delete(User).where(User.id == account)))
                done.rows["users"] = _rowcount(gone)
        done.files, done.failed = _remove(files)
        done.log_emptied = self._after_erasure(vacuum, [t for t, n in done.rows.items() if n])
        return done

    def _after_erasure(self, vacuum: bool, tables: list[str]) -> bool | None:
        """SQLite: `VACUUM`, then empty the write-ahead log (module docstring); PostgreSQL
        with `vacuum`: `VACUUM FULL` of `tables`. Whether the log was emptied (None: not
        SQLite)."""
        dialect = self.engine.dialect.name
        if dialect == "sqlite" or vacuum:
            with self.engine.connect() as conn:
                auto = conn.execution_options(isolation_level="AUTOCOMMIT")
                if dialect == "sqlite":
                    auto.exec_driver_sql("VACUUM")
                elif dialect == "postgresql":
                    for table in tables:
                        auto.exec_driver_sql(f'VACUUM FULL "{table}"')
        return empty_sqlite_log(self.engine) if dialect == "sqlite" else None


def _bulk(statement: Any) -> Any:
    """A bulk statement that leaves the session's loaded objects alone (none are used)."""
    return statement.execution_options(synchronize_session=False)


def _rowcount(result: Any) -> int:
    # A bulk DELETE returns a CursorResult, the kind of result that has a rowcount.
    return int(cast("CursorResult[Any]", result).rowcount or 0)


def _remove(files: list[Path]) -> tuple[list[Path], list[str]]:
    """Delete the files; those deleted, and why the others could not be."""
    removed, failed = [], []
    for path in files:
        try:
            path.unlink(missing_ok=True)
            removed.append(path)
        except OSError as exc:
            log.error("erasure: could not delete %s: %s", path, exc)
            failed.append(f"{path}: {exc.strerror or exc}")
    return removed, failed


def empty_sqlite_log(engine: Engine, attempts: int = 3) -> bool:
    """Copy the write-ahead log into the database file and truncate it to nothing: until
    then it holds the pages as they were before a delete. Each try waits for readers up to
    the busy timeout (5 s, db.py); False when some reader kept it from finishing."""
    for _ in range(attempts):
        with engine.connect() as conn:
            busy, _log, _done = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        if not busy:
            return True
        time.sleep(0.1)
    return False


def empty_sqlite_log_soon(engine: Engine, every_s: float = 2.0, give_up_s: float = 600.0) -> None:
    """Keep trying to empty the write-ahead log in the background (a reader kept the erasure's
    own checkpoint from finishing): until then the file may still hold the erased pages."""

    def keep_trying() -> None:
        deadline = time.monotonic() + give_up_s
        while time.monotonic() < deadline:
            time.sleep(every_s)
            if empty_sqlite_log(engine, attempts=1):
                log.info("erasure: the write-ahead log is emptied")
                return
        log.error("erasure: the write-ahead log is still in use; restart the server to empty it")

    threading.Thread(target=keep_trying, name="erasure-log", daemon=True).start()
