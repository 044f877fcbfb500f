"""A cluster's retention: its `coach worker`s apply COACH_RETENTION_DAYS (the web servers of a
cluster leave it to them), on the shared PostgreSQL database and video folder."""

from __future__ import annotations

import time

from tests.cluster.processes import PASSWORD, Cluster
from tests.coach.store.traces import aged_session


def test_a_worker_applies_retention_to_the_shared_database(cluster: Cluster) -> None:
    store = cluster.store
    ther = store.create_user("ther", "Dr T", PASSWORD)
    patient = store.create_patient(ther.id, "Pat").id
    cluster.env["COACH_RETENTION_DAYS"] = "30"
    old = aged_session(store, patient, days_ago=40, video=False)
    recent = aged_session(store, patient, days_ago=3)
    cluster.worker("worker-1")
    deadline = time.monotonic() + 120
    while store.session(old).frames_removed_after_days != 30:
        assert time.monotonic() < deadline, cluster.log("worker-1")
        time.sleep(0.2)
    assert len(store.session_frames(old).t) == 0 and len(store.session(old).reps) == 2
    assert len(store.session_frames(recent).t) == 60
    assert "retention: per-frame poses deleted after 30 days" in cluster.log("worker-1")
