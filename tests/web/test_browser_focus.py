"""Keyboard focus on the live page in real Chromium: it never drops to the page body when the
button that had it goes away (Start, End session), so a keyboard or screen-reader user keeps
their place (WCAG 2.4.3, issue 12)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.web.pages import SERVER_CAMERA_FPS, launch_chromium, wait_js
from tests.web.y4m import write_y4m
from web.server import BackgroundServer


def test_focus_follows_start_and_end_session(
    playwright: Any,
    live_server: BackgroundServer,
    squat_clip: tuple[Path, dict[str, Any]],
    tmp_path: Path,
) -> None:
    clip, _ = squat_clip
    y4m = tmp_path / "squat.y4m"
    write_y4m(clip, y4m, width=320, fps=SERVER_CAMERA_FPS, lead_in_s=1.0)
    browser = launch_chromium(
        playwright, ["--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={y4m}"]
    )
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{live_server.url}/?exercise=squat&pose=server")
        wait_js(
            page,
            "!!document.getElementById('start').offsetParent",  # shown, not hidden
            10_000,
        )
        page.focus("#start")
        page.keyboard.press("Enter")
        # Start is gone; the keyboard lands on End session, not on the page body.
        wait_js(page, "document.activeElement && document.activeElement.id === 'stop'", 5_000)
        wait_js(
            page, "document.getElementById('session-id').textContent.length > 0", timeout=30_000
        )
        page.keyboard.press("Enter")  # End session, from the keyboard
        wait_js(page, "!document.getElementById('summary').hidden", 15_000)
        focused = page.evaluate("document.activeElement.id")
        assert focused in ("summary", "start"), focused
        assert page.evaluate("document.activeElement !== document.body")
        assert not errors, errors
    finally:
        browser.close()
