"""`coach worker`: analyse uploaded videos from the cluster's task queue, on any machine.

A web server with `COACH_REDIS_URL` set sends each upload to the queue instead of analysing it
itself; a worker analyses as many videos at once as it has processes (`--processes`, default
one per CPU core, each taking the jobs one at a time) and writes the sessions into the shared
database. Stopped with Ctrl+C or SIGTERM: the job under way finishes first (up to
10 s, then it is handed to another worker once this one's lease runs out).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from typing import Any

from coach.cli.common import add_model_option, model_estimator, positive_int
from coach.errors import EXIT_OK, UsageError
from coach.processes import cores

LOG_FORMAT = "coach worker: %(message)s"

SETTINGS = """settings (environment; the flags win):
  COACH_DATABASE_URL    the shared database, e.g. postgresql+psycopg://coach:pw@db/coach
                        (required: a worker on SQLite shares nothing)
  COACH_REDIS_URL       the task queue's Redis broker, e.g. redis://queue:6379/0 (required)
  COACH_UPLOAD_DIR      the folder where web servers leave uploads, shared with every worker
                        (default: uploads/ in COACH_DATA_DIR)
  COACH_VIDEO_DIR       where videos the therapist chose to keep go (default: videos/ in
                        COACH_DATA_DIR); the web servers must see it too
  COACH_WORKER_LEASE_S  seconds without a heartbeat before a worker is taken for dead and its
                        job given to another worker (default 60)
  COACH_RETENTION_DAYS  delete per-frame poses and kept videos after this many days (or per
                        kind: COACH_RETENTION_FRAMES_DAYS, COACH_RETENTION_VIDEOS_DAYS); in a
                        cluster the workers apply it, hourly (`coach admin retention`)
"""


def run(args: argparse.Namespace) -> int:
    from coach.offline.queue import WorkerSettings, job_handler, run_worker, run_workers
    from coach.store import StoreError, open_store
    from coach.store.cluster import redis_url, upload_dir, video_dir
    from coach.store.db import database_url
    from coach.store.retention import PeriodicRetention, RetentionError, RetentionPolicy

    url = redis_url(args.redis_url)
    if not url:
        raise UsageError("coach worker needs the task queue: --redis-url or COACH_REDIS_URL")
    model_estimator(args.model)  # a model that is not installed: one line, before any job
    try:
        retention = RetentionPolicy.from_env()
    except RetentionError as exc:
        raise UsageError(str(exc)) from None
    db_url = args.database_url or database_url()
    if db_url.startswith("sqlite") and not args.database_url:
        print(
            "coach worker: warning: no COACH_DATABASE_URL, using the local SQLite file",
            file=sys.stderr,
        )
    try:
        store = open_store(db_url)
    except StoreError as exc:
        raise UsageError(str(exc)) from None
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    stop = threading.Event()

    def on_signal(_sig: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    processes = args.processes or cores()
    print(
        f"coach worker: taking upload jobs, {processes} at a time (uploads in {upload_dir()})",
        flush=True,
    )
    # The cluster's retention: every worker applies it (idempotent; the web servers don't).
    periodic = None
    if retention.active:
        periodic = PeriodicRetention(store, retention, audit=store.audit).start()
    try:
        if processes > 1:  # spawned children open their own connections
            settings = WorkerSettings(url, db_url, upload_dir(), video_dir(), args.model)
            run_workers(settings, processes, stop, LOG_FORMAT)
        else:
            run_worker(url, job_handler(store, upload_dir(), video_dir(), args.model), stop=stop)
    finally:
        if periodic is not None:
            periodic.stop()
        store.close()
    return EXIT_OK


def add_parser(sub: Any) -> None:
    s = sub.add_parser(
        "worker",
        help="analyse uploaded videos from the cluster's task queue (Redis)",
        description=__doc__.split("\n\n")[1],
        epilog=SETTINGS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("--redis-url", help="the task queue's Redis (default: COACH_REDIS_URL)")
    s.add_argument("--database-url", help="the shared database (default: COACH_DATABASE_URL)")
    add_model_option(s)  # the same as the web servers' `coach serve --model`
    s.add_argument(
        "--processes",
        type=positive_int,
        metavar="N",
        help="videos analysed at once, each in a process of its own (default: one per CPU "
        "core of this machine)",
    )
    s.set_defaults(func=run)
