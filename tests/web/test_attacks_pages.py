"""Attack 7 of issue 25 (a forged "new personal link"), and what the documents promised about
every response and every connection, against a real server.

7. `/patients/P1?new_link=TOKEN` showed any token as P1's new link, with a Copy button:
   another patient's live token, a revoked one. Only a live link of this patient is shown.

docs/SECURITY.md said every response carries the Content-Security-Policy: uvicorn's own 400
(and Starlette's 500) did not. And uvicorn waited for ever on a connection that sent nothing,
from any address, as many as the open-file limit allowed (web/connections.py).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from coach.live import SessionRegistry
from tests.lanes import uses
from tests.web.attack_tools import closed_by_peer, connect_from, open_ws, read_response
from tests.web.review_app import Review, review_app
from web.app import create_app
from web.frames import decode_frame
from web.server import BackgroundServer


@pytest.fixture(scope="module")
@uses("server")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Review]:
    registry = SessionRegistry(decode=decode_frame, isolation="thread")
    with review_app(tmp_path_factory.mktemp("pages"), registry=registry) as app:
        yield app


# ---- attack 7 -------------------------------------------------------------------------------
def test_only_a_live_link_of_this_patient_is_shown_as_new(site: Review) -> None:
    link, revoked = site.store.create_link(site.pat_a.id)
    site.store.revoke_link(site.pat_a.id, link.id)
    _, live = site.store.create_link(site.pat_a.id)
    page = f"/patients/{site.pat_a.id}"
    with site.client("ther.a") as c:
        for forged in (site.link_tokens["pat.b"], revoked, "made-up-token"):
            r = c.get(page, params={"new_link": forged})
            assert r.status_code == 200
            assert forged not in r.text and 'data-testid="new-link"' not in r.text
            assert "Copy link" not in r.text
        r = c.get(page, params={"new_link": live})
        assert f"/p/{live}</code>" in r.text and "Copy link" in r.text


def test_a_new_link_is_shown_once_after_creating_it(site: Review) -> None:
    """The real flow still works: Create a personal link, then its page shows it."""
    with site.client("ther.a") as c:
        r = c.post(f"/patients/{site.pat_a.id}/links")
        assert r.status_code == 303
        shown = c.get(r.headers["location"])
    assert 'data-testid="new-link"' in shown.text and "Copy link" in shown.text


# ---- every response carries the headers -----------------------------------------------------
CSP = "content-security-policy"


@contextmanager
def _plain_server(**env: str) -> Iterator[BackgroundServer]:
    """The app (no store) with a route that fails, on a server started with `env`."""
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        app = create_app(SessionRegistry(decode=decode_frame, isolation="thread"))

        def fails() -> None:
            raise RuntimeError("a fault of ours")

        app.add_api_route("/fails", fails)
        server = BackgroundServer(app)
    with server:
        yield server


@pytest.fixture(scope="module")
@uses("server")
def plain() -> Iterator[BackgroundServer]:
    """Headers are due within 1 s."""
    with _plain_server(COACH_HEADER_TIMEOUT_S="1") as server:
        yield server


@pytest.fixture(scope="module")
@uses("server")
def capped() -> Iterator[BackgroundServer]:
    """5 connections per address, but those of the trusted proxy 127.0.0.3."""
    with _plain_server(
        COACH_MAX_CONNECTIONS_PER_ADDRESS="5",
        COACH_TRUSTED_PROXIES="127.0.0.3",
        COACH_HEADER_TIMEOUT_S="60",
    ) as server:
        yield server


def _raw(server: BackgroundServer, data: bytes, source: str = "127.0.0.1") -> socket.socket:
    sock = connect_from(source, server.host, server.port)
    sock.sendall(data)
    return sock


def test_uvicorns_own_answers_carry_the_security_headers(plain: BackgroundServer) -> None:
    answers = [
        (400, b"NOT HTTP AT ALL\r\n\r\n"),
        (431, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n"),
        (431, b"GET / HTTP/1.1\r\nHost: x\r\nX-Endless: " + b"a" * 70_000),  # no end
        (408, b"GET / HTTP/1.1\r\nHost: x\r\n"),  # and never the end of the headers
    ]
    for status, data in answers:
        sock = _raw(plain, data)
        try:
            got, headers, _ = read_response(sock, timeout=10)
        finally:
            sock.close()
        assert got == status and "frame-ancestors 'none'" in headers[CSP], (status, headers)
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["connection"] == "close"


def test_an_unexpected_exception_is_answered_with_the_headers(plain: BackgroundServer) -> None:
    r = httpx.get(f"{plain.url}/fails", timeout=30)
    assert r.status_code == 500 and "default-src 'self'" in r.headers[CSP]


def test_a_refused_websocket_upgrade_carries_the_headers(plain: BackgroundServer) -> None:
    sock = _raw(
        plain,
        b"GET /ws/live?exercise=squat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Version: 13\r\nOrigin: http://evil.example\r\n\r\n",
    )
    try:
        status, headers, _ = read_response(sock, timeout=10)
    finally:
        sock.close()
    assert status == 403 and "default-src 'self'" in headers[CSP]
    ws = open_ws(plain.host, plain.port, "/ws/live?exercise=squat&pose=device")
    assert ws.status == 101  # without a foreign Origin: accepted
    ws.close()


# ---- connections --------------------------------------------------------------------------------
def test_one_address_holds_at_most_its_share_of_connections(capped: BackgroundServer) -> None:
    """COACH_MAX_CONNECTIONS_PER_ADDRESS=5: the sixth to eighth are closed as accepted;
    everyone else is served; a connection that ends gives its place back."""
    start = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"  # the headers never end
    held = [_raw(capped, start, "127.0.0.2") for _ in range(5)]
    more = [_raw(capped, start, "127.0.0.2") for _ in range(3)]
    try:
        assert closed_by_peer(more, 0.8) == set(more)
        assert closed_by_peer(held, 0.2) == set()
        r = httpx.get(f"{capped.url}/healthz", timeout=5)
        assert r.status_code == 200
        held.pop().close()
        deadline = time.monotonic() + 10
        while True:  # the place comes back once the server has seen the close
            again = _raw(capped, start, "127.0.0.2")
            if not closed_by_peer([again], 0.3):
                held.append(again)
                break
            again.close()
            assert time.monotonic() < deadline
    finally:
        for sock in held + more:
            sock.close()


def test_a_trusted_proxy_is_not_held_to_one_addresss_share(capped: BackgroundServer) -> None:
    start = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
    proxied = [_raw(capped, start, "127.0.0.3") for _ in range(8)]
    try:
        assert closed_by_peer(proxied, 0.5) == set()
    finally:
        for sock in proxied:
            sock.close()


def test_a_connection_that_sends_nothing_is_closed(plain: BackgroundServer) -> None:
    """COACH_HEADER_TIMEOUT_S=1, after opening and between keep-alive requests alike."""
    silent = connect_from("127.0.0.1", plain.host, plain.port)
    opened = time.monotonic()
    try:
        status, _, _ = read_response(silent, timeout=10)
    finally:
        silent.close()
    assert status == 408 and 0.8 < time.monotonic() - opened < 8
    kept = _raw(plain, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    try:
        assert read_response(kept, timeout=10)[0] == 200
        kept.sendall(b"GET /healthz HTTP/1.1\r\n")  # the next request's headers never end
        assert read_response(kept, timeout=10)[0] == 408
    finally:
        kept.close()
