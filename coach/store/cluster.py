"""Where the state shared between machines lives, when there is more than one.

One machine needs none of this: SQLite in the data directory, uploads analysed in the web
process, limits and live sessions in memory. A cluster sets `COACH_REDIS_URL` (the task
queue's broker, the shared sign-in limits and live-session caps, live events between
instances) and `COACH_UPLOAD_DIR` (a folder every `coach serve` and `coach worker` sees, e.g.
an NFS mount), next to `COACH_DATABASE_URL` (db.py).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from coach.store.db import data_dir


def redis_url(given: str | None = None) -> str | None:
    """`--redis-url`, else `COACH_REDIS_URL`, else None (one machine: nothing shared)."""
    return given or os.environ.get("COACH_REDIS_URL") or None


def upload_dir() -> Path:
    """Where received uploads wait for their analysis: `COACH_UPLOAD_DIR`, else `uploads/` in
    the data directory. With workers on other machines it must be a shared folder."""
    env = os.environ.get("COACH_UPLOAD_DIR")
    return Path(env).expanduser() if env else data_dir() / "uploads"


def video_dir() -> Path:
    """Where kept videos go after analysis: `COACH_VIDEO_DIR`, else `videos/` in the data
    directory (shared too when workers run elsewhere: the review page plays them)."""
    env = os.environ.get("COACH_VIDEO_DIR")
    return Path(env).expanduser() if env else data_dir() / "videos"


def require(module: str) -> Any:
    """Import a package of the `cluster` extra, or say in one line how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:  # pragma: no cover - depends on the install
        raise RuntimeError(
            f"COACH_REDIS_URL is set but {module.split('.')[0]} is not installed: "
            "pip install 'coach-rehab[cluster]'"
        ) from None


def redis_client(url: str) -> Any:
    """A synchronous redis-py client."""
    return require("redis").Redis.from_url(url)
