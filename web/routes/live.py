"""The live side: the patient's page and a therapist's follow page, the exercises they pick
from, a live session's summary and events, and the two live WebSockets (their protocol is
web/live_ws.py; docs/LIVE-PROTOCOL.md).

Mounted with or without a store: anonymous try-out sessions need none. Like the stored areas,
the router captures nothing: `create_app` puts the registry, the store (or None), the relay
(a cluster's, or None) and the exercise list on `app.state`, and each route asks for them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, WebSocket
from fastapi.responses import HTMLResponse
from markupsafe import escape
from starlette.requests import HTTPConnection

from coach.live import SESSION_ID_RE, LiveSession, SessionError, exercise_info
from coach.store import Store
from web import access, live_relay
from web.audit import audited, note_identity, note_patient, note_session, write_socket_entry
from web.i18n import VARY_BY_READER, language_of, reader_of, templates_at
from web.live_relay import LiveRelay
from web.live_ws import (
    follower_socket,
    patient_socket,
    refuse_cross_origin,
    take_follower_slot,
)
from web.routes.deps import RegistryDep, get_store

# Whole pages, in the reader's language (web/i18n.py): they read their parameters from the URL.
PAGES_DIR = Path(__file__).resolve().parent.parent / "templates"
PAGES = templates_at(str(PAGES_DIR))

router = APIRouter()


def get_relay(conn: HTTPConnection) -> LiveRelay | None:
    """A cluster's relay to sessions on other instances (web/live_relay.py); None alone."""
    return conn.app.state.relay


def get_exercise_list(conn: HTTPConnection) -> Callable[[], Iterable[Any]]:
    """What lists the exercises of the picker (`create_app(exercise_list=...)`)."""
    return conn.app.state.exercise_list


MaybeStoreDep = Annotated[Store | None, Depends(get_store)]  # None: no store, no sign-in
RelayDep = Annotated[LiveRelay | None, Depends(get_relay)]
ExerciseListDep = Annotated[Callable[[], Iterable[Any]], Depends(get_exercise_list)]


def may_see(store: Store | None, conn: Request | WebSocket, session: LiveSession) -> bool:
    """Anonymous try-out sessions are reachable by their unguessable id; a patient's
    session only by that patient and their therapist."""
    if session.patient_id is None:
        return True
    who = access.identity_of(store, conn)
    if isinstance(conn, Request):  # the request's audit entry names who and whose session
        note_identity(conn, who)
        note_patient(conn, store.audit_ref(session.patient_id) if store is not None else None)
    return store is not None and store.patient_visible_to(who, session.patient_id) is not None


def page(request: Request, store: Store | None, name: str) -> HTMLResponse:
    """A whole page in the reader's language: a signed-in patient's, else the browser's.
    `who` lets its header offer the way back to their pages rather than "Sign in"."""
    who = access.identity_of(store, request)
    language_of(request, who)
    return PAGES.TemplateResponse(
        request,
        name,
        {"who": who},
        headers={"Cache-Control": "no-cache", "Vary": VARY_BY_READER},
    )


# ---- pages ---------------------------------------------------------------------------------
@router.get("/", include_in_schema=False)
def index(request: Request, store: MaybeStoreDep) -> HTMLResponse:
    """Picker and patient page in one (?exercise=ID opens the exercise, &autostart=1)."""
    return page(request, store, "index.html")


@router.get("/follow/{session_id}", include_in_schema=False)
def follow(request: Request, store: MaybeStoreDep, session_id: str) -> HTMLResponse:
    if not SESSION_ID_RE.match(session_id):
        words = reader_of(request).gettext("Not a session link")
        return HTMLResponse(f"<h1>{escape(words)}</h1>", status_code=404)
    return page(request, store, "follow.html")


# ---- JSON ----------------------------------------------------------------------------------
@router.get("/healthz")
async def healthz(request: Request, registry: RegistryDep, relay: RelayDep) -> dict[str, Any]:
    health: dict[str, Any] = {
        "ok": True,
        "sessions": len(registry),
        "active": registry.active_count(),
    }
    worker = getattr(request.app.state, "worker", None)
    if worker is not None:  # one of `coach serve --workers N`: which one answered
        health["worker"] = worker.index
    return health | live_relay.health(relay)  # a cluster: the relay's link to Redis


@router.get("/api/exercises")
async def exercises(list_all: ExerciseListDep) -> list[dict[str, Any]]:
    return [exercise_info(e) for e in list_all()]


@router.get("/api/exercises/{exercise_id}")
async def exercise(exercise_id: str, registry: RegistryDep) -> dict[str, Any]:
    try:
        return exercise_info(registry.load_exercise(exercise_id))
    except SessionError as exc:
        raise HTTPException(404, exc.message) from None


def live_session(
    request: Request, session_id: str, registry: RegistryDep, store: MaybeStoreDep
) -> LiveSession:
    """The path's live session, if whoever asks may see it (404 otherwise)."""
    note_session(request, session_id)
    session = registry.get(session_id)
    if session is None or not may_see(store, request, session):
        raise HTTPException(404, "No such session (never started, or expired).")
    return session


LiveSessionDep = Annotated[LiveSession, Depends(live_session)]


@router.get("/api/sessions/{session_id}")
@audited("live.summary")
def session_summary(session: LiveSessionDep) -> dict[str, Any]:
    return dict(session.summary())


@router.get("/api/sessions/{session_id}/events")
@audited("live.events")
def session_events(session: LiveSessionDep) -> list[dict[str, Any]]:
    return list(session.events)


# ---- WebSockets ----------------------------------------------------------------------------
@router.websocket("/ws/live")
async def live(ws: WebSocket, registry: RegistryDep, store: MaybeStoreDep) -> None:
    if await refuse_cross_origin(ws, registry.limits):
        return
    who = access.identity_of(store, ws)
    patient_id = who.patient_id if who is not None else None
    resume = ws.query_params.get("session")
    if store is not None and resume and registry.get(resume) is None:
        stored = store.session(resume)  # resuming after a restart: only one's own session
        if stored is not None and stored.patient_id != patient_id:
            await _audit_live(store, ws, who, resume, allowed=False)
            await ws.accept()
            await ws.close(4404, "unknown_session")
            return
    if patient_id is not None:  # a patient's own session: their data is recorded
        await _audit_live(store, ws, who, resume, allowed=True)
    await patient_socket(ws, registry, patient_id)


async def _audit_live(
    store: Store | None, ws: WebSocket, who: Any, resume: str | None, *, allowed: bool
) -> None:
    if who is None or who.patient_id is None:
        return
    await write_socket_entry(
        store,
        ws,
        "live.session",
        who=who,
        patient_ref=who.audit_ref,
        session_id=resume or None,
        allowed=allowed,
    )


@router.websocket("/ws/follow/{session_id}")
async def follow_ws(
    ws: WebSocket, session_id: str, registry: RegistryDep, store: MaybeStoreDep, relay: RelayDep
) -> None:
    entry: list[asyncio.Task[None]] = []  # the follow's audit entry, once, as it is decided

    def may_follow(session: LiveSession) -> bool:
        allowed = may_see(store, ws, session)
        if not entry and session.patient_id is not None and store is not None:
            entry.append(
                asyncio.get_running_loop().create_task(
                    write_socket_entry(
                        store,
                        ws,
                        "live.follow",
                        who=access.identity_of(store, ws),
                        patient_ref=store.audit_ref(session.patient_id),
                        session_id=session_id,
                        allowed=allowed,
                    )
                )
            )
        return allowed

    if await refuse_cross_origin(ws, registry.limits):
        return
    slot = await take_follower_slot(ws, registry)  # per address and in all, local or relayed
    if slot is None:
        return
    try:
        if (
            relay is not None
            and registry.get(session_id) is None
            and SESSION_ID_RE.match(session_id)
        ):
            # A cluster: the session may run on another instance (web/live_relay.py).
            await ws.accept()
            await relay.follow(ws, session_id, may_follow)
            return
        await follower_socket(ws, registry, session_id, may_follow=may_follow)
    finally:
        registry.follower_slots.give_back(slot)
