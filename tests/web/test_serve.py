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

from tests.helpers.serve import coach_serve, stop_coach_serve, wait_until_healthy
from tests.servers import free_port
from web.server import serve

REPO = Path(__file__).resolve().parents[2]


def test_a_busy_port_is_one_clear_sentence(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Its own data directory: `serve` opens (and migrates) the store before it binds, and the
    # user's default one may hold another schema.
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("COACH_DATABASE_URL", raising=False)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert serve("127.0.0.1", port) == 1
    err = capsys.readouterr().err
    assert f"127.0.0.1:{port}" in err and "--port" in err


@pytest.mark.model
@pytest.mark.subprocess
@pytest.mark.server
def test_coach_serve_runs_live_sessions_in_worker_processes(
    squat_jpegs: tuple[list[bytes], float],
) -> None:
    frames, _ = squat_jpegs
    port = free_port()
    proc = coach_serve("--port", str(port), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in banner
        base = f"http://127.0.0.1:{port}"
        wait_until_healthy(base, proc)
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
    assert "COACH_TEST_FAST_PASSWORD_HASHES=1 hashes passwords" in err  # the suite's, said


@pytest.mark.subprocess
@pytest.mark.parametrize("lines_before", [1, 3], ids=["at-the-banner", "while-uvicorn-starts"])
def test_ctrl_c_while_starting_stops_cleanly(lines_before: int, tmp_path: Path) -> None:
    # Before uvicorn takes the signals, Ctrl+C used to raise KeyboardInterrupt wherever the
    # main thread was: "interrupted" (exit 130), lifespan tracebacks, or a process on
    # PostgreSQL that did not end. Now it is the same clean stop as later on.
    proc = coach_serve(
        "--port",
        str(free_port()),
        env={"COACH_DATA_DIR": str(tmp_path), "COACH_DATABASE_URL": f"sqlite:///{tmp_path}/c.db"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    said = [proc.stdout.readline() for _ in range(lines_before)]  # running at, Data, limits
    assert said[0].startswith("Coach is running"), said
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"coach serve did not stop within 60 s of Ctrl+C: {err[-2000:]}")
    assert proc.returncode == 0, err
    assert out.endswith("Coach stopped.\n"), out
    assert "Traceback" not in err and "Error" not in err, err


def _descendants(pid: int) -> set[int]:
    """Every live process below `pid`, read from /proc (Linux)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z":  # a zombie has exited already
            parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


@pytest.mark.model
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
@pytest.mark.subprocess
@pytest.mark.server
def test_worker_processes_die_with_a_killed_server(
    tmp_path: Path, squat_jpegs: tuple[list[bytes], float]
) -> None:
    """kill -9 of `coach serve` mid-session: its MediaPipe workers (~270 MB each) go too."""
    frames, _ = squat_jpegs
    port = free_port()
    proc = coach_serve("--port", str(port), env={"COACH_DATA_DIR": str(tmp_path)})
    workers: set[int] = set()
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", proc)
        with connect(f"ws://127.0.0.1:{port}/ws/live?exercise=squat", open_timeout=30) as ws:
            assert json.loads(ws.recv(timeout=30))["type"] == "session"
            ws.send(frames[0])
            while json.loads(ws.recv(timeout=60))["type"] != "frame":
                pass  # the session's worker process is running the model now
            workers = _descendants(proc.pid)
            assert workers, "no worker process started"
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
        deadline = time.monotonic() + 5
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in workers if _alive(pid)], "workers outlived the server"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.subprocess
def test_a_worker_whose_parent_is_already_gone_exits_at_once() -> None:
    """The race: the server died before the worker's initializer ran."""
    code = "from coach.live.worker import _die_with_parent; _die_with_parent(1); print('alive')"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1 and "alive" not in done.stdout


def test_bad_live_limits_are_refused_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from coach.cli import main

    for argv, words in [
        (["--max-live", "0"], "--max-live: must be at least 1, got 0"),
        (["--max-per-address", "two"], "--max-per-address: 'two' is not a whole number"),
        (["--idle-timeout", "nan"], "--idle-timeout: must be a number of seconds above 0"),
        (["--first-frame-timeout", "inf"], "--first-frame-timeout: must be a number of seconds"),
        (["--first-frame-timeout", "-5"], "must be a number of seconds above 0"),
    ]:
        with pytest.raises(SystemExit) as exited:
            main(["serve", *argv])
        assert exited.value.code == 2 and words in capsys.readouterr().err, argv


def test_a_bad_live_limit_in_the_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from coach.cli import main

    monkeypatch.setenv("COACH_MAX_DEVICE", "1e3")
    assert main(["serve", "--port", "1"]) == 2
    assert "COACH_MAX_DEVICE=1e3: '1e3' is not a whole number" in capsys.readouterr().err


def _refusal(ws: Any) -> tuple[int | None, str]:
    """(close code, error code) of a socket the server refuses."""
    from tests.web.sockets import close_code, recv_type

    error = recv_type(ws, "error", timeout=30)["code"]
    return close_code(ws, 30), error


@pytest.mark.model
@pytest.mark.subprocess
@pytest.mark.server
def test_coach_serve_applies_the_live_limit_flags(
    tmp_path: Path, squat_jpegs: tuple[list[bytes], float]
) -> None:
    """Real `coach serve --max-live 1 --max-per-address 2 --first-frame-timeout 2`: a second
    server-mode session is busy (4503), a third session from one address is too many (4429),
    a socket without frames is closed after 2 s (4408). The environment sets --max-device."""
    from tests.web.sockets import recv_type, send_frame

    frames, _ = squat_jpegs
    port = free_port()
    args = ["--port", str(port), "--max-live", "1", "--max-per-address", "2"]
    env = {"COACH_DATA_DIR": str(tmp_path), "COACH_MAX_DEVICE": "5"}
    proc = coach_serve(*args, "--first-frame-timeout", "2", env=env)
    live = f"ws://127.0.0.1:{port}/ws/live?exercise=squat"
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", proc)
        with connect(live, open_timeout=30) as first:
            hello = recv_type(first, "session", timeout=30)
            assert hello["limits"]["first_frame_timeout_s"] == 2
            assert send_frame(first, frames[0])["type"] == "frame"
            with connect(live, open_timeout=30) as second:
                assert _refusal(second) == (4503, "server_busy")
            with connect(f"{live}&pose=device", open_timeout=30) as device:
                recv_type(device, "session", timeout=30)
                opened = time.monotonic()
                with connect(f"{live}&pose=device", open_timeout=30) as third:
                    assert _refusal(third) == (4429, "too_many")
                assert _refusal(device) == (4408, "no_frames")  # it never sent a frame
                assert 1.5 < time.monotonic() - opened < 10
    finally:
        stop_coach_serve(proc)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
@pytest.mark.subprocess
def test_a_worker_asks_linux_to_kill_it_with_its_parent() -> None:
    code = (
        "import ctypes, os\n"
        "from coach.live.worker import _die_with_parent\n"
        "_die_with_parent(os.getppid())\n"
        "sig = ctypes.c_int()\n"
        "ctypes.CDLL(None).prctl(2, ctypes.byref(sig), 0, 0, 0)  # PR_GET_PDEATHSIG\n"
        "print(sig.value)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stdout.strip() == str(int(signal.SIGKILL))
