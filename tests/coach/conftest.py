"""A throwaway PostgreSQL server for the store tests, when this machine has one installed.

The store must work the same on PostgreSQL (`COACH_DATABASE_URL`) as on SQLite, so the
backend-neutral tests run on both. The server is a private cluster in a temporary folder on a
Unix socket (never the machine's own); without PostgreSQL binaries (or root to run them as the
`postgres` user) those runs are skipped, and `COACH_TEST_POSTGRES_URL` can point at another
server instead.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from coach.store import open_store
from coach.store.store import Store

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(*cmd: str) -> None:
    subprocess.run(
        ["su", "postgres", "-c", shlex.join(cmd)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.fixture(scope="session")
def postgres_base_url() -> Iterator[str]:
    env = os.environ.get("COACH_TEST_POSTGRES_URL")
    if env:
        yield env
        return
    try:
        import psycopg  # noqa: F401

        pwd.getpwnam("postgres")
    except (ImportError, KeyError):
        pytest.skip("no psycopg or no postgres user: PostgreSQL runs skipped")
    if not (PG_BIN / "initdb").exists() or os.geteuid() != 0:
        pytest.skip("PostgreSQL binaries not installed (or not root): PostgreSQL runs skipped")
    root = Path(tempfile.mkdtemp(prefix="coach-pg-"))
    shutil.chown(root, "postgres")
    data = root / "data"
    _as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres")
    port = str(50000 + secrets.randbelow(10000))
    _as_postgres(
        str(PG_BIN / "pg_ctl"),
        "-D",
        str(data),
        "-o",
        f"-k {root} -p {port} -h ''",
        "-l",
        str(root / "log"),
        "-w",
        "start",
    )
    try:
        yield f"postgresql+psycopg://postgres@/postgres?host={root}&port={port}"
    finally:
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


def _fresh_database(base_url: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"coach_test_{secrets.token_hex(4)}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The store on a fresh SQLite file, then on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'coach.db'}"
    else:
        url = _fresh_database(request.getfixturevalue("postgres_base_url"))
    store = open_store(url)
    yield store
    store.close()
