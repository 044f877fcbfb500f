"""Processes of a real cluster on this machine: `coach serve` instances and `coach worker`
processes sharing one database, one Redis and one upload folder, each started as a user would
(used by tests/cluster and benchmarks/cluster.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

from coach.store import open_store
from coach.store.store import Store
from tests.machine import scaled
from tests.servers import free_port

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


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
        deadline = time.monotonic() + scaled(60)
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

    def worker(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        return self._start(name, "worker", *args)

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


def open_ws(url: str, path: str) -> ClientConnection:
    """A WebSocket to an instance (its http URL) at `path`."""
    return connect(url.replace("http://", "ws://") + path, max_size=None, open_timeout=20)


def next_message(ws: ClientConnection, kind: str, timeout: float = 10.0) -> dict[str, Any]:
    """The next message of type `kind` (others skipped), within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        msg = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if msg["type"] == kind:
            return msg
