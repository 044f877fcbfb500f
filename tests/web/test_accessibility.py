"""axe-core (pinned, from the npm registry) on every page in real Chromium: no serious or
critical WCAG 2.1 A/AA violation. Real server, SQLite store, a stored squat session and a
hand-eye targets one, a live session of a signed-in patient for the follow page."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.coach.offline.test_targets_recording import PLACED, record
from tests.web.axe import axe_source, serious_violations
from tests.web.conftest import Review
from tests.web.test_browser import _launch, _wait_js, playwright  # noqa: F401
from tests.web.test_follow_page import _patient_socket
from tests.web.test_review import squat_session  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def axe() -> str:
    return axe_source()


def _page(browser: Any, review: Review, who: str | None) -> Any:
    context = browser.new_context()
    if who is not None:
        context.add_cookies(
            [{"name": "coach_session", "value": review.cookie(who), "url": review.url}]
        )
    return context.new_page()


def _check(page: Any, axe: str, url: str, ready: str | None = None) -> list[str]:
    page.goto(url)
    if ready:
        _wait_js(page, ready, timeout=20_000)
    return [
        f"{url}: {v['id']} ({v['impact']}) {v['help']}: {v['nodes']}"
        for v in serious_violations(page, axe)
    ]


def test_no_serious_or_critical_violations_on_any_page(
    playwright: Any,  # noqa: F811
    review: Review,
    squat_session: str,  # noqa: F811
    axe: str,
) -> None:
    review.store.set_program(
        review.pat_a.id,
        [
            {
                "exercise_id": "squat",
                "sets": 2,
                "reps": 8,
                "target_rom_deg": 100,
                "max_rom_deg": 120,
            },
            {"exercise_id": "targets_reach_seated", "sets": 1, "reps": 10},
        ],
    )
    targets_id, _ = record(review.store, review.pat_a.id, schedule=PLACED)  # a targets card
    _, token = review.store.create_link(review.pat_a.id)
    u, pid, sid = review.url, review.pat_a.id, squat_session
    browser = _launch(playwright, [])
    found: list[str] = []
    try:
        anon = _page(browser, review, None)
        found += _check(anon, axe, f"{u}/login")
        found += _check(
            anon,
            axe,
            f"{u}/",
            "document.readyState === 'complete'",
        )
        found += _check(
            anon,
            axe,
            f"{u}/?exercise=squat",
            "document.readyState === 'complete'",
        )
        ther = _page(browser, review, "ther.a")
        found += _check(ther, axe, f"{u}/therapist")
        found += _check(ther, axe, f"{u}/patients/{pid}?new_link={token}")
        found += _check(ther, axe, f"{u}/patients/{pid}/handout?link={token}")
        found += _check(ther, axe, f"{u}/sessions/{sid}")
        found += _check(ther, axe, f"{u}/protocols")
        found += _check(ther, axe, f"{u}/patients/{pid}/protocols")
        found += _check(ther, axe, f"{u}/sessions/{sid}/report")
        found += _check(ther, axe, f"{u}/sessions/{targets_id}/report")
        patient = _page(browser, review, "pat.a")
        found += _check(patient, axe, f"{u}/me")
        # The live page of a signed-in patient: the pain question before the camera starts,
        # then the page with its details for the therapist unfolded.
        found += _check(
            patient,
            axe,
            f"{u}/?exercise=squat&autostart=1",
            "document.querySelector('[data-testid=rating-prompt]') !== null",
        )
        patient.click("[data-testid=rating-prompt] .rating-skip")
        patient.evaluate("document.getElementById('details').open = true")
        found += [
            f"live page, details open: {v['id']} ({v['impact']}) {v['help']}: {v['nodes']}"
            for v in serious_violations(patient, axe)
        ]
        failed = anon.goto(f"{u}/login")
        assert failed is not None
        anon.fill("input[name=username]", "Nobody.Here")
        anon.fill("input[name=password]", "not the password")
        anon.click("button[type=submit]")
        _wait_js(anon, "document.querySelector('[data-testid=login-error]') !== null")
        found += [
            f"failed sign-in: {v['id']} ({v['impact']}) {v['help']}: {v['nodes']}"
            for v in serious_violations(anon, axe)
        ]

        with _patient_socket(review) as live:
            live_id = json.loads(live.recv(timeout=30))["session_id"]
            found += _check(
                ther,
                axe,
                f"{u}/follow/{live_id}",
                "!document.getElementById('patient-box').hidden",
            )
            found += _check(ther, axe, f"{u}/therapist")  # with "exercising now"
    finally:
        browser.close()
    assert not found, "\n".join(found)
