"""Every route of the app is audited or listed here as holding no patient data; each audited
route, called by its owner on a real server, leaves exactly one entry in the trail with its
action, outcome, actor, patient reference and session; the chain then verifies.

A new route fails `test_every_route_is_audited_or_listed` until it is marked `@audited(...)`
(web/audit.py) with a call below, or added to NOT_PATIENT_DATA.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute
from websockets.sync.client import connect

from coach.live.landmarks import track_messages
from coach.offline.recording import record_landmarks
from coach.review.fhir.audit import ACTIONS as FHIR_ACTIONS
from coach.store.audit import session_ref
from coach.store.models import AuditEntry
from exercises import load_exercise
from tests.helpers.estimators import sample_track
from tests.lanes import uses
from tests.web.review_app import Review, review_app
from web.audit import action_of

# Routes that read or change no patient's data: not in the trail.
NOT_PATIENT_DATA = {
    ("GET", "/"),  # the live page (a whole page, reads its parameters itself)
    ("GET", "/follow/{session_id}"),  # the follow page; its socket is audited
    ("GET", "/healthz"),
    ("GET", "/api/exercises"),
    ("GET", "/api/exercises/{exercise_id}"),
    ("GET", "/api/exercises/{exercise_id}/demo"),
    ("GET", "/vendor/mediapipe-pose/status"),
    ("GET", "/vendor/mediapipe-pose/{name:path}"),
    ("GET", "/favicon.ico"),
    ("GET", "/link-ended"),
    ("GET", "/login"),
    ("POST", "/logout"),
    ("GET", "/login/code"),  # the code form; the code's check is audited
    ("GET", "/account/second-factor"),  # the set-up page; turning it on is audited
    ("GET", "/protocols"),  # the reference values of the clinical tests
    ("GET", "/i18n/{code}.json"),  # a language's message catalog for the pages
}
NOT_PATIENT_DATA_MOUNTS = {"/static"}
# The sockets write their entries themselves (web/routes/live.py).
SOCKETS = {"/ws/live": "live.session", "/ws/follow/{session_id}": "live.follow"}


def _walk(routes: Iterable[Any]) -> Iterator[Any]:
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _walk(inner.routes)
        else:
            yield route


def audited_routes(app: FastAPI) -> dict[tuple[str, str], str]:
    """(method, path) -> action of every HTTP route marked `@audited`."""
    return {
        (method, route.path): action
        for route in _walk(app.routes)
        if isinstance(route, APIRoute) and (action := action_of(route.endpoint))
        for method in route.methods
    }


@dataclass
class Call:
    """How the owner calls one audited route, and what its entry must say."""

    who: str | None  # "ther.a", "pat.a", "admin", "ther.2fa", ... or nobody
    url: str  # with {pid}, {sid}, ... from the world
    method: str = "GET"
    data: dict[str, str] | None = None
    json: dict[str, Any] | None = None
    upload: bool = False
    outcome: str = "ok"
    patient: str | None = "pid"  # the world's key of the patient named (None: none)
    session: str | None = None  # the world's key of the session named
    actor: str | None = None  # the entry's actor (default: the caller's)
    prepare: Callable[[World, httpx.Client], dict[str, str]] | None = None  # more form fields
    stream: bool = False


@dataclass
class World:
    review: Review
    ids: dict[str, str] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # world key -> audit ref
    totp: dict[str, pyotp.TOTP] = field(default_factory=dict)
    steps: dict[str, int] = field(default_factory=dict)  # the last step each user's app gave
    recovery: dict[str, list[str]] = field(default_factory=dict)

    def code(self, who: str) -> str:
        """The user's app's code for the step after the last one used (a code is taken
        once); the server takes one step of drift, so beyond that the clock is waited for."""
        step = self.steps[who] + 1
        while step > time.time() // 30 + 1:
            time.sleep(0.2)
        self.steps[who] = step
        return self.totp[who].at(step * 30)


def _seen_live_session(review: Review, cookie: str) -> str:
    """A live session of patient A (pose=device) that has seen them: its id."""
    ws = review.url.replace("http://", "ws://")
    with connect(
        f"{ws}/ws/live?exercise=squat&pose=device",
        additional_headers={"Cookie": f"coach_session={cookie}"},
        open_timeout=30,
    ) as patient:
        sid = json.loads(patient.recv(timeout=30))["session_id"]
        messages = track_messages(sample_track()[:20], 30.0, (1280, 720))
        for msg in messages:
            patient.send(json.dumps(msg))
        replies = 0
        while replies < len(messages):
            replies += json.loads(patient.recv(timeout=30))["type"] in ("frame", "dropped")
    return str(sid)


def _therapist_with_factor(review: Review, world: World, key: str, *, admin: bool = False) -> None:
    store = review.store
    user = store.create_user(key, f"Dr {key}", Review.PASSWORD, is_admin=admin)
    enrolment = store.start_enrolment(user.id)
    world.totp[key] = pyotp.TOTP(enrolment.secret)
    world.steps[key] = int(time.time() // 30)
    codes = store.confirm_enrolment(user.id, world.totp[key].at(world.steps[key] * 30))
    assert codes is not None
    world.recovery[key] = codes
    world.ids[f"{key}.id"] = str(user.id)


def _make_world(review: Review, root: Path) -> World:
    store, world = review.store, World(review)
    a = review.pat_a
    world.ids["pid"] = str(a.id)
    world.refs["pid"] = str(a.audit_ref)
    sid, _ = record_landmarks(
        store, sample_track(), 30.0, (1280, 720), load_exercise("squat"), patient_id=a.id
    )
    world.ids["sid"] = sid
    video = root / "videos" / f"{sid}.mp4"
    video.parent.mkdir(parents=True, exist_ok=True)
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 2000)
    store.set_session_video(sid, str(video))
    job = store.create_job(a.id, "squat", "clip.mp4")
    store.update_job(job.id, status="failed", error="test job")
    world.ids["jid"] = job.id
    world.ids["lid"] = str(store.create_link(a.id)[0].id)
    world.ids["token"] = store.create_link(a.id)[1]
    world.ids["handout"] = store.create_link(a.id)[1]
    world.ids["fid"] = str(store.create_feed(a.id)[0].id)
    world.ids["feed"] = store.create_feed(a.id)[1]
    erin = store.create_patient(review.ther_a.id, "Erin Erase")
    world.ids["eid"], world.refs["eid"] = str(erin.id), str(erin.audit_ref)
    world.ids["lsid"] = _seen_live_session(review, review.cookie("pat.a"))
    for key in ("ther.2fa", "ther.off", "ther.codes"):
        _therapist_with_factor(review, world, key)
    _therapist_with_factor(review, world, "admin", admin=True)
    world.ids["enrol.id"] = str(store.create_user("ther.enrol", "Dr Enrol", Review.PASSWORD).id)
    return world


@pytest.fixture(scope="module")
@uses("server", "subprocess", "model")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("audit")
    with review_app(root, max_active=4, retain_s=600) as review:
        yield _make_world(review, root)


def _sign_in(world: World, c: httpx.Client, who: str | None) -> None:
    if who in ("ther.a", "ther.b", "pat.a", "pat.b"):
        world.review._sign_in(c, who)
    elif who is not None:  # a therapist with a second factor, or one without yet
        r = c.post("/login", data={"username": who, "password": Review.PASSWORD})
        assert r.status_code == 303, r.text
        if who in world.totp:  # a recovery code: the app's codes are for the calls
            r = c.post("/login/code", data={"code": world.recovery[who].pop()})
            assert r.status_code == 303, r.text


def _enrol_code(world: World, c: httpx.Client) -> dict[str, str]:
    """The set-up page shows the secret; the app's first code from it."""
    assert c.get("/account/second-factor").status_code == 200
    secret = world.review.store.start_enrolment(int(world.ids["enrol.id"])).secret
    return {"code": pyotp.TOTP(secret).now()}


def _code_of(who: str) -> Callable[[World, httpx.Client], dict[str, str]]:
    return lambda world, _c: {"code": world.code(who)}


def _password_step(world: World, c: httpx.Client) -> dict[str, str]:
    r = c.post("/login", data={"username": "ther.2fa", "password": Review.PASSWORD})
    assert r.status_code == 303 and r.headers["location"] == "/login/code"
    return {"code": world.code("ther.2fa")}


A = "ther.a"
VIDEO = ("clip.mp4", b"not a video", "video/mp4")
# In the order they run: what a later call needs was made by an earlier one.
CALLS: dict[tuple[str, str], Call] = {
    ("POST", "/login"): Call(
        None,
        "/login",
        "POST",
        data={"username": "ther.a", "password": Review.PASSWORD},
        patient=None,
        actor="user:ther.a",
    ),
    ("POST", "/login/code"): Call(
        None, "/login/code", "POST", patient=None, actor="user:ther.2fa", prepare=_password_step
    ),
    ("POST", "/account/second-factor"): Call(
        "ther.enrol", "/account/second-factor", "POST", patient=None, prepare=_enrol_code
    ),
    ("POST", "/account/second-factor/recovery-codes"): Call(
        "ther.codes",
        "/account/second-factor/recovery-codes",
        "POST",
        patient=None,
        prepare=_code_of("ther.codes"),
    ),
    ("POST", "/account/second-factor/off"): Call(
        "ther.off", "/account/second-factor/off", "POST", patient=None, prepare=_code_of("ther.off")
    ),
    ("GET", "/admin/audit"): Call("admin", "/admin/audit?verify=1", patient=None),
    ("GET", "/p/{token}"): Call(None, "/p/{token}", actor="patient:pid"),
    ("GET", "/me"): Call("pat.a", "/me"),
    ("GET", "/api/me/program"): Call("pat.a", "/api/me/program"),
    ("GET", "/api/me/today"): Call("pat.a", "/api/me/today"),
    ("GET", "/consent"): Call("pat.a", "/consent"),
    ("POST", "/consent"): Call("pat.a", "/consent", "POST", data={"answer": "yes"}),
    ("GET", "/therapist"): Call(A, "/therapist", patient=None),
    ("POST", "/therapist/patients"): Call(
        A, "/therapist/patients", "POST", data={"name": "Nia New"}, patient="new"
    ),
    ("GET", "/patients/{patient_id}"): Call(A, "/patients/{pid}"),
    ("GET", "/patients/{patient_id}/handout"): Call(A, "/patients/{pid}/handout?link={handout}"),
    ("POST", "/patients/{patient_id}/program"): Call(
        A, "/patients/{pid}/program", "POST", data={"rows": "1", "exercise_0": "squat"}
    ),
    ("POST", "/patients/{patient_id}/links"): Call(A, "/patients/{pid}/links", "POST"),
    ("POST", "/patients/{patient_id}/language"): Call(
        A, "/patients/{pid}/language", "POST", data={"language": "es"}
    ),
    ("POST", "/patients/{patient_id}/links/{link_id}/revoke"): Call(
        A, "/patients/{pid}/links/{lid}/revoke", "POST", data={"confirm": "yes"}
    ),
    ("GET", "/sessions/{session_id}"): Call(A, "/sessions/{sid}", session="sid"),
    ("GET", "/sessions/{session_id}/report"): Call(A, "/sessions/{sid}/report", session="sid"),
    ("GET", "/sessions/{session_id}/reps.csv"): Call(A, "/sessions/{sid}/reps.csv", session="sid"),
    ("GET", "/sessions/{session_id}/frames.csv"): Call(
        A, "/sessions/{sid}/frames.csv", session="sid"
    ),
    ("GET", "/sessions/{session_id}/session.json"): Call(
        A, "/sessions/{sid}/session.json", session="sid"
    ),
    ("GET", "/sessions/{session_id}/replay.json"): Call(
        A, "/sessions/{sid}/replay.json", session="sid"
    ),
    ("GET", "/sessions/{session_id}/video"): Call(A, "/sessions/{sid}/video", session="sid"),
    ("POST", "/sessions/{session_id}/reference"): Call(
        A, "/sessions/{sid}/reference", "POST", session="sid"
    ),
    ("POST", "/patients/{patient_id}/references/{exercise_id}/remove"): Call(
        A, "/patients/{pid}/references/squat/remove", "POST"
    ),
    ("POST", "/sessions/{session_id}/ratings"): Call(
        "pat.a",
        "/sessions/{sid}/ratings",
        "POST",
        json={"kind": "pain_before", "value": 3},
        session="sid",
    ),
    ("GET", "/sessions/{session_id}/ratings"): Call(A, "/sessions/{sid}/ratings", session="sid"),
    ("GET", "/sessions/{session_id}/ratings.csv"): Call(
        A, "/sessions/{sid}/ratings.csv", session="sid"
    ),
    ("GET", "/patients/{patient_id}/ratings.csv"): Call(A, "/patients/{pid}/ratings.csv"),
    ("POST", "/me/checkin"): Call("pat.a", "/me/checkin", "POST", data={"sleep": "7"}),
    ("GET", "/patients/{patient_id}/checkins.csv"): Call(A, "/patients/{pid}/checkins.csv"),
    ("GET", "/patients/{patient_id}/checkins.json"): Call(A, "/patients/{pid}/checkins.json"),
    ("POST", "/patients/{patient_id}/uploads"): Call(
        A,
        "/patients/{pid}/uploads",
        "POST",
        data={"exercise_id": "squat"},
        upload=True,
        outcome="refused",
    ),
    ("GET", "/api/jobs/{job_id}"): Call(A, "/api/jobs/{jid}"),
    ("GET", "/patients/{patient_id}/protocols"): Call(A, "/patients/{pid}/protocols"),
    ("POST", "/patients/{patient_id}/protocols/run"): Call(
        A,
        "/patients/{pid}/protocols/run",
        "POST",
        data={"protocol": "chair-stand"},
        upload=True,
        outcome="refused",
    ),
    ("GET", "/patients/{patient_id}/fhir"): Call(A, "/patients/{pid}/fhir"),
    ("GET", "/patients/{patient_id}/archive"): Call(A, "/patients/{pid}/archive"),
    ("GET", "/me/archive"): Call("pat.a", "/me/archive"),
    ("GET", "/cal/{token}.ics"): Call(None, "/cal/{feed}.ics", actor="calendar-feed"),
    ("POST", "/patients/{patient_id}/calendar"): Call(A, "/patients/{pid}/calendar", "POST"),
    ("POST", "/patients/{patient_id}/calendar/{feed_id}/revoke"): Call(
        A, "/patients/{pid}/calendar/{fid}/revoke", "POST"
    ),
    ("POST", "/patients/{patient_id}/reminder"): Call(
        A, "/patients/{pid}/reminder", "POST", data={"address": "alice@x.example", "hour": "9"}
    ),
    ("POST", "/patients/{patient_id}/reminder/stop"): Call(
        A, "/patients/{pid}/reminder/stop", "POST"
    ),
    ("GET", "/api/sessions/{session_id}"): Call(A, "/api/sessions/{lsid}", session="lsid"),
    ("GET", "/api/sessions/{session_id}/events"): Call(
        A, "/api/sessions/{lsid}/events", session="lsid"
    ),
    ("GET", "/api/live/{session_id}/patient"): Call(A, "/api/live/{lsid}/patient", session="lsid"),
    ("GET", "/api/therapist/live-now"): Call(
        A, "/api/therapist/live-now", patient=None, stream=True
    ),
    ("GET", "/patients/{patient_id}/erase"): Call(A, "/patients/{eid}/erase", patient="eid"),
    ("POST", "/patients/{patient_id}/erase"): Call(
        A, "/patients/{eid}/erase", "POST", data={"confirm": "Erin Erase"}, patient="eid"
    ),
}


def test_every_route_is_audited_or_listed(world: World) -> None:
    app = world.review.server.server.config.app
    audited = audited_routes(app)
    plain = {(m, r.path) for r in _walk(app.routes) if isinstance(r, APIRoute) for m in r.methods}
    assert not set(audited) & NOT_PATIENT_DATA, "both audited and listed as holding none"
    unclassified = plain - set(audited) - NOT_PATIENT_DATA
    assert not unclassified, f"mark these @audited or list them as no patient data: {unclassified}"
    assert plain >= NOT_PATIENT_DATA, f"listed but gone: {NOT_PATIENT_DATA - plain}"
    assert set(CALLS) == set(audited), f"audited without a call here: {set(audited) - set(CALLS)}"
    sockets = {r.path for r in _walk(app.routes) if isinstance(r, APIWebSocketRoute)}
    assert sockets == set(SOCKETS)
    mounts = {r.path for r in _walk(app.routes) if not isinstance(r, APIRoute | APIWebSocketRoute)}
    assert mounts == NOT_PATIENT_DATA_MOUNTS
    # The FHIR export knows each action as Create, Read, Update, Delete or Execute.
    assert set(audited.values()) | set(SOCKETS.values()) <= set(FHIR_ACTIONS)


def _last(world: World) -> int:
    entries = world.review.store.audit_entries(limit=1)
    return entries[0].seq if entries else 0


def _since(world: World, seq: int) -> list[AuditEntry]:
    return [e for e in world.review.store.iter_audit() if e.seq > seq]


def _request(world: World, call: Call, c: httpx.Client, url: str, extra: dict[str, str]) -> int:
    if call.stream:
        with c.stream("GET", url) as r:
            next(r.iter_lines())  # the stream's first line: it has started
            return r.status_code
    data = {**(call.data or {}), **extra} or None
    files = {"video": VIDEO} if call.upload else None
    if call.method == "GET":
        return c.get(url).status_code
    return c.post(url, data=data, json=call.json, files=files).status_code


def _expected_actor(world: World, call: Call) -> str:
    if call.actor is not None:
        kind, _, key = call.actor.partition(":")
        if kind == "user":
            return f"user:{world.review.store.user_named(key).id}"
        if kind == "patient":
            return f"patient:{world.refs[key]}"
        return call.actor
    if call.who and call.who.startswith("pat."):
        return f"patient:{world.refs['pid']}"
    return f"user:{world.review.store.user_named(call.who or '').id}"


@pytest.mark.parametrize("route", list(CALLS), ids=[f"{m} {p}" for m, p in CALLS])
def test_each_audited_route_leaves_one_entry(world: World, route: tuple[str, str]) -> None:
    call = CALLS[route]
    action = audited_routes(world.review.server.server.config.app)[route]
    with httpx.Client(base_url=world.review.url, timeout=60, follow_redirects=False) as c:
        _sign_in(world, c, call.who)
        extra = call.prepare(world, c) if call.prepare else {}
        mark = _last(world)
        status = _request(world, call, c, call.url.format(**world.ids), extra)
    entries = _since(world, mark)
    assert len(entries) == 1, [(e.action, e.outcome) for e in entries]
    entry = entries[0]
    assert (entry.action, entry.outcome, entry.status) == (action, call.outcome, status)
    assert entry.actor == _expected_actor(world, call)
    assert entry.address == "127.0.0.1"
    if call.patient == "new":
        assert entry.patient_ref and entry.patient_ref not in world.refs.values()
    else:
        assert entry.patient_ref == (world.refs[call.patient] if call.patient else None)
    expected_session = session_ref(world.ids[call.session]) if call.session else None
    assert entry.session_ref == expected_session


def _wait_for(world: World, mark: int, count: int) -> list[AuditEntry]:
    deadline = time.monotonic() + 10
    while len(entries := _since(world, mark)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return entries


def test_the_sockets_leave_one_entry_each(world: World) -> None:
    review = world.review
    mark = _last(world)
    _seen_live_session(review, review.cookie("pat.a"))
    entries = _since(world, mark)
    signed_in = [e for e in entries if e.action == "sign_in.link"]  # review.cookie's link
    live = [e for e in entries if e.action == "live.session"]
    assert len(signed_in) == 1 and len(live) == 1 and len(entries) == 2
    assert live[0].actor == f"patient:{world.refs['pid']}" and live[0].outcome == "ok"
    assert live[0].patient_ref == world.refs["pid"]

    cookie = review.cookie("ther.a")
    mark = _last(world)
    ws = review.url.replace("http://", "ws://")
    with connect(
        f"{ws}/ws/follow/{world.ids['lsid']}",
        additional_headers={"Cookie": f"coach_session={cookie}"},
        open_timeout=30,
    ) as follower:
        assert json.loads(follower.recv(timeout=30))["type"] == "follow"
    follows = _wait_for(world, mark, 1)
    assert [(e.action, e.outcome) for e in follows] == [("live.follow", "ok")]
    assert follows[0].actor == f"user:{review.ther_a.id}"
    assert follows[0].patient_ref == world.refs["pid"]
    assert follows[0].session_ref == session_ref(world.ids["lsid"])


def test_a_refused_look_at_another_therapists_patient_is_written_with_its_patient(
    world: World,
) -> None:
    review = world.review
    with review.client("ther.b") as c:
        mark = _last(world)
        assert c.get(f"/patients/{world.ids['pid']}").status_code == 404
        assert c.get(f"/sessions/{world.ids['sid']}/reps.csv").status_code == 404
    entries = _since(world, mark)
    assert [(e.action, e.outcome, e.status) for e in entries] == [
        ("patient.view", "refused", 404),
        ("session.export.reps", "refused", 404),
    ]
    assert all(e.patient_ref == world.refs["pid"] for e in entries)
    assert all(e.actor == f"user:{review.ther_b.id}" for e in entries)


def test_nobody_signed_in_leaves_nothing_and_a_wrong_password_leaves_anonymous(
    world: World,
) -> None:
    with httpx.Client(base_url=world.review.url, follow_redirects=False) as c:
        mark = _last(world)
        assert c.get(f"/patients/{world.ids['pid']}").status_code == 303
        assert c.get(f"/sessions/{world.ids['sid']}/reps.csv").status_code == 401
        assert _since(world, mark) == []
        r = c.post("/login", data={"username": "Alice Patient", "password": "wrong password x"})
        assert r.status_code == 401
    entries = _since(world, mark)
    assert [(e.action, e.actor, e.outcome, e.status) for e in entries] == [
        ("sign_in", "anonymous", "refused", 401)
    ]
    assert "Alice" not in json.dumps([e.subject for e in entries])
    world.review.server.server.config.app.state.login_limiter.reset()


def test_the_trail_holds_no_name_and_its_chain_verifies(world: World) -> None:
    store = world.review.store
    names = ["Alice", "Bob Patient", "Erin", "Nia", "ther.a", "alice@x.example", world.ids["sid"]]
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT * FROM audit_log").all()
    assert rows
    text = json.dumps([[str(v) for v in row] for row in rows])
    assert not [n for n in names if n in text]
    check = store.verify_audit()
    assert check.ok and check.entries == len(rows)


def test_the_admin_page_is_for_admins_only(world: World) -> None:
    with httpx.Client(base_url=world.review.url, follow_redirects=False) as c:
        assert c.get("/admin/audit").status_code == 303  # to the sign-in
        _sign_in(world, c, "ther.a")
        assert c.get("/admin/audit").status_code == 403
    with httpx.Client(base_url=world.review.url, follow_redirects=False) as c:
        _sign_in(world, c, "admin")
        page = c.get("/admin/audit?verify=1")
        assert page.status_code == 200 and 'data-testid="chain-ok"' in page.text
        assert "ther.a" in page.text and "Alice" not in page.text  # usernames, no patient names
        pid = world.ids["pid"]
        mine = c.get(f"/admin/audit?patient={world.refs['pid']}")
        assert mine.status_code == 200 and f">{pid}</a>" in mine.text
