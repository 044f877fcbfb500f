"""The weekly check-in and the everyday-tasks pages in real Chromium: a patient answers with
taps and with the keyboard on a phone (390x844) and a laptop (1280x800), every button is
large enough and nothing scrolls sideways; axe-core finds no serious or critical WCAG 2.1
A/AA violation on /me (form and answers), the therapist's patient page with the charts, the
tests page with its charts, and a jump session's page. Screenshots of the check-in at both
sizes go to $COACH_SCREENSHOTS (default: the test's temporary folder)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from coach.offline.recording import record_landmarks
from coach.store.checkins import patient_checkins, record_checkin
from exercises import load_exercise
from tests.web.axe import axe_source, serious_violations
from tests.web.pages import launch_chromium as _launch
from tests.web.review_app import Review

TRACK = Path(__file__).resolve().parents[2] / "samples/tracks/clinical/quva_023_tuck_jumps.npz"
SIZES = {"phone": (390, 844), "laptop": (1280, 800)}


def _page(browser: Any, review: Review, who: str, size: tuple[int, int]) -> Any:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    context.add_cookies([{"name": "coach_session", "value": review.cookie(who), "url": review.url}])
    return context.new_page()


def _violations(page: Any, axe: str, url: str) -> list[str]:
    if page.url != url:
        page.goto(url)
    return [
        f"{url}: {v['id']} ({v['impact']}) {v['help']}: {v['nodes']}"
        for v in serious_violations(page, axe)
    ]


def _targets_fit(page: Any) -> None:
    """Every button of the form at least 48 px each way, and no sideways scroll."""
    sizes = page.evaluate(
        """() => [...document.querySelectorAll('.checkin .choice span[aria-hidden], '
             + '.checkin .choice.skip span, .checkin-actions button')]
             .map((e) => { const r = e.getBoundingClientRect(); return [r.width, r.height]; })"""
    )
    assert sizes and min(min(w, h) for w, h in sizes) >= 44, min(sizes)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_patient_answers_the_check_in_on_a_phone_and_a_laptop(
    playwright: Any,
    review: Review,
    tmp_path: Path,
) -> None:
    shots = Path(os.environ.get("COACH_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    pid = review.pat_b.id
    record_checkin(review.store, pid, {}, [("Climbing stairs", 2)])  # offered again
    browser = _launch(playwright, [])
    try:
        for name, size in SIZES.items():
            page = _page(browser, review, "pat.b", size)
            page.goto(f"{review.url}/me?checkin=again#checkin")
            page.wait_for_selector("[data-testid=checkin-form]")
            _targets_fit(page)
            page.locator("[data-testid=checkin]").screenshot(
                path=str(shots / f"checkin-{name}.png")
            )
            page.screenshot(path=str(shots / f"checkin-{name}-screen.png"))
            # Taps: sleep 7, energy 3; the keyboard: stress, from Skip, one step left is 10.
            page.click("fieldset[data-question=sleep] label:has(input[value='7'])")
            page.click("fieldset[data-question=energy] label:has(input[value='3'])")
            page.focus("fieldset[data-question=stress] input[value='']")
            page.keyboard.press("ArrowLeft")
            page.click("fieldset[data-activity='1'] label:has(input[value='5'])")
            if name == next(iter(SIZES)):  # a refused save first: nothing entered is lost
                page.fill("input[name=activity_3]", "Gardening")
                page.click("button.checkin-save")
                page.wait_for_selector("[data-testid=checkin-error]")
                assert "Activity 3 has no answer" in page.inner_text("[data-testid=checkin-error]")
                assert page.is_checked("fieldset[data-question=sleep] input[value='7']")
                assert page.is_checked("fieldset[data-question=stress] input[value='10']")
                assert page.input_value("input[name=activity_3]") == "Gardening"
                page.fill("input[name=activity_3]", "")
            page.click("button.checkin-save")
            page.wait_for_selector("[data-testid=checkin-done]")
            (week,) = [c for c in patient_checkins(review.store, pid) if not c.skipped]
            assert week.answers == {"sleep": 7, "stress": 10, "energy": 3}
            assert [(a.activity, a.score) for a in week.activities] == [("Climbing stairs", 5)]
            page.screenshot(path=str(shots / f"checkin-{name}-saved.png"))
            page.context.close()
    finally:
        browser.close()


def test_no_serious_or_critical_violations_on_the_changed_pages(
    playwright: Any,
    review: Review,
) -> None:
    axe = axe_source()
    pid = review.pat_a.id
    record_checkin(review.store, pid, {"sleep": 4, "headaches": 6}, [("Kneeling", 3)])
    review.store.add_protocol_result(
        pid,
        "tug",
        {
            "name": "Timed Up and Go",
            "unit": "s",
            "value": 11.2,
            "reference": {"fall_risk_s": 12.0},
            "source": "STEADI",
        },  # fmt: skip
    )
    with np.load(TRACK) as d:
        sid, _ = record_landmarks(review.store, d["lm"].astype(np.float32), float(d["fps"]),
                                  (640, 360), load_exercise("countermovement_jump"),
                                  patient_id=pid)  # fmt: skip
    browser = _launch(playwright, [])
    found: list[str] = []
    try:
        for size in SIZES.values():
            me = _page(browser, review, "pat.a", size)
            found += _violations(me, axe, f"{review.url}/me")  # the answers
            found += _violations(me, axe, f"{review.url}/me?checkin=again")  # the form
            me.fill("input[name=activity_2]", "Gardening")  # the form as refused, with its reason
            me.click("button.checkin-save")
            me.wait_for_selector("[data-testid=checkin-error]")
            found += _violations(me, axe, me.url)
            me.context.close()
        ther = _page(browser, review, "ther.a", SIZES["laptop"])
        found += _violations(ther, axe, f"{review.url}/patients/{pid}")
        found += _violations(ther, axe, f"{review.url}/patients/{pid}/protocols")
        found += _violations(ther, axe, f"{review.url}/sessions/{sid}")
        found += _violations(ther, axe, f"{review.url}/sessions/{sid}/report")
    finally:
        browser.close()
    assert not found, "\n".join(found)
