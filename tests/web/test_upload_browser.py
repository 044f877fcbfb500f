"""A therapist uploads a video in real headless Chromium and watches its analysis progress on
the patient's page until the recorded session's reps are there; a wrong file type is explained
on the page. (Apart from tests/web/test_review_browser.py's whole loop: a file each, so that
two workers run them at the same time.)
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.web.pages import launch_chromium, page_text, sign_in
from tests.web.review_app import Review


def test_therapist_uploads_a_video_and_watches_the_analysis_progress(
    playwright: Any,
    review: Review,
    squat_clip: tuple[Path, dict[str, Any]],
) -> None:
    clip, entry = squat_clip
    browser = launch_chromium(playwright, [])
    try:
        page = browser.new_page()
        sign_in(page, review, "ther.b")
        page.goto(f"{review.url}/patients/{review.pat_b.id}")
        page.select_option("select[name=exercise_id]", "squat")
        page.set_input_files("input[name=video]", str(clip))
        page.click("#upload-form button[type=submit]")
        statuses = set()
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            text = page_text(page, "#jobs tr .status") if page.locator("#jobs tr").count() else ""
            statuses.add(text.split(" ")[0])
            if page.locator("#jobs tr[data-status=done] a").count():
                break
            time.sleep(0.1)
        assert "analysing" in statuses, statuses  # the progress was shown while it ran
        page.click("#jobs tr[data-status=done] a")
        assert page_text(page, "[data-testid=rep-total]") == str(entry["ground_truth"]["reps"])
        # A wrong file type is explained on the page, not as a raw error.
        page.goto(f"{review.url}/patients/{review.pat_b.id}")
        # No exercise is preselected (issue 12): the form asks for one first.
        assert page.input_value("select[name=exercise_id]") == ""
        page.select_option("select[name=exercise_id]", "squat")
        page.set_input_files(
            "input[name=video]",
            files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"}],
        )
        page.click("#upload-form button[type=submit]")
        page.wait_for_selector("#upload-error:not([hidden])")
        assert "not a video file" in page_text(page, "#upload-error")
    finally:
        browser.close()
