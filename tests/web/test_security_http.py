"""Attacks on the HTTP side of a real server (uvicorn on a loopback port, a real SQLite file):
each test is one finding of the security review, and fails on the code before its fix.

Raw sockets where the attack is in the framing (a body that never comes, a lying
Content-Length), httpx for the forms, real Chromium for the cross-port CSRF page, and
hypothesis for the form fields. docs/SECURITY.md maps the defences to these tests.
"""

from __future__ import annotations

import errno
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coach.live import SessionRegistry
from coach.store import Store, open_store
from coach.store.accounts import AccountError
from tests.lanes import uses
from tests.web.attack_tools import read_response as _response
from web.access import LoginLimiter
from web.app import create_app
from web.frames import decode_frame
from web.server import BackgroundServer

PASSWORD = "correct horse battery"
BOUNDARY = "----coachsecuritytest"


@dataclass
class Site:
    """A fresh server with its own data directory: two therapists, each with a patient."""

    server: BackgroundServer
    store: Store
    root: Path
    ther: int
    patient: int
    other_patient: int

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def uploads(self) -> Path:
        return self.root / "uploads"

    @contextmanager
    def client(self, who: str | None = None, **kw: Any) -> Iterator[httpx.Client]:
        with httpx.Client(base_url=self.url, timeout=30, follow_redirects=False, **kw) as c:
            if who is not None:
                r = c.post("/login", data={"username": who, "password": PASSWORD})
                assert r.status_code == 303, r.text
            yield c

    def cookie(self, who: str = "sec.ther") -> str:
        with self.client(who) as c:
            return c.cookies["coach_session"]

    def reset_limits(self) -> None:
        self.server.server.config.app.state.login_limiter.reset()


@contextmanager
def data_dir(root: Path) -> Iterator[None]:
    old = os.environ.get("COACH_DATA_DIR")
    os.environ["COACH_DATA_DIR"] = str(root)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("COACH_DATA_DIR", None)
        else:
            os.environ["COACH_DATA_DIR"] = old


def _app(store: Store, root: Path) -> Any:
    """The real app on `store`, its uploads under `root` (no pose worker processes)."""
    with data_dir(root):
        registry = SessionRegistry(decode=decode_frame, isolation="thread")
        return create_app(registry, store=store)


@pytest.fixture(scope="module")
@uses("server")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("security")
    store = open_store(f"sqlite:///{root / 'coach.db'}")
    ther = store.create_user("sec.ther", "Dr Sec", PASSWORD)
    other = store.create_user("sec.other", "Dr Other", PASSWORD)
    patient = store.create_patient(ther.id, "Pat Secure", birth_year=1950)
    other_patient = store.create_patient(other.id, "Pat Other", birth_year=1951)
    try:
        with BackgroundServer(_app(store, root)) as server:
            yield Site(server, store, root, ther.id, patient.id, other_patient.id)
    finally:
        store.close()


def _files(path: Path) -> list[str]:
    return sorted(p.name for p in path.rglob("*") if p.is_file()) if path.exists() else []


# ---- raw HTTP ----------------------------------------------------------------------------------
def _open(site: Site, path: str, headers: dict[str, str], method: str = "POST") -> socket.socket:
    sock = socket.create_connection((site.server.host, site.server.port), timeout=10)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {site.server.host}:{site.server.port}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return sock


def _multipart_head(name: str = "clip.mp4") -> bytes:
    return (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="exercise_id"\r\n\r\nsquat\r\n'
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="video"; filename="{name}"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()


def _upload_headers(length: int, cookie: str | None = None) -> dict[str, str]:
    headers = {
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "Content-Length": str(length),
        "Accept": "application/json",
    }
    if cookie:
        headers["Cookie"] = f"coach_session={cookie}"
    return headers


# ---- finding 3: uploads ------------------------------------------------------------------------
def test_an_anonymous_upload_is_refused_before_its_body_is_read(site: Site) -> None:
    """200 MB announced, 2 MB sent: the sign-in answer comes at once, nothing is stored."""
    sock = _open(site, f"/patients/{site.patient}/uploads", _upload_headers(200 * 1024 * 1024))
    try:
        sock.sendall(_multipart_head() + b"\0" * (2 * 1024 * 1024))
        status, headers, _ = _response(sock, timeout=5)
    finally:
        sock.close()
    assert status == 303 and headers["location"].startswith("/login")
    assert _files(site.uploads) == []


def test_a_declared_10_gib_upload_is_refused_at_once(site: Site) -> None:
    """A signed-in therapist's request claiming 10 GiB: 413 before any body byte is sent."""
    headers = _upload_headers(10 * 1024**3, site.cookie())
    sock = _open(site, f"/patients/{site.patient}/uploads", headers)
    try:
        status, _, body = _response(sock, timeout=5)
    finally:
        sock.close()
    assert status == 413 and b"larger than" in body
    assert _files(site.uploads) == []


def test_a_stalled_upload_is_aborted_and_its_partial_file_removed(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COACH_UPLOAD_IDLE_S", "1.5")
    sock = _open(
        site, f"/patients/{site.patient}/uploads", _upload_headers(100 * 1024 * 1024, site.cookie())
    )
    try:
        sock.sendall(_multipart_head() + b"\0" * (3 * 1024 * 1024))  # 3 MB, then nothing
        time.sleep(0.5)
        assert len(_files(site.uploads)) == 1  # the partial file, while the body arrives
        status, headers, body = _response(sock, timeout=8)
    finally:
        sock.close()
    assert status == 408 and b"stalled" in body and headers.get("connection") == "close"
    assert _files(site.uploads) == []


class _DiskFills:
    """A file that takes 256 KB and then, like a full disk, raises ENOSPC."""

    def __init__(self, path: Path) -> None:
        self._f = open(path, "xb")  # noqa: SIM115 (closed by close())
        self._written = 0

    def write(self, data: bytes) -> int:
        if self._written + len(data) > 256 * 1024:
            raise OSError(errno.ENOSPC, "No space left on device")
        self._written += len(data)
        return self._f.write(data)

    def close(self) -> None:
        self._f.close()


def test_a_full_disk_is_answered_in_words_and_leaves_nothing_behind(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    import web.uploads.receiving

    monkeypatch.setattr(web.uploads.receiving, "open_for_writing", _DiskFills)
    with site.client("sec.ther") as c:
        r = c.post(
            f"/patients/{site.patient}/uploads",
            data={"exercise_id": "squat"},
            files={"video": ("clip.mp4", b"\0" * (2 * 1024 * 1024), "video/mp4")},
            headers={"Accept": "application/json"},
        )
    assert r.status_code == 507, r.text
    assert "no room left" in r.json()["message"] and str(site.root) not in r.text
    assert _files(site.uploads) == []


def test_upload_errors_never_show_the_servers_paths(site: Site) -> None:
    with site.client("sec.ther") as c:
        r = c.post(
            f"/patients/{site.patient}/uploads",
            data={"exercise_id": "squat"},
            files={"video": ("holiday.mp4", b"not a video at all " * 500, "video/mp4")},
        )
    assert r.status_code == 400 and "holiday.mp4" in r.json()["message"]
    assert str(site.root) not in r.text and "/uploads/" not in r.text
    assert _files(site.uploads) == []


# ---- finding 5: CSRF ---------------------------------------------------------------------------
PROGRAM = {"rows": "1", "exercise_0": "squat", "target_rom_deg_0": "170", "max_rom_deg_0": "180"}


def _program(site: Site) -> list[tuple[str, Any, Any]]:
    return [
        (p.exercise_id, p.target_rom_deg, p.max_rom_deg) for p in site.store.program(site.patient)
    ]


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://127.0.0.1:1"},  # another port of the same host: same site
        {"Origin": "null"},
        {"Origin": "http://evil.example"},
        {"Referer": "http://127.0.0.1:1/attack.html"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost:1"},
    ],
)
def test_a_write_from_another_origin_is_refused(site: Site, headers: dict[str, str]) -> None:
    site.store.set_program(site.patient, [{"exercise_id": "squat", "target_rom_deg": 60.0}])
    before = _program(site)
    with site.client("sec.ther") as c:
        r = c.post(f"/patients/{site.patient}/program", data=PROGRAM, headers=headers)
        assert r.status_code == 403 and "another" in r.text
        r = c.post("/login", data={"username": "sec.ther", "password": PASSWORD}, headers=headers)
        assert r.status_code == 403 and "set-cookie" not in r.headers
        r = c.post("/logout", headers=headers)
        assert r.status_code == 403
    assert _program(site) == before


def test_a_write_from_our_own_pages_is_accepted(site: Site) -> None:
    own = {"Origin": site.url, "Sec-Fetch-Site": "same-origin", "Referer": f"{site.url}/x"}
    with site.client("sec.ther") as c:
        r = c.post(f"/patients/{site.patient}/program", data=PROGRAM, headers=own)
    assert r.status_code == 303
    assert _program(site) == [("squat", 170.0, 180.0)]


class _AttackerPage(BaseHTTPRequestHandler):
    html = b""

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(self.html)

    def log_message(self, *args: Any) -> None:
        pass


def test_a_page_on_another_port_cannot_change_a_program_in_chromium(
    site: Site, playwright: Any
) -> None:
    from tests.web.pages import launch_chromium

    site.reset_limits()
    site.store.set_program(site.patient, [{"exercise_id": "squat", "target_rom_deg": 60.0}])
    inputs = "".join(f'<input name="{k}" value="{v}">' for k, v in PROGRAM.items())
    _AttackerPage.html = (
        f'<form id="f" method="post" action="{site.url}/patients/{site.patient}/program">'
        f'{inputs}</form><script>document.getElementById("f").submit()</script>'
    ).encode()
    attacker = ThreadingHTTPServer(("127.0.0.1", 0), _AttackerPage)
    threading.Thread(target=attacker.serve_forever, daemon=True).start()
    try:
        browser = launch_chromium(playwright, [])
        try:
            page = browser.new_context().new_page()
            page.goto(f"{site.url}/login")  # the therapist signs in with the real form
            page.fill("input[name=username]", "sec.ther")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/therapist")
            # ... and visits a page on another port of the same host.
            page.goto(f"http://127.0.0.1:{attacker.server_address[1]}/")
            page.wait_for_url(f"{site.url}/patients/**", timeout=10_000)
            assert "Refused" in (page.text_content("body") or "")
            assert _program(site) == [("squat", 60.0, None)]
            # The real program form still works (Origin sent, same origin).
            page.goto(f"{site.url}/patients/{site.patient}")
            page.fill("input[name=target_rom_deg_0]", "75")
            page.click("[data-testid=program-form] button[type=submit]")
            page.wait_for_load_state()
            assert _program(site) == [("squat", 75.0, None)]
        finally:
            browser.close()
    finally:
        attacker.shutdown()


# ---- finding 6: the sign-in limit --------------------------------------------------------------
def _login(c: httpx.Client, username: str, password: str, **headers: str) -> httpx.Response:
    return c.post("/login", data={"username": username, "password": password}, headers=headers)


def test_padded_names_and_forged_forwarded_for_share_one_bucket(site: Site) -> None:
    site.reset_limits()
    variants = [" sec.ther", "sec.ther ", "SEC.THER", "\tsec.ther", "Sec.Ther\u00a0", "sec.ther"]
    with site.client() as c:
        codes = [
            _login(c, name, f"guess {i}", **{"X-Forwarded-For": f"10.0.0.{i}"}).status_code
            for i, name in enumerate(variants + variants)
        ]
        assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}, codes
        r = _login(c, " sec.ther ", PASSWORD, **{"X-Forwarded-For": "10.9.9.9"})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    site.reset_limits()


def test_the_real_user_still_signs_in_from_another_address_during_an_attack(site: Site) -> None:
    """The attacker's guesses come from 127.0.0.2; the therapist signs in from 127.0.0.1."""
    site.reset_limits()
    attacker = httpx.HTTPTransport(local_address="127.0.0.2")
    with site.client(transport=attacker) as c:
        codes = [_login(c, "sec.ther", f"guess {i}").status_code for i in range(8)]
        assert codes == [401] * 5 + [429] * 3
    with site.client() as c:
        r = _login(c, "sec.ther", PASSWORD)
        assert r.status_code == 303 and r.headers["location"] == "/therapist"
    site.reset_limits()


def test_forwarded_for_is_believed_only_from_configured_proxies(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    from web.server import uvicorn_config

    assert uvicorn_config(None, "127.0.0.1", 1, "warning").proxy_headers is False
    monkeypatch.setenv("COACH_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")
    config = uvicorn_config(None, "127.0.0.1", 1, "warning")
    assert config.proxy_headers is True and config.forwarded_allow_ips == [
        "127.0.0.1",
        "10.0.0.0/8",
    ]
    proxied = BackgroundServer(_app(site.store, site.root / "proxied"))
    with proxied, httpx.Client(base_url=proxied.url, timeout=30) as c:
        codes = [
            _login(c, "sec.ther", "guess", **{"X-Forwarded-For": "203.0.113.7"}).status_code
            for _ in range(6)
        ]
        assert codes == [401] * 5 + [429]
        r = _login(c, "sec.ther", PASSWORD, **{"X-Forwarded-For": "198.51.100.1"})
        assert r.status_code == 303


def test_delays_grow_after_each_further_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    import web.access

    now = [1000.0]
    monkeypatch.setattr(web.access.time, "monotonic", lambda: now[0])
    limiter = LoginLimiter(free=2, base_s=10, max_s=60)
    waits = []
    for _ in range(6):
        wait = limiter.retry_after("Carol ", "1.2.3.4")
        waits.append(wait)
        now[0] += wait
        limiter.failed(" carol", "1.2.3.4")
    assert waits == [0, 0, 10, 20, 40, 60]
    assert limiter.retry_after("carol", "5.6.7.8") == 0  # another address: not slowed
    limiter.succeeded("CAROL", "1.2.3.4")
    assert limiter.retry_after("carol", "1.2.3.4") == 0


# ---- finding 8: passwords, headers, API docs, 404 wording -------------------------------------
WEAK = ["Password123!", "aaaaaaaaaaaa", "qwertyuiop12", "iloveyou2024", "short"]


@pytest.mark.parametrize("weak", WEAK)
def test_weak_passwords_are_refused_with_a_reason(site: Site, weak: str) -> None:
    with site.client("sec.ther") as c:
        r = c.post(
            "/therapist/patients",
            data={"name": "Weak Pw", "username": "weak.user", "password": weak},
        )
    why = "at least 10 characters" if len(weak) < 10 else "too easy to guess"
    assert r.status_code == 400 and why in r.json()["detail"], r.text
    with pytest.raises(AccountError, match=why):
        site.store.create_user("weak.ther", "Weak", weak)
    with pytest.raises(AccountError, match=why):
        site.store.set_password(site.ther, weak)
    with site.client("sec.ther"):
        pass  # the old password still works


def test_a_password_made_of_the_username_is_refused(site: Site) -> None:
    with site.client("sec.ther") as c:
        r = c.post(
            "/therapist/patients",
            data={"name": "Erin Weak", "username": "erin.weak", "password": "erin.weak2024"},
        )
    assert r.status_code == 400 and "too easy to guess" in r.json()["detail"], r.text


def test_security_headers_on_every_response(site: Site) -> None:
    with site.client("sec.ther") as c:
        for path, cached in [
            ("/login", False),
            ("/", False),
            ("/therapist", False),
            (f"/patients/{site.patient}", False),
            ("/static/coach.css", True),
            ("/no/such/page", False),
        ]:
            r = c.get(path)
            csp = r.headers["content-security-policy"]
            for directive in (
                "default-src 'self'",
                "script-src 'self' 'wasm-unsafe-eval'",
                "worker-src 'self' blob:",
                "connect-src 'self' ws: wss:",
                "img-src 'self' data: blob:",
                "media-src 'self' blob:",
                "frame-ancestors 'none'",
            ):
                assert directive in csp, (path, csp)
            assert "unsafe-inline" not in csp
            assert r.headers["x-content-type-options"] == "nosniff"
            assert r.headers["x-frame-options"] == "DENY"
            assert r.headers["referrer-policy"] == "same-origin"
            assert ("no-store" in r.headers.get("cache-control", "")) is not cached, path
        r = c.post(f"/patients/{site.patient}/program", data=PROGRAM, headers={"Origin": "null"})
        assert r.status_code == 403 and r.headers["x-frame-options"] == "DENY"


def test_templates_have_no_inline_scripts_or_styles() -> None:
    """The CSP allows no inline code: a template with some would break under it."""
    import re

    from web.routes.live import PAGES_DIR

    for page in PAGES_DIR.rglob("*.html"):
        text = page.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), page
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", text), page


def test_api_docs_are_off_unless_asked_for(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    with site.client() as c:
        for path in ("/openapi.json", "/docs", "/redoc"):
            assert c.get(path).status_code == 404
    monkeypatch.setenv("COACH_OPENAPI", "1")
    docs = BackgroundServer(_app(site.store, site.root / "docs"))
    with docs, httpx.Client(base_url=docs.url, timeout=30) as c:
        assert c.get("/openapi.json").status_code == 200
        assert c.get("/docs").status_code == 200


@pytest.fixture(scope="module")
def others(site: Site) -> dict[str, str]:
    """Ids of the other therapist's patient's data."""
    from coach.offline.recording import record_landmarks
    from exercises import load_exercise

    lm = np.full((30, 33, 4), np.nan)
    sid, _ = record_landmarks(
        site.store, lm, 30.0, (640, 480), load_exercise("squat"), patient_id=site.other_patient
    )
    job = site.store.create_job(site.other_patient, "squat", "clip.mp4")
    link, _ = site.store.create_link(site.other_patient)
    return {"sid": sid, "jid": job.id, "lid": str(link.id), "pid": str(site.other_patient)}


@pytest.mark.parametrize(
    ("method", "template", "missing"),
    [
        ("GET", "/sessions/{sid}", {"sid": "nosuchsession000"}),
        ("GET", "/sessions/{sid}/session.json", {"sid": "nosuchsession000"}),
        ("GET", "/api/jobs/{jid}", {"jid": "nosuchjob000"}),
        ("GET", "/patients/{pid}", {"pid": "999999"}),
        ("POST", "/patients/{pid}/links", {"pid": "999999"}),
        ("POST", "/sessions/{sid}/reference", {"sid": "nosuchsession000"}),
    ],
)
def test_forbidden_and_missing_ids_get_the_same_answer(
    site: Site, others: dict[str, str], method: str, template: str, missing: dict[str, str]
) -> None:
    with site.client("sec.ther") as c:
        forbidden = c.request(method, template.format(**others))
        absent = c.request(method, template.format(**{**others, **missing}))
    assert forbidden.status_code == absent.status_code == 404
    assert forbidden.text == absent.text


# ---- finding 7: what a crash leaves ------------------------------------------------------------
@pytest.mark.server
def test_start_up_removes_orphaned_uploads_and_fails_interrupted_jobs(
    site: Site, tmp_path: Path
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'coach.db'}")
    try:
        ther = store.create_user("crash.ther", "Dr Crash", PASSWORD)
        patient = store.create_patient(ther.id, "Pat Crash")
        running = store.create_job(patient.id, "squat", "a.mp4")
        store.update_job(running.id, status="running")
        kept = store.create_job(patient.id, "squat", "b.mp4")
        store.update_job(kept.id, status="running")
        uploads = tmp_path / "uploads"
        uploads.mkdir()
        for name in (f"{running.id}.mp4", f"{kept.id}.keep.mp4", "0123abcd.part", "stray.mov"):
            (uploads / name).write_bytes(b"video")
        with BackgroundServer(_app(store, tmp_path)):
            assert _files(uploads) == []
            assert _files(tmp_path / "videos") == [f"interrupted-{kept.id}.keep.mp4"]
            for job_id in (running.id, kept.id):
                job = store.job(job_id)
                assert job.status == "failed" and "server stopped" in job.error
    finally:
        store.close()


def test_the_analysis_runs_on_threads_not_processes(site: Site) -> None:
    """No upload worker process can outlive the server: the analysis has none."""
    import multiprocessing

    from web.uploads.jobs import AnalysisJobs

    jobs = site.server.server.config.app.state.jobs
    assert isinstance(jobs, AnalysisJobs)
    assert type(jobs._pool).__name__ == "ThreadPoolExecutor"
    assert not [
        p for p in multiprocessing.active_children() if p.is_alive() and "analysis" in p.name
    ]


# ---- fuzzing the forms -------------------------------------------------------------------------
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
number_ish = st.one_of(
    text,
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", " ", "1e309", "-0", "0x10", "nan", "inf", "3", "170", "1_0"]),
)
FUZZ = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
OK = {200, 303, 400, 401, 403, 404, 413, 422, 429}


@FUZZ
@given(
    rows=number_ish,
    exercise=st.one_of(text, st.sampled_from(["squat", "", "squat\0", "../squat"])),
    fields=st.dictionaries(
        st.sampled_from(
            [
                "sets_0",
                "reps_0",
                "hold_s_0",
                "days_per_week_0",
                "target_rom_deg_0",
                "max_rom_deg_0",
                "notes_0",
                "delete_0",
                "exercise_1",
                "sets_1",
            ]
        ),
        number_ish,
    ),
)
def test_fuzzed_program_forms_never_break_the_server(
    site: Site, rows: str, exercise: str, fields: dict[str, str]
) -> None:
    with site.client() as c:
        c.cookies.set("coach_session", _fuzz_cookie(site))
        r = c.post(
            f"/patients/{site.patient}/program",
            data={"rows": rows, "exercise_0": exercise, **fields},
        )
    assert r.status_code in OK, (r.status_code, r.text[:300])
    if r.status_code == 400:
        assert r.json()["detail"]


@FUZZ
@given(username=text, password=text, next_=text)
def test_fuzzed_sign_ins_never_break_the_server(
    site: Site, username: str, password: str, next_: str
) -> None:
    with site.client() as c:
        r = c.post("/login", data={"username": username, "password": password, "next": next_})
    assert r.status_code in {401, 429}, (r.status_code, r.text[:300])


@FUZZ
@given(
    name=text,
    birth_year=number_ish,
    sex=st.one_of(text, st.sampled_from(["female", "male", ""])),
    notes=st.text(max_size=300),
    username=st.one_of(text, st.just("")),
    password=st.one_of(text, st.just("")),
)
def test_fuzzed_patient_creation_never_breaks_the_server(
    site: Site, name: str, birth_year: str, sex: str, notes: str, username: str, password: str
) -> None:
    with site.client() as c:
        c.cookies.set("coach_session", _fuzz_cookie(site))
        r = c.post(
            "/therapist/patients",
            data={
                "name": name,
                "birth_year": birth_year,
                "sex": sex,
                "notes": notes,
                "username": username,
                "password": password,
            },
        )
    assert r.status_code in OK, (r.status_code, r.text[:300])
    if r.status_code == 303:
        assert r.headers["location"].startswith("/patients/")


_COOKIES: dict[str, str] = {}


def _fuzz_cookie(site: Site) -> str:
    if "c" not in _COOKIES:
        site.reset_limits()
        _COOKIES["c"] = site.cookie()
    return _COOKIES["c"]
