"""Stores for the tests: a migrated SQLite database copied from a template, databases made by
an older Coach, and rows written as a session would."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from coach.store.models import ExerciseSession
from coach.store.store import Store

_template: Path | None = None


def migrated_sqlite(path: Path) -> str:
    """The URL of a SQLite database at `path` with the current schema: a copy of one migrated
    once per test run (copying costs a millisecond; migrating, tens), unless a database is
    already there. `open_store` on it still runs the start-up migration check, as the product
    does."""
    global _template
    if _template is None:
        from coach.store.db import create_db_engine, migrate

        folder = Path(tempfile.mkdtemp(prefix="coach-sqlite-template-"))
        atexit.register(shutil.rmtree, folder, True)
        engine = create_db_engine(f"sqlite:///{folder / 'coach.db'}")
        migrate(engine)
        engine.dispose()  # closes the WAL: everything is in the one file
        _template = folder / "coach.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():  # a database a test made first is kept (open_store migrates it)
        shutil.copyfile(_template, path)
    return f"sqlite:///{path}"


def database_at(tmp_path: Path, revision: str) -> tuple[str, Engine]:
    """A SQLite database migrated only up to `revision`: one made by an older Coach, for the
    migration tests (its URL and engine)."""
    from alembic import command

    from coach.store.db import _alembic_config, create_db_engine

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_db_engine(url)
    command.upgrade(_alembic_config(engine), revision)
    return url, engine


def add_set(store: Store, patient_id: int | None, started: datetime, sid: str) -> str:
    with store.factory() as db, db.begin():
        db.add(
            ExerciseSession(
                id=sid, patient_id=patient_id, exercise_id="squat", source="live",
                status="completed", started_at=started,
            )
        )  # fmt: skip
    return sid
