"""Processes starting together on a new database: each brings the schema up to date in turn
(coach.store.db._one_at_a_time), none fails. Real processes running `coach admin migrate`
(`coach.cli.main`), on a real SQLite file and a real PostgreSQL server: forked from one
process that has imported Coach already (multiprocessing's forkserver), so they start within
milliseconds of each other, without a second of imports each. Before the lock, 4 of them at
once failed in 3 of 4 trials (`UniqueViolation ... pg_type_typname_nsp_index`, `table users
already exists`). The command as a user starts it waits for the lock below."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from coach.store.db import MIGRATION_LOCK_ID, create_db_engine, current_revision, head_revision
from tests.servers import fresh_database

pytestmark = pytest.mark.subprocess

REPO = Path(__file__).resolve().parents[3]


def _migrate(url: str, tmp_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "coach.cli", "admin", "migrate"],
        cwd=REPO,
        env={**os.environ, "COACH_DATABASE_URL": url, "COACH_DATA_DIR": str(tmp_path / "data")},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


# Imported once, in the forkserver, before it forks the processes of the test below.
FORKS = multiprocessing.get_context("forkserver")
FORKS.set_forkserver_preload(["coach.cli", "coach.cli.admin", "coach.store.db", "alembic.command"])


def _migrate_in_a_fork(url: str, data_dir: str, output: str) -> None:
    """A forked process's `coach admin migrate`: its exit status, its output to `output`."""
    from coach.cli import main

    os.environ.update(COACH_DATABASE_URL=url, COACH_DATA_DIR=data_dir)
    with open(output, "w") as out, contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            code = main(["admin", "migrate"])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    sys.exit(code)


def _new_database(kind: str, tmp_path: Path, request: pytest.FixtureRequest, n: int) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / f'coach{n}.db'}"
    return fresh_database(request.getfixturevalue("postgres_url"))


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_processes_starting_together_all_bring_a_new_database_up_to_date(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    for trial in range(2):
        url = _new_database(kind, tmp_path, request, trial)
        outs = [tmp_path / f"migrate-{trial}-{n}.out" for n in range(4)]
        procs = [
            FORKS.Process(target=_migrate_in_a_fork, args=(url, str(tmp_path / "data"), str(o)))
            for o in outs
        ]
        for p in procs:
            p.start()
        for p in procs:
            p.join(300)
        assert [p.exitcode for p in procs] == [0] * 4, [o.read_text() for o in outs]
        engine = create_db_engine(url)
        assert current_revision(engine) == head_revision()
        engine.dispose()


def test_a_migration_waits_while_another_holds_the_lock(tmp_path: Path, postgres_url: str) -> None:
    url = fresh_database(postgres_url)
    holder = create_engine(url)
    with holder.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        proc = _migrate(url, tmp_path)
        deadline = time.monotonic() + 120
        while not conn.execute(  # the other process asks for the lock and is kept waiting
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        ).scalar():
            assert proc.poll() is None, proc.communicate()[0]  # it did not wait
            assert time.monotonic() < deadline, "the migration never asked for the lock"
            time.sleep(0.1)
        conn.rollback()
        assert current_revision(holder) is None  # nothing migrated while it waits
        conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK_ID})
        conn.commit()
        out = proc.communicate(timeout=300)[0]
    assert proc.returncode == 0, out
    assert current_revision(holder) == head_revision()
    holder.dispose()
