"""A throwaway PostgreSQL server for the store tests (tests/servers.py starts it).

The store must work the same on PostgreSQL (`COACH_DATABASE_URL`) as on SQLite, so the
backend-neutral tests run on both. The server is a private one in a temporary folder on its own
port (never the machine's own; tests/servers.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from coach.store import open_store
from coach.store.store import Store
from tests.servers import fresh_database, postgres_server


@pytest.fixture(scope="session")
def postgres_base_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The store on a fresh SQLite file, then on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'coach.db'}"
    else:
        url = fresh_database(request.getfixturevalue("postgres_base_url"))
    store = open_store(url)
    yield store
    store.close()


def database_at(tmp_path: Path, revision: str) -> tuple[str, Engine]:
    """A SQLite database migrated only up to `revision`: one made by an older Coach, for the
    migration tests (its URL and engine)."""
    from alembic import command

    from coach.store.db import _alembic_config, create_db_engine

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_db_engine(url)
    command.upgrade(_alembic_config(engine), revision)
    return url, engine
