"""The patient's rights on a real server over a real SQLite store: the consent screen a link
opens first and what each answer does (nothing recorded after a no: live sessions, uploads),
the therapist's confirmed erasure leaving no trace, and retention on the session page and by
the server itself."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from coach.store.retention import RetentionPolicy
from coach.store.store import Store
from tests.coach.store.traces import (
    aged_session,
    left_in_database,
    left_in_files,
    patient_with_everything,
)
from tests.web.review_app import Review, review_app
from tests.web.sockets import good

CROSS_SITE = {"Origin": "http://evil.example"}


def _wait(what: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := what()):
        if time.monotonic() > deadline:
            raise TimeoutError("waited too long")
        time.sleep(0.05)
    return found


def _patient_client(review: Review, name: str) -> tuple[int, str]:
    """A new patient of ther.a and a personal link of theirs."""
    patient = review.store.create_patient(review.ther_a.id, name, birth_year=1950)
    return patient.id, review.store.create_link(patient.id)[1]


# ---- consent -------------------------------------------------------------------------------
def test_a_link_opens_the_consent_screen_first_and_each_answer_is_kept(review: Review) -> None:
    store = review.store
    pid, token = _patient_client(review, "Connie Consent")
    with review.client() as c:
        r = c.get(f"/p/{token}")
        assert r.status_code == 303 and r.headers["location"] == "/consent"
        page = c.get("/consent").text
        for words in (
            "What Coach keeps",
            "Coach never records your camera",
            "Who can see it",
            "Dr A",
            "Version 1 of this text",
        ):
            assert words in page, words
        assert 'data-testid="ask-consent"' in c.get("/me").text  # not answered: asked first
        assert c.post("/consent", data={"answer": "maybe"}).status_code == 400
        assert c.post("/consent", data={"answer": "no"}, headers=CROSS_SITE).status_code == 403
        assert store.consent(pid) is None

        r = c.post("/consent", data={"answer": "no"})
        assert r.status_code == 303 and r.headers["location"] == "/me"
        declined = store.consent(pid)
        assert (declined.answer, declined.text_version) == ("declined", "1")
        assert not store.may_record(pid)
        me = c.get("/me").text
        assert 'data-testid="not-kept"' in me and "Coach is keeping nothing" in me
        assert c.get(f"/p/{token}").headers["location"] == "/me"  # answered: not asked again

        c.post("/consent", data={"answer": "yes"})
        assert store.consent(pid).answer == "given" and store.may_record(pid)
        me = c.get("/me").text
        assert 'data-testid="withdraw"' in me and 'data-testid="not-kept"' not in me

        assert c.post("/consent", data={"answer": "withdraw"}).headers["location"] == "/me"
        assert store.consent(pid).answer == "withdrawn" and not store.may_record(pid)
        assert 'data-testid="not-kept"' in c.get("/me").text
    with review.client("ther.a") as t:
        page = t.get(f"/patients/{pid}").text
        assert "Connie Consent withdrew consent on" in page and "nothing new is recorded" in page
        assert t.post("/consent", data={"answer": "yes"}).status_code == 403
        assert t.get("/consent").headers["location"] == "/therapist"


@contextmanager
def _live_now(review: Review, cookie: str, frames: int = 20) -> Iterator[str]:
    """A live session whose page sends landmarks (no model), open while in the block (its id);
    it ends with the patient leaving."""
    ws_url = review.url.replace("http://", "ws://") + "/ws/live?exercise=squat&pose=device"
    with connect(
        ws_url,
        additional_headers={"Cookie": f"coach_session={cookie}"},
        open_timeout=30,
        max_size=None,
    ) as ws:
        hello = json.loads(ws.recv(timeout=30))
        assert hello["type"] == "session"
        for seq in range(1, frames + 1):
            ws.send(json.dumps(good(seq, seq / 15)))
            while json.loads(ws.recv(timeout=10))["type"] not in ("frame", "dropped", "error"):
                pass
        yield hello["session_id"]


def _device_session(review: Review, cookie: str) -> None:
    with _live_now(review, cookie):
        pass


def test_nothing_new_is_recorded_for_a_patient_who_said_no(review: Review) -> None:
    store = review.store
    agreed, _ = _patient_client(review, "Yves Yes")
    declined, _ = _patient_client(review, "Nora No")
    store.record_consent(agreed, "given", "1")
    store.record_consent(declined, "declined", "1")
    for pid in (declined, agreed):  # the same live session, each signed in by their link
        _device_session(review, store.start_login(patient_id=pid))
    _wait(lambda: store.sessions_of(agreed))
    review.server.server.config.app.state.registry.recorder.flush()
    assert store.sessions_of(declined) == []
    with review.client("ther.a") as t:
        files = {"video": ("clip.mp4", b"\x00" * 100, "video/mp4")}
        r = t.post(
            f"/patients/{declined}/uploads",
            data={"exercise_id": "squat"},
            files=files,
            headers={"Accept": "application/json"},
        )
        assert r.status_code == 409 and "declined consent" in r.json()["detail"]
        assert store.jobs_of(declined) == []
        assert "Nora No declined consent on" in t.get(f"/patients/{declined}").text


# ---- erasure -------------------------------------------------------------------------------
def test_the_therapist_erases_a_patient_after_typing_their_name(review: Review) -> None:
    store, root = review.store, _data_dir(review.store)
    traces = patient_with_everything(store, review.ther_a.id, "Xanthe Wipeout", "x.wipeout")
    pid = traces.patient_id
    with review.client("ther.b") as other:
        assert other.get(f"/patients/{pid}/erase").status_code == 404
        assert other.post(f"/patients/{pid}/erase", data={"confirm": str(pid)}).status_code == 404
    with review.client("ther.a") as t:
        assert 'data-testid="erase-link"' in t.get(f"/patients/{pid}").text
        page = t.get(f"/patients/{pid}/erase").text
        assert "3 sessions" in page and "1 account" in page and "Xanthe Wipeout" in page
        r = t.post(f"/patients/{pid}/erase", data={"confirm": "Xanthe"})
        assert r.status_code == 400 and "nothing was erased" in r.text
        r = t.post(
            f"/patients/{pid}/erase", data={"confirm": "xanthe  wipeout"}, headers=CROSS_SITE
        )
        assert r.status_code == 403
        assert store.patient(pid) is not None and left_in_files(root, traces)
        with _live_now(review, store.start_login(patient_id=pid)) as session_id:
            r = t.post(f"/patients/{pid}/erase", data={"confirm": "xanthe  wipeout"})
            assert r.status_code == 409 and "exercising right now" in r.text
        traces.strings.append(session_id)  # their live session was recorded: it goes too
        registry = review.server.server.config.app.state.registry
        _wait(lambda: not registry.get(session_id).connected)
        registry.recorder.flush()

        r = t.post(f"/patients/{pid}/erase", data={"confirm": "xanthe  wipeout"})
        assert r.status_code == 303 and r.headers["location"] == "/therapist?erased=1"
        assert 'data-testid="erased"' in t.get(r.headers["location"]).text
        assert t.get(f"/patients/{pid}").status_code == 404
    assert left_in_database(store.engine, traces) == []
    # A reader of the shared database may hold the write-ahead log for a moment: the server
    # empties it as soon as they let go (coach/store/erasure.py).
    with contextlib.suppress(TimeoutError):
        _wait(lambda: not left_in_files(root, traces))
    assert left_in_files(root, traces) == []


def _data_dir(store: Store) -> Path:
    database = store.engine.url.database
    assert database is not None
    return Path(database).parent


# ---- retention -----------------------------------------------------------------------------
def test_a_session_page_says_its_frames_went_with_retention(review: Review) -> None:
    store = review.store
    sid = aged_session(store, review.pat_a.id, days_ago=45)
    with review.client("ther.a") as t:
        page = t.get(f"/sessions/{sid}").text
        assert 'data-testid="angle-plot"' in page and "retention" not in page
        store.apply_retention(RetentionPolicy(frames_days=30))
        page = t.get(f"/sessions/{sid}").text
    assert "Per-frame data removed after 30 days (retention)" in page
    assert 'data-testid="angle-plot"' not in page and 'data-testid="replay"' not in page
    assert 'data-testid="rep-total">2<' in page  # the per-rep results stay
    assert f"/sessions/{sid}/frames.csv" not in page


@pytest.mark.server
@pytest.mark.subprocess
@pytest.mark.model
def test_the_server_applies_retention_by_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coach.store import open_store

    monkeypatch.setenv("COACH_RETENTION_DAYS", "30")
    before = open_store(f"sqlite:///{tmp_path / 'coach.db'}")
    ther = before.create_user("ther.ret", "Dr Retention", Review.PASSWORD)
    pid = before.create_patient(ther.id, "Rhea Retained").id
    old, recent = aged_session(before, pid, 40), aged_session(before, pid, 2)
    before.close()
    with review_app(tmp_path) as app:
        _wait(lambda: app.store.session(old).frames_removed_after_days == 30)
        assert len(app.store.session_frames(old).t) == 0 and len(app.store.session(old).reps) == 2
        assert len(app.store.session_frames(recent).t) == 60
        with httpx.Client(base_url=app.url) as c:
            assert c.get("/healthz").status_code == 200
