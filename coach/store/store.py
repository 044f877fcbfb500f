"""The store: one object with the queries the CLI and the web app need.

Every method opens its own short transaction, so the object is safe to share between threads
(FastAPI runs plain `def` routes in a thread pool). Access rules are not decided here but in
the web layer (web/access.py), which calls `patient_visible_to` before returning data.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Engine, delete, desc, select
from sqlalchemy.orm import selectinload

# ProgramError is re-exported: the program's callers catch it from the store that raises it.
from coach.prescription import ProgramError as ProgramError
from coach.prescription import check_program
from coach.store import accounts
from coach.store.accounts import AccountError, Identity
from coach.store.db import create_db_engine, migrate, session_factory
from coach.store.frames import join_chunks
from coach.store.models import (
    AnalysisJob,
    ExerciseSession,
    FrameChunk,
    LoginSession,
    Patient,
    PatientLink,
    PersonalReferenceRow,
    ProgramItem,
    ProtocolResult,
    User,
    utcnow,
)
from coach.store.records import SessionWriter, mark_interrupted

if TYPE_CHECKING:
    from scoring.reference import PersonalReference

LOGIN_TTL = timedelta(hours=12)
LINK_LOGIN_TTL = timedelta(days=30)
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


def aware(dt: datetime) -> datetime:
    """SQLite returns naive datetimes; everything stored is UTC."""
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=timezone.utc)


@dataclass
class SessionFrames:
    t: np.ndarray
    landmarks: np.ndarray
    measures: dict[str, np.ndarray]


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.factory = session_factory(engine)

    def close(self) -> None:
        self.engine.dispose()

    # ---- users and sign-in -----------------------------------------------------------------
    def create_user(
        self,
        username: str,
        name: str,
        password: str,
        *,
        role: str = "therapist",
        is_admin: bool = False,
    ) -> User:
        username = accounts.check_username(username)
        if role not in ("therapist", "patient"):
            raise AccountError(f"unknown role {role!r}")
        if not name.strip():
            raise AccountError("a name is required")
        pw_hash = accounts.hash_password(password, (username, name))
        with self.factory.begin() as db:
            if db.scalar(select(User).where(User.username == username)) is not None:
                raise AccountError(f"the username {username!r} is taken")
            user = User(
                username=username,
                name=name.strip(),
                role=role,
                is_admin=is_admin,
                password_hash=pw_hash,
            )
            db.add(user)
        return user

    def users(self, role: str | None = None) -> list[User]:
        with self.factory() as db:
            q = select(User).order_by(User.id)
            if role:
                q = q.where(User.role == role)
            return list(db.scalars(q))

    def authenticate(self, username: str, password: str) -> User | None:
        with self.factory.begin() as db:
            user = db.scalar(select(User).where(User.username == username.strip()))
            ok = accounts.verify_password(user.password_hash if user else None, password)
            if not ok or user is None or not user.active:
                return None
            if user.password_hash and accounts.needs_rehash(user.password_hash):
                user.password_hash = accounts.rehash_password(password)
            return user

    def set_password(self, user_id: int, password: str) -> None:
        with self.factory.begin() as db:
            user = db.get(User, user_id)
            if user is None:
                raise AccountError("no such user")
            user.password_hash = accounts.hash_password(password, (user.username, user.name))
            db.execute(delete(LoginSession).where(LoginSession.user_id == user_id))

    def start_login(
        self,
        *,
        user_id: int | None = None,
        patient_id: int | None = None,
        link_id: int | None = None,
    ) -> str:
        token = accounts.new_token()
        ttl = LINK_LOGIN_TTL if link_id is not None else LOGIN_TTL
        with self.factory.begin() as db:
            db.add(
                LoginSession(
                    token_hash=accounts.token_hash(token),
                    user_id=user_id,
                    patient_id=patient_id,
                    link_id=link_id,
                    expires_at=utcnow() + ttl,
                )
            )
        return token

    def identity(self, token: str | None) -> Identity | None:
        """The signed-in identity of a cookie token, or None (unknown, expired, revoked)."""
        if not token:
            return None
        with self.factory() as db:
            login = db.get(LoginSession, accounts.token_hash(token))
            if login is None or aware(login.expires_at) < utcnow():
                return None
            if login.link_id is not None:
                link = db.get(PatientLink, login.link_id)
                if link is None or link.revoked_at is not None:
                    return None
            if login.patient_id is not None:
                patient = db.get(Patient, login.patient_id)
                if patient is None:
                    return None
                return Identity("patient", patient.name, patient_id=patient.id)
            user = db.get(User, login.user_id) if login.user_id is not None else None
            if user is None or not user.active:
                return None
            if user.role == "patient":
                patient = db.scalar(select(Patient).where(Patient.user_id == user.id))
                if patient is None:
                    return None
                return Identity("patient", patient.name, user_id=user.id, patient_id=patient.id)
            return Identity("therapist", user.name, user_id=user.id, is_admin=user.is_admin)

    def end_login(self, token: str) -> None:
        with self.factory.begin() as db:
            db.execute(
                delete(LoginSession).where(LoginSession.token_hash == accounts.token_hash(token))
            )

    # ---- patients and personal links -----------------------------------------------------
    def create_patient(
        self,
        therapist_id: int,
        name: str,
        *,
        birth_year: int | None = None,
        sex: str | None = None,
        notes: str = "",
        username: str | None = None,
        password: str | None = None,
    ) -> Patient:
        if not name.strip():
            raise AccountError("a patient needs a name")
        if sex not in (None, "", "female", "male"):
            raise AccountError("sex is 'female' or 'male' (used for reference values)")
        this_year = datetime.now(timezone.utc).year
        if birth_year is not None and not 1900 <= birth_year <= this_year:
            raise AccountError(f"birth year must be between 1900 and {this_year}")
        user_id = None
        if username:
            user_id = self.create_user(username, name, password or "", role="patient").id
        with self.factory.begin() as db:
            patient = Patient(
                therapist_id=therapist_id,
                user_id=user_id,
                name=name.strip(),
                birth_year=birth_year,
                sex=sex or None,
                notes=notes,
            )
            db.add(patient)
        return patient

    def patient(self, patient_id: int) -> Patient | None:
        with self.factory() as db:
            return db.get(Patient, patient_id, options=[selectinload(Patient.program_items)])

    def patients_of(self, therapist_id: int) -> list[Patient]:
        with self.factory() as db:
            q = select(Patient).where(Patient.therapist_id == therapist_id).order_by(Patient.name)
            return list(db.scalars(q.options(selectinload(Patient.program_items))))

    def patient_visible_to(self, identity: Identity | None, patient_id: int) -> Patient | None:
        """The patient if this identity may see them (their therapist, or themselves)."""
        if identity is None:
            return None
        patient = self.patient(patient_id)
        if patient is None:
            return None
        if identity.is_therapist and patient.therapist_id == identity.user_id:
            return patient
        if identity.role == "patient" and identity.patient_id == patient.id:
            return patient
        return None

    def create_link(self, patient_id: int) -> tuple[PatientLink, str]:
        token = secrets.token_urlsafe(24)
        with self.factory.begin() as db:
            link = PatientLink(patient_id=patient_id, token_hash=accounts.token_hash(token))
            db.add(link)
        return link, token

    def links_of(self, patient_id: int) -> list[PatientLink]:
        with self.factory() as db:
            q = select(PatientLink).where(PatientLink.patient_id == patient_id)
            return list(db.scalars(q.order_by(PatientLink.id)))

    def revoke_link(self, patient_id: int, link_id: int) -> bool:
        with self.factory.begin() as db:
            link = db.get(PatientLink, link_id)
            if link is None or link.patient_id != patient_id:
                return False
            link.revoked_at = utcnow()
            db.execute(delete(LoginSession).where(LoginSession.link_id == link_id))
            return True

    def resolve_link(self, token: str) -> PatientLink | None:
        with self.factory() as db:
            link = db.scalar(
                select(PatientLink).where(PatientLink.token_hash == accounts.token_hash(token))
            )
            return link if link is not None and link.revoked_at is None else None

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

    # ---- sessions ------------------------------------------------------------------------
    def writer(
        self,
        session_id: str,
        exercise: Any,
        *,
        patient_id: int | None,
        source: str,
        video_name: str | None = None,
    ) -> SessionWriter:
        return SessionWriter(
            self.factory,
            session_id,
            exercise=exercise,
            patient_id=patient_id,
            source=source,
            video_name=video_name,
        )

    def new_session_id(self) -> str:
        return secrets.token_urlsafe(9)

    def sessions_of(self, patient_id: int, limit: int | None = None) -> list[ExerciseSession]:
        with self.factory() as db:
            q = (
                select(ExerciseSession)
                .where(ExerciseSession.patient_id == patient_id)
                .order_by(desc(ExerciseSession.started_at))
                .options(selectinload(ExerciseSession.reps), selectinload(ExerciseSession.holds))
            )
            if limit:
                q = q.limit(limit)
            return list(db.scalars(q))

    def session(self, session_id: str) -> ExerciseSession | None:
        with self.factory() as db:
            return db.get(
                ExerciseSession,
                session_id,
                options=[
                    selectinload(ExerciseSession.reps),
                    selectinload(ExerciseSession.holds),
                    selectinload(ExerciseSession.faults),
                ],
            )

    def session_frames(self, session_id: str) -> SessionFrames:
        with self.factory() as db:
            q = select(FrameChunk.data).where(FrameChunk.session_id == session_id)
            chunks = list(db.scalars(q.order_by(FrameChunk.seq)))
        t, lm, measures = join_chunks(chunks)
        return SessionFrames(t, lm, measures)

    def set_session_video(self, session_id: str, path: str) -> None:
        with self.factory.begin() as db:
            row = db.get(ExerciseSession, session_id)
            if row is not None:
                row.video_path = path

    def mark_interrupted(self, *, jobs: bool = True) -> int:
        """After a crash: sessions still "recording" and jobs still running are marked so.
        `jobs=False` with a task queue: its jobs outlive a web server (workers finish them)."""
        if jobs:
            with self.factory.begin() as db:
                rows = db.scalars(
                    select(AnalysisJob).where(AnalysisJob.status.in_(("queued", "running")))
                )
                for job in rows:
                    job.status = "failed"
                    job.error = "The server stopped during the analysis; upload the video again."
        return mark_interrupted(self.factory)

    def discard_session(self, session_id: str) -> bool:
        """Delete a session and all its rows (a partial one, before its job is run again)."""
        with self.factory.begin() as db:
            row = db.get(ExerciseSession, session_id)
            if row is None:
                return False
            db.execute(delete(FrameChunk).where(FrameChunk.session_id == session_id))
            db.delete(row)  # reps, holds and faults go with it (cascade)
        return True

    # ---- clinical test results -------------------------------------------------------------
    def add_protocol_result(
        self,
        patient_id: int | None,
        protocol: str,
        result: dict[str, Any],
        session_id: str | None = None,
    ) -> ProtocolResult:
        with self.factory.begin() as db:
            row = ProtocolResult(
                patient_id=patient_id, protocol=protocol, result=result, session_id=session_id
            )
            db.add(row)
        return row

    def protocol_results(self, patient_id: int) -> list[ProtocolResult]:
        with self.factory() as db:
            q = select(ProtocolResult).where(ProtocolResult.patient_id == patient_id)
            return list(db.scalars(q.order_by(ProtocolResult.created_at)))

    # ---- personal references (scoring.reference) ----------------------------------------
    def save_reference(
        self,
        patient_id: int,
        exercise_id: str,
        session_id: str,
        reference: dict[str, Any],
        reps: int,
        *,
        created_by: int | None = None,
    ) -> PersonalReferenceRow:
        """Keep `reference` (PersonalReference.to_json()) as the patient's one reference for
        the exercise, replacing any earlier one. Storage only: coach.review.references decides
        whether a session can be a reference and builds it."""
        with self.factory.begin() as db:
            db.execute(
                delete(PersonalReferenceRow).where(
                    PersonalReferenceRow.patient_id == patient_id,
                    PersonalReferenceRow.exercise_id == exercise_id,
                )
            )
            db.flush()
            saved = PersonalReferenceRow(
                patient_id=patient_id,
                exercise_id=exercise_id,
                session_id=session_id,
                created_by=created_by,
                reps=reps,
                reference=reference,
            )
            db.add(saved)
        return saved

    def reference(self, patient_id: int, exercise_id: str) -> PersonalReference | None:
        """The patient's reference for this exercise, ready for the engine; None if unset."""
        from scoring.reference import PersonalReference

        row = self.reference_row(patient_id, exercise_id)
        return PersonalReference.from_json(row.reference) if row is not None else None

    def reference_row(self, patient_id: int, exercise_id: str) -> PersonalReferenceRow | None:
        with self.factory() as db:
            return db.scalar(
                select(PersonalReferenceRow).where(
                    PersonalReferenceRow.patient_id == patient_id,
                    PersonalReferenceRow.exercise_id == exercise_id,
                )
            )

    def references_of(self, patient_id: int) -> list[PersonalReferenceRow]:
        """The patient's references, one per exercise, by exercise id."""
        with self.factory() as db:
            q = select(PersonalReferenceRow).where(PersonalReferenceRow.patient_id == patient_id)
            return list(db.scalars(q.order_by(PersonalReferenceRow.exercise_id)))

    def remove_reference(self, patient_id: int, exercise_id: str) -> bool:
        """Forget the patient's reference for this exercise; False if there was none."""
        with self.factory.begin() as db:
            result = db.execute(
                delete(PersonalReferenceRow).where(
                    PersonalReferenceRow.patient_id == patient_id,
                    PersonalReferenceRow.exercise_id == exercise_id,
                )
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    # ---- background analysis jobs ----------------------------------------------------------
    def create_job(self, patient_id: int, exercise_id: str, filename: str) -> AnalysisJob:
        """A queued job; its session id is chosen now, so that a job run twice (a worker died,
        the queue delivered it again) still stores one session under that id."""
        with self.factory.begin() as db:
            job = AnalysisJob(
                id=secrets.token_urlsafe(9),
                patient_id=patient_id,
                exercise_id=exercise_id,
                filename=filename,
                session_id=self.new_session_id(),
            )
            db.add(job)
        return job

    def update_job(self, job_id: str, **values: Any) -> None:
        with self.factory.begin() as db:
            job = db.get(AnalysisJob, job_id)
            if job is not None:
                for k, v in values.items():
                    setattr(job, k, v)

    def claim_job(self, job_id: str) -> AnalysisJob | None:
        """Mark the job running and return it; None when it is finished (done or failed) or
        unknown: a delivery of a job already stored is then acknowledged without work."""
        with self.factory.begin() as db:
            job = db.get(AnalysisJob, job_id, with_for_update=True)
            if job is None or job.status not in ("queued", "running"):
                return None
            job.status = "running"
            return job

    def job(self, job_id: str) -> AnalysisJob | None:
        with self.factory() as db:
            return db.get(AnalysisJob, job_id)

    def jobs_of(self, patient_id: int) -> list[AnalysisJob]:
        with self.factory() as db:
            q = select(AnalysisJob).where(AnalysisJob.patient_id == patient_id)
            return list(db.scalars(q.order_by(desc(AnalysisJob.created_at)).limit(20)))


def open_store(url: str | None = None, *, upgrade: bool = True) -> Store:
    """Connect (default: the SQLite file in the data directory) and apply migrations."""
    engine = create_db_engine(url)
    if upgrade:
        migrate(engine)
    return Store(engine)
