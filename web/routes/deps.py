"""FastAPI dependencies: the app's store, live sessions, upload jobs and login limiter, and who
is asking (web/access.py does the checking).

The routers capture nothing: `create_app` puts the objects on `app.state` and each route asks
for what it needs, so a test can swap one with `app.dependency_overrides`. FastAPI caches a
dependency per request, so a route asking for the therapist and their patient signs in once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.requests import HTTPConnection

from coach.live import SessionRegistry
from coach.store import Store
from coach.store.accounts import Identity
from coach.store.models import ExerciseSession, Patient
from web import access
from web.audit import note_identity, note_patient, note_session
from web.uploads.jobs import AnalysisJobs


def get_store(conn: HTTPConnection) -> Store:
    """The app's store (set on `app.state` by `create_app`; None there without one, which
    only the live side, web/routes/live.py, is mounted for). A WebSocket may ask too."""
    return conn.app.state.store


def get_jobs(request: Request) -> AnalysisJobs:
    """The app's background analysis of uploaded videos."""
    return request.app.state.jobs


def get_limiter(request: Request) -> access.LoginLimiter:
    """The app's sign-in rate limit: app state, so every request shares one."""
    return request.app.state.login_limiter


def get_registry(conn: HTTPConnection) -> SessionRegistry:
    """The app's live sessions (`app.state.registry`): the live routes and sockets run them,
    the dashboard lists the ones of the therapist's patients."""
    return conn.app.state.registry


StoreDep = Annotated[Store, Depends(get_store)]
RegistryDep = Annotated[SessionRegistry, Depends(get_registry)]
JobsDep = Annotated[AnalysisJobs, Depends(get_jobs)]
LimiterDep = Annotated[access.LoginLimiter, Depends(get_limiter)]


def current_identity(request: Request, store: StoreDep) -> Identity:
    """Whoever is signed in (named in the request's audit entry, web/audit.py); nobody raises
    `access.NotSignedIn` (the app redirects to /login)."""
    who = access.require_identity(store, request)
    note_identity(request, who)
    return who


IdentityDep = Annotated[Identity, Depends(current_identity)]


def current_therapist(who: IdentityDep) -> Identity:
    return access.therapist_only(who)


TherapistDep = Annotated[Identity, Depends(current_therapist)]


def therapists_patient(
    request: Request, patient_id: int, who: TherapistDep, store: StoreDep
) -> Patient:
    """The path's patient, if they are the signed-in therapist's (404 otherwise); the audit
    entry names them either way (a refused look at another's patient is worth knowing)."""
    try:
        patient = access.patient_for(store, who, patient_id)
    except HTTPException:
        note_patient(request, store.audit_ref(patient_id))
        raise
    note_patient(request, patient.audit_ref)
    return patient


TherapistsPatientDep = Annotated[Patient, Depends(therapists_patient)]


def visible_session(
    request: Request, session_id: str, who: IdentityDep, store: StoreDep
) -> ExerciseSession:
    """The path's stored session, if its patient is visible to whoever is signed in (404
    otherwise, and for anonymous try-out sessions, which have no review pages). The audit
    entry names the session and its patient, seen or refused."""
    note_session(request, session_id)
    row = store.session(session_id)
    if row is None:
        raise HTTPException(404, "No such session.")
    patient = store.patient_visible_to(who, patient_of(row))
    if patient is None:
        note_patient(request, store.audit_ref(row.patient_id))
        raise HTTPException(404, "No such session.")  # the same words: ids can't be probed
    note_patient(request, patient.audit_ref)
    return row


def patient_of(row: ExerciseSession) -> int:
    """The session's patient: every session `visible_session` lets through has one (an
    anonymous try-out session has none and no review pages: 404)."""
    if row.patient_id is None:
        raise HTTPException(404, "No such session.")
    return row.patient_id


VisibleSessionDep = Annotated[ExerciseSession, Depends(visible_session)]
