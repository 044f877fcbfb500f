"""Real PostgreSQL and Redis servers for the tests, from Debian's packages (`./run test`
installs them): each a private server on its own port in a temporary folder, stopped after.

Without the binaries the tests that need them are skipped, saying so; on CI (CI=true) that
is a failure, never a silent skip. `COACH_TEST_POSTGRES_URL` / `COACH_TEST_REDIS_URL` point
at other servers instead.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.lanes import check


def _missing(what: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {what} (./run test installs it)")
    pytest.skip(f"{what}: install it (./run test does) to run these tests")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _run_pg(*cmd: str) -> None:
    """As the `postgres` user when root (PostgreSQL refuses to run as root)."""
    argv = ["su", "postgres", "-c", shlex.join(cmd)] if os.geteuid() == 0 else list(cmd)
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@contextmanager
def postgres_server() -> Iterator[str]:
    """A private PostgreSQL on a loopback port; yields its SQLAlchemy URL (database postgres)."""
    check("postgres", "started PostgreSQL")
    env = os.environ.get("COACH_TEST_POSTGRES_URL")
    if env:
        yield env
        return
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _missing("the psycopg driver is not installed")
    bindir = pg_bin()
    if bindir is None:
        _missing("PostgreSQL is not installed (/usr/lib/postgresql/*/bin)")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            _missing("there is no postgres user to run PostgreSQL as")
    root = Path(tempfile.mkdtemp(prefix="coach-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    data = root / "data"
    port = free_port()
    _run_pg(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres")
    _run_pg(
        str(bindir / "pg_ctl"),
        *("-D", str(data), "-o", f"-k {root} -p {port} -h 127.0.0.1 -c max_connections=200"),
        *("-l", str(root / "log"), "-w", "start"),
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        _run_pg(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


def fresh_database(base_url: str, template: str | None = None) -> str:
    """A new database on the server at `base_url`, empty or a copy of `template`; its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"coach_test_{secrets.token_hex(4)}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        )
    admin.dispose()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


class RedisProcess:
    """A private redis-server on a loopback port, nothing saved to disk, that a test may stop
    and start again on the same port (a Redis restart under a running cluster)."""

    def __init__(self, binary: str, root: Path) -> None:
        self.binary = binary
        self.root = root
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.root)]
            + ["--save", "", "--appendonly", "no", "--logfile", str(self.root / "log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self._answers():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"redis-server did not start (see {self.root / 'log'})")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@contextmanager
def redis_process() -> Iterator[RedisProcess]:
    """A private Redis this test owns (never `COACH_TEST_REDIS_URL`'s: it may be restarted)."""
    binary = shutil.which("redis-server")
    if binary is None:
        _missing("redis-server is not installed")
    server = RedisProcess(binary, Path(tempfile.mkdtemp(prefix="coach-redis-")))
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


_templates: dict[str, str] = {}


def migrated_database(base_url: str) -> str:
    """A new database with the current schema: a copy of one migrated once per server
    (`CREATE DATABASE ... TEMPLATE`), not a migration per test."""
    if base_url not in _templates:
        from coach.store.db import create_db_engine, migrate

        url = fresh_database(base_url)
        engine = create_db_engine(url)
        migrate(engine)
        engine.dispose()  # a template must have no open connections
        _templates[base_url] = url.rsplit("/", 1)[1].split("?")[0]
    return fresh_database(base_url, _templates[base_url])


@contextmanager
def redis_server() -> Iterator[str]:
    """A private Redis on a loopback port, nothing saved to disk; yields its URL."""
    check("postgres", "started Redis")
    env = os.environ.get("COACH_TEST_REDIS_URL")
    if env:
        yield env
        return
    with redis_process() as server:
        yield server.url
