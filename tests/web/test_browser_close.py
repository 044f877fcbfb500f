"""How the patient's page takes the server's refusals and endings, in real headless Chromium.

Real uvicorn servers with small live limits, the page's own JavaScript, Chromium's fake
camera. A refusal (4408 no pictures, 4429 too many from this address, 4409 taken over, 4410
ended) must leave plain words on screen and never reconnect by itself; "busy" (4503) is
retried with a wait the page shows. A patient slow to allow the camera must not be timed out
by the server's first-frame limit (the page connects once the camera is on).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.sync.client import connect

from coach.live import LiveLimits
from tests.lanes import uses
from tests.machine import scaled
from tests.web.pages import launch_chromium, page_text, texts_spy, wait_js
from tests.web.sockets import recv_type, send_frame
from web.app import create_app
from web.server import BackgroundServer

# Counts the sockets the page opens and the coach's answers to its pictures; drops its camera
# frames when window.__dropFrames is set.
SOCKET_SPY = """
window.__sockets = 0;
window.__answered = 0;
const RealSocket = window.WebSocket;
const realSend = RealSocket.prototype.send;
RealSocket.prototype.send = function (data) {
  if (window.__dropFrames && typeof data !== "string") return undefined;
  return realSend.call(this, data);
};
window.WebSocket = class extends RealSocket {
  constructor(...args) {
    super(...args);
    window.__sockets += 1;
    this.addEventListener("message", (e) => {
      if (typeof e.data === "string" && JSON.parse(e.data).type === "frame") window.__answered += 1;
    });
  }
};
"""
DROP_FRAMES = "window.__dropFrames = true;"
# The patient is slow to click "Allow": the camera opens when the test calls window.__allow().
HELD_PERMISSION = """
const realGetUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
navigator.mediaDevices.getUserMedia = (constraints) =>
  new Promise((resolve) => { window.__allow = resolve; }).then(() => realGetUserMedia(constraints));
"""
# Real time: the server's first-frame limit, stretched on a loaded machine (tests/machine.py).
FIRST_FRAME_S = 3.0
ALERT_SHOWN = "!document.getElementById('alert').hidden"
HAS_SESSION = "document.getElementById('session-id').textContent.length > 0"


@pytest.fixture(scope="module")
def browser(playwright: Any) -> Iterator[Any]:
    b = launch_chromium(playwright, ["--use-fake-ui-for-media-stream"])
    try:
        yield b
    finally:
        b.close()


def _serve(max_active: int, **limits: Any) -> Iterator[BackgroundServer]:
    app = create_app(max_active=max_active, live_limits=LiveLimits(**limits))
    with BackgroundServer(app) as server:
        yield server


@pytest.fixture(scope="module")
@uses("server", "subprocess", "model")
def quick_server() -> Iterator[BackgroundServer]:
    """One server-mode session at a time; a few seconds to send a first picture."""
    yield from _serve(1, first_frame_timeout_s=scaled(FIRST_FRAME_S))


def first_frame_limit_ms(server: BackgroundServer) -> int:
    """The server's first-frame limit in ms, as its fixture set it."""
    registry = server.server.config.app.state.registry
    return round(1000 * registry.limits.first_frame_timeout_s)


def _open(browser: Any, server: BackgroundServer, query: str = "", *scripts: str) -> Any:
    page = browser.new_page()
    for script in (SOCKET_SPY, *scripts):
        page.add_init_script(script)
    page.goto(f"{server.url}/?exercise=squat&autostart=1&pose=server{query}")
    return page


def _ws(server: BackgroundServer, query: str) -> Any:
    url = server.url.replace("http://", "ws://") + f"/ws/live?exercise=squat{query}"
    return connect(url, open_timeout=30, max_size=None)


def test_a_patient_slow_to_allow_the_camera_is_not_timed_out(
    browser: Any, quick_server: BackgroundServer
) -> None:
    limit_s = first_frame_limit_ms(quick_server) / 1000
    started = time.monotonic()
    page = _open(browser, quick_server, "", HELD_PERMISSION)
    try:
        wait_js(page, "document.getElementById('connection').textContent.includes('click Allow')")
        # Past the server's limit, the camera not allowed yet: nothing connected.
        page.wait_for_timeout(max(0.0, 1000 * (started + 1.2 * limit_s - time.monotonic())))
        assert page.evaluate("window.__sockets") == 0
        page.evaluate("window.__allow()")
        # The coach answered a picture (so its first-frame limit is met) or said why not.
        wait_js(page, f"window.__answered > 0 || {ALERT_SHOWN}", timeout=90_000)
        assert page.evaluate(ALERT_SHOWN) is False, page_text(page, "#alert")
        assert page.evaluate("window.__sockets") == 1
    finally:
        page.close()


def test_no_pictures_is_explained_and_not_retried(
    browser: Any, quick_server: BackgroundServer
) -> None:
    page = _open(browser, quick_server, "", DROP_FRAMES)
    try:
        wait_js(page, "document.getElementById('alert').textContent.includes('camera')", 90_000)
        assert "The coach stopped waiting for your camera" in page_text(page, "#alert")
        assert page.is_visible("#start") and page_text(page, "#start") == "Try again"
        page.wait_for_timeout(2500)  # no reconnect loop (it would be in 1 s); the words stay
        assert page.evaluate("window.__sockets") == 1
        assert "stopped waiting for your camera" in page_text(page, "#alert")
        assert page_text(page, "#connection") == "Not connected."
    finally:
        page.close()


def test_busy_is_retried_with_a_shown_wait(
    browser: Any, quick_server: BackgroundServer, squat_jpegs: tuple[list[bytes], float]
) -> None:
    frames, _ = squat_jpegs
    page = None
    try:
        with _ws(quick_server, "&pose=server") as holder:  # takes the one server-mode slot
            recv_type(holder, "session", timeout=30)
            assert send_frame(holder, frames[0])["type"] == "frame"
            # What the page shows, with how many sockets it had opened by then, as it happens
            # (on a loaded machine the test may look only after the page's next try).
            page = _open(
                browser, quick_server, "", texts_spy("connection", extra="window.__sockets")
            )
            waiting = "window.__texts.some(([line]) => line.includes('Trying again in'))"
            wait_js(page, waiting, 90_000)
            assert "The coach is busy with other patients right now" in page_text(page, "#alert")
            shown = page.evaluate("window.__texts")
            first_wait = next(t for t in shown if "Trying again in" in t[0])
            assert first_wait[1] == 1, shown  # one try, then a wait: not a storm of sockets
        # The slot frees up: the page gets in by itself, with the next socket after its wait.
        wait_js(page, HAS_SESSION, timeout=90_000)
        last_wait = [t for t in page.evaluate("window.__texts") if "Trying again in" in t[0]][-1]
        assert page.evaluate("window.__sockets") == last_wait[1] + 1
    finally:
        if page is not None:
            page.close()


@pytest.fixture(scope="module")
@uses("server", "subprocess", "model")
def one_per_address() -> Iterator[BackgroundServer]:
    yield from _serve(2, max_per_address=1)


def test_too_many_taken_over_and_ended_are_explained_and_not_retried(
    browser: Any, one_per_address: BackgroundServer
) -> None:
    server = one_per_address
    with _ws(server, "&pose=device") as holder:  # this address's one session
        recv_type(holder, "session", timeout=30)
        page = _open(browser, server)
        wait_js(page, ALERT_SHOWN, timeout=90_000)
        assert "Too many coaching sessions are open from this internet connection" in page_text(
            page, "#alert"
        )
        assert page_text(page, "#start") == "Try again"
        page.wait_for_timeout(2000)  # no reconnect (it would be in 1 s)
        assert page.evaluate("window.__sockets") == 1
    page.close()

    page = _open(browser, server)
    try:
        wait_js(page, HAS_SESSION, timeout=90_000)
        session_id = page_text(page, "#session-id")
        with _ws(server, f"&pose=device&session={session_id}") as other:  # another tab
            recv_type(other, "session", timeout=30)
            wait_js(page, ALERT_SHOWN, timeout=10_000)
            assert "open in another window or tab" in page_text(page, "#alert")
            assert not page.is_visible("#start-panel")
            other.send(json.dumps({"type": "end"}))
            recv_type(other, "summary", timeout=30)
        page.wait_for_timeout(2000)
        assert page.evaluate("window.__sockets") == 1
        assert "open in another window or tab" in page_text(page, "#alert")
    finally:
        page.close()

    page = _open(browser, server, f"&session={session_id}")
    try:
        wait_js(page, ALERT_SHOWN, timeout=90_000)
        assert "This session has ended" in page_text(page, "#alert")
        assert page_text(page, "#start") == "Start again"
        assert "session=" not in page.url  # Start again begins a new session
        page.wait_for_timeout(2000)
        assert page.evaluate("window.__sockets") == 1
    finally:
        page.close()
