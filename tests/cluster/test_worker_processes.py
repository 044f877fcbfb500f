"""`coach worker --processes N`: N videos analysed at once, each in a process of its own, and
none of those processes outlives the worker. Real processes on PostgreSQL and Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.cluster.processes import PASSWORD, Cluster
from tests.cluster.test_uploads import _finished, _upload, _wait
from tests.machine import wait_until
from tests.web.test_serve import _alive

pytestmark = pytest.mark.model


def _worker_processes(pid: int) -> list[int]:
    """The processes `pid` started with multiprocessing's spawn (not its resource tracker)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(int(child))
    return found


def _worker(cluster: Cluster, name: str, processes: int) -> subprocess.Popen[bytes]:
    proc = cluster.worker(name, "--processes", str(processes))
    deadline = time.monotonic() + 120
    while "taking upload jobs" not in cluster.log(name):
        assert proc.poll() is None and time.monotonic() < deadline, cluster.log(name)
        time.sleep(0.2)
    return proc


def test_two_uploads_are_analysed_at_once_by_one_worker_with_two_processes(
    cluster: Cluster, squat_clip: tuple[Path, dict[str, Any]]
) -> None:
    clip, entry = squat_clip
    ther = cluster.store.create_user("ther", "Dr T", PASSWORD)
    patient = cluster.store.create_patient(ther.id, "Pat")
    url = cluster.serve("serve")
    _worker(cluster, "worker", 2)
    assert "2 at a time" in cluster.log("worker")
    with cluster.signed_in(url, "ther") as c:
        jobs = [_upload(c, patient.id, clip) for _ in range(2)]
        both_running = False
        deadline = time.monotonic() + 300
        while not both_running and time.monotonic() < deadline:
            states = [c.get(f"/api/jobs/{job}").json() for job in jobs]
            assert not any(_finished(s) for s in states), (states, cluster.log("worker"))
            both_running = all(s["status"] == "running" and s["progress"] > 0 for s in states)
            time.sleep(0.2)
        assert both_running, cluster.log("worker")
        done = [_wait(c, job, _finished, every=1.0) for job in jobs]
    assert [s["status"] for s in done] == ["done", "done"], cluster.log("worker")
    sessions = cluster.store.sessions_of(patient.id)
    assert sorted(len(s.reps) for s in sessions) == [entry["ground_truth"]["reps"]] * 2


def test_a_killed_worker_takes_its_processes_with_it(cluster: Cluster) -> None:
    proc = _worker(cluster, "worker", 2)
    # Its processes may still be starting when it says it takes jobs: wait for both.
    wait_until(lambda: len(_worker_processes(proc.pid)) == 2, 30, "the worker's two processes")
    children = _worker_processes(proc.pid)
    assert len(children) == 2 and all(map(_alive, children))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while any(map(_alive, children)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(map(_alive, children)), "worker processes outlived their parent"
