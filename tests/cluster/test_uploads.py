"""Uploads in a cluster: received by one `coach serve`, analysed by a `coach worker` through
the Redis task queue, progress seen from another instance; a worker killed mid-job and another
finishing it, with exactly one session stored. All real processes on PostgreSQL and Redis."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import httpx

from tests.cluster.processes import PASSWORD, Cluster


def _upload(c: httpx.Client, patient_id: int, clip: Path) -> str:
    r = c.post(
        f"/patients/{patient_id}/uploads",
        data={"exercise_id": "squat"},
        files={"video": (clip.name, clip.read_bytes(), "video/mp4")},
        headers={"Accept": "application/json"},
    )
    assert r.status_code == 202, r.text
    return str(r.json()["job"])


def _wait(
    c: httpx.Client, job: str, until: Any, timeout: float = 240, every: float = 0.3
) -> dict[str, Any]:
    """The job's status once `until` holds, asked for every `every` seconds (each ask costs a
    signed-in request on the server: a whole analysis is waited for at 1 s)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = c.get(f"/api/jobs/{job}").json()
        if until(status):
            return status
        time.sleep(every)
    raise AssertionError(f"job {job} never got there: {status}")


def _finished(status: dict[str, Any]) -> bool:
    return status["status"] in ("done", "failed")


def test_an_upload_on_one_instance_is_analysed_by_a_worker_and_seen_on_another(
    cluster: Cluster, squat_clip: tuple[Path, dict[str, Any]]
) -> None:
    clip, entry = squat_clip
    ther = cluster.store.create_user("ther", "Dr T", PASSWORD)
    patient = cluster.store.create_patient(ther.id, "Pat")
    a, b = cluster.serve("serve-a"), cluster.serve("serve-b")
    cluster.worker("worker-1")
    with cluster.signed_in(a, "ther") as on_a, cluster.signed_in(b, "ther") as on_b:
        job = _upload(on_a, patient.id, clip)
        seen = [_wait(on_b, job, lambda s: s["progress"] > 0 or _finished(s))]
        status = _wait(on_b, job, _finished, every=1.0)
    assert status["status"] == "done", (status, cluster.log("worker-1"))
    assert seen[0]["status"] in ("running", "done")  # progress visible on the other instance
    stored = cluster.store.session(status["session"])
    assert stored.source == "upload" and stored.patient_id == patient.id
    assert len(stored.reps) == entry["ground_truth"]["reps"]
    assert "taking upload jobs" in cluster.log("worker-1")
    assert list((cluster.root / "shared" / "uploads").iterdir()) == []


def test_a_worker_killed_mid_job_leaves_it_to_another_and_one_session_is_stored(
    cluster: Cluster, squat_clip: tuple[Path, dict[str, Any]]
) -> None:
    clip, entry = squat_clip
    ther = cluster.store.create_user("ther", "Dr T", PASSWORD)
    patient = cluster.store.create_patient(ther.id, "Pat")
    a = cluster.serve("serve-a")
    workers = {name: cluster.worker(name) for name in ("worker-1", "worker-2")}
    with cluster.signed_in(a, "ther") as c:
        job = _upload(c, patient.id, clip)
        running = _wait(c, job, lambda s: s["progress"] >= 0.1 or _finished(s))
        assert running["status"] == "running", running
        (busy,) = [n for n in workers if f"job {job}: started" in cluster.log(n)]
        (idle,) = set(workers) - {busy}
        workers[busy].send_signal(signal.SIGKILL)  # mid-job: no acknowledgement, no clean-up
        workers[busy].wait()
        half = cluster.store.session(cluster.store.job(job).session_id)
        assert half is not None and half.status == "recording"  # a partial session was left
        status = _wait(c, job, _finished, every=1.0)
    assert status["status"] == "done", (status, cluster.log(idle))
    sessions = cluster.store.sessions_of(patient.id)
    assert [s.id for s in sessions] == [status["session"]]
    assert sessions[0].status == "completed"
    assert len(sessions[0].reps) == entry["ground_truth"]["reps"]
    assert f"job {job}: started" in cluster.log(idle)
    assert "discarded the partial session" in cluster.log(idle)
