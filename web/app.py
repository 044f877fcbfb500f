"""The FastAPI app: pages, the small JSON API, static assets and the live WebSockets.

Pages are plain HTML files with JavaScript modules (no build step, no CDN: the app must work
offline on a patient's laptop). Sessions live in a `coach.live.SessionRegistry`, created here
unless one is passed in (tests and `coach serve` may configure it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request, WebSocket
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from coach.live import (
    SESSION_ID_RE,
    LiveLimits,
    Recorder,
    SessionError,
    SessionRegistry,
    default_processor,
    exercise_info,
)
from coach.store import Store
from web import access, live_relay, security
from web.demos import mount_demos
from web.frames import decode_frame
from web.live_ws import follower_socket, patient_socket, refuse_cross_origin
from web.vendor import mount_vendor

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
PAGES_DIR = HERE / "templates"  # whole pages; they read their parameters from the URL


def _default_exercise_list() -> Iterable[Any]:
    """The picker's list: the exercises and the hand-eye targets tasks (both start live)."""
    from exercises import list_exercises, list_tasks

    return [*list_exercises(), *list_tasks()]


def create_app(
    registry: SessionRegistry | None = None,
    *,
    recorder: Recorder | None = None,
    max_active: int = 4,
    retain_s: float = 1800.0,
    exercise_list: Callable[[], Iterable[Any]] | None = None,
    store: Store | None = None,
    live_limits: LiveLimits | None = None,
    pose_model: str = "full",
    redis_url: str | None = None,
    allow_seed: bool = False,
) -> FastAPI:
    """Build the app. Without `registry`, one is made with the real pipeline and `recorder`.

    With a `store`, every live session is recorded into it (unless another `recorder` is
    given) and the sign-in, review, export and upload pages are served (web/routes/).
    `pose_model` (lite, full, heavy) is the model of uploads and server-mode live sessions.

    With `redis_url` this is one instance of a cluster (docs/DEPLOY.md): uploads go to the task
    queue for `coach worker` processes instead of a thread of this process, the sign-in delays
    and the live sessions per address are counted in Redis, and followers reach sessions of
    other instances through Redis pub/sub (web/live_relay.py).

    `allow_seed` (tests only) lets a patient socket fix a targets task's schedule with
    `&seed=N` (coach.live.registry.SessionRegistry)."""
    jobs = None
    if store is not None:
        from coach.store.live_recorder import LiveRecorder
        from web.uploads import AnalysisJobs

        if recorder is None:
            recorder = LiveRecorder(store.factory)
        queue = None
        if redis_url:
            from coach.offline.queue import UploadQueue

            queue = UploadQueue(redis_url)
        jobs = AnalysisJobs(store, queue=queue, pose_model=pose_model)
    caps = None
    if redis_url:  # a cluster: live sessions per address counted over every instance
        from coach.live.caps import RedisLiveCaps
        from coach.store.cluster import redis_client

        caps = RedisLiveCaps(redis_client(redis_url))
    if registry is None:
        registry = SessionRegistry(
            decode=decode_frame,
            processor_factory=partial(default_processor, pose_model=pose_model),
            recorder=recorder,
            reference_for=store.reference if store is not None else None,
            prescription_for=store.program_item if store is not None else None,
            max_active=max_active,
            retain_s=retain_s,
            limits=live_limits,
            caps=caps,
            allow_seed=allow_seed,
        )
    list_all = exercise_list or _default_exercise_list
    relay = None
    if redis_url:  # a cluster: followers on other instances, sessions on other instances
        from coach.store.cluster import cluster_name
        from web.live_relay import LiveRelay

        data = store.engine.url if store is not None else None  # the cluster's name comes from it
        relay = LiveRelay(redis_url, registry, cluster=cluster_name(data))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if store is not None and not redis_url:
            # Left "recording" by a crash: their reps are kept. Not in a cluster: the other
            # servers' live sessions and the workers' jobs are not this server's to end.
            store.mark_interrupted()
        if jobs is not None:
            from web.uploads import upload_total_timeout_s

            # Videos of jobs a crash interrupted, partial uploads (in a cluster only stale ones:
            # another server may be receiving one into the shared folder).
            jobs.clean_up_orphans(upload_total_timeout_s() if redis_url else 0.0)
        registry.warm_up()
        if relay is not None:
            await relay.start()
        yield
        if relay is not None:
            await relay.close()
        await registry.close_all()
        if caps is not None:
            caps.close()
        if jobs is not None:
            jobs.close()
        if registry.recorder is not None:
            registry.recorder.close()

    docs = security.openapi_enabled()  # off unless COACH_OPENAPI=1
    app = FastAPI(
        title="Coach",
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
        lifespan=lifespan,
    )
    security.protect(app)  # same-origin writes and security headers on every HTTP request
    app.state.registry = registry
    app.state.store = store
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    mount_vendor(app)  # /vendor/mediapipe-pose/: the pose web build, when fetched
    mount_demos(app)  # /api/exercises/{id}/demo: the stick-figure demonstrations

    @app.exception_handler(access.NotSignedIn)
    async def not_signed_in(request: Request, _exc: access.NotSignedIn) -> Response:
        if request.url.path.startswith("/api/") or request.url.path.endswith((".json", ".csv")):
            return JSONResponse({"detail": "Sign in first."}, status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={target}", status_code=303)

    def may_see(conn: Request | WebSocket, session: Any) -> bool:
        """Anonymous try-out sessions are reachable by their unguessable id; a patient's
        session only by that patient and their therapist."""
        if session.patient_id is None:
            return True
        who = access.identity_of(store, conn)
        return store is not None and store.patient_visible_to(who, session.patient_id) is not None

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
        health = {"ok": True, "sessions": len(registry), "active": registry.active_count()}
        return health | live_relay.health(relay)  # a cluster: the relay's link to Redis

    @app.get("/api/exercises")
    async def exercises() -> list[dict[str, Any]]:
        return [exercise_info(e) for e in list_all()]

    @app.get("/api/exercises/{exercise_id}")
    async def exercise(exercise_id: str) -> dict[str, Any]:
        try:
            return exercise_info(registry.load_exercise(exercise_id))
        except SessionError as exc:
            raise HTTPException(404, exc.message) from None

    def live_session(request: Request, session_id: str) -> Any:
        session = registry.get(session_id)
        if session is None or not may_see(request, session):
            raise HTTPException(404, "No such session (never started, or expired).")
        return session

    @app.get("/api/sessions/{session_id}")
    def session_summary(request: Request, session_id: str) -> dict[str, Any]:
        return live_session(request, session_id).summary()

    @app.get("/api/sessions/{session_id}/events")
    def session_events(request: Request, session_id: str) -> list[dict[str, Any]]:
        return list(live_session(request, session_id).events)

    @app.websocket("/ws/live")
    async def live(ws: WebSocket) -> None:
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

    @app.websocket("/ws/follow/{session_id}")
    async def follow_ws(ws: WebSocket, session_id: str) -> None:
        if (
            relay is not None
            and registry.get(session_id) is None
            and SESSION_ID_RE.match(session_id)
        ):
            # A cluster: the session may run on another instance (web/live_relay.py).
            if await refuse_cross_origin(ws, registry.limits):
                return
            await ws.accept()
            await relay.follow(ws, session_id, lambda s: may_see(ws, s))
            return
        await follower_socket(ws, registry, session_id, may_follow=lambda s: may_see(ws, s))

    if store is not None and jobs is not None:
        from web.routes import auth, patient, protocols, ratings, sessions, therapist, uploads
        from web.routes.pages import review_templates

        # The routers' dependencies (web/routes/deps.py) read these.
        app.state.jobs = jobs
        app.state.login_limiter = access.LoginLimiter()
        if redis_url:  # a cluster: the counts are shared by every instance
            from coach.store.cluster import redis_client
            from web.shared_limits import RedisLoginLimiter

            app.state.login_limiter = RedisLoginLimiter(redis_client(redis_url))
        app.state.templates = review_templates()
        for area in (auth, therapist, patient, protocols, sessions, uploads, ratings):
            app.include_router(area.router)
    return app
