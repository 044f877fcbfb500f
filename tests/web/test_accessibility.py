"""axe-core (pinned, from the npm registry) on every page in real Chromium: no serious or
critical WCAG 2.1 A/AA violation. Real server, SQLite store, a stored squat session and a
hand-eye targets one, a live session of a signed-in patient for the follow page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from coach.i18n import LANGUAGES
from tests.helpers.targets import PLACED, record
from tests.web.axe import axe_source, serious_violations
from tests.web.pages import launch_chromium, wait_js
from tests.web.review_app import Review
from tests.web.sockets import patient_socket
from tests.web.therapist_week import keep_video


@pytest.fixture(scope="module")
def axe() -> str:
    return axe_source()


def _page(browser: Any, review: Review, who: str | None, token: str | None = None) -> Any:
    """A page signed in as `who` ("ther.a", ...), or with the sign-in `token`, or nobody."""
    context = browser.new_context()
    cookie = review.cookie(who) if who is not None else token
    if cookie is not None:
        context.add_cookies([{"name": "coach_session", "value": cookie, "url": review.url}])
    return context.new_page()


def _check(page: Any, axe: str, url: str, ready: str | None = None) -> list[str]:
    page.goto(url)
    if ready:
        wait_js(page, ready, timeout=20_000)
    return [
        f"{url}: {v['id']} ({v['impact']}) {v['help']}: {v['nodes']}"
        for v in serious_violations(page, axe)
    ]


def test_no_serious_or_critical_violations_on_any_page(
    playwright: Any,
    review: Review,
    squat_session: str,
    axe: str,
    tmp_path: Path,
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
    live_balance = {"name": "Four-stage balance test", "unit": "stage", "value": 2.0}
    live_balance["measured"] = {"recording": "live"}  # marked live on the tests page
    review.store.add_protocol_result(review.pat_a.id, "four-stage-balance", live_balance)
    _, token = review.store.create_link(review.pat_a.id)
    _, feed = review.store.create_feed(review.pat_a.id)
    revoked, gone = review.store.create_link(review.pat_a.id)
    review.store.revoke_link(review.pat_a.id, revoked.id)
    keep_video(review, squat_session, tmp_path)  # the video beside the replay
    u, pid, sid = review.url, review.pat_a.id, squat_session
    browser = launch_chromium(playwright, [])
    found: list[str] = []
    try:
        anon = _page(browser, review, None)
        found += _check(anon, axe, f"{u}/login")
        found += _check(anon, axe, f"{u}/link-ended")
        found += _check(anon, axe, f"{u}/p/{gone}")
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
        found += _check(
            anon,
            axe,
            f"{u}/?exercise=four_stage_balance",  # the live balance test before Start
            "document.querySelector('#start-demo canvas.demo') !== null",
        )
        ther = _page(browser, review, "ther.a")
        found += _check(ther, axe, f"{u}/therapist")
        found += _check(ther, axe, f"{u}/patients/{pid}?new_link={token}&new_feed={feed}")
        ther.click("form[action*='/links/'][action$='/revoke'] button >> nth=0")  # asks first
        ther.wait_for_selector("[data-testid=confirm]")
        found += [f"confirm: {v['id']} ({v['impact']})" for v in serious_violations(ther, axe)]
        found += _check(ther, axe, f"{u}/patients/{pid}/handout?link={token}")
        found += _check(ther, axe, f"{u}/sessions/{sid}")
        found += _check(ther, axe, f"{u}/protocols")
        found += _check(ther, axe, f"{u}/patients/{pid}/protocols")
        found += _check(ther, axe, f"{u}/sessions/{sid}/report")
        found += _check(ther, axe, f"{u}/sessions/{targets_id}/report")
        found += _check(ther, axe, f"{u}/account/second-factor")  # the QR code to set it up
        admin = review.store.create_user("admin.axe", "Ms Axe", Review.PASSWORD, is_admin=True)
        audit = _page(browser, review, None, review.store.start_login(user_id=admin.id))
        found += _check(audit, axe, f"{u}/admin/audit?verify=1")
        assert audit.locator("[data-testid=chain-ok]").count() == 1  # the page, not a sign-in
        waiting = review.store.start_login(user_id=admin.id, stage="code")  # a code is due
        code = _page(browser, review, None, waiting)
        found += _check(code, axe, f"{u}/login/code")
        assert code.url.endswith("/login/code")
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
        wait_js(anon, "document.querySelector('[data-testid=login-error]') !== null")
        found += [
            f"failed sign-in: {v['id']} ({v['impact']}) {v['help']}: {v['nodes']}"
            for v in serious_violations(anon, axe)
        ]

        with patient_socket(review) as live:
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


@pytest.mark.parametrize("code", [lang.code for lang in LANGUAGES])
def test_the_patients_pages_stay_clean_in_every_language(
    playwright: Any, review: Review, axe: str, code: str
) -> None:
    """The pages a patient reads, in each language (the therapist's choice for /me, the
    browser's for the picker): <html lang dir> set, and axe as clean as in English."""
    review.store.set_program(
        review.pat_a.id,
        [
            {"exercise_id": "squat", "sets": 2, "reps": 8, "max_rom_deg": 120},
            {"exercise_id": "targets_reach_seated", "sets": 1, "reps": 10},
        ],
    )
    review.store.set_language(review.pat_a.id, code)
    u = review.url
    browser = launch_chromium(playwright, [])
    found: list[str] = []
    try:
        anon = browser.new_context(locale=code).new_page()
        found += _check(anon, axe, f"{u}/", "document.querySelector('#exercise-list a') !== null")
        found += _check(
            anon, axe, f"{u}/?exercise=squat", "!document.getElementById('coach').hidden"
        )
        patient = _page(browser, review, "pat.a")
        found += _check(patient, axe, f"{u}/me")
        assert patient.evaluate("document.documentElement.lang") == code
    finally:
        browser.close()
        review.store.set_language(review.pat_a.id, None)
    assert not found, "\n".join(found)
