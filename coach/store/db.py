"""Where the database lives, how to connect, and bringing its schema up to date.

Default: an SQLite file `coach.db` in the data directory (`COACH_DATA_DIR`, else
`$XDG_DATA_HOME/coach`, else `~/.local/share/coach`). `COACH_DATABASE_URL` (any SQLAlchemy
URL, e.g. `postgresql+psycopg://user:pw@host/coach`) replaces it; the code is the same.
The schema is managed by Alembic migrations shipped in the package (`migrate`), one process
at a time. A URL is printed or logged only through `shown_url`, without its password.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The PostgreSQL advisory lock that lets one process at a time migrate a database (advisory
# locks are per database): any fixed 64-bit number, the same in every Coach.
MIGRATION_LOCK_ID = 0x636F_6163_686D_6967  # "coachmig"


class StoreError(Exception):
    """The database can't be opened or brought up to date (the message says why)."""


def data_dir() -> Path:
    """The directory for the database, uploads and kept videos."""
    env = os.environ.get("COACH_DATA_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "coach"


def database_url() -> str:
    url = os.environ.get("COACH_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{data_dir() / 'coach.db'}"


def shown_url(url: str | URL) -> str:
    """`url` fit to print or log: the password, if any, as `***`."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy reads: all from `user:` to the last @ goes
        return re.sub(r"(://[^/@:]*:).*@", r"\1***@", str(url))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL: readers don't block the writer; synchronous=NORMAL is durable across a killed
    # process (only a power loss may drop the last commits); foreign keys are off by default;
    # secure_delete: deleted rows are overwritten with zeros, so an erased patient's name or a
    # retention's frames do not stay readable in the file's free space (coach/store/erasure.py).
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA secure_delete=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def create_db_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise StoreError(f"not a database URL: {shown_url(url)!r} ({exc})") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return create_engine(url, pool_pre_ping=True)
    except Exception as exc:  # e.g. the driver for that URL is not installed
        raise StoreError(f"can't use database {shown_url(parsed)}: {exc}") from None


def _alembic_config(engine: Engine | None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Apply every migration not yet applied (idempotent; safe at each start-up, and when
    several processes start together on a new database: they take turns, `_one_at_a_time`)."""
    from alembic import command

    try:
        with _one_at_a_time(engine):
            command.upgrade(_alembic_config(engine), "head")
    except Exception as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if engine.url.password:
            reason = reason.replace(str(engine.url.password), "***")
        raise StoreError(f"can't bring the database schema up to date: {reason}") from exc


@contextlib.contextmanager
def _one_at_a_time(engine: Engine) -> Iterator[None]:
    """Hold the database's migration lock: the others wait, then find the schema up to date.
    Without it, servers and workers starting together on a new database each create the same
    tables and all but one fail. PostgreSQL: an advisory lock on a connection of its own,
    closed after the upgrade (the lock ends with it, or with the process). An SQLite file: an
    exclusive `flock` on a file beside it (`coach.db-migrate.lock`; none without `fcntl`)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID})
            conn.commit()
            try:
                yield
            finally:
                conn.invalidate()  # closed, not pooled: its session, and so the lock, ends
        return
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    path = Path(database).expanduser()
    with open(path.with_name(path.name + "-migrate.lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed (or the process dies)
        yield


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    """The newest migration: what `migrate` brings a database to."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config(None)).get_current_head()
    assert head is not None
    return head


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
