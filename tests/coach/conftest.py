"""Stores for the coach tests: a fresh SQLite store, and the backend-neutral `any_store`.

The store must work the same on PostgreSQL (`COACH_DATABASE_URL`) as on SQLite, so the
backend-neutral tests run on both: on a migrated SQLite copy, then on a migrated database of
the session's private PostgreSQL server (tests/servers.py; never the machine's own).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from coach.store import open_store
from coach.store.store import Store
from tests.helpers.store import migrated_sqlite
from tests.servers import migrated_database


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    """A store on a fresh SQLite file with the current schema."""
    s = open_store(migrated_sqlite(tmp_path / "coach.db"))
    yield s
    s.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The store on a fresh SQLite file, then on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        url = migrated_sqlite(tmp_path / "coach.db")
    else:
        url = migrated_database(request.getfixturevalue("postgres_url"))
    store = open_store(url)
    yield store
    store.close()
