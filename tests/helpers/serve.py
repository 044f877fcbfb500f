"""A real `coach serve` process, started and stopped as a user would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

import httpx

from tests.helpers.data import REPO
from tests.machine import scaled


def coach_serve(
    *args: str, env: dict[str, str] | None = None, **popen: Any
) -> subprocess.Popen[str]:
    """A real `coach serve` process (output discarded unless `stdout`/`stderr` are given)."""
    popen.setdefault("stdout", subprocess.DEVNULL)
    popen.setdefault("stderr", subprocess.DEVNULL)
    return subprocess.Popen(
        [sys.executable, "-m", "coach.cli", "serve", *args],
        cwd=REPO,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        text=True,
        **popen,
    )


def stop_coach_serve(proc: subprocess.Popen[Any]) -> None:
    """Ctrl+C, as a user stops it; killed if it does not stop within 20 s."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_until_healthy(base: str, proc: subprocess.Popen[Any], timeout: float = 30) -> None:
    """Wait for `coach serve` to answer; `timeout` is for the quiet machine (scaled)."""
    deadline = time.monotonic() + scaled(timeout)
    while True:
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline and proc.poll() is None, "server did not start"
        time.sleep(0.1)
