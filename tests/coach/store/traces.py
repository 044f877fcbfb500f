"""A patient with one of everything the store keeps (and a session started days ago, for
retention), and the search for what is left of them after an erasure: every text column of
every table, the raw bytes of every file in the data directory (the SQLite database, its
write-ahead log, uploads, videos). Used by the store's, the CLI's and the web's tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np
import pyotp
from sqlalchemy import Engine, inspect, text, update

from coach.offline.jobs import video_name
from coach.review.references import set_reference_from_session
from coach.store import cluster
from coach.store.accounts import token_hash
from coach.store.audit import AuditEvent, session_ref
from coach.store.consent import ConsentingRecorder
from coach.store.live_recorder import LiveRecorder
from coach.store.models import ExerciseSession, utcnow
from coach.store.ratings import record_rating
from coach.store.store import Store
from exercises import load_exercise

PASSWORD = "correct horse battery staple"


@dataclass
class Traces:
    """What identifies one patient: their name and account, the string ids of their rows and
    files, and their integer ids (patient, account)."""

    name: str
    username: str
    patient_id: int
    user_id: int
    strings: list[str] = field(default_factory=list)  # session, job ids, hashes, file names
    files: list[Path] = field(default_factory=list)

    def needles(self) -> list[str]:
        parts = self.name.split()
        return [self.name, *parts, self.username, *self.strings]


def _rep(index: int, start: float) -> dict[str, object]:
    return {
        "kind": "RepCompleted",
        "t": start + 1.0,
        "index": index,
        "start_s": start,
        "end_s": start + 1.0,
        "rom_deg": 80.0 + index,
        "peak_deg": 95.0,
        "score": 88.0,
        "faults": ["knee_valgus"],
        "profile": {"knee_valgus": 0.1 * index},
    }


def written_session(store: Store, patient_id: int, source: str) -> str:
    """A session through the real `SessionWriter`: frames, three reps, a hold and a fault."""
    sid = store.new_session_id()
    writer = store.writer(sid, load_exercise("squat"), patient_id=patient_id, source=source)
    writer.start((640, 480), 30.0)
    rng = np.random.default_rng(patient_id)
    for i in range(100):
        writer.frame(i / 30, rng.random((33, 4)).astype(np.float32))
    for index in (1, 2, 3):
        writer.event(_rep(index, index * 1.0))
    writer.event(
        {
            "kind": "FaultDetected",
            "t": 1.5,
            "id": "knee_valgus",
            "rep": 1,
            "message": "Knees caving in",
            "cue": "Push your knees out",
        }
    )
    writer.event(
        {
            "kind": "HoldEnded",
            "t": 3.0,
            "start_s": 0.5,
            "end_s": 3.0,
            "duration_s": 2.5,
            "sway": 0.01,
            "touch_downs": 0,
        }
    )
    writer.finish()
    return sid


def live_session(store: Store, patient_id: int) -> str:
    """A session through the live recorder, as the server records one."""
    recorder = ConsentingRecorder(LiveRecorder(store.factory), store.may_record)
    sid = store.new_session_id()
    sink = recorder.sink(sid)
    sink.event({"kind": "SessionStarted", "t": 0.0, "exercise": "squat", "patient_id": patient_id})
    rng = np.random.default_rng(7)
    for i in range(40):
        sink.frame(i / 30, rng.random((33, 4)).astype(np.float32))
    sink.event(_rep(1, 0.2))
    sink.event({"kind": "SessionEnded", "t": 1.5, "rep_count": 1})
    recorder.flush()
    recorder.close()
    return sid


def aged_session(store: Store, patient_id: int, days_ago: float, video: bool = False) -> str:
    """A stored session with 60 frames and two reps, started `days_ago`, with a kept video."""
    sid = store.new_session_id()
    writer = store.writer(sid, load_exercise("squat"), patient_id=patient_id, source="upload")
    writer.start((640, 480), 30.0)
    for i in range(60):
        writer.frame(i / 30, np.full((33, 4), 0.5, np.float32))
    for index in (1, 2):
        writer.event(
            {
                "kind": "RepCompleted",
                "t": index,
                "index": index,
                "start_s": index - 0.8,
                "end_s": float(index),
                "rom_deg": 80.0,
                "score": 90.0,
                "faults": [],
            }
        )
    writer.finish()
    if video:
        path = cluster.video_dir() / f"{sid}.mp4"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\x00" * 1000)
        store.set_session_video(sid, str(path))
    with store.factory.begin() as db:
        db.execute(
            update(ExerciseSession)
            .where(ExerciseSession.id == sid)
            .values(started_at=utcnow() - timedelta(days=days_ago))
        )
    return sid


def patient_with_everything(store: Store, therapist_id: int, name: str, username: str) -> Traces:
    """A patient with an account, a program, a link and sign-ins, consent, sessions written by
    the store's writers (one live), ratings, a reference, a clinical test, a queued upload
    and kept videos (files in the data directory's uploads/ and videos/)."""
    patient = store.create_patient(
        therapist_id,
        name,
        birth_year=1951,
        sex="female",
        notes=f"{name}: left knee",
        username=username,
        password=PASSWORD,
    )
    assert patient.user_id is not None
    traces = Traces(name, username, patient.id, patient.user_id)
    store.set_program(
        patient.id, [{"exercise_id": "squat", "sets": 2, "reps": 8, "notes": f"Slowly, {name}"}]
    )
    link, token = store.create_link(patient.id)
    logins = [
        store.start_login(patient_id=patient.id, link_id=link.id),
        store.start_login(user_id=patient.user_id),
    ]
    traces.strings += [token_hash(t) for t in (token, *logins)]
    store.record_consent(patient.id, "given", "1")
    _feed, feed_token = store.create_feed(patient.id)  # between sessions: calendar, e-mail
    store.set_reminder(patient.id, f"{username}@example.org")
    traces.strings += [token_hash(feed_token), f"{username}@example.org"]
    from coach.store.checkins import record_checkin

    record_checkin(store, patient.id, {"sleep": 4}, [(f"{name}'s stairs", 3)])  # weekly check-in

    kept = written_session(store, patient.id, "upload")
    sessions = [
        kept,
        written_session(store, patient.id, "analyze"),
        live_session(store, patient.id),
    ]
    traces.strings += sessions
    record_rating(store, sessions[2], "pain_before", 3, area="left knee")
    record_rating(store, sessions[2], "effort", 5, set_number=1)
    set_reference_from_session(store, patient.id, kept, created_by=therapist_id)
    store.add_protocol_result(patient.id, "chair-stand", {"value": 11, "patient": name}, kept)
    videos, uploads = cluster.video_dir(), cluster.upload_dir()
    videos.mkdir(parents=True, exist_ok=True)
    uploads.mkdir(parents=True, exist_ok=True)
    video = videos / f"{kept}.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42 video of " + name.encode())
    store.set_session_video(kept, str(video))
    job = store.create_job(patient.id, "squat", f"{name} squat.mp4")
    upload = uploads / video_name(job.id, job.filename, True)
    upload.write_bytes(b"an upload of " + name.encode())
    stray = videos / f"interrupted-{video_name(job.id, job.filename, True)}"
    stray.write_bytes(b"an interrupted upload of " + name.encode())
    traces.strings += [job.id, str(job.session_id)]
    traces.files += [video, upload, stray]
    # A second factor with its recovery codes keyed to their account (a patient's should have
    # none; the erasure must still take them, or the account's foreign key would stop it).
    secret = store.start_enrolment(patient.user_id).secret
    assert store.confirm_enrolment(patient.user_id, pyotp.TOTP(secret).now()) is not None
    for action in ("session.view", "session.export.reps"):  # what the trail keeps of them
        store.audit(
            AuditEvent(
                action,
                f"user:{therapist_id}",
                address="127.0.0.1",
                patient_ref=patient.audit_ref,
                session_ref=session_ref(kept),
            )
        )
    return traces


def left_in_database(engine: Engine, traces: Traces) -> list[str]:
    """Where the database still names the patient: any column of any table whose text holds
    a needle, and any patient or account column holding their ids."""
    found = []
    tables = inspect(engine).get_table_names()
    with engine.connect() as conn:
        for table in tables:
            for column in inspect(engine).get_columns(table):
                col = column["name"]
                for needle in traces.needles():
                    n = conn.execute(
                        text(f'SELECT count(*) FROM "{table}" WHERE CAST("{col}" AS TEXT) LIKE :p'),
                        {"p": f"%{needle}%"},
                    ).scalar()
                    if n:
                        found.append(f"{table}.{col} holds {needle!r} ({n} rows)")
                ids = {
                    "patient_id": traces.patient_id,
                    "user_id": traces.user_id,
                    "created_by": traces.user_id,
                }
                key = ids.get(col)
                if table == "patients" and col == "id":
                    key = traces.patient_id
                if table == "users" and col == "id":
                    key = traces.user_id
                if key is not None:
                    q = text(f'SELECT count(*) FROM "{table}" WHERE "{col}" = :k')
                    if conn.execute(q, {"k": key}).scalar():
                        found.append(f"{table}.{col} holds the id {key}")
    return found


def left_in_files(root: Path, traces: Traces) -> list[str]:
    """Where the raw bytes (or the names) of the files under `root` still name the patient."""
    found = []
    needles = [n.encode() for n in traces.needles()]
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found += [f"{path} holds {n!r}" for n in needles if n in data]
        found += [f"{path} is named after {s}" for s in traces.strings if s in path.name]
    return found
