"""A real cluster on this machine: one PostgreSQL, one Redis (tests/servers.py), `coach serve`
instances and `coach worker` processes, each a real process started as a user would, with a
shared upload folder; everything is stopped after."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from coach.store import open_store
from coach.store.store import Store
from tests.servers import free_port, fresh_database, postgres_server, redis_server

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


class Cluster:
    """Processes sharing one database, one Redis and one upload folder."""

    def __init__(self, root: Path, database_url: str, redis_url: str) -> None:
        self.root = root
        self.database_url = database_url
        self.redis_url = redis_url
        self.store: Store = open_store(database_url)
        self.procs: list[subprocess.Popen[bytes]] = []
        self.env = {
            **os.environ,
            "COACH_DATABASE_URL": database_url,
            "COACH_REDIS_URL": redis_url,
            "COACH_DATA_DIR": str(root / "data"),
            "COACH_UPLOAD_DIR": str(root / "shared" / "uploads"),
            "COACH_VIDEO_DIR": str(root / "shared" / "videos"),
            "COACH_WORKER_LEASE_S": "3",
            "PYTHONUNBUFFERED": "1",
        }

    def _start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.root / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(
            [sys.executable, "-m", "coach.cli", *args],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.procs.append(proc)
        return proc

    def serve(self, name: str) -> str:
        """A `coach serve` instance; returns its URL once it answers."""
        port = free_port()
        proc = self._start(name, "serve", "--host", "127.0.0.1", "--port", str(port))
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited: {self.log(name)}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    return url
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{name} did not start: {self.log(name)}")

    def worker(self, name: str) -> subprocess.Popen[bytes]:
        return self._start(name, "worker")

    def log(self, name: str) -> str:
        path = self.root / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    @contextmanager
    def signed_in(self, url: str, username: str) -> Iterator[httpx.Client]:
        with httpx.Client(base_url=url, timeout=60, follow_redirects=False) as c:
            r = c.post("/login", data={"username": username, "password": PASSWORD})
            assert r.status_code == 303, r.text
            yield c

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.store.close()


@pytest.fixture()
def cluster(tmp_path: Path, postgres_url: str, redis_url: str) -> Iterator[Cluster]:
    """A fresh database and an empty Redis for each test; start the processes it needs."""
    from coach.store.cluster import redis_client

    redis_client(redis_url).flushdb()
    c = Cluster(tmp_path, fresh_database(postgres_url), redis_url)
    try:
        yield c
    finally:
        c.stop()
