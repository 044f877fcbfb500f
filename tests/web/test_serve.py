"""`coach serve`: the real command starts, serves the page and a live session, and stops."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from web.server import serve

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_busy_port_is_one_clear_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert serve("127.0.0.1", port) == 1
    err = capsys.readouterr().err
    assert f"127.0.0.1:{port}" in err and "--port" in err


@pytest.mark.slow
def test_coach_serve_runs_live_sessions_in_worker_processes(
    squat_jpegs: tuple[list[bytes], float],
) -> None:
    frames, _ = squat_jpegs
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "coach.cli", "serve", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in banner
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, "server did not start"
            time.sleep(0.1)
        assert 'id="rep-count"' in httpx.get(f"{base}/").text
        assert 'id="message-form"' in httpx.get(f"{base}/follow/AbCdEfGh12").text
        assert httpx.get(f"{base}/static/patient.js").status_code == 200
        with connect(f"ws://127.0.0.1:{port}/ws/live?exercise=squat", open_timeout=30) as ws:
            hello: dict[str, Any] = json.loads(ws.recv(timeout=30))
            assert hello["type"] == "session"
            ws.send(frames[0])
            reply = json.loads(ws.recv(timeout=30))
            assert reply["type"] == "frame" and len(reply["landmarks"]) == 33
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    assert proc.returncode == 0
    assert "cannot start" not in err  # worker processes started under the real entry point
