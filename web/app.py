"""The FastAPI app: pages, the small JSON API, static assets and the live WebSockets.

Pages are plain HTML files with JavaScript modules (no build step, no CDN: the app must work
offline on a patient's laptop). Sessions live in a `coach.live.SessionRegistry`, created here
unless one is passed in (tests and `coach serve` may configure it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, WebSocket
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from coach.live import (
    SESSION_ID_RE,
    Recorder,
    SessionError,
    SessionRegistry,
    exercise_info,
)
from web.frames import decode_frame
from web.live_ws import follower_socket, patient_socket

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
PAGES_DIR = HERE / "templates"  # whole pages; they read their parameters from the URL


def _default_exercise_list() -> Iterable[Any]:
    from exercises import list_exercises

    return list_exercises()


def create_app(
    registry: SessionRegistry | None = None,
    *,
    recorder: Recorder | None = None,
    max_active: int = 4,
    retain_s: float = 1800.0,
    exercise_list: Callable[[], Iterable[Any]] | None = None,
) -> FastAPI:
    """Build the app. Without `registry`, one is made with the real pipeline and `recorder`."""
    if registry is None:
        registry = SessionRegistry(
            decode=decode_frame, recorder=recorder, max_active=max_active, retain_s=retain_s
        )
    list_all = exercise_list or _default_exercise_list

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        registry.warm_up()
        yield
        await registry.close_all()

    app = FastAPI(title="Coach", docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.registry = registry
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    def page(name: str) -> FileResponse:
        return FileResponse(PAGES_DIR / name, headers={"Cache-Control": "no-cache"})

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        """Picker and patient page in one (?exercise=ID opens the exercise, &autostart=1)."""
        return page("index.html")

    @app.get("/follow/{session_id}", include_in_schema=False, response_model=None)
    async def follow(session_id: str) -> FileResponse | HTMLResponse:
        if not SESSION_ID_RE.match(session_id):
            return HTMLResponse("<h1>Not a session link</h1>", status_code=404)
        return page("follow.html")

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"ok": True, "sessions": len(registry), "active": registry.active_count()}

    @app.get("/api/exercises")
    async def exercises() -> list[dict[str, Any]]:
        return [exercise_info(e) for e in list_all()]

    @app.get("/api/exercises/{exercise_id}")
    async def exercise(exercise_id: str) -> dict[str, Any]:
        try:
            return exercise_info(registry.load_exercise(exercise_id))
        except SessionError as exc:
            raise HTTPException(404, exc.message) from None

    @app.get("/api/sessions/{session_id}")
    async def session_summary(session_id: str) -> dict[str, Any]:
        session = registry.get(session_id)
        if session is None:
            raise HTTPException(404, "No such session (never started, or expired).")
        return session.summary()

    @app.get("/api/sessions/{session_id}/events")
    async def session_events(session_id: str) -> list[dict[str, Any]]:
        session = registry.get(session_id)
        if session is None:
            raise HTTPException(404, "No such session (never started, or expired).")
        return list(session.events)

    @app.websocket("/ws/live")
    async def live(ws: WebSocket) -> None:
        await patient_socket(ws, registry)

    @app.websocket("/ws/follow/{session_id}")
    async def follow_ws(ws: WebSocket, session_id: str) -> None:
        await follower_socket(ws, registry, session_id)

    return app
