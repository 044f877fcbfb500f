"""Pain and effort prompts on the live page in real headless Chromium, on a laptop-size screen:
the patient opens their link, starts the prescribed squat (a real clip as the fake camera),
rates pain before the camera starts, effort in the rest after set 1, skips set 2's, rates pain
after the day's program; the ratings are stored with the session. The buttons fit the screen
and are large; the end screen's count and next step are on the first screen. (On a phone the
same prompts and end screen are checked by the patient's whole day,
tests/web/test_patient_day_browser.py: one run of the live page a size.) The camera plays the
clip's two squats twice after one still lead-in, so set 2's squat comes from the next
play without waiting through the lead-in again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from coach.store.ratings import session_ratings
from tests.web.pages import (
    DESKTOP,
    SERVER_CAMERA_FPS,
    first_screen,
    launch_chromium,
    lead_in_s,
    page_text,
    rating_buttons_fit,
    wait_js,
)
from tests.web.review_app import Review
from tests.web.y4m import write_y4m

PROMPT = "document.querySelector('[data-testid=rating-prompt]')"


def _wait_prompt(page: Any, kind: str, title: str = "", timeout: float = 90_000) -> None:
    """Until a prompt of `kind` (whose title contains `title`) is up and not yet answered."""
    wait_js(
        page,
        f"{PROMPT} !== null && {PROMPT}.dataset.kind === '{kind}'"
        f" && !('saved' in {PROMPT}.dataset)"
        f" && document.getElementById('rating-title').textContent.includes('{title}')",
        timeout,
    )


def test_pain_and_effort_prompts_are_answered_and_stored(
    playwright: Any,
    review: Review,
    squat_clip: tuple[Path, dict[str, Any]],
    tmp_path: Path,
) -> None:
    """Pain before the camera starts, effort in the rest after set 1 (and once set 2 is done:
    skipped), pain after the day's only exercise; all stored with the session."""
    store = review.store
    patient = review.add_patient("rita", "Rita Rating")  # consent given
    token = review.link_tokens["rita"]
    # A rest long enough to answer in (the patient-day test answers in 6 s), short enough
    # that set 2's squat is the next play's first, not one a play later.
    store.set_program(patient.id, [{"exercise_id": "squat", "sets": 2, "reps": 1, "rest_s": 8}])
    y4m = tmp_path / "squat.y4m"
    write_y4m(squat_clip[0], y4m, width=480, fps=SERVER_CAMERA_FPS, lead_in_s=lead_in_s(), repeat=2)
    browser = launch_chromium(
        playwright, ["--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={y4m}"]
    )
    errors: list[str] = []
    try:
        page = browser.new_context(viewport=DESKTOP).new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{review.url}/p/{token}")
        page.click("[data-testid=today] [data-testid=start]")
        _wait_prompt(page, "pain_before")
        # Asked before the camera starts: no picture, no session, nothing counting under it.
        assert page.evaluate("document.getElementById('media').hidden")
        assert page_text(page, "#session-id") == ""
        # The squat is a whole-body exercise: no narrower area to name.
        assert page_text(page, "#rating-title") == "How much pain do you feel now?"
        rating_buttons_fit(page, DESKTOP)
        page.click("[data-testid=rating-prompt] button[data-value='3']")
        _wait_prompt(page, "effort", "set 1")
        assert page.is_visible("#rest-panel")  # asked in the rest, not while counting
        session_id = page_text(page, "#session-id")
        assert page_text(page, "#rating-title") == "How hard was set 1?"
        rating_buttons_fit(page, DESKTOP)
        page.click("[data-testid=rating-prompt] button[data-value='5']")
        _wait_prompt(page, "effort", "set 2")
        page.keyboard.press("Escape")  # skipped
        # The day's only exercise is done: pain after, once the session is over.
        _wait_prompt(page, "pain_after")
        assert page.is_visible("#summary")
        first_screen(page, "summary", "rep-count")
        page.click("[data-testid=rating-prompt] button[data-value='2']")
        wait_js(page, f"{PROMPT} === null", 10_000)
        got = [(r.kind, r.set_number, r.value, r.area) for r in session_ratings(store, session_id)]
        assert got == [
            ("pain_before", 0, 3, ""),
            ("pain_after", 0, 2, ""),
            ("effort", 1, 5, ""),
        ]
        # All of today's program is done: the big button says so.
        wait_js(page, "!document.getElementById('next-exercise').hidden", 10_000)
        assert page_text(page, "#next-exercise") == "All done for today: back to my program"
        first_screen(page, "next-exercise")
        assert not errors, errors
    finally:
        browser.close()


def test_a_try_out_session_is_not_asked(
    playwright: Any,
    review: Review,
    squat_clip: tuple[Path, dict[str, Any]],
    tmp_path: Path,
) -> None:
    """Nobody signed in: no stored session, so nothing to rate and nothing covers the page."""
    y4m = tmp_path / "squat.y4m"
    write_y4m(squat_clip[0], y4m, width=480, fps=SERVER_CAMERA_FPS, lead_in_s=lead_in_s())
    browser = launch_chromium(
        playwright, ["--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={y4m}"]
    )
    try:
        page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        page.goto(f"{review.url}/?exercise=squat&autostart=1")
        wait_js(page, "document.getElementById('session-id').textContent.length > 0", 90_000)
        page.wait_for_timeout(5_000)  # longer than the check's retries
        assert page.evaluate(f"{PROMPT} === null")
    finally:
        browser.close()
