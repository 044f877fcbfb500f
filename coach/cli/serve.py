"""`coach serve`: start the web app.

The one deliberate upward import of the project (coach < web): the command line is where a
user asks for the server, so this module reaches up to `web.server`. Nothing else in coach/
imports web/ (checked by the import contracts in pyproject.toml).

The live limits (coach.live.limits.LiveLimits; docs/SECURITY.md) that a deployment may need to
change have a flag each, with an environment variable as the default (for containers and
service files); a bad value of either is refused with one line before anything starts.
"""

from __future__ import annotations

import argparse
import math
import os
from dataclasses import dataclass
from typing import Any

from coach.cli.common import add_model_option, model_estimator, positive_int
from coach.errors import EXIT_OK, UsageError
from coach.live.limits import LiveLimits

MAX_ACTIVE = 4  # server-mode live sessions: each runs a pose model on about one CPU core


def positive_seconds(text: str) -> float:
    """argparse type: a finite number of seconds above 0."""
    try:
        value = float(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, got {text!r}")
    return value


@dataclass(frozen=True)
class LiveOption:
    flag: str
    env: str
    field: str  # LiveLimits field, or "max_active" (a SessionRegistry argument)
    type: Any
    help: str

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


LIVE_OPTIONS = (
    LiveOption(
        "--max-live",
        "COACH_MAX_LIVE",
        "max_active",
        positive_int,
        "live sessions whose pose model runs on this server, each on about one CPU core "
        f"(default {MAX_ACTIVE}; beyond: 'busy, try again')",
    ),
    LiveOption(
        "--max-device",
        "COACH_MAX_DEVICE",
        "max_device",
        positive_int,
        "live sessions whose pose model runs in the patient's browser "
        f"(default {LiveLimits.max_device})",
    ),
    LiveOption(
        "--max-per-address",
        "COACH_MAX_PER_ADDRESS",
        "max_per_address",
        positive_int,
        "live sessions from one client address at a time; raise it when patients share a "
        f"clinic's network (default {LiveLimits.max_per_address})",
    ),
    LiveOption(
        "--max-followers-per-address",
        "COACH_MAX_FOLLOWERS_PER_ADDRESS",
        "max_followers_per_address",
        positive_int,
        "sockets following live sessions from one client address at a time; raise it when "
        f"therapists share a clinic's network (default {LiveLimits.max_followers_per_address})",
    ),
    LiveOption(
        "--follower-idle-timeout",
        "COACH_FOLLOWER_IDLE_TIMEOUT_S",
        "follower_idle_timeout_s",
        positive_seconds,
        "seconds a follower's socket may send nothing (the follow page pings every 25 s) "
        f"before it is closed (default {LiveLimits.follower_idle_timeout_s:g})",
    ),
    LiveOption(
        "--first-frame-timeout",
        "COACH_FIRST_FRAME_TIMEOUT_S",
        "first_frame_timeout_s",
        positive_seconds,
        "seconds a patient's page may stay connected before its first camera frame "
        f"(default {LiveLimits.first_frame_timeout_s:g})",
    ),
    LiveOption(
        "--idle-timeout",
        "COACH_IDLE_TIMEOUT_S",
        "idle_timeout_s",
        positive_seconds,
        "seconds without a camera frame before a live session is paused "
        f"(default {LiveLimits.idle_timeout_s:g})",
    ),
)


def live_settings(args: argparse.Namespace) -> tuple[int, LiveLimits]:
    """`max_active` and the LiveLimits from the flags, else their environment variables, else
    the defaults. A bad environment value is a UsageError naming the variable."""
    values: dict[str, Any] = {}
    for option in LIVE_OPTIONS:
        value = getattr(args, option.dest, None)
        raw = os.environ.get(option.env, "").strip()
        if value is None and raw:
            try:
                value = option.type(raw)
            except argparse.ArgumentTypeError as exc:
                raise UsageError(f"{option.env}={raw}: {exc}") from None
        if value is not None:
            values[option.field] = value
    max_active = values.pop("max_active", MAX_ACTIVE)
    return max_active, LiveLimits(**values)


def _check_retention() -> None:
    """A retention setting that is not a number of days: one line, before the server starts
    (the server applies it hourly, coach/store/retention.py)."""
    from coach.store.retention import RetentionError, RetentionPolicy

    try:
        RetentionPolicy.from_env()
    except RetentionError as exc:
        raise UsageError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    from web.server import serve  # imported here: the other commands never load the web app

    if args.keyfile and not args.certfile:
        raise UsageError("--keyfile goes with --certfile")
    if args.https and args.certfile:
        raise UsageError("--https makes its own certificate; leave out --certfile or --https")
    max_active, limits = live_settings(args)
    _check_retention()
    model_estimator(args.model)  # a model that is not installed: one line, before the server
    status = serve(
        host=args.host,
        port=args.port,
        database_url=args.database_url,
        certfile=args.certfile,
        keyfile=args.keyfile,
        self_signed=args.https,
        max_active=max_active,
        live_limits=limits,
        pose_model=args.model,
        redis_url=args.redis_url,
        public_url=args.public_url,
        workers=_workers(args),
    )
    return status or EXIT_OK


def _workers(args: argparse.Namespace) -> int:
    """--workers, else COACH_WORKERS, else 1 (a bad value: a UsageError naming it)."""
    if args.workers is not None:
        return int(args.workers)
    raw = os.environ.get("COACH_WORKERS", "").strip()
    if not raw:
        return 1
    try:
        return positive_int(raw)
    except argparse.ArgumentTypeError as exc:
        raise UsageError(f"COACH_WORKERS={raw}: {exc}") from None


def add_parser(sub: Any) -> None:
    s = sub.add_parser(
        "serve",
        help="start the live coaching web app",
        epilog="Each live-session limit may also come from the environment variable in its "
        "brackets (the flag wins). See docs/SECURITY.md.",
    )
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        help="server processes behind the port, about one a CPU core for many on-device live "
        "sessions (default: COACH_WORKERS, else 1; plain http only; docs/DEPLOY.md)",
    )
    s.add_argument(
        "--database-url",
        help="SQLAlchemy URL of the store (default: COACH_DATABASE_URL, else the SQLite file "
        "coach.db in COACH_DATA_DIR or ~/.local/share/coach)",
    )
    s.add_argument(
        "--redis-url",
        help="Redis of a cluster of servers (default: COACH_REDIS_URL; none: one machine): "
        "uploads are analysed by `coach worker` processes, see docs/DEPLOY.md",
    )
    s.add_argument(
        "--public-url",
        metavar="URL",
        help="the address patients reach this server at, e.g. https://coach.example.org, for "
        "the QR codes, handouts, calendar feeds and reminders (default: COACH_PUBLIC_URL; "
        "none: the address the therapist's browser uses)",
    )
    s.add_argument(
        "--https",
        action="store_true",
        help="serve over https with a self-signed certificate, made once and kept in the data "
        "directory (for a clinic's LAN: a patient's browser allows the camera only over https)",
    )
    s.add_argument("--certfile", metavar="CERT.pem", help="serve over https with this certificate")
    s.add_argument("--keyfile", metavar="KEY.pem", help="its private key (if not in --certfile)")
    add_model_option(s)  # for uploads and server-mode live sessions
    live = s.add_argument_group("live sessions")
    for option in LIVE_OPTIONS:
        metavar = "N" if option.type is positive_int else "SECONDS"
        live.add_argument(
            option.flag, type=option.type, metavar=metavar, help=f"{option.help} [{option.env}]"
        )
    s.set_defaults(func=run)
