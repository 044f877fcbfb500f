"""The database tables, as SQLAlchemy 2 ORM classes.

One schema for SQLite and PostgreSQL: portable column types only (JSON, LargeBinary, timezone-
aware timestamps stored as UTC). The migration in `migrations/versions` creates exactly these
tables; change both together (`coach admin migrate` applies new revisions).
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_audit_ref() -> str:
    """A patient's reference in the audit trail: random (128 bits), so never another's."""
    return secrets.token_hex(16)


def aware(dt: datetime) -> datetime:
    """SQLite returns naive datetimes; everything stored is UTC."""
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class User(Base):
    """A login: a therapist (or admin), or a patient with a password."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # "therapist" | "patient"
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Patient(Base):
    __tablename__ = "patients"
    id: Mapped[int] = mapped_column(primary_key=True)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    birth_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sex: Mapped[str | None] = mapped_column(String(10), nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # How the audit trail names the patient (coach.store.audit): random, unique, never reused;
    # it goes with this row at an erasure and stays only in the trail. NULL in no row (the
    # migration that added it filled it in); nullable so that it needed no copy of the table.
    audit_ref: Mapped[str | None] = mapped_column(
        String(32), unique=True, index=True, nullable=True, default=new_audit_ref
    )
    # The language the therapist chose (coach.i18n.locales); None: the browser's.
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    program_items: Mapped[list[ProgramItem]] = relationship(
        back_populates="patient", order_by="ProgramItem.position", cascade="all, delete-orphan"
    )


class PatientLink(Base):
    """A revocable personal link that logs the patient in (only its hash is stored)."""

    __tablename__ = "patient_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class LoginSession(Base):
    """A signed-in browser: the cookie holds a random token, the table its hash."""

    __tablename__ = "login_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), nullable=True)
    link_id: Mapped[int | None] = mapped_column(ForeignKey("patient_links.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # "" signed in; "code": the password was right, the second factor is still to come;
    # "enrol": an admin's password was right, and they must set up a second factor first.
    stage: Mapped[str] = mapped_column(String(10), default="", server_default="")


class ProgramItem(Base):
    """One prescribed exercise: dose, frequency, and per-patient limits."""

    __tablename__ = "program_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    exercise_id: Mapped[str] = mapped_column(String(80))
    sets: Mapped[int] = mapped_column(Integer, default=3)
    reps: Mapped[int] = mapped_column(Integer, default=10)
    hold_s: Mapped[float] = mapped_column(Float, default=0.0)
    rest_s: Mapped[float | None] = mapped_column(Float, nullable=True)  # None: the definition's
    days_per_week: Mapped[int] = mapped_column(Integer, default=5)
    target_rom_deg: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_rom_deg: Mapped[float | None] = mapped_column(Float, nullable=True)  # e.g. post-surgery
    notes: Mapped[str] = mapped_column(Text, default="")
    patient: Mapped[Patient] = relationship(back_populates="program_items")


class ExerciseSession(Base):
    """One set of one exercise, live or from a video; written as it happens."""

    __tablename__ = "sessions"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("patients.id"), nullable=True, index=True
    )
    exercise_id: Mapped[str] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(String(20))  # "live" | "upload" | "analyze"
    status: Mapped[str] = mapped_column(String(20), default="recording")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    fps: Mapped[float | None] = mapped_column(Float, nullable=True)
    image_w: Mapped[int | None] = mapped_column(Integer, nullable=True)
    image_h: Mapped[int | None] = mapped_column(Integer, nullable=True)
    video_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    video_path: Mapped[str | None] = mapped_column(String(500), nullable=True)  # only if asked
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Retention (coach.store.retention): after how many days its per-frame poses and its kept
    # video were deleted (the reps, holds and faults stay); None while they are kept.
    frames_removed_after_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    video_removed_after_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reps: Mapped[list[Rep]] = relationship(order_by="Rep.index", cascade="all, delete-orphan")
    holds: Mapped[list[Hold]] = relationship(order_by="Hold.start_s", cascade="all, delete-orphan")
    faults: Mapped[list[Fault]] = relationship(order_by="Fault.t_s", cascade="all, delete-orphan")


class Rep(Base):
    __tablename__ = "reps"
    __table_args__ = (UniqueConstraint("session_id", "index"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    index: Mapped[int] = mapped_column(Integer)
    side: Mapped[str] = mapped_column(String(10), default="")
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)
    rom_deg: Mapped[float | None] = mapped_column(Float, nullable=True)
    peak_deg: Mapped[float | None] = mapped_column(Float, nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    faults: Mapped[list[Any]] = mapped_column(default=list)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)  # tempo, smoothness, ...
    # One number per fault rule (scoring.reference): what a personal reference is made of.
    # None for reps stored before it existed.
    profile: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Went past the patient's prescribed range limit (scoring: RepCompleted.over_limit).
    over_limit: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # How well its reported angle was seen, 0-1 (scoring.confidence; None: stored before it
    # existed); when not measured, rom_deg and peak_deg are None and the reason's id says why.
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    confidence_reason: Mapped[str] = mapped_column(String(20), default="", server_default="")
    # The range limit's verdict: "", "within", "over", "unchecked" (RepCompleted.limit_check).
    limit_check: Mapped[str] = mapped_column(String(12), default="", server_default="")


class Hold(Base):
    __tablename__ = "holds"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)
    duration_s: Mapped[float] = mapped_column(Float)
    sway: Mapped[float | None] = mapped_column(Float, nullable=True)
    touch_downs: Mapped[int] = mapped_column(Integer, default=0)


class Fault(Base):
    __tablename__ = "faults"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    fault_id: Mapped[str] = mapped_column(String(80))
    t_s: Mapped[float] = mapped_column(Float)
    rep: Mapped[int | None] = mapped_column(Integer, nullable=True)
    message: Mapped[str] = mapped_column(Text, default="")


class FrameChunk(Base):
    """About a second of per-frame landmarks and measures, compressed (see frames.py)."""

    __tablename__ = "frame_chunks"
    __table_args__ = (UniqueConstraint("session_id", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    t_start: Mapped[float] = mapped_column(Float)
    t_end: Mapped[float] = mapped_column(Float)
    frames: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ProtocolResult(Base):
    """A clinical test result (chair stand, balance, range of motion) for the record."""

    __tablename__ = "protocol_results"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("patients.id"), nullable=True, index=True
    )
    session_id: Mapped[str | None] = mapped_column(ForeignKey("sessions.id"), nullable=True)
    protocol: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)


class PersonalReferenceRow(Base):
    """A patient's reference for one exercise: the limits made from a session's good reps
    (scoring.reference.PersonalReference as JSON). One per patient and exercise."""

    __tablename__ = "personal_references"
    __table_args__ = (UniqueConstraint("patient_id", "exercise_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    exercise_id: Mapped[str] = mapped_column(String(80))
    session_id: Mapped[str | None] = mapped_column(ForeignKey("sessions.id"), nullable=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reps: Mapped[int] = mapped_column(Integer, default=0)
    reference: Mapped[dict[str, Any]] = mapped_column(default=dict)


class AnalysisJob(Base):
    """An uploaded video being analysed in the background; the page polls its progress."""

    __tablename__ = "analysis_jobs"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    session_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    exercise_id: Mapped[str] = mapped_column(String(80))
    filename: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Rating(Base):
    """What the patient said of a session (coach.store.ratings): pain on the 0-10 numeric
    rating scale before and after it, effort on the Borg CR10 scale after each of its sets.
    One of each kind per session and set; saying it again replaces it."""

    __tablename__ = "ratings"
    __table_args__ = (
        UniqueConstraint("session_id", "kind", "set_number"),
        CheckConstraint("value >= 0 AND value <= 10", name="ck_ratings_value_0_10"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "pain_before" | "pain_after" | "effort"
    value: Mapped[int] = mapped_column(Integer)
    set_number: Mapped[int] = mapped_column(Integer, default=0)  # effort: 1, 2, ...; pain: 0
    area: Mapped[str] = mapped_column(String(40), default="")  # the body area rated (pain)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ConsentAnswer(Base):
    """A patient's answer on the consent screen (coach.store.consent): "given", "declined"
    or "withdrawn", with the version of the text they read. Every answer is kept (the latest
    counts), so the record shows what they agreed to and when."""

    __tablename__ = "consent_answers"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    answer: Mapped[str] = mapped_column(String(20))
    text_version: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CalendarFeed(Base):
    """A patient's personal calendar feed (/cal/TOKEN.ics): the program's days, which a phone
    calendar subscribes to. Revocable like a personal link; only the token's hash is kept."""

    __tablename__ = "calendar_feeds"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class EmailReminder(Base):
    """E-mail reminders for a patient on their program's days (sent only when an SMTP
    server is configured; web/reminders.py). `last_sent_on`: the local day of the last one,
    claimed before sending, so one server of a cluster sends each day's reminder once."""

    __tablename__ = "email_reminders"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), unique=True)
    address: Mapped[str] = mapped_column(String(254))
    hour: Mapped[int] = mapped_column(Integer, default=9)  # local hour to send at, 0-23
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_sent_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WeeklyCheckIn(Base):
    """The patient's weekly check-in (coach.store.checkins): how they slept, their stress,
    headaches and energy this week, each 0-10 and each skippable (NULL), or the whole check-in
    skipped; one per patient and week (Monday, UTC), a second replacing the first. The
    Patient-Specific Functional Scale's activities are `psfs_ratings`."""

    __tablename__ = "weekly_checkins"
    __table_args__ = (
        UniqueConstraint("patient_id", "week_start"),
        CheckConstraint(
            "(sleep IS NULL OR (sleep >= 0 AND sleep <= 10))"
            " AND (stress IS NULL OR (stress >= 0 AND stress <= 10))"
            " AND (headaches IS NULL OR (headaches >= 0 AND headaches <= 10))"
            " AND (energy IS NULL OR (energy >= 0 AND energy <= 10))",
            name="ck_weekly_checkins_0_10",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    week_start: Mapped[date] = mapped_column(Date)
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    sleep: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 0 very poor - 10 very good
    stress: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 0 none - 10 extreme
    headaches: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 0 none - 10 worst
    energy: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 0 none - 10 full
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    psfs: Mapped[list[PsfsRating]] = relationship(
        back_populates="checkin", cascade="all, delete-orphan", order_by="PsfsRating.position"
    )


class PsfsRating(Base):
    """One activity of the Patient-Specific Functional Scale (Stratford et al. 1995) in a weekly
    check-in: the activity the patient named as hard (up to three) and how well they can do it,
    0 (unable) to 10 (as well as before the problem)."""

    __tablename__ = "psfs_ratings"
    __table_args__ = (
        UniqueConstraint("checkin_id", "position"),
        CheckConstraint("score >= 0 AND score <= 10", name="ck_psfs_ratings_score_0_10"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("weekly_checkins.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 1, 2, 3
    activity: Mapped[str] = mapped_column(String(80))
    score: Mapped[int] = mapped_column(Integer)
    checkin: Mapped[WeeklyCheckIn] = relationship(back_populates="psfs")


class AuditEntry(Base):
    """One entry of the audit trail (coach.store.audit): who (`user:3`, `patient:<ref>`,
    `cli:<login>`), when, from which address, what (action, patient reference, hashed session
    id, another subject), the outcome. No health data, no name. Chained: `hash` is SHA-256 of
    the previous entry's hash and this entry's fields."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(60))
    patient_ref: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    session_ref: Mapped[str | None] = mapped_column(String(32), nullable=True)
    subject: Mapped[str] = mapped_column(String(80), default="")
    outcome: Mapped[str] = mapped_column(String(10))  # "ok" | "refused" | "failed"
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)  # HTTP status, if any
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The audit trail's head: one row (id 1), the last entry's number and hash. Every append
    updates it first (so appends take turns) and last (so a deleted last entry shows)."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class SecondFactor(Base):
    """A therapist's second factor: a TOTP secret (RFC 6238), confirmed by a first code, and
    the time step of the last code accepted (a code is taken once)."""

    __tablename__ = "second_factors"
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id"), primary_key=True, autoincrement=False
    )
    secret: Mapped[str] = mapped_column(String(64))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RecoveryCode(Base):
    """A single-use recovery code of a second factor: only its SHA-256 is kept."""

    __tablename__ = "recovery_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
