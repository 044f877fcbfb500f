"""Video sharing reaches the therapist whichever side acts first (issue 12).

The protocol checks on the app in-process (`fake_app`: the model is not the subject); the
follow page on a real uvicorn server with the real pose pipeline, the patient a WebSocket
client sending the squat clip's JPEG frames, the therapist the page in headless Chromium.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.web.in_process import InProcessApp
from tests.web.pages import launch_chromium, wait_js
from tests.web.sockets import open_patient, recv, recv_type, send_frame
from web.server import BackgroundServer

Frames = tuple[list[bytes], float]
# Pixels the follow page painted on its video layer (the patient's picture, under the skeleton).
VIDEO_PAINTED = """(() => { const c = document.getElementById('video-layer');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n > 1000; })()"""


def _share(patient: Any) -> None:
    patient.send(json.dumps({"type": "share_video", "enabled": True}))


def _binary(ws: Any) -> bytes:
    data = ws.recv(timeout=10)
    while isinstance(data, str):
        data = ws.recv(timeout=10)
    return data


def test_a_follower_joining_after_sharing_started_is_told_and_gets_frames(
    fake_app: InProcessApp, jpegs: list[bytes]
) -> None:
    frames = jpegs
    with fake_app.socket("/ws/live?exercise=squat") as patient:
        session_id = recv(patient)["session_id"]
        _share(patient)
        send_frame(patient, frames[0])
        with fake_app.socket(f"/ws/follow/{session_id}") as therapist:
            hello = recv(therapist)
            assert hello["type"] == "follow" and hello["video"] is True
            recv_type(patient, "followers")
            send_frame(patient, frames[1])
            assert _binary(therapist) == frames[1]


def test_a_follower_joining_first_hears_video_is_off_until_shared(fake_app: InProcessApp) -> None:
    with fake_app.socket("/ws/live?exercise=squat") as patient:
        session_id = recv(patient)["session_id"]
        with fake_app.socket(f"/ws/follow/{session_id}") as therapist:
            assert recv(therapist)["video"] is False
            _share(patient)
            assert recv_type(therapist, "status")["video"] is True


@pytest.mark.parametrize(
    "share_first", [True, False], ids=["share-then-follow", "follow-then-share"]
)
def test_the_follow_page_shows_the_video_in_either_order(
    playwright: Any,
    live_server: BackgroundServer,
    squat_jpegs: Frames,
    share_first: bool,
) -> None:
    frames, _ = squat_jpegs
    browser = launch_chromium(playwright, [])
    try:
        errors: list[str] = []
        page = browser.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        with open_patient(live_server) as patient:
            session_id = recv(patient)["session_id"]
            send_frame(patient, frames[0])
            if share_first:
                _share(patient)
            page.goto(f"{live_server.url}/follow/{session_id}")
            wait_js(page, "document.getElementById('exercise-name').textContent === 'Squat'")
            recv_type(patient, "followers")
            if not share_first:
                _share(patient)
                wait_js(
                    page, "document.getElementById('video-note').textContent.includes('sharing')"
                )
            for data in frames[1:40]:
                send_frame(patient, data)
                if page.evaluate(VIDEO_PAINTED):
                    break
            wait_js(page, VIDEO_PAINTED, timeout=10_000)
            assert "sharing their video" in (page.text_content("#video-note") or "")
        assert not errors, errors
    finally:
        browser.close()
