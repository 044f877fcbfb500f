"""The live page in real headless Chromium, its webcam faked by a real squat recording.

Everything is real: uvicorn, the WebSocket, MediaPipe, the exercise engine, the page's own
JavaScript (getUserMedia, JPEG capture, skeleton drawing). The patient stands still until the
coach's setup check has passed, then the clip plays (tests/web/y4m.py's HeldCamera; Chromium
loops it), so the count is checked within the first play of the clip. The camera plays at
SERVER_CAMERA_FPS (tests/web/pages.py); the tests with a camera share one Chromium.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.machine import scaled
from tests.web.pages import (
    PHONE,
    SERVER_CAMERA_FPS,
    SPEECH_SPY,
    STAGE_SPY,
    close_contexts,
    first_screen,
    launch_chromium,
    launch_with_camera,
    page_text,
    wait_in_position,
    wait_js,
)
from tests.web.y4m import HeldCamera
from web.server import BackgroundServer


@pytest.fixture(scope="module")
def camera(
    squat_clip: tuple[Path, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> HeldCamera:
    """The squat clip as the camera, held still until a test plays it."""
    y4m = tmp_path_factory.mktemp("camera") / "squat.y4m"
    return HeldCamera(y4m, squat_clip[0], fps=SERVER_CAMERA_FPS)


@pytest.fixture(scope="module")
def chromium(playwright: Any, camera: HeldCamera) -> Iterator[Any]:
    """One Chromium for the module's tests that allow the camera (a launch costs seconds of CPU)."""
    camera.hold()
    b = launch_with_camera(playwright, camera.path)
    yield b
    b.close()


@pytest.fixture()
def browser(chromium: Any) -> Iterator[Any]:
    yield chromium
    close_contexts(chromium)


def test_page_counts_the_clips_reps_and_the_therapist_sees_them(
    browser: Any,
    live_server: BackgroundServer,
    squat_clip: tuple[Path, dict[str, Any]],
    camera: HeldCamera,
) -> None:
    truth = squat_clip[1]["ground_truth"]["reps"]
    camera.hold()
    errors: list[str] = []
    patient = browser.new_page()
    patient.on("pageerror", lambda exc: errors.append(f"patient: {exc}"))
    patient.add_init_script(SPEECH_SPY)
    patient.add_init_script(STAGE_SPY)
    patient.goto(f"{live_server.url}/?exercise=squat&autostart=1&pose=server")
    wait_js(patient, "document.getElementById('session-id').textContent.length > 0", timeout=20_000)
    session_id = page_text(patient, "#session-id")
    follow_href = patient.get_attribute("#follow-link", "href") or ""
    assert follow_href.endswith(f"/follow/{session_id}")

    therapist = browser.new_page()
    therapist.on("pageerror", lambda exc: errors.append(f"therapist: {exc}"))
    therapist.goto(follow_href)
    wait_js(
        therapist,
        "document.getElementById('exercise-name').textContent === 'Squat'",
        timeout=10_000,
    )

    # The patient squats once the coach is ready; count until the ground truth is
    # reached or the clip has played once (+ the page's lag).
    wait_in_position(patient)
    deadline = time.monotonic() + camera.play() + scaled(6.0)
    count = 0
    while time.monotonic() < deadline:
        count = int(page_text(patient, "#rep-count") or 0)
        if count >= truth:
            break
        time.sleep(0.2)
    camera.stand_still()  # no rep of the clip's next play among what is checked below
    assert count == truth, f"page counted {count} reps in one play of the clip, truth {truth}"

    wait_js(
        therapist,
        f"document.getElementById('rep-count').textContent === '{truth}'",
        timeout=5_000,
    )
    log = page_text(therapist, "#event-log")
    assert "Rep 1" in log and f"Rep {truth}" in log

    # The skeleton was drawn over the patient's video.
    painted = patient.evaluate(
        """() => { const c = document.getElementById('overlay');
             const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
             let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"""
    )
    assert painted > 100

    # A therapist's message appears (and is spoken) on the patient's page.
    therapist.fill("#message-text", "Nice depth, keep going")
    therapist.click("#message-form button[type=submit]")
    wait_js(
        patient,
        "document.getElementById('therapist-message').textContent.includes('Nice depth')",
        timeout=5_000,
    )
    # It stays in view until read: "Got it" (a 48 px button) puts it away, focus kept.
    assert patient.is_visible("#therapist-message")
    patient.focus("#therapist-ok")
    patient.keyboard.press("Enter")
    wait_js(patient, "document.getElementById('therapist-message').hidden", timeout=3_000)
    assert patient.evaluate("document.activeElement.id") == "stop"

    # Rep numbers and the therapist's message were spoken.
    spoken = patient.evaluate("window.__spoken")
    assert [str(n) for n in range(1, truth + 1)] == [t for t in spoken if t.isdigit()]
    assert "Message from your therapist: Nice depth, keep going" in spoken

    # The server's summary agrees with what both pages show.
    import httpx

    summary = httpx.get(f"{live_server.url}/api/sessions/{session_id}").json()
    assert summary["rep_count"] >= truth
    assert [r["index"] for r in summary["reps"]][:truth] == list(range(1, truth + 1))
    assert summary["messages"][0]["text"] == "Nice depth, keep going"
    assert not errors, errors


def test_blocked_camera_is_explained_to_the_patient_and_reported(
    playwright: Any, live_server: BackgroundServer
) -> None:
    # The patient clicks "Block" on the camera prompt (Chromium denies it for us).
    browser = launch_chromium(playwright, ["--deny-permission-prompts"])
    try:
        page = browser.new_context(viewport=PHONE).new_page()
        page.goto(f"{live_server.url}/?exercise=squat&autostart=1&pose=server")
        wait_js(page, "!document.getElementById('alert').hidden", timeout=15_000)
        assert "Camera access is blocked" in page_text(page, "#alert")
        assert page.is_visible("#start")  # the patient can try again
        wait_js(
            page, "document.getElementById('session-id').textContent.length > 0", timeout=10_000
        )
        session_id = page_text(page, "#session-id")
        import httpx

        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            summary = httpx.get(f"{live_server.url}/api/sessions/{session_id}").json()
            if summary["warnings"]:
                break
            time.sleep(0.1)
        assert any("Camera access is blocked" in w for w in summary["warnings"])
        # The coach connected and heard of it meanwhile: the words are still there, on the
        # first screen, until the problem is solved.
        assert "Camera access is blocked" in page_text(page, "#alert")
        first_screen(page, "alert", "start")
    finally:
        browser.close()


def test_picker_lists_the_library_and_unknown_ids_are_explained(
    browser: Any, live_server: BackgroundServer
) -> None:
    page = browser.new_page()
    page.goto(f"{live_server.url}/")
    page.wait_for_selector("#exercise-list a[data-exercise=squat]", timeout=10_000)
    page.goto(f"{live_server.url}/?exercise=no_such_thing")
    wait_js(page, "!document.getElementById('alert').hidden", timeout=10_000)
    assert "no_such_thing" in page_text(page, "#alert")
    assert page.is_visible("#exercise-list a[data-exercise=squat]")


@pytest.mark.server
@pytest.mark.subprocess
@pytest.mark.model
def test_the_page_survives_a_server_restart_and_keeps_its_count(
    browser: Any, camera: HeldCamera
) -> None:
    from web.app import create_app

    camera.hold()
    server = BackgroundServer(create_app()).start()
    port = server.port
    page = browser.new_page()
    try:
        page.add_init_script(STAGE_SPY)
        page.goto(f"{server.url}/?exercise=squat&autostart=1&pose=server")
        wait_in_position(page)
        camera.play()
        wait_js(page, "document.getElementById('rep-count').textContent === '1'", timeout=30_000)
        camera.stand_still()  # the patient waits for the coach: no rep while it restarts
        session_id = page_text(page, "#session-id")
        server.stop()
        wait_js(
            page,
            "document.getElementById('connection').textContent.includes('kept')",
            timeout=10_000,
        )
        assert page_text(page, "#rep-count") == "1"

        server = BackgroundServer(create_app(), port=port).start()
        wait_js(
            page,
            "document.getElementById('notice').textContent.includes('restarted')",  # not a problem
            timeout=15_000,
        )
        assert page_text(page, "#session-id") == session_id
        assert page_text(page, "#rep-count") == "1"
        import httpx

        summary = httpx.get(f"{server.url}/api/sessions/{session_id}").json()
        assert summary["rep_count"] >= 1
    finally:
        page.close()
        server.stop()
