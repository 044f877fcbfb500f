"""The live page follows the prescription, in real headless Chromium with real clips as camera.

Everything is real: uvicorn (with a SQLite store for signed-in patients), the WebSocket, the
server's MediaPipe model (`pose=server`: the in-browser model takes 1-3 s a frame in headless
Chromium), the engine, the page's JavaScript. The camera is postop_cv/squat (a home webcam,
front view, 4 deep squats of about 160° knee bend in 12 s) unless a test says otherwise;
Chromium loops it. Checked at 1280×800 and 390×844: what the patient must read is on the
first screen, and nothing scrolls sideways.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import Review, manifest_entry
from tests.web.test_browser import (  # noqa: F401 (playwright is a fixture)
    LEAD_IN_S,
    SPEECH_SPY,
    _launch,
    _text,
    _wait_js,
    playwright,
)
from tests.web.y4m import write_y4m
from web.server import BackgroundServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
LIMIT_WORDS = "Not so far: stay within your limit"


@pytest.fixture(scope="module")
def front_squat(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """postop_cv/squat as a fake camera file, and how long one loop of it lasts."""
    entry = manifest_entry(shared_data, "postop_cv/squat")
    y4m = tmp_path_factory.mktemp("camera") / "postop_squat.y4m"
    loop_s = write_y4m(shared_data / entry["video"], y4m, width=480, lead_in_s=LEAD_IN_S)
    return y4m, loop_s


def _camera(playwright: Any, y4m: Path) -> Any:  # noqa: F811
    return _launch(
        playwright, ["--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={y4m}"]
    )


def _page(browser: Any, viewport: dict[str, int], errors: list[str]) -> Any:
    page = browser.new_context(viewport=viewport).new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.add_init_script(SPEECH_SPY)
    return page


def _in_view(page: Any, element_id: str) -> bool:
    """The element is shown, wholly inside the viewport, at the current scroll (the top)."""
    return bool(
        page.evaluate(
            """(id) => { const el = document.getElementById(id);
                 if (!el || el.hidden) return false;
                 const r = el.getBoundingClientRect();
                 return r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0
                   && r.bottom <= window.innerHeight && r.right <= window.innerWidth; }""",
            element_id,
        )
    )


def _first_screen(page: Any, *ids: str) -> None:
    assert page.evaluate("window.scrollY") == 0
    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 0, f"the page scrolls sideways by {wide} px"
    for element_id in ids:
        assert _in_view(page, element_id), f"#{element_id} is not on the first screen"


def _patient(review: Review, name: str, program: list[dict[str, Any]]) -> str:
    """A new patient of ther.a with this program; their personal link's token."""
    patient = review.store.create_patient(review.ther_a.id, name)
    review.store.set_program(patient.id, program)
    return review.store.create_link(patient.id)[1]


def _sign_in(page: Any, review: Review, token: str) -> None:
    page.goto(f"{review.url}/p/{token}")  # the personal link: a session cookie, then /me


def start_signed_in(page: Any, url: str) -> None:
    """Opens the live page of a signed-in patient's exercise: the day's first asks pain before
    the camera starts, skipped here (tests/web/test_ratings_browser.py answers it)."""
    page.goto(url)
    prompt = "document.querySelector('[data-testid=rating-prompt]')"
    _wait_js(page, f"{prompt} !== null && {prompt}.dataset.kind === 'pain_before'", 20_000)
    page.click("[data-testid=rating-prompt] .rating-skip")


@pytest.mark.parametrize("pose", ["&pose=server", ""], ids=["server", "default"])
def test_the_front_squat_counts_four_on_the_first_screen(
    playwright: Any,  # noqa: F811
    live_server: BackgroundServer,
    front_squat: tuple[Path, float],
    pose: str,
) -> None:
    """With `pose=server`, and in the default mode (on the device where the browser can: in
    headless Chromium, without a GPU, the page hands over to the server and says why)."""
    y4m, loop_s = front_squat
    browser = _camera(playwright, y4m)
    try:
        errors: list[str] = []
        page = _page(browser, DESKTOP, errors)
        page.goto(f"{live_server.url}/?exercise=squat&autostart=1{pose}")
        deadline = time.monotonic() + loop_s + 30
        count = ""
        while time.monotonic() < deadline and count != "4":
            count = _text(page, "#rep-count")
            page.wait_for_timeout(200)
        assert count == "4", f"the page counted {count} in one play of the clip, truth 4"
        # Anonymous: the definition's 3 × 10; the big number is the set's, as the voice says.
        assert _text(page, "#rep-target") == "of 10"
        assert _text(page, "#set-progress") == "Set 1 of 3"
        spoken = page.evaluate("window.__spoken")
        assert [t for t in spoken if t.isdigit()][:4] == ["1", "2", "3", "4"]
        assert not page.is_visible("#back-to-program")  # not signed in
        _first_screen(page, "rep-count", "set-progress", "cue")
        page.click("#stop")
        _wait_js(page, "!document.getElementById('summary').hidden", 10_000)
        assert _text(page, "#summary").startswith("Session finished: ")
        _first_screen(page, "summary", "start")
        assert not errors, errors
    finally:
        browser.close()


def test_a_program_of_one_set_of_three_with_a_60_degree_limit(
    playwright: Any,  # noqa: F811
    review: Review,
    front_squat: tuple[Path, float],
) -> None:
    token = _patient(
        review, "Rx Limit", [{"exercise_id": "squat", "sets": 1, "reps": 3, "max_rom_deg": 60}]
    )
    y4m, loop_s = front_squat
    browser = _camera(playwright, y4m)
    try:
        errors: list[str] = []
        page = _page(browser, PHONE, errors)
        _sign_in(page, review, token)
        start_signed_in(page, f"{review.url}/?exercise=squat&autostart=1&pose=server")
        _wait_js(page, "!document.getElementById('back-to-program').hidden", 20_000)
        assert page.get_attribute("#back-to-program", "href") == "/me"
        assert _text(page, "#rep-target") == "of 3"
        session_id = _text(page, "#session-id")
        # Every squat goes far past 60°: the warning is shown at once, on the first screen.
        _wait_js(page, "!document.getElementById('limit-warning').hidden", loop_s * 1000)
        assert _text(page, "#limit-warning") == LIMIT_WORDS
        _first_screen(page, "limit-warning", "rep-count", "cue")
        assert LIMIT_WORDS in page.evaluate("window.__spoken")
        # A set of 3, then a clear end with the summary (the page ends the session itself).
        _wait_js(page, "!document.getElementById('summary').hidden", loop_s * 1000 + 25_000)
        summary = _text(page, "#summary")
        assert summary.startswith("All done: 3 reps."), summary
        assert "3 reps went past your limit" in summary
        assert _text(page, "#rep-count") == "3"
        _first_screen(page, "summary", "rep-count")
        assert not errors, errors
    finally:
        browser.close()
    # The stored session marks the reps over the limit.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        stored = review.store.session(session_id)
        if stored is not None and stored.status == "completed":
            break
        time.sleep(0.2)
    assert stored is not None and [r.over_limit for r in stored.reps] == [True, True, True]


def test_the_rest_between_sets_counts_down_and_the_next_set_follows(
    playwright: Any,  # noqa: F811
    review: Review,
    front_squat: tuple[Path, float],
) -> None:
    token = _patient(
        review, "Rx Rest", [{"exercise_id": "squat", "sets": 2, "reps": 2, "rest_s": 3}]
    )
    y4m, loop_s = front_squat
    browser = _camera(playwright, y4m)
    try:
        errors: list[str] = []
        page = _page(browser, DESKTOP, errors)
        _sign_in(page, review, token)
        start_signed_in(page, f"{review.url}/?exercise=squat&autostart=1&pose=server")
        _wait_js(page, "!document.getElementById('rest-panel').hidden", loop_s * 1000 + 20_000)
        assert _text(page, "#rest-left") in ("3 s", "2 s")
        assert _text(page, "#rest-next").startswith("Ready for set 2?")
        assert _text(page, "#next-set") == "Start set 2 now"
        assert _text(page, "#set-progress") == "Set 1 of 2 done"
        assert _text(page, "#rep-count") == "2"
        _first_screen(page, "rest-panel", "next-set", "rep-count")
        assert any(
            t.startswith("2. Set 1 done. Rest for 3 seconds.")
            for t in page.evaluate("window.__spoken")
        )
        # It ends by itself after 3 s: set 2 starts from 0.
        _wait_js(page, "document.getElementById('rest-panel').hidden", 6_000)
        assert _text(page, "#set-progress") == "Set 2 of 2"
        assert _text(page, "#rep-count") in ("0", "1")
        _wait_js(page, "!document.getElementById('summary').hidden", 2 * loop_s * 1000)
        assert _text(page, "#summary").startswith("All done: 2 sets, 4 reps."), _text(
            page, "#summary"
        )
        assert not errors, errors
    finally:
        browser.close()


def test_a_hold_set_ends_when_its_target_is_held(
    playwright: Any,  # noqa: F811
    review: Review,
    shared_data: Path,
    tmp_path: Path,
) -> None:
    """medflex/sls: one foot off the floor for 8 s; the prescription: one hold of 5 s."""
    entry = manifest_entry(shared_data, "medflex/sls")
    y4m = tmp_path / "sls.y4m"
    loop_s = write_y4m(shared_data / entry["video"], y4m, width=480, lead_in_s=LEAD_IN_S)
    token = _patient(
        review,
        "Rx Hold",
        [{"exercise_id": "single_leg_stance", "sets": 1, "reps": 0, "hold_s": 5}],
    )
    browser = _camera(playwright, y4m)
    try:
        errors: list[str] = []
        page = _page(browser, PHONE, errors)
        _sign_in(page, review, token)
        start_signed_in(page, f"{review.url}/?exercise=single_leg_stance&autostart=1&pose=server")
        _wait_js(page, "document.getElementById('hold-target').textContent === 'of 5 s'", 20_000)
        _wait_js(page, "!document.getElementById('summary').hidden", 2 * loop_s * 1000 + 20_000)
        assert "5 seconds, well done!" in " ".join(page.evaluate("window.__spoken"))
        assert _text(page, "#summary").startswith("All done: 1 hold."), _text(page, "#summary")
        assert _text(page, "#rep-count") == "1"
        _first_screen(page, "summary", "rep-count")
        assert not errors, errors
    finally:
        browser.close()


def test_no_person_in_view_is_explained_and_the_end_says_nothing_counted(
    playwright: Any,  # noqa: F811
    live_server: BackgroundServer,
) -> None:
    # Chromium's own fake camera: a test pattern, nobody in it.
    browser = _launch(playwright, ["--use-fake-ui-for-media-stream"])
    try:
        errors: list[str] = []
        page = _page(browser, PHONE, errors)
        page.goto(f"{live_server.url}/?exercise=squat&autostart=1&pose=server")
        _wait_js(page, "!document.getElementById('stand-help').hidden", 60_000)
        assert _text(page, "#stand-why").startswith("I can't count yet: ")
        assert "Face the camera, or stand side-on to it." in _text(page, "#stand-how")
        _first_screen(page, "stand-help", "cue")
        page.click("#stop")
        _wait_js(page, "!document.getElementById('summary').hidden", 10_000)
        summary = _text(page, "#summary")
        assert summary.startswith("Nothing was counted. Counting never started: "), summary
        assert "nothing" in (page.get_attribute("#summary", "class") or "")  # not green
        _first_screen(page, "summary")
        assert not errors, errors
    finally:
        browser.close()


def test_a_camera_error_stays_on_the_first_screen_until_resolved(
    playwright: Any,  # noqa: F811
    live_server: BackgroundServer,
) -> None:
    browser = _launch(playwright, ["--deny-permission-prompts"])
    try:
        page = browser.new_context(viewport=PHONE).new_page()
        page.goto(f"{live_server.url}/?exercise=squat&autostart=1&pose=server")
        _wait_js(page, "!document.getElementById('alert').hidden", 15_000)
        page.wait_for_timeout(4000)  # the coach connected meanwhile: the error is still there
        assert "Camera access is blocked" in _text(page, "#alert")
        _first_screen(page, "alert", "start")
    finally:
        browser.close()


def test_a_portrait_camera_keeps_its_shape(
    playwright: Any,  # noqa: F811
    live_server: BackgroundServer,
    shared_data: Path,
    tmp_path: Path,
) -> None:
    entry = manifest_entry(shared_data, "rehab_bme410/squat")  # a handheld portrait video
    y4m = tmp_path / "portrait.y4m"
    write_y4m(shared_data / entry["video"], y4m, width=270)
    browser = _camera(playwright, y4m)
    try:
        page = browser.new_context(viewport=PHONE).new_page()
        page.goto(f"{live_server.url}/?exercise=squat&autostart=1&pose=server")
        _wait_js(page, "document.getElementById('video').videoWidth > 0", 15_000)
        page.wait_for_timeout(500)
        video = page.evaluate(
            "(v => [v.videoWidth, v.videoHeight])(document.getElementById('video'))"
        )
        box = page.evaluate(
            """() => { const r = document.getElementById('media').getBoundingClientRect();
                 return [r.width, r.height]; }"""
        )
        assert video[1] > video[0], f"the camera picture {video} is not portrait"
        assert box[1] / box[0] == pytest.approx(video[1] / video[0], rel=0.03)
        _first_screen(page)
    finally:
        browser.close()
