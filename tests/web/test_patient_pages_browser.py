"""The patient's pages in real headless Chromium: /me on a phone, the picker's search, order
and keyboard path, and the animated demonstrations (no camera, no model)."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest

from exercises import list_exercises, list_tasks
from tests.web.pages import launch_chromium, page_text, wait_js
from tests.web.review_app import Review
from web.server import BackgroundServer

PHONE = {"width": 390, "height": 844}
CARDS = "#exercise-list a[data-exercise]"


@pytest.fixture(scope="module")
def browser(playwright: Any) -> Any:
    """One Chromium for this module's tests; each test opens its own context."""
    b = launch_chromium(playwright, [])
    yield b
    b.close()


def _cards(page: Any) -> list[str]:
    return [a.get_attribute("data-exercise") for a in page.query_selector_all(CARDS)]


def _count_says(page: Any, words: str) -> None:
    wait_js(page, f"document.getElementById('picker-count').textContent.includes('{words}')")


def _tabs_to(page: Any, reached: str, limit: int = 40) -> int:
    """Tab presses from the top of the page until `reached` (a JS expression) is true."""
    for stops in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(reached):
            return stops
    raise AssertionError(f"not reached in {limit} Tab presses: {reached}")


def _frames_seen(page: Any, selector: str, ms: int = 1500) -> set[str]:
    seen = set()
    for _ in range(ms // 100):
        seen.add(page.get_attribute(selector, "data-frame"))
        page.wait_for_timeout(100)
    return seen


def test_me_on_a_phone_is_large_plain_and_fits(
    browser: Any,
    review: Review,
) -> None:
    review.store.set_program(
        review.pat_b.id,
        [
            {"exercise_id": "squat", "sets": 2, "reps": 5, "max_rom_deg": 100},
            {"exercise_id": "single_leg_stance", "sets": 3, "reps": 1, "hold_s": 30},
            {"exercise_id": "standing_knee_flexion_left", "sets": 1, "reps": 10},
        ],
    )
    moving = "no-preference"  # the figure's movement is checked
    page = browser.new_context(
        viewport=PHONE, device_scale_factor=2, reduced_motion=moving
    ).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{review.url}/p/{review.link_tokens['pat.b']}")
    assert page_text(page, "h1") == "Hello Bob Patient"
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    assert float(page.evaluate("getComputedStyle(document.body).fontSize")[:-2]) >= 20
    starts = page.query_selector_all("[data-testid=start]")
    assert len(starts) == 3
    tops = []
    for start in starts:
        box = start.bounding_box()
        assert box is not None and box["height"] >= 48 and box["x"] + box["width"] <= 390
        tops.append(box["y"])
    # Every Start is a short scroll away: the first on the first screen, then one a card.
    assert tops[0] + 60 <= PHONE["height"], tops
    assert all(b - a < 0.6 * PHONE["height"] for a, b in pairwise(tops)), tops
    text = page.inner_text("body")
    assert "°" not in text
    assert "Bend your knees about three quarters of the way, no further" in text
    assert "2 sets of 5" in text and "Hold for 30 seconds, 3 times" in text
    assert "This week you did all your exercises on" in text
    assert page.query_selector("svg") is None  # no clinician charts
    # How to do it, on request: the first card's figure moves.
    page.click("[data-testid=today] [data-testid=how-to] summary")
    page.wait_for_selector("[data-testid=today] canvas.demo")
    assert len(_frames_seen(page, "[data-testid=today] canvas.demo")) > 3
    assert starts[0].get_attribute("href") == "/?exercise=squat&autostart=1"
    assert errors == []


def test_me_on_a_laptop_has_the_first_start_on_the_first_screen(
    browser: Any,
    review: Review,
) -> None:
    review.store.set_program(
        review.pat_b.id,
        [
            {"exercise_id": "squat", "sets": 2, "reps": 5, "max_rom_deg": 100},
            {"exercise_id": "single_leg_stance", "sets": 3, "reps": 1, "hold_s": 30},
        ],
    )
    page = browser.new_context(
        viewport={"width": 1280, "height": 800}, reduced_motion="no-preference"
    ).new_page()
    page.goto(f"{review.url}/p/{review.link_tokens['pat.b']}")
    box = page.query_selector("[data-testid=start]").bounding_box()
    assert box is not None and box["y"] + box["height"] <= 800, box
    # The next exercise to do shows how it is done, its figure moving, on the same screen.
    page.wait_for_selector("[data-testid=today] canvas.demo")
    assert page.evaluate("document.querySelectorAll('details.how-to[open]').length") == 1
    assert len(_frames_seen(page, "[data-testid=today] canvas.demo")) > 3


def test_the_picker_finds_squat_with_a_word_and_a_tab(
    browser: Any,
    live_server: BackgroundServer,
) -> None:
    page = browser.new_page()
    page.goto(f"{live_server.url}/")
    page.wait_for_selector(f"{CARDS}[data-exercise=squat]")
    cards = _cards(page)
    # The exercises and the hand-eye targets tasks; "Any repeated movement" last.
    shown = len(list_exercises()) + len(list_tasks())
    assert len(cards) == shown and cards[-1] == "any"
    groups = [g.get_attribute("data-group") for g in page.query_selector_all(".group")]
    assert groups == ["legs", "arms", "balance", "posture", "whole_body", "other"]
    assert page_text(page, "#picker-count") == f"{shown} exercises."
    # The keyboard path from the top of the page: squat about a dozen stops down without
    # typing (the therapists' sign-in link, search, then the legs group), the search box
    # within 5.
    assert _tabs_to(page, "document.activeElement.dataset.exercise === 'squat'") <= 13
    page.reload()
    page.wait_for_selector(f"{CARDS}[data-exercise=squat]")
    assert _tabs_to(page, "document.activeElement.id === 'picker-search'") <= 5
    page.keyboard.type("squ")
    _count_says(page, "squ")
    assert _cards(page)[0] == "squat" and "mini_squat" in _cards(page)
    assert "match" in page_text(page, "#picker-count")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.exercise") == "squat"
    # A body area finds its exercises; nonsense says so.
    page.fill("#picker-search", "balance")
    _count_says(page, "balance")
    assert "tandem_stance" in _cards(page)
    # A hand-eye targets task is found by its word, and asks for no demonstration.
    page.fill("#picker-search", "target")
    _count_says(page, "target")
    assert _cards(page)[0].startswith("targets_") and "targets_reach_seated" in _cards(page)
    assert page.query_selector(f"{CARDS}[data-exercise=targets_reach_seated] [data-demo]") is None
    page.fill("#picker-search", "zzz")
    _count_says(page, "No exercise")
    assert _cards(page) == []
    assert page.get_attribute("#picker-search", "aria-describedby") == "picker-count"
    assert page_text(page, "label[for=picker-search]") == "Find an exercise"


def test_a_signed_in_patients_program_comes_first(
    browser: Any,
    review: Review,
) -> None:
    review.store.set_program(
        review.pat_b.id,
        [
            {"exercise_id": "sit_to_stand", "sets": 2, "reps": 5},
            {"exercise_id": "squat", "sets": 1, "reps": 3},
        ],
    )
    page = browser.new_page()
    page.goto(f"{review.url}/p/{review.link_tokens['pat.b']}")
    page.goto(f"{review.url}/")
    page.wait_for_selector(".group[data-group=mine]")
    assert page_text(page, ".group[data-group=mine] h2") == "Your exercises"
    assert _cards(page)[:2] == ["sit_to_stand", "squat"] and _cards(page)[-1] == "any"
    assert _cards(page).count("squat") == 1  # not again in its area
    assert "2 sets of 5" in page_text(page, f"{CARDS}[data-exercise=sit_to_stand]")


def test_the_demonstration_plays_before_the_set_and_can_be_paused(
    browser: Any,
    live_server: BackgroundServer,
) -> None:
    page = browser.new_page(reduced_motion="no-preference")
    page.goto(f"{live_server.url}/?exercise=squat")
    canvas = "#start-demo canvas.demo"
    page.wait_for_selector(canvas)
    assert page.is_visible(canvas)
    assert "squat" in (page.get_attribute(canvas, "aria-label") or "")
    assert page.get_attribute(canvas, "role") == "img"
    assert len(_frames_seen(page, canvas)) > 3  # it animates
    page.click("#start-demo .demo-toggle")
    label = page.get_attribute("#start-demo .demo-toggle", "aria-label")
    assert (
        label == "Play the demonstration" and page_text(page, "#start-demo .demo-toggle") == "Play"
    )
    assert len(_frames_seen(page, canvas, 800)) == 1  # paused on one frame

    # Reduced motion: still at first, on the rep's key position, until asked to play.
    calm = browser.new_context(reduced_motion="reduce").new_page()
    calm.goto(f"{live_server.url}/?exercise=squat")
    calm.wait_for_selector(canvas)
    assert len(_frames_seen(calm, canvas, 800)) == 1
    assert page_text(calm, "#start-demo .demo-toggle") == "Play"
    calm.click("#start-demo .demo-toggle")
    assert len(_frames_seen(calm, canvas)) > 3
