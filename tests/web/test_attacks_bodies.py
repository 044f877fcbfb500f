"""Attacks 2 and 5 of issue 25: request bodies read whole before any limit.

2. An anonymous `POST /login` declared as 10 GB with a file part was spooled to a temporary
   file and held while the client stayed silent; 200 url-encoded fields of 1 MB raised the
   server's memory by 200 MB.
5. Ratings read the whole body before their 1 KB limit (40 MB read, then 413; 64 MB declared:
   no answer in 5 s).

Every form and JSON route now refuses an oversized body before reading it (declared, or
while it streams), refuses file parts where none is expected, caps the fields, and times out
a slow sender (web/body_limits.py). Raw sockets against a real server, since the attack is in
the framing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import pytest

from coach.live import SessionRegistry
from tests.lanes import uses
from tests.web.attack_tools import read_response, send_head
from tests.web.review_app import Review, review_app
from web.frames import decode_frame

BOUNDARY = "----coachattack"


@pytest.fixture(scope="module")
@uses("server")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Review]:
    registry = SessionRegistry(decode=decode_frame, isolation="thread")
    with review_app(tmp_path_factory.mktemp("bodies"), registry=registry) as app:
        yield app


@pytest.fixture(scope="module")
def stored_session(site: Review) -> str:
    """A stored set of the signed-in patient pat.a, to rate."""
    from coach.offline.recording import record_landmarks
    from exercises import load_exercise

    lm = np.full((30, 33, 4), np.nan)
    sid, _ = record_landmarks(
        site.store, lm, 30.0, (640, 480), load_exercise("squat"), patient_id=site.pat_a.id
    )
    return str(sid)


def _post(site: Review, path: str, headers: dict[str, str]) -> object:
    return send_head(site.server.host, site.server.port, "POST", path, headers)


def test_a_10_gb_multipart_sign_in_is_refused_before_its_body(site: Review) -> None:
    headers = {
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "Content-Length": str(10 * 1024**3),
    }
    sock = _post(site, "/login", headers)  # and then silence
    try:
        status, head, _ = read_response(sock, timeout=5)
    finally:
        sock.close()
    assert status == 413 and head.get("connection") == "close"


def test_a_file_part_in_the_sign_in_form_is_refused(site: Review) -> None:
    with site.client() as c:
        r = c.post(
            "/login",
            data={"username": "ther.a"},
            files={"password": ("pw.txt", b"correct horse battery", "text/plain")},
        )
    assert r.status_code == 400 and "files" in r.json()["detail"]


def test_200_fields_of_1_mb_are_refused_before_they_are_read(site: Review) -> None:
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Length": str(200 * (1024 * 1024 + 4)),
    }
    sock = _post(site, "/login", headers)  # and then silence
    try:
        status, _, _ = read_response(sock, timeout=5)
    finally:
        sock.close()
    assert status == 413


def _endless_chunked(site: Review, path: str, headers: dict[str, str], size: int) -> int:
    """The status of a chunked body (no Content-Length to refuse) whose first chunk of `size`
    bytes is past the limit and which never ends: counted while it streams."""
    sock = _post(site, path, {**headers, "Transfer-Encoding": "chunked"})
    try:
        sock.sendall(f"{size:x}\r\n".encode() + b"x" * size + b"\r\n")
        return read_response(sock, timeout=5)[0]
    finally:
        sock.close()


def test_a_chunked_body_is_cut_off_once_past_the_limit(site: Review) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert _endless_chunked(site, "/login", form, 16384) == 413


def test_the_sign_in_form_takes_few_small_fields(site: Review) -> None:
    with site.client() as c:
        many = {f"f{i}": "1" for i in range(60)} | {"username": "ther.a", "password": "x"}
        r = c.post("/login", data=many)
        assert r.status_code == 400 and "fields" in r.json()["detail"]
        r = c.post("/login", data={"username": "ther.a", "password": "p" * 5000})
        assert r.status_code == 400 and "maximum size" in r.json()["detail"]
        r = c.post("/login", data={"username": "ther.a", "password": Review.PASSWORD})
        assert r.status_code == 303  # the real form still signs in


def test_a_slow_sender_is_answered_408(site: Review, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COACH_BODY_TIMEOUT_S", "1.5")
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Content-Length": "100"}
    sock = _post(site, "/login", headers)
    opened = time.monotonic()
    try:
        sock.sendall(b"username=ther.a&pass")  # 20 of 100 bytes, then nothing
        status, head, _ = read_response(sock, timeout=10)
    finally:
        sock.close()
    assert status == 408 and head.get("connection") == "close"
    assert 1.0 < time.monotonic() - opened < 8


def test_other_forms_are_bounded_too(site: Review) -> None:
    """A route without a limit of its own: COACH_MAX_FORM_KB (256 KB)."""
    cookie = site.cookie("ther.a")
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Length": str(300 * 1024),
        "Cookie": f"coach_session={cookie}",
    }
    sock = _post(site, f"/patients/{site.pat_a.id}/program", headers)
    try:
        status, _, _ = read_response(sock, timeout=5)
    finally:
        sock.close()
    assert status == 413


# ---- attack 5: ratings ----------------------------------------------------------------------
@pytest.mark.parametrize("declared_mb", [40, 64])
def test_a_large_rating_is_refused_before_its_body_is_read(
    site: Review, stored_session: str, declared_mb: int
) -> None:
    cookie = site.cookie("pat.a")
    headers = {
        "Content-Type": "application/json",
        "Content-Length": str(declared_mb * 1024 * 1024),
        "Cookie": f"coach_session={cookie}",
        "Accept": "application/json",
    }
    sock = _post(site, f"/sessions/{stored_session}/ratings", headers)  # then silence
    try:
        status, head, body = read_response(sock, timeout=5)
    finally:
        sock.close()
    assert status == 413 and head.get("connection") == "close" and b"1 KB" in body


def test_a_rating_streamed_without_a_length_is_cut_off(site: Review, stored_session: str) -> None:
    headers = {
        "Content-Type": "application/json",
        "Cookie": f"coach_session={site.cookie('pat.a')}",
    }
    assert _endless_chunked(site, f"/sessions/{stored_session}/ratings", headers, 4096) == 413


def test_a_small_rating_is_still_taken(site: Review, stored_session: str) -> None:
    with site.client("pat.a") as c:
        r = c.post(f"/sessions/{stored_session}/ratings", json={"kind": "pain_before", "value": 3})
    assert r.status_code == 201 and r.json()["value"] == 3


def test_a_rating_with_a_lone_surrogate_is_refused(site: Review, stored_session: str) -> None:
    with site.client("pat.a") as c:
        r = c.post(
            f"/sessions/{stored_session}/ratings",
            content=b'{"kind": "pain_before", "value": 3, "area": "knee \\ud800"}',
            headers={"Content-Type": "application/json"},
        )
    assert r.status_code == 422


def test_an_upload_is_not_held_to_the_form_limit(site: Review) -> None:
    """Uploads stream their own body (their limits: web/uploads/receiving.py)."""
    with site.client("ther.a") as c:
        r = c.post(
            f"/patients/{site.pat_a.id}/uploads",
            data={"exercise_id": "squat"},
            files={"video": ("clip.mp4", b"not a video " * 40000, "video/mp4")},
            headers={"Accept": "application/json"},
        )
    assert r.status_code == 400 and "can't be read as a video" in r.json()["message"]


# ---- the upload form's own limits (web/uploads/receiving.py) ----------------------------------
def _upload(site: Review, parts: list[tuple[str, bytes]]) -> tuple[int, str]:
    body = b""
    for head, value in parts:
        body += f"--{BOUNDARY}\r\n{head}\r\n\r\n".encode() + value + b"\r\n"
    body += f"--{BOUNDARY}--\r\n".encode()
    with site.client("ther.a") as c:
        r = c.post(
            f"/patients/{site.pat_a.id}/uploads",
            content=body,
            headers={
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                "Accept": "application/json",
            },
        )
    return r.status_code, r.json()["message"]


def test_the_upload_form_takes_few_small_fields(site: Review) -> None:
    field = 'Content-Disposition: form-data; name="f{}"'
    many = [(field.format(i), b"1") for i in range(20)]
    assert _upload(site, many) == (400, "This form has too many parts.")
    long_value = [(field.format(0), b"x" * 5000)]
    assert _upload(site, long_value) == (400, "The form field 'f0' is too long.")
    long_header = [(field.format(0) + "; x=" + "y" * 5000, b"1")]  # python-multipart: 4 KB
    assert _upload(site, long_header) == (
        400,
        "The upload form arrived malformed (MultipartParseError).",
    )


def test_an_upload_taking_longer_than_its_total_time_is_stopped(
    site: Review, monkeypatch: pytest.MonkeyPatch
) -> None:
    """COACH_UPLOAD_TIMEOUT_S: a sender that never stalls long enough for the idle limit but
    never finishes either."""
    monkeypatch.setenv("COACH_UPLOAD_TIMEOUT_S", "2")
    headers = {
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "Content-Length": str(10 * 1024 * 1024),
        "Cookie": f"coach_session={site.cookie('ther.a')}",
        "Accept": "application/json",
    }
    sock = _post(site, f"/patients/{site.pat_a.id}/uploads", headers)
    opened = time.monotonic()
    status = None
    try:
        sock.sendall(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="video"; '
            'filename="a.mp4"\r\n\r\n'.encode()
        )
        sock.settimeout(0.3)
        while time.monotonic() - opened < 15 and status is None:
            sock.sendall(b"\0" * 1024)  # a little, often
            try:
                status, _, _ = read_response(sock, timeout=0.3)
            except TimeoutError:
                continue
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        sock.close()
    assert status == 408 and 1.5 < time.monotonic() - opened < 12
