"""Issue 22, the therapist's side, in real Chromium against a real server: the kept video and
the angle chart in step, "Exercising now" appearing without a reload, the program form's
defaults by kind, the follow page's words for each stage, and the pages' widths at 390 px and
the program form at 1280 px (screenshots written to $COACH_SCREENSHOTS when set)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.lanes import uses
from tests.web.pages import launch_chromium as _launch
from tests.web.pages import page_text as _text
from tests.web.pages import wait_js as _wait_js
from tests.web.review_app import Review
from tests.web.sockets import patient_socket as _patient_socket
from tests.web.therapist_week import keep_video, squat_session, week_app

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
@uses("server", "subprocess", "model")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Review]:
    with week_app(tmp_path_factory.mktemp("week-browser")) as review:
        yield review


@pytest.fixture(scope="module")
def browser(playwright: Any) -> Iterator[Any]:  # noqa: F811
    b = _launch(playwright, ["--autoplay-policy=no-user-gesture-required"])
    try:
        yield b
    finally:
        b.close()


def _page(browser: Any, review: Review, who: str | None, viewport: dict[str, int]) -> Any:
    context = browser.new_context(viewport=viewport)
    if who is not None:
        context.add_cookies(
            [{"name": "coach_session", "value": review.cookie(who), "url": review.url}]
        )
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    return page


def _shot(page: Any, name: str) -> None:
    folder = os.environ.get("COACH_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)


def test_the_video_and_the_angle_chart_move_together(
    app: Review, browser: Any, tmp_path: Path
) -> None:
    sid = squat_session(app, app.pat_a.id)
    keep_video(app, sid, tmp_path)
    page = _page(browser, app, "ther.a", DESK)
    page.goto(f"{app.url}/sessions/{sid}")
    _wait_js(page, "document.getElementById('session-video').readyState >= 1")
    chart = "document.querySelector('[data-testid=angle-plot] svg')"
    line = f"{chart}.querySelector('.time-cursor')"
    # Seeking the video moves the cursor to that time on the chart.
    page.evaluate("document.getElementById('session-video').currentTime = 3")
    _wait_js(page, f"Math.abs(Number({chart}.dataset.cursorT) - 3) < 0.05")
    x, t0, t1, x0, x1 = page.evaluate(
        f"[{line}.x1.baseVal.value, ...['t0', 't1', 'x0', 'x1'].map(k => +{chart}.dataset[k])]"
    )
    assert abs(x - (x0 + (x1 - x0) * (3 - t0) / (t1 - t0))) < 1.0
    # Clicking the chart seeks the video there.
    width = page.evaluate(f"{chart}.getBoundingClientRect().width")
    scale = width / 760  # the chart's viewBox is 760 wide
    target = 1.5
    vx = x0 + (x1 - x0) * (target - t0) / (t1 - t0)
    page.locator("[data-testid=angle-plot] svg").click(position={"x": vx * scale, "y": 120 * scale})
    video_t = "document.getElementById('session-video').currentTime"
    _wait_js(page, f"Math.abs({video_t} - {target}) < 0.1")
    _wait_js(page, f"Math.abs(Number({chart}.dataset.cursorT) - {target}) < 0.1")
    # Playing, the cursor follows and the replay's stick figure with it.
    page.evaluate("document.getElementById('session-video').play()")
    _wait_js(page, f"Number({chart}.dataset.cursorT) > {target + 0.5}")
    _wait_js(page, "Number(document.getElementById('replay-pos').value) > 0")
    _shot(page, "session-video-1280")
    assert not page.errors, page.errors


def test_exercising_now_appears_and_goes_without_a_reload(app: Review, browser: Any) -> None:
    page = _page(browser, app, "ther.a", DESK)
    page.goto(f"{app.url}/therapist")
    _wait_js(page, "document.getElementById('live-now').dataset.live === '1'")
    assert "None of your patients" in _text(page, "#live-now")
    page.evaluate("window.__notReloaded = true")
    with _patient_socket(app) as patient:
        sid = json.loads(patient.recv(timeout=30))["session_id"]
        _wait_js(page, "document.getElementById('live-now').textContent.includes('Alice Patient')")
        assert page.get_attribute("#live-now a.button", "href") == f"/follow/{sid}"
        assert "getting ready for Squat" in _text(page, "#live-now")
        _shot(page, "dashboard-live-1280")
        patient.send(json.dumps({"type": "end"}))
    _wait_js(page, "document.getElementById('live-now').textContent.includes('None of your')")
    assert page.evaluate("window.__notReloaded === true")
    assert "updates by itself" in _text(page, "#live-note")
    assert not page.errors, page.errors


def test_the_program_forms_defaults_follow_the_exercises_kind(app: Review, browser: Any) -> None:
    app.store.set_program(app.pat_a.id, [{"exercise_id": "squat", "sets": 2, "reps": 8}])
    page = _page(browser, app, "ther.a", DESK)
    page.goto(f"{app.url}/patients/{app.pat_a.id}#program")
    new_row = 1

    def dose() -> list[str]:
        return [page.input_value(f"input[name={n}_{new_row}]") for n in ("sets", "reps", "hold_s")]

    assert dose() == ["3", "10", "0"]
    page.select_option(f"select[name=exercise_{new_row}]", "single_leg_stance")
    sets, reps, hold = dose()
    assert reps == "1" and float(hold) > 0, (sets, reps, hold)
    page.select_option(f"select[name=exercise_{new_row}]", "targets_reach_seated")
    assert dose() == ["2", "1", "0"]
    page.select_option(f"select[name=exercise_{new_row}]", "squat")
    assert dose()[2] == "0" and int(dose()[1]) > 1
    # At 1280 px every column is on screen, Notes and Remove included.
    for selector in ("input[name=notes_0]", "input[name=delete_0]"):
        right = page.evaluate(f"document.querySelector('{selector}').getBoundingClientRect().right")
        assert right <= DESK["width"] - 10, (selector, right)
    assert page.evaluate("document.documentElement.scrollWidth") <= DESK["width"]
    page.locator("#program").scroll_into_view_if_needed()
    _shot(page, "program-form-1280")
    assert not page.errors, page.errors


def test_the_follow_page_says_each_stage_in_its_own_words(app: Review, browser: Any) -> None:
    page = _page(browser, app, "ther.a", DESK)
    page.goto(f"{app.url}/therapist")
    words = page.evaluate(
        """async () => {
          const { stageStatus } = await import('/static/follow_stage.js');
          return {
            setup: stageStatus('setup').text,
            active: stageStatus('active').text,
            paused: stageStatus('active', { paused: true }).text,
            rest: stageStatus('rest').text,
            done: stageStatus('done', { set: { sets: 1 } }).text,
            doneAll: stageStatus('done', { set: { sets: 2 } }).text,
          };
        }"""
    )
    assert words["setup"] == "Patient is getting ready"
    assert words["active"] == "Live" and words["paused"] == "Live · paused"
    assert words["rest"] == "Resting between sets"
    assert words["done"].startswith("Set done") and words["doneAll"].startswith("All 2 sets done")
    for stage in ("active", "rest", "done"):
        assert "getting ready" not in words[stage]


@pytest.mark.parametrize("name", ["follow", "patient", "report", "session", "handout", "therapist"])
def test_pages_fit_a_phone(app: Review, browser: Any, name: str) -> None:
    sid = squat_session(app, app.pat_a.id)
    app.store.set_program(
        app.pat_a.id, [{"exercise_id": "squat", "sets": 2, "reps": 8, "max_rom_deg": 120}]
    )
    _, token = app.store.create_link(app.pat_a.id)
    urls = {
        "follow": f"/follow/{sid[:12] or 'x'}",
        "patient": f"/patients/{app.pat_a.id}?new_link={token}",
        "report": f"/sessions/{sid}/report",
        "session": f"/sessions/{sid}",
        "handout": f"/patients/{app.pat_a.id}/handout?link={token}",
        "therapist": "/therapist",
    }
    page = _page(browser, app, "ther.a", PHONE)
    page.goto(f"{app.url}{urls[name]}")
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.scrollWidth")
    _shot(page, f"{name}-390")
    assert width <= PHONE["width"], f"{name} is {width} px wide at 390 px"
    if name == "follow":
        send = page.evaluate(
            "document.querySelector('#message-form button[type=submit]')"
            ".getBoundingClientRect().right"
        )
        assert send <= PHONE["width"], send
    if name == "report":
        faults = page.evaluate(
            "[...document.querySelectorAll('th')].find(t => t.textContent.includes('Faults'))"
            ".getBoundingClientRect().right"
        )
        assert faults <= PHONE["width"], faults
