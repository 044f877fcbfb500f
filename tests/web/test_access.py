"""Every route that returns or changes patient data refuses everyone but the patient's
therapist (and, for reading, the patient): other therapists, other patients, nobody.

Refusals are 404 (as for a missing id, so ids can't be probed) for signed-in users, and a
sign-in request (401 for data, a redirect for pages) for nobody.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from coach.live.landmarks import track_messages
from coach.offline.recording import record_landmarks
from coach.review.references import set_reference_from_session
from exercises import load_exercise
from tests.coach.store.uiprmd_sessions import EXERCISE, subject_track, write_session
from tests.helpers.data import manifest_entry
from tests.web.review_app import Review


@pytest.fixture(scope="module")
def owned(review: Review, shared_data: Path) -> dict[str, str]:
    """Ids of patient A's data: a stored session, a link, an analysis job, a reference (from
    a session whose reps could be one)."""
    entry = manifest_entry(shared_data, "medflex/squat")
    lm = np.load(shared_data / entry["landmarks"])["lm"][:90]
    sid, _ = record_landmarks(
        review.store, lm, 30.0, (1280, 720), load_exercise("squat"), patient_id=review.pat_a.id
    )
    link, _ = review.store.create_link(review.pat_a.id)
    job = review.store.create_job(review.pat_a.id, "squat", "clip.mp4")
    review.store.update_job(job.id, status="failed", error="test job")
    good, aspect = subject_track(shared_data, "correct", 9)
    ref_sid = write_session(review.store, review.pat_a.id, good, aspect)
    set_reference_from_session(review.store, review.pat_a.id, ref_sid)
    return {
        "pid": str(review.pat_a.id),
        "sid": sid,
        "lid": str(link.id),
        "jid": job.id,
        "rsid": ref_sid,
        "ex": EXERCISE,
    }


READS = [
    "/sessions/{sid}",
    "/sessions/{sid}/report",
    "/sessions/{sid}/reps.csv",
    "/sessions/{sid}/frames.csv",
    "/sessions/{sid}/session.json",
    "/sessions/{sid}/replay.json",
    "/api/jobs/{jid}",
]
THERAPIST_ONLY_READS = [
    "/patients/{pid}",
    "/patients/{pid}/fhir",
    "/patients/{pid}/protocols",
    "/patients/{pid}/checkins.csv",
    "/patients/{pid}/checkins.json",
]
WRITES = [
    ("/patients/{pid}/program", {"rows": "1", "exercise_0": "squat"}),
    ("/patients/{pid}/links", {}),
    ("/patients/{pid}/links/{lid}/revoke", {"confirm": "yes"}),
    ("/patients/{pid}/calendar", {}),
    ("/patients/{pid}/reminder", {"address": "alice@x.example"}),
    ("/patients/{pid}/reminder/stop", {}),
    ("/patients/{pid}/uploads", {"exercise_id": "squat"}),
    ("/sessions/{rsid}/reference", {}),
    ("/patients/{pid}/references/{ex}/remove", {}),
]


@pytest.mark.parametrize("path", READS + THERAPIST_ONLY_READS)
def test_reads_are_refused_to_other_users(review: Review, owned: dict[str, str], path: str) -> None:
    url = path.format(**owned)
    with review.client("ther.a") as c:
        assert c.get(url).status_code == 200, "the patient's own therapist may read it"
    for other in ("ther.b", "pat.b"):
        with review.client(other) as c:
            r = c.get(url)
            assert r.status_code in (403, 404), f"{other} got {r.status_code} for {url}"
            assert "Alice" not in r.text
    with review.client() as c:
        r = c.get(url)
        assert r.status_code in (401, 303) and "Alice" not in r.text
        if r.status_code == 303:
            assert r.headers["location"].startswith("/login")


@pytest.mark.parametrize("path", READS)
def test_the_patient_reads_their_own_data(review: Review, owned: dict[str, str], path: str) -> None:
    with review.client("pat.a") as c:
        assert c.get(path.format(**owned)).status_code == 200


@pytest.mark.parametrize(("path", "form"), WRITES)
def test_writes_are_refused_to_everyone_but_the_therapist(
    review: Review, owned: dict[str, str], path: str, form: dict[str, str]
) -> None:
    url = path.format(**owned)
    before = (
        len(review.store.program(review.pat_a.id)),
        len(review.store.links_of(review.pat_a.id)),
        [(r.id, r.session_id) for r in review.store.references_of(review.pat_a.id)],
        len(review.store.feeds_of(review.pat_a.id)),
        review.store.reminder_of(review.pat_a.id) is None,
    )
    for who, codes in (("ther.b", {404}), ("pat.a", {403}), ("pat.b", {403}), (None, {303, 401})):
        with review.client(who) as c:
            files = {"video": ("x.mp4", b"x", "video/mp4")} if "uploads" in url else None
            r = c.post(url, data=form, files=files)
            assert r.status_code in codes, f"{who} got {r.status_code} for POST {url}"
    after = (
        len(review.store.program(review.pat_a.id)),
        len(review.store.links_of(review.pat_a.id)),
        [(r.id, r.session_id) for r in review.store.references_of(review.pat_a.id)],
        len(review.store.feeds_of(review.pat_a.id)),
        review.store.reminder_of(review.pat_a.id) is None,
    )
    assert after == before and before[2]  # the reference is still there, unchanged
    assert review.store.links_of(review.pat_a.id)[0].revoked_at is None


def _seen(patient: Any, shared_data: Path, frames: int = 5) -> None:
    """The patient's page (pose=device) sends a few frames in which the patient is seen: the
    session is stored from then on (a session that never saw them is not)."""
    entry = manifest_entry(shared_data, "medflex/squat")
    lm = np.load(shared_data / entry["landmarks"])["lm"]
    for msg in track_messages(lm, 30.0, (1280, 720))[:frames]:
        patient.send(json.dumps(msg))
    replies = 0
    while replies < frames:
        replies += json.loads(patient.recv(timeout=30))["type"] in ("frame", "dropped")


def test_a_patients_live_session_is_followed_only_by_their_therapist(
    review: Review, shared_data: Path
) -> None:
    ws_base = review.url.replace("http://", "ws://")
    cookie = review.cookie("pat.a")
    with connect(
        f"{ws_base}/ws/live?exercise=squat&pose=device",
        additional_headers={"Cookie": f"coach_session={cookie}"},
        open_timeout=30,
    ) as patient:
        hello = json.loads(patient.recv(timeout=30))
        sid = hello["session_id"]
        _seen(patient, shared_data)
        with review.client("ther.a") as c:
            assert c.get(f"/api/sessions/{sid}").json()["exercise"] == "squat"
            assert c.get(f"/api/sessions/{sid}/events").status_code == 200
        for other in ("ther.b", "pat.b", None):
            with review.client(other) as c:
                assert c.get(f"/api/sessions/{sid}").status_code == 404
                assert c.get(f"/api/sessions/{sid}/events").status_code == 404
        assert _follow(ws_base, sid, review.cookie("ther.a"))["type"] == "follow"
        for other in ("ther.b", "pat.b"):
            assert _follow(ws_base, sid, review.cookie(other)) == {"closed": 4404}
        assert _follow(ws_base, sid, None) == {"closed": 4404}
    # The session was recorded under patient A, and is paused once the page has gone
    # (the server notices the closed socket a moment later).
    deadline = time.monotonic() + 10
    while True:
        review.server.server.config.app.state.registry.recorder.flush()
        stored = review.store.session(sid)
        if stored.status == "paused" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert stored.patient_id == review.pat_a.id
    assert stored.status == "paused"  # it may come back and continue


def test_a_session_that_never_saw_the_patient_is_not_listed(review: Review) -> None:
    """The camera was blocked: the page says so and leaves. Nothing is stored, so /me does
    not list a 0-rep session for today."""
    ws_base = review.url.replace("http://", "ws://")
    with review.client("pat.b") as c:
        before = c.get("/me").text.count("<li>")
        with connect(
            f"{ws_base}/ws/live?exercise=squat",
            additional_headers={"Cookie": f"coach_session={c.cookies['coach_session']}"},
            open_timeout=30,
        ) as page:
            sid = json.loads(page.recv(timeout=30))["session_id"]
            problem = {"type": "client_error", "code": "camera_denied", "message": "Blocked"}
            page.send(json.dumps(problem))
        review.server.server.config.app.state.registry.recorder.flush()
        assert review.store.session(sid) is None
        assert c.get("/me").text.count("<li>") == before


def test_resuming_another_patients_stored_session_is_refused(
    review: Review, owned: dict[str, str]
) -> None:
    ws_base = review.url.replace("http://", "ws://")
    cookie = review.cookie("pat.b")
    with (
        connect(
            f"{ws_base}/ws/live?exercise=squat&session={owned['sid']}&reps=3",
            additional_headers={"Cookie": f"coach_session={cookie}"},
            open_timeout=30,
        ) as ws,
        pytest.raises(ConnectionClosed) as info,
    ):
        while True:
            ws.recv(timeout=10)
    assert info.value.rcvd is not None and info.value.rcvd.code == 4404
    assert len(review.store.session(owned["sid"]).reps) <= 1  # untouched


def _follow(ws_base: str, sid: str, cookie: str | None) -> dict:
    headers = {"Cookie": f"coach_session={cookie}"} if cookie else {}
    with connect(f"{ws_base}/ws/follow/{sid}", additional_headers=headers, open_timeout=30) as ws:
        try:
            first = json.loads(ws.recv(timeout=15))
            if first.get("type") == "error":
                ws.recv(timeout=10)
            return first
        except ConnectionClosed as exc:
            return {"closed": exc.rcvd.code if exc.rcvd else None}
