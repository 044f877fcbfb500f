"""One patient's record as a FHIR R4 Bundle (type collection): our CodeSystems, the Device,
the therapist, the Patient, the program (CarePlan), every session (Procedure and its
Observations), the ratings, the clinical tests' results and the weekly check-ins.

The read models are the store's and the review pages' own (sessions with reps, holds and
faults; coach.store.ratings; protocol results); the camera view of each session is read back
from its stored poses as the session page does (coach.review.camera_view).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from coach.review.camera_view import filmed_from
from coach.review.fhir import method
from coach.review.fhir.checkins import checkin_entries
from coach.review.fhir.patient import patient_resource, practitioner_resource
from coach.review.fhir.program import careplan_resource
from coach.review.fhir.protocols import test_observation
from coach.review.fhir.ratings import rating_observation
from coach.review.fhir.refs import Context, Ids
from coach.review.fhir.sessions import (
    SessionInfo,
    fault_observation,
    hold_observation,
    procedure,
    rep_count,
    rep_observation,
)
from coach.review.fhir.targets import target_entries
from coach.review.fhir.terms import code_systems
from coach.store.checkins import patient_checkins
from coach.store.frames import join_chunks
from coach.store.models import ExerciseSession, FrameChunk
from coach.store.ratings import patient_ratings
from coach.store.store import Store


def _exercises() -> dict[str, Any]:
    """The library's exercises and targets tasks by id."""
    from exercises import list_exercises, list_tasks

    found: dict[str, Any] = {e.id: e for e in list_exercises()}
    return found | {t.id: t for t in list_tasks()}


def _sessions(store: Store, patient_id: int) -> list[ExerciseSession]:
    """The patient's sessions, oldest first, with their reps, holds and faults."""
    with store.factory() as db:
        q = (
            select(ExerciseSession)
            .where(ExerciseSession.patient_id == patient_id)
            .order_by(ExerciseSession.started_at, ExerciseSession.id)
            .options(
                selectinload(ExerciseSession.reps),
                selectinload(ExerciseSession.holds),
                selectinload(ExerciseSession.faults),
            )
        )
        return list(db.scalars(q))


VIEW_CHUNKS = 20  # one-second chunks of stored poses read for a session's view, at most


def _sampled_poses(store: Store, session_id: str) -> np.ndarray:
    """Up to VIEW_CHUNKS of the session's stored chunks, spread evenly over it: the view is
    a majority over seconds, and reading every chunk of a long record would take minutes
    (docs/FHIR.md)."""
    with store.factory() as db:
        where = FrameChunk.session_id == session_id
        seqs = list(db.scalars(select(FrameChunk.seq).where(where).order_by(FrameChunk.seq)))
        if len(seqs) > VIEW_CHUNKS:
            step = (len(seqs) - 1) / (VIEW_CHUNKS - 1)
            seqs = sorted({seqs[round(i * step)] for i in range(VIEW_CHUNKS)})
        q = select(FrameChunk.data).where(where, FrameChunk.seq.in_(seqs))
        chunks = list(db.scalars(q.order_by(FrameChunk.seq)))
    return join_chunks(chunks)[1]


def _view(store: Store, session: ExerciseSession) -> str | None:
    """The view most of the session's stored poses show (coach.review.camera_view, as the
    session page reads it); for an imported session (no poses) the one its bundle said; None
    when not known."""
    landmarks = _sampled_poses(store, session.id)
    if not len(landmarks):
        summary = session.summary if isinstance(session.summary, dict) else {}
        return summary.get("filmed_from")
    w, h = session.image_w or 0, session.image_h or 0
    view = filmed_from(landmarks, w / h if w and h else 1.0)
    return None if view == "unknown" else view


def _session_entries(store: Store, s: ExerciseSession, exercise: Any, ctx: Context) -> list:
    info = SessionInfo.of(s, exercise, _view(store, s), ctx.sessions[s.id])
    out = [ctx.entry(info.url, procedure(info, ctx))]
    key = s.id
    counts = s.reps or (exercise is not None and getattr(exercise, "rep", None) is not None)
    if counts and s.status != "failed":  # a video that could not be analysed counted nothing
        out.append(ctx.entry(ctx.ids.url("rep-count", key), rep_count(info, ctx)))
    out += [
        ctx.entry(ctx.ids.url("rep", f"{key}/{r.index}"), rep_observation(r, info, ctx))
        for r in s.reps
    ]
    out += [
        ctx.entry(ctx.ids.url("hold", f"{key}/{i}"), hold_observation(h, info, ctx))
        for i, h in enumerate(s.holds)
    ]
    out += [
        ctx.entry(ctx.ids.url("fault", f"{key}/{i}"), fault_observation(f, info, ctx))
        for i, f in enumerate(s.faults)
    ]
    return out + target_entries(info, ctx)


def patient_bundle(store: Store, patient: Any) -> dict[str, Any]:
    """The patient's whole record as a FHIR R4 Bundle (plain JSON-ready dicts)."""
    ids = Ids(patient.id, patient.created_at)
    ctx = Context(ids, patient=ids.url("patient"), device=ids.url("device"))
    library = _exercises()
    names = {i: e.name for i, e in library.items()}
    program = store.program(patient.id)
    sessions = _sessions(store, patient.id)
    tests = store.protocol_results(patient.id)
    for s in sessions:
        names.setdefault(s.exercise_id, s.exercise_id)
        ctx.sessions[s.id] = ids.url("session", s.id)
    for item in program:
        names.setdefault(item.exercise_id, item.exercise_id)
    therapist = next((u for u in store.users() if u.id == patient.therapist_id), None)
    therapist_url = ids.url("therapist") if therapist is not None else None
    entries = [
        ctx.entry(ids.url("codesystem", i), cs)
        for i, cs in enumerate(code_systems(names, {t.protocol for t in tests}))
    ]
    entries.append(ctx.entry(ctx.device, method.device()))
    if therapist is not None and therapist_url:
        entries.append(ctx.entry(therapist_url, practitioner_resource(therapist.name)))
    entries.append(ctx.entry(ctx.patient, patient_resource(patient, therapist_url)))
    if program:
        ctx.careplan = ids.url("careplan")
        entries.append(
            ctx.entry(ctx.careplan, careplan_resource(program, ctx, names, therapist_url))
        )
    for s in sessions:
        entries += _session_entries(store, s, library.get(s.exercise_id), ctx)
    for i, r in enumerate(patient_ratings(store, patient.id)):
        entries.append(ctx.entry(ids.url("rating", i), rating_observation(r, ctx)))
    for t in tests:
        entries.append(ctx.entry(ids.url("test", t.id), test_observation(t, ctx)))
    for c in patient_checkins(store, patient.id):
        entries += checkin_entries(c, ctx)
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "entry": entries,
    }


class BundleInvalid(ValueError):
    """A bundle the FHIR model library refuses; the message names the first problem."""


def validate(bundle: dict[str, Any]) -> Any:
    """Check a bundle against the FHIR R4 resource models (fhir.resources: R4B, which is R4 for
    every resource used here, docs/FHIR.md) and return the parsed Bundle; BundleInvalid when
    a resource or element is not valid FHIR."""
    from fhir.resources.R4B.bundle import Bundle
    from pydantic import ValidationError

    try:
        return Bundle.model_validate(bundle)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise BundleInvalid(f"not a valid FHIR bundle: {where}: {first.get('msg')}") from None
