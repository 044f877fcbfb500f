"""The live side: the patient's page and a therapist's follow page, the exercises they pick
from, a live session's summary and events, and the two live WebSockets (their protocol is
web/live_ws.py; docs/LIVE-PROTOCOL.md).

Mounted with or without a store: anonymous try-out sessions need none. Like the stored areas,
the router captures nothing: `create_app` puts the registry, the store (or None), the relay
(a cluster's, or None) and the exercise list on `app.state`, and each route asks for them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, WebSocket
from fastapi.responses import FileResponse, HTMLResponse
from starlette.requests import HTTPConnection

from coach.live import SESSION_ID_RE, LiveSession, SessionError, exercise_info
from coach.store import Store
from web import access, live_relay
from web.live_relay import LiveRelay
from web.live_ws import (
    follower_socket,
    patient_socket,
    refuse_cross_origin,
    take_follower_slot,
)
from web.routes.deps import RegistryDep, get_store

# Whole pages (no templating): they read their parameters from the URL.
PAGES_DIR = Path(__file__).resolve().parent.parent / "templates"

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
    return store is not None and store.patient_visible_to(who, session.patient_id) is not None


def page(name: str) -> FileResponse:
    return FileResponse(PAGES_DIR / name, headers={"Cache-Control": "no-cache"})


# ---- pages ---------------------------------------------------------------------------------
@router.get("/", include_in_schema=False)
async def index() -> FileResponse:
    """Picker and patient page in one (?exercise=ID opens the exercise, &autostart=1)."""
    return page("index.html")


@router.get("/follow/{session_id}", include_in_schema=False, response_model=None)
async def follow(session_id: str) -> FileResponse | HTMLResponse:
    if not SESSION_ID_RE.match(session_id):
        return HTMLResponse("<h1>Not a session link</h1>", status_code=404)
    return page("follow.html")


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
    session = registry.get(session_id)
    if session is None or not may_see(store, request, session):
        raise HTTPException(404, "No such session (never started, or expired).")
    return session


LiveSessionDep = Annotated[LiveSession, Depends(live_session)]


@router.get("/api/sessions/{session_id}")
def session_summary(session: LiveSessionDep) -> dict[str, Any]:
    return dict(session.summary())


@router.get("/api/sessions/{session_id}/events")
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
            await ws.accept()
            await ws.close(4404, "unknown_session")
            return
    await patient_socket(ws, registry, patient_id)


@router.websocket("/ws/follow/{session_id}")
async def follow_ws(
    ws: WebSocket, session_id: str, registry: RegistryDep, store: MaybeStoreDep, relay: RelayDep
) -> None:
    def may_follow(session: LiveSession) -> bool:
        return may_see(store, ws, session)

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
