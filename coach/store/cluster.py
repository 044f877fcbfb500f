"""Where the state shared between machines lives, when there is more than one.

One machine needs none of this: SQLite in the data directory, uploads analysed in the web
process, limits and live sessions in memory. A cluster sets `COACH_REDIS_URL` (the task
queue's broker, the shared sign-in limits and live-session caps, live events between
instances) and `COACH_UPLOAD_DIR` (a folder every `coach serve` and `coach worker` sees, e.g.
an NFS mount), next to `COACH_DATABASE_URL` (db.py). `COACH_CLUSTER_NAME` keeps its live
channels apart from another cluster's on the same Redis.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url

from coach.store.db import data_dir, database_url


def redis_url(given: str | None = None) -> str | None:
    """`--redis-url`, else `COACH_REDIS_URL`, else None (one machine: nothing shared)."""
    return given or os.environ.get("COACH_REDIS_URL") or None


def cluster_name(database: str | URL | None = None) -> str:
    """The prefix of the cluster's Redis pub/sub channels: Redis keeps keys per database number
    but pub/sub is one for the whole server, so two clusters on one Redis need different names.
    `COACH_CLUSTER_NAME`, else derived from where the data is (`database`, default the
    configured database): a short hash of its kind, host, port and name, neither the user nor
    the password, so that every instance that names the database the same way agrees."""
    given = os.environ.get("COACH_CLUSTER_NAME", "").strip()
    if given:
        return given
    url = make_url(database or database_url())
    where = f"{url.get_backend_name()}://{(url.host or '').lower()}:{url.port or ''}/{url.database}"
    return "coach-" + hashlib.sha256(where.encode()).hexdigest()[:12]


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
            "in Coach's folder, pip install -e '.[cluster]' (docs/DEPLOY.md)"
        ) from None


def redis_client(url: str) -> Any:
    """A synchronous redis-py client."""
    return require("redis").Redis.from_url(url)
