"""The FastAPI app: its parts, its routers, its middleware, and their start and stop.

Pages are plain HTML files with JavaScript modules (no build step, no CDN: the app must work
offline on a patient's laptop). The live side (web/routes/live.py) is always served; the
stored side (the other routers of web/routes/) with a store. Sessions live in a
`coach.live.SessionRegistry`, created here unless one is passed in (tests and `coach serve`
may configure it).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from coach.live import LiveLimits, Recorder, SessionRegistry, default_processor
from coach.store import Store
from web import access, i18n, security
from web.audit import note_of
from web.body_limits import BodyLimits
from web.demos import mount_demos
from web.frames import decode_frame
from web.routes import live, site
from web.vendor import mount_vendor

if TYPE_CHECKING:
    from coach.live.caps import LiveCaps
    from coach.store.retention import PeriodicRetention
    from web.live_relay import LiveRelay
    from web.machine import MachineLink, WorkerPlace
    from web.reminders import ReminderLoop
    from web.uploads.jobs import AnalysisJobs

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"


def _default_exercise_list() -> Iterable[Any]:
    """The picker's list: the exercises and the hand-eye targets tasks (both start live)."""
    from exercises import list_exercises, list_tasks

    return [*list_exercises(), *list_tasks()]


@dataclass
class _Parts:
    """What one app holds, made once by `create_app` and closed by its lifespan."""

    registry: SessionRegistry
    store: Store | None
    jobs: AnalysisJobs | None
    caps: LiveCaps | None
    relay: LiveRelay | None
    redis_url: str | None
    retention: PeriodicRetention | None = None  # one machine's; a cluster's workers apply it
    sweeper: asyncio.Task[None] | None = None
    reminders: ReminderLoop | None = None  # e-mail reminders, with an SMTP server
    worker: WorkerPlace | None = None  # one of the worker processes of `coach serve --workers`
    machine: MachineLink | None = None  # their supervisor's shared limits (web/machine.py)


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
    public_url: str | None = None,
    worker: WorkerPlace | None = None,
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
    `&seed=N` (coach.live.registry.SessionRegistry).

    `public_url` (default `COACH_PUBLIC_URL`) is the address patients reach the server at,
    used in QR codes, handouts, the calendar feed and reminders (web/public_url.py).

    `worker` (`web.machine.WorkerPlace`) makes this app one of the worker processes of
    `coach serve --workers N` (web/workers.py): its new live sessions get ids that route to
    it (web/routing.py), its start-up leaves the store to the supervisor, and its limits are
    counted with the other workers' (web/machine.py; with Redis, as for a cluster)."""
    recorder = recorder or _store_recorder(store)
    jobs = _analysis_jobs(store, redis_url, pose_model, worker)
    machine = worker.link() if worker is not None else None
    caps = _live_caps(redis_url, machine)
    if registry is None:
        registry = _new_registry(
            store, recorder, pose_model, max_active, retain_s, live_limits, caps, allow_seed
        )
    _join_workers(registry, worker, machine, caps)
    parts = _Parts(registry, store, jobs, caps, _relay(redis_url, registry, store), redis_url)
    parts.worker, parts.machine = worker, machine
    # Retention once per machine: by the first worker of several.
    parts.retention = _retention(store, redis_url) if worker is None or worker.index == 0 else None
    parts.reminders = _reminders(store, public_url)
    app = _new_app(parts)
    app.state.exercise_list = exercise_list or _default_exercise_list
    app.state.public_url = public_url
    app.state.worker = worker
    _add_live_side(app, parts)
    if store is not None and jobs is not None:
        _add_stored_side(app, jobs, redis_url, machine)
    return app


# ---- the parts -----------------------------------------------------------------------------
def _new_registry(
    store: Store | None,
    recorder: Recorder | None,
    pose_model: str,
    max_active: int,
    retain_s: float,
    live_limits: LiveLimits | None,
    caps: LiveCaps | None,
    allow_seed: bool,
) -> SessionRegistry:
    """The live sessions with the real pipeline, recording into `recorder`."""
    return SessionRegistry(
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


def _join_workers(
    registry: SessionRegistry,
    worker: WorkerPlace | None,
    machine: MachineLink | None,
    caps: LiveCaps | None,
) -> None:
    """One of several worker processes (web/workers.py): new session ids that route to this
    one (web/routing.py), the follower sockets (and without Redis the live sessions) counted
    with the other workers' (web/machine.py)."""
    if worker is None:
        return
    handoff = worker.handoff()
    registry.own_id = handoff.mine
    handoff.count = lambda: sum(1 for v in registry.views())  # for the least busy worker
    if caps is not None and registry.caps is not caps:  # a registry of the caller's
        registry.caps = caps
        caps.watch(registry)
    if machine is not None:
        from web.machine import SharedSlots

        registry.follower_slots = SharedSlots(machine, "follow")


def _store_recorder(store: Store | None) -> Recorder | None:
    """Live sessions recorded into the store, except a patient's who declined or withdrew
    consent (coach/store/consent.py)."""
    if store is None:
        return None
    from coach.store.consent import ConsentingRecorder
    from coach.store.live_recorder import LiveRecorder

    return ConsentingRecorder(LiveRecorder(store.factory), store.may_record)


def _analysis_jobs(
    store: Store | None, redis_url: str | None, pose_model: str, worker: WorkerPlace | None
) -> AnalysisJobs | None:
    """Uploads' analysis (with a store): on a thread here, or on a cluster's task queue. One
    of several workers makes job ids that are its own (its supervisor fails them if it dies)."""
    if store is None:
        return None
    from web.uploads.jobs import AnalysisJobs

    queue = None
    if redis_url:
        from coach.offline.queue import UploadQueue

        queue = UploadQueue(redis_url)
    own_id = worker.handoff().mine if worker is not None else None
    return AnalysisJobs(store, queue=queue, pose_model=pose_model, own_id=own_id)


def _live_caps(redis_url: str | None, machine: MachineLink | None) -> LiveCaps | None:
    """A cluster's live sessions per address, counted over every instance (each worker of
    one is an instance), or over the workers of this machine (None: here only)."""
    if not redis_url:
        if machine is None:
            return None
        from web.machine import SharedCaps

        return SharedCaps(machine)
    from coach.live.caps import RedisLiveCaps
    from coach.store.cluster import redis_client

    return RedisLiveCaps(redis_client(redis_url))


def _relay(
    redis_url: str | None, registry: SessionRegistry, store: Store | None
) -> LiveRelay | None:
    """A cluster's followers on other instances, sessions on other instances; the cluster's
    name (its channels' prefix) comes from the store's database."""
    if not redis_url:
        return None
    from coach.store.cluster import cluster_name
    from web.live_relay import LiveRelay

    data = store.engine.url if store is not None else None
    return LiveRelay(redis_url, registry, cluster=cluster_name(data))


def _retention(store: Store | None, redis_url: str | None) -> PeriodicRetention | None:
    """One machine's retention (COACH_RETENTION_DAYS, coach/store/retention.py), started with
    the app; none without a store or a setting, nor in a cluster (its workers apply it)."""
    from coach.store.retention import PeriodicRetention, RetentionPolicy

    policy = RetentionPolicy.from_env()  # a bad value: RetentionError, before anything runs
    if store is None or redis_url or not policy.active:
        return None
    return PeriodicRetention(store, policy, audit=store.audit)


def _reminders(store: Store | None, public_url: str | None) -> ReminderLoop | None:
    """E-mail reminders (web/reminders.py), when there is a store and COACH_SMTP_HOST."""
    from web.reminders import ReminderLoop

    return ReminderLoop.configured(store, public_url or os.environ.get("COACH_PUBLIC_URL"))


# ---- start and stop ------------------------------------------------------------------------
SWEEP_EVERY_S = 10.0
"""How often sessions past their retention are forgotten (and their followers closed), even
when no request comes to look them up."""


SHARE_EVERY_S = 1.0
"""How often one of several workers shares its live sessions (when they changed: a session
got past its setup; comings and goings are shared at once)."""


async def _sweep(registry: SessionRegistry, worker: WorkerPlace | None) -> None:
    shared, ticks = worker is not None, 0
    every = round(SWEEP_EVERY_S / SHARE_EVERY_S)
    while True:
        await asyncio.sleep(SHARE_EVERY_S if shared else SWEEP_EVERY_S)
        ticks += 1
        try:
            if worker is not None:
                registry.changed()
                worker.handoff().publish()
            if not shared or ticks % every == 0:
                registry.sweep()
        except Exception:  # a fault of ours: logged, and sweeping goes on
            log.exception("sweeping the live sessions failed")


async def _start(parts: _Parts) -> None:
    store, jobs, clustered = parts.store, parts.jobs, bool(parts.redis_url)
    if parts.worker is not None:
        jobs = None  # the supervisor cleaned up before starting its workers (web/workers.py)
    elif store is not None and not clustered:
        # Left "recording" by a crash: their reps are kept. Not in a cluster: the other
        # servers' live sessions and the workers' jobs are not this server's to end.
        store.mark_interrupted()
    if jobs is not None:
        from web.uploads.receiving import upload_total_timeout_s

        # Videos of jobs a crash interrupted, partial uploads (in a cluster only stale ones:
        # another server may be receiving one into the shared folder).
        jobs.clean_up_orphans(upload_total_timeout_s() if clustered else 0.0)
    parts.registry.warm_up()
    parts.sweeper = asyncio.create_task(_sweep(parts.registry, parts.worker))
    if parts.relay is not None:
        await parts.relay.start()
    if parts.retention is not None:
        parts.retention.start()
    if parts.reminders is not None:
        parts.reminders.start()


async def _stop(parts: _Parts) -> None:
    if parts.retention is not None:
        parts.retention.stop()
    if parts.reminders is not None:
        await parts.reminders.stop()
    if parts.sweeper is not None:
        parts.sweeper.cancel()
    if parts.relay is not None:
        await parts.relay.close()
    await parts.registry.close_all()
    if parts.caps is not None:
        parts.caps.close()
    if parts.jobs is not None:
        parts.jobs.close()
    if parts.registry.recorder is not None:
        parts.registry.recorder.close()


def _new_app(parts: _Parts) -> FastAPI:
    """The FastAPI app with its lifespan, API docs only when asked for (COACH_OPENAPI=1)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await _start(parts)
        yield
        await _stop(parts)

    docs = security.openapi_enabled()
    return CoachApp(
        title="Coach",
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
        lifespan=lifespan,
        # Forms parsed by FastAPI: no file parts (uploads stream their own body), at most 50
        # fields of 16 KB each (the body as a whole: web/body_limits.py). The programme form,
        # a row of fields per exercise, reads its form with limits of its own.
        form_limits={"max_files": 0, "max_fields": 50, "max_part_size": 16 * 1024},
    )


class CoachApp(FastAPI):
    """FastAPI with the security headers (web/security.py) around everything, Starlette's own
    answer to an unexpected exception (500) included."""

    def build_middleware_stack(self) -> Any:
        return security.SecurityHeaders(super().build_middleware_stack())


# ---- routers and middleware ----------------------------------------------------------------
async def _not_signed_in(request: Request, _exc: Exception) -> Response:
    """JSON and CSV get 401; a page redirects to /login, then back; a browser signed in by a
    personal link since revoked is told so (/link-ended) rather than shown a sign-in form."""
    note_of(request).status = 401  # an audited route asked by nobody: refused
    if request.url.path.startswith("/api/") or request.url.path.endswith((".json", ".csv")):
        return JSONResponse({"detail": "Sign in first."}, status_code=401)
    store: Store | None = request.app.state.store
    if store is not None and store.ended_by_revocation(request.cookies.get(access.COOKIE)):
        ended = RedirectResponse("/link-ended", status_code=303)
        ended.delete_cookie(access.COOKIE, path="/")
        return ended
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={target}", status_code=303)


def _add_live_side(app: FastAPI, parts: _Parts) -> None:
    """What every app serves: security, static assets, the live pages, API and sockets."""
    app.add_middleware(BodyLimits)  # every body bounded before it is read ...
    security.protect(app)  # ... and, outside, same-origin writes (headers: `CoachApp`)
    # The dependencies (web/routes/deps.py, web/routes/live.py) read these.
    app.state.registry = parts.registry
    app.state.store = parts.store
    app.state.relay = parts.relay
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    mount_vendor(app)  # /vendor/mediapipe-pose/: the pose web build, when fetched
    mount_demos(app)  # /api/exercises/{id}/demo: the stick-figure demonstrations
    app.add_exception_handler(access.NotSignedIn, _not_signed_in)
    app.include_router(live.router)
    app.include_router(site.router)  # /favicon.ico, /link-ended
    app.include_router(i18n.router)  # /i18n/LANG.json: a catalog for the page


def _add_stored_side(
    app: FastAPI, jobs: AnalysisJobs, redis_url: str | None, machine: MachineLink | None
) -> None:
    """With a store: sign-in, review, patient, protocol, session, upload and rating routes."""
    from web.audit import AuditTrail
    from web.form_errors import show_refused_forms
    from web.routes import (
        admin,
        auth,
        between,
        checkins,
        dashboard,
        languages,
        patient,
        protocols,
        ratings,
        records,
        rights,
        second_factor,
        sessions,
        therapist,
        uploads,
        videos,
    )
    from web.routes.pages import review_templates

    # Each audited request's entry (web/audit.py), written as its answer starts.
    app.add_middleware(AuditTrail)
    app.state.jobs = jobs
    app.state.login_limiter = access.LoginLimiter()
    if redis_url:  # a cluster: the counts are shared by every instance
        from coach.store.cluster import redis_client
        from web.shared_limits import RedisLoginLimiter

        app.state.login_limiter = RedisLoginLimiter(redis_client(redis_url))
    app.state.templates = review_templates()
    show_refused_forms(app)  # a refused form post from a browser: a page, not JSON
    if machine is not None:  # worker processes: their dashboards' streams counted together
        from web.machine import SharedLoginLimiter, SharedSlots
        from web.routes.dashboard import StreamSlots

        if not redis_url:  # (else Redis counts the sign-in failures, above)
            app.state.login_limiter = SharedLoginLimiter(machine)
        app.state.live_now_slots = StreamSlots(shared=SharedSlots(machine, "dashboard"))
    areas = (auth, therapist, patient, rights, protocols, sessions, uploads, ratings, records)
    for area in (*areas, checkins):
        app.include_router(area.router)
    for area in (videos, dashboard, between):  # the therapist's week (issue 22)
        app.include_router(area.router)
    for area in (second_factor, admin):  # two-factor sign-in, the audit trail's page
        app.include_router(area.router)
    app.include_router(languages.router)  # the patient's language (issue 23)
