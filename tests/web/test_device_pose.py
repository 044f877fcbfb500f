"""The patient page's on-device pose mode in real headless Chromium.

The fake camera plays a real squat recording; MediaPipe's web build (fetched by `coach assets
fetch`, served at /vendor/mediapipe-pose/) runs in the page on WebGL, which headless Chromium
draws in software (SwiftShader: a frame every 1-3 s on two cores), so these tests check what
happens, not how fast. Also: ?pose=server keeps sending JPEGs, and a page that cannot run the
model on the device falls back to the server and says why.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coach import assets
from coach.live.landmarks import check_landmark_bytes
from tests.machine import scaled
from tests.web.pages import SERVER_CAMERA_FPS, launch_chromium, page_text, wait_js
from tests.web.sockets import limits_changed, registry_of
from tests.web.y4m import write_y4m
from web.server import BackgroundServer

DEVICE_TIMEOUT_S = 180  # model start (~20 s) plus a few frames at 1-3 s each in SwiftShader
# The page's own limit on the model's start (its default is 60 s), for the quiet machine: a
# loaded one gets it scaled, or the page gives up (and stops) while the model still loads.
MODEL_START_S = 60
# No wait here outlasts this, however loaded the machine: the test fails with its own message
# (what the page did) well before pytest's 600 s limit stops it with a stack.
MOST_S = 400
L_SHOULDER, R_SHOULDER, L_HIP, R_HIP = 11, 12, 23, 24


@pytest.fixture(scope="module")
def camera(
    squat_clip: tuple[Path, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    clip, _ = squat_clip
    y4m = tmp_path_factory.mktemp("camera") / "squat.y4m"
    write_y4m(clip, y4m, width=480, fps=SERVER_CAMERA_FPS, lead_in_s=2.0)
    return y4m


def _launch(playwright: Any, camera: Path, extra: list[str]) -> Any:
    return launch_chromium(
        playwright,
        ["--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={camera}", *extra],
    )


@pytest.fixture(scope="module")
def chromium(playwright: Any, camera: Path) -> Iterator[Any]:
    """One Chromium for the module (a launch costs seconds of CPU); each test has its own
    context, closed after it, so no page, socket or route outlives its test."""
    b = _launch(playwright, camera, [])
    yield b
    b.close()


@pytest.fixture()
def browser(playwright: Any, camera: Path, chromium: Any, request: pytest.FixtureRequest) -> Any:
    """A fresh browser context (its own pages, storage and routes); a test that asks for other
    flags (`indirect` parametrisation) gets a Chromium of its own."""
    extra = getattr(request, "param", [])
    own = _launch(playwright, camera, extra) if extra else None
    context = (own or chromium).new_context()
    yield context
    context.close()
    if own is not None:
        own.close()


# Chromium does not report binary frames sent as a Blob to Playwright: the page counts them
# (JPEGs), and keeps its binary landmark messages (ArrayBuffers starting "CLM1") as hex.
COUNT_BINARY_SENDS = """
window.__binarySent = 0;
window.__landmarksSent = [];
const realSend = WebSocket.prototype.send;
WebSocket.prototype.send = function (data) {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : null;
  if (bytes && String.fromCharCode(...bytes.slice(0, 4)) === "CLM1") {
    window.__landmarksSent.push(Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(""));
  } else if (typeof data !== "string") {
    window.__binarySent += 1;
  }
  return realSend.call(this, data);
};
"""


def _landmark_dict(data: bytes) -> dict[str, Any]:
    """A binary landmark message as the JSON one reads (it must pass the server's checks)."""
    m = check_landmark_bytes(data)
    rows = None if m.landmarks is None else m.landmarks.tolist()
    return {"type": "landmarks", "seq": m.seq, "t": m.t, "image": list(m.image), "landmarks": rows}


class Wire:
    """What the page sent and received on /ws/live."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.urls: list[str] = []
        self.sent_text: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []
        self._binary: list[dict[str, Any]] = []
        page.add_init_script(COUNT_BINARY_SENDS)
        page.on("websocket", self._on_socket)

    @property
    def sent_binary(self) -> int:
        return int(self.page.evaluate("window.__binarySent || 0"))

    def _on_socket(self, ws: Any) -> None:
        if "/ws/live" not in ws.url:
            return
        self.urls.append(ws.url)
        ws.on("framesent", self._sent)
        ws.on("framereceived", self._received)

    def _sent(self, payload: str | bytes) -> None:
        if isinstance(payload, str):
            self.sent_text.append(json.loads(payload))

    def _received(self, payload: str | bytes) -> None:
        if isinstance(payload, str):
            self.received.append(json.loads(payload))

    def landmark_messages(self) -> list[dict[str, Any]]:
        """Every landmark message sent so far (only the new binary ones are read from the
        page: polled for minutes on a slow machine, the list grows long)."""
        sent = self.page.evaluate(
            "(n) => (window.__landmarksSent || []).slice(n)", len(self._binary)
        )
        self._binary += [_landmark_dict(bytes.fromhex(h)) for h in sent]
        return self._binary + [m for m in self.sent_text if m.get("type") == "landmarks"]

    def frames(self) -> list[dict[str, Any]]:
        return [m for m in self.received if m.get("type") == "frame"]


# ?pose=device and the model could not start: the page says so and stops (capture.js).
GAVE_UP = (
    "document.getElementById('pose-mode').textContent"
    ".startsWith('The on-device model could not start')"
)


# The server stopped waiting for the page's frames: the page offers "Try again" and waits.
STOPPED_WAITING = {"no_frames", "idle_timeout"}


def _wait(page: Any, what: Any, timeout_s: float, message: str, wire: Wire | None = None) -> None:
    """Until `what()` (`timeout_s` for the quiet machine: scaled, at most MOST_S). Fails at
    once when nothing more can come (the page gave up on a forced on-device model, or the
    server closed the socket for want of frames), and says what the page did."""
    limit = min(scaled(timeout_s), MOST_S)
    started = time.monotonic()
    while not what():
        stopped = wire is not None and any(
            m.get("type") == "error" and m.get("code") in STOPPED_WAITING for m in wire.received
        )
        waited = time.monotonic() - started
        if stopped or page.evaluate(GAVE_UP) or waited > limit:
            raise AssertionError(
                f"{message} after {waited:.0f} s (of {limit:.0f}): {_seen(page, wire)}"
            )
        page.wait_for_timeout(250)


def _seen(page: Any, wire: Wire | None) -> str:
    """What the page shows and (with `wire`) sent and got, for a failure's message."""
    shown = page.evaluate(
        """() => ["pose-mode", "alert", "connection", "setup-text"].map((id) => {
             const e = document.getElementById(id); return e ? `${id}: ${e.textContent}` : ""; })"""
    )
    if wire is None:
        return "; ".join(shown)
    sent = wire.landmark_messages()
    found = sum(m["landmarks"] is not None for m in sent)
    kinds = [m.get("type") for m in wire.received]
    errors = [m.get("code") for m in wire.received if m.get("type") == "error"]
    return (
        f"{'; '.join(shown)}; sockets {len(wire.urls)}, landmark messages sent {len(sent)}"
        f" ({found} with a person), frame replies {kinds.count('frame')}, errors {errors}"
    )


def _plausible(row_of: Any) -> bool:
    """A standing or squatting person: hips below shoulders, both seen."""
    shoulders_y = (row_of(L_SHOULDER)[1] + row_of(R_SHOULDER)[1]) / 2
    hips_y = (row_of(L_HIP)[1] + row_of(R_HIP)[1]) / 2
    return hips_y > shoulders_y + 0.05


def _painted_pixels(page: Any) -> int:
    return int(
        page.evaluate(
            """() => { const c = document.getElementById('overlay');
                 if (!c.width) return 0;
                 const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                 let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"""
        )
    )


@pytest.fixture()
def with_assets() -> None:
    if not assets.status()["available"]:
        pytest.skip("the MediaPipe Pose web build is not fetched (coach assets fetch)")


@pytest.fixture()
def slow_device_waited_for(live_server: BackgroundServer) -> Iterator[None]:
    """The shared server waits for the first landmarks (20 s) and between them (60 s) as
    many times longer as the machine is loaded: SwiftShader's frames take seconds each."""
    waits = registry_of(live_server).limits
    with limits_changed(
        live_server,
        first_frame_timeout_s=scaled(waits.first_frame_timeout_s),
        idle_timeout_s=scaled(waits.idle_timeout_s),
    ):
        yield


def test_device_mode_finds_the_person_and_sends_only_landmarks(
    with_assets: None, browser: Any, live_server: BackgroundServer, slow_device_waited_for: None
) -> None:
    errors: list[str] = []
    page = browser.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    wire = Wire(page)
    # ?pose=device: SwiftShader is slow enough that the page would otherwise hand over to
    # the server (see test_software_webgl_hands_over_to_the_server).
    start_s = round(scaled(MODEL_START_S))
    page.goto(f"{live_server.url}/?exercise=squat&autostart=1&pose=device&pose_timeout={start_s}")

    def person_found() -> bool:
        """A plausible pose sent, and answered (replies to the page carry no landmarks)."""
        answered = {m.get("seq") for m in wire.frames()}
        return any(
            m["seq"] in answered
            and m["landmarks"] is not None
            and _plausible(lambda i, m=m: m["landmarks"][i])
            for m in wire.landmark_messages()
        )

    _wait(page, person_found, DEVICE_TIMEOUT_S, "no frame reply with a plausible pose", wire)
    assert wire.urls and all("pose=device" in u for u in wire.urls)
    session = next(m for m in wire.received if m["type"] == "session")
    assert session["pose"] == "device"
    assert wire.sent_binary == 0, "no image may leave the device"
    assert not any("landmarks" in m for m in wire.frames()), "the page has its own landmarks"

    sent = [m for m in wire.landmark_messages() if m["landmarks"] is not None]
    assert sent, "the page sent no landmarks"
    assert not any(m.get("type") == "landmarks" for m in wire.sent_text), "binary, not JSON"
    for m in sent:
        assert set(m) == {"type", "seq", "t", "image", "landmarks"}
        assert m["image"] == [480, 270]
        assert len(m["landmarks"]) == 33 and all(len(r) == 4 for r in m["landmarks"])
    seqs = [m["seq"] for m in wire.landmark_messages()]
    ts = [m["t"] for m in wire.landmark_messages()]
    assert seqs == sorted(set(seqs)) and ts == sorted(ts)
    best = max(sent, key=lambda m: min(m["landmarks"][i][3] for i in (L_SHOULDER, L_HIP)))
    rows = best["landmarks"]
    assert _plausible(lambda i: rows[i])
    # Side view: the near side's shoulder and hip are seen with confidence.
    near = max(min(rows[L_SHOULDER][3], rows[L_HIP][3]), min(rows[R_SHOULDER][3], rows[R_HIP][3]))
    assert near > 0.8, rows
    assert all(-0.2 < r[0] < 1.2 and -0.2 < r[1] < 1.2 for r in rows[:25])

    # The page drew its own skeleton and tells the patient where the pose is found.
    assert _painted_pixels(page) > 100
    assert "stays here" in page_text(page, "#pose-mode")
    wait_js(
        page,
        "document.getElementById('speed').textContent.includes('pose on this device')",
        timeout=15_000,
    )

    # Sharing the video: the page moves to a server-mode connection of the same session,
    # which sends JPEGs (the server takes no images on a device-mode connection).
    before = len(wire.urls)
    page.evaluate("document.getElementById('share-video').click()")  # the page is busy
    _wait(page, lambda: wire.sent_binary > 0, 60, "no JPEG sent while sharing the video", wire)
    assert "pose=server" in wire.urls[-1] and len(wire.urls) == before + 1
    assert f"session={session['session_id']}" in wire.urls[-1]
    assert "While you share your video" in page_text(page, "#pose-mode")
    assert not errors, errors


def test_pose_server_sends_jpegs(browser: Any, live_server: BackgroundServer) -> None:
    page = browser.new_page()
    wire = Wire(page)
    page.goto(f"{live_server.url}/?exercise=squat&autostart=1&pose=server")
    _wait(page, lambda: bool(wire.frames()), 60, "no frame reply", wire)
    assert wire.sent_binary > 0 and not wire.landmark_messages()
    assert all("pose=server" in u for u in wire.urls)
    assert page_text(page, "#pose-mode").startswith("Using the server to see you")


def _falls_back(page: Any, wire: Wire, url: str, reason: str) -> None:
    page.goto(url)
    _wait(page, lambda: bool(wire.frames()), 90, "no frame reply in the fallback", wire)
    assert wire.sent_binary > 0 and not wire.landmark_messages()
    assert all("pose=server" in u for u in wire.urls)
    line = page_text(page, "#pose-mode")
    assert line.startswith("Using the server to see you: ") and reason in line, line
    # Said in the details for the therapist (technical), not in the patient's view.
    assert page.evaluate("!document.getElementById('pose-mode').hidden")
    assert page.evaluate("document.querySelector('#details #pose-mode') !== null")


def test_without_the_assets_the_page_uses_the_server_and_says_so(
    browser: Any, live_server: BackgroundServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(assets.VENDOR_ENV, str(tmp_path / "empty-vendor"))
    page = browser.new_page()
    _falls_back(
        page,
        Wire(page),
        f"{live_server.url}/?exercise=squat&autostart=1",
        "the on-device model is not installed on the server",
    )


@pytest.mark.parametrize("browser", [["--disable-3d-apis"]], indirect=True)
def test_without_webgl_the_page_uses_the_server_and_says_so(
    with_assets: None, browser: Any, live_server: BackgroundServer
) -> None:
    page = browser.new_page()
    _falls_back(page, Wire(page), f"{live_server.url}/?exercise=squat&autostart=1", "no WebGL")


def test_software_webgl_hands_over_to_the_server(
    with_assets: None, browser: Any, live_server: BackgroundServer
) -> None:
    # Headless Chromium's WebGL is SwiftShader, like a computer without a usable graphics chip.
    page = browser.new_page()
    _falls_back(
        page,
        Wire(page),
        f"{live_server.url}/?exercise=squat&autostart=1",
        "no graphics acceleration",
    )


def test_forced_device_mode_explains_a_model_that_cannot_load(
    with_assets: None, browser: Any, live_server: BackgroundServer
) -> None:
    page = browser.new_page()
    page.route("**/vendor/mediapipe-pose/pose.js", lambda route: route.abort())
    wire = Wire(page)
    page.goto(f"{live_server.url}/?exercise=squat&autostart=1&pose=device")
    wait_js(page, "!document.getElementById('alert').hidden", timeout=30_000)
    assert "could not be loaded" in page_text(page, "#alert")
    assert "without pose=device" in page_text(page, "#alert")
    assert wire.sent_binary == 0 and not wire.landmark_messages()


def test_a_model_that_starts_too_slowly_is_given_up(
    with_assets: None, browser: Any, live_server: BackgroundServer
) -> None:
    page = browser.new_page()
    # The model's script is never answered, so it cannot start within the page's 0.2 s on any
    # machine (a real slow start raced the timer: on a loaded machine it sometimes won).
    held: list[Any] = []
    page.route("**/vendor/mediapipe-pose/pose.js", lambda route: held.append(route))
    wire = Wire(page)
    # Not until "load": a script the page adds before its load event holds that event, and
    # this one is never answered (whether the page added it by then was a race).
    page.goto(
        f"{live_server.url}/?exercise=squat&autostart=1&pose=device&pose_timeout=0.2",
        wait_until="domcontentloaded",
    )
    wait_js(page, "document.getElementById('alert').textContent.includes('took too long')")
    assert held, "the page did not ask for the model"
    assert "could not start" in page_text(page, "#alert")
    assert not wire.landmark_messages() and wire.sent_binary == 0
