"""Nothing a patient did is lost: kill the server mid-set, restart it, the completed reps are
there. A real `coach serve` process (killed with SIGKILL, workers and all), a real SQLite file,
the patient signed in by their personal link and streaming a real clip over the WebSocket.
"""

from __future__ import annotations

import csv
import io
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
from websockets.sync.client import connect

from coach.store import open_store
from tests.machine import scaled
from tests.servers import free_port
from tests.web.sockets import recv_type, send_frame

PASSWORD = "correct horse battery"


@contextmanager
def coach_serve(url: str, data_dir: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "COACH_DATA_DIR": str(data_dir)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "coach.cli", "serve", "--port", str(port), "--database-url", url],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: the kill takes the workers too
    )
    try:
        deadline = time.monotonic() + scaled(60)  # a loaded machine starts slowly
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"coach serve did not start: {proc.stderr.read().decode()}")
            time.sleep(0.2)
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(20)


@pytest.mark.subprocess
@pytest.mark.server
@pytest.mark.model
def test_killing_the_server_mid_set_keeps_the_completed_reps(
    tmp_path: Path, squat_jpegs: tuple[list[bytes], float]
) -> None:
    frames, fps = squat_jpegs
    url = f"sqlite:///{tmp_path / 'coach.db'}"
    store = open_store(url)
    ther = store.create_user("ther.crash", "Dr Crash", PASSWORD)
    patient = store.create_patient(ther.id, "Dana Crash")
    _, link = store.create_link(patient.id)
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    with coach_serve(url, tmp_path, port) as server:
        with httpx.Client(base_url=base, timeout=30) as c:
            assert c.get(f"/p/{link}").headers["location"] == "/consent"  # its first opening
            cookie = c.cookies["coach_session"]
        with connect(
            f"ws://127.0.0.1:{port}/ws/live?exercise=squat",
            additional_headers={"Cookie": f"coach_session={cookie}"},
            max_size=None,
            open_timeout=30,
        ) as ws:
            session_id = recv_type(ws, "session", timeout=60)["session_id"]
            first_rep_at = None
            stream = [frames[0]] * 30 + frames
            for i, frame in enumerate(stream):
                reply = send_frame(ws, frame)
                if reply.get("rep_count") == 1 and first_rep_at is None:
                    first_rep_at = i
                if first_rep_at is not None and i >= first_rep_at + int(fps):
                    break  # one second into the second squat: mid-set
            assert first_rep_at is not None, "the first squat was not counted"
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)

    stored = store.session(session_id)
    assert stored is not None and stored.patient_id == patient.id
    assert [r.index for r in stored.reps] == [1]
    assert stored.reps[0].rom_deg and stored.reps[0].rom_deg > 40
    assert stored.status == "recording"  # nobody got to say it ended

    with coach_serve(url, tmp_path, port), httpx.Client(base_url=base, timeout=30) as c:
        r = c.post("/login", data={"username": "ther.crash", "password": PASSWORD})
        assert r.status_code in (200, 303)
        data = c.get(f"/sessions/{session_id}/session.json").json()
        assert data["status"] == "interrupted" and data["rep_count"] == 1
        rows = list(csv.reader(io.StringIO(c.get(f"/sessions/{session_id}/frames.csv").text)))
        assert len(rows) > 60  # the frames up to about the last second were kept too
        assert "Dana Crash" in c.get(f"/patients/{patient.id}").text
    store.close()
