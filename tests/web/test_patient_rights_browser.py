"""The consent screen, /me's answer and withdrawal, and the erase confirmation in real headless
Chromium: a phone (390x844) and a laptop (1280x800), large type, no sideways scroll, the two
answers equally large, and axe (WCAG 2.1 A/AA) clean on each page. The screenshots are kept in
the test's folder for a person to look at."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.web.axe import axe_source, serious_violations
from tests.web.pages import launch_chromium as _launch
from tests.web.pages import page_text as _text
from tests.web.pages import sign_in as _sign_in
from tests.web.review_app import Review

pytestmark = [pytest.mark.browser]

SIZES = {"phone": (390, 844), "laptop": (1280, 800)}


def _fits(page: Any) -> None:
    """Large type and nothing wider than the screen."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") >= 20


def _clean(page: Any, axe: str) -> None:
    found = serious_violations(page, axe)
    assert not found, found


@pytest.mark.parametrize("size", SIZES)
def test_the_consent_screen_and_withdrawal_read_well_and_pass_axe(
    playwright: Any,  # noqa: F811
    review: Review,
    tmp_path: Path,
    size: str,
) -> None:
    axe = axe_source()
    patient = review.store.create_patient(review.ther_a.id, f"Wanda Words {size}")
    token = review.store.create_link(patient.id)[1]
    width, height = SIZES[size]
    browser = _launch(playwright, [])
    try:
        page = browser.new_context(viewport={"width": width, "height": height}).new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{review.url}/p/{token}")
        page.wait_for_selector("[data-testid=consent]")
        assert page.url.endswith("/consent")
        _fits(page)
        yes, no = (
            page.locator("[data-testid=consent-yes]"),
            page.locator("[data-testid=consent-no]"),
        )
        assert yes.bounding_box()["height"] >= 48
        assert yes.bounding_box()["width"] == pytest.approx(no.bounding_box()["width"], abs=2)
        _clean(page, axe)
        page.screenshot(path=str(tmp_path / f"consent-{size}.png"), full_page=True)

        no.click()
        page.wait_for_selector("[data-testid=not-kept]")
        _fits(page)
        _clean(page, axe)
        page.screenshot(path=str(tmp_path / f"me-declined-{size}.png"), full_page=True)

        page.click("[data-testid=consent-again]")
        page.click("[data-testid=consent-yes]")
        page.wait_for_selector("[data-testid=withdraw]")
        _clean(page, axe)
        page.locator("[data-testid=your-data]").screenshot(
            path=str(tmp_path / f"me-withdraw-{size}.png")
        )
        page.click("[data-testid=withdraw]")
        page.wait_for_selector("[data-testid=not-kept]")
        assert review.store.consent(patient.id).answer == "withdrawn"
        assert not errors, errors
    finally:
        browser.close()


def test_the_therapist_erases_a_patient_on_the_confirmation_page(
    playwright: Any,  # noqa: F811
    review: Review,
    tmp_path: Path,
) -> None:
    axe = axe_source()
    patient = review.store.create_patient(review.ther_a.id, "Ernest Erased")
    browser = _launch(playwright, [])
    try:
        page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        _sign_in(page, review, "ther.a")
        page.goto(f"{review.url}/patients/{patient.id}")
        assert "Consent not asked yet" in _text(page, "[data-testid=consent-status]")
        page.click("[data-testid=erase-link]")
        page.wait_for_selector("[data-testid=erase-plan]")
        _clean(page, axe)
        page.fill("#confirm", "Ernest")
        page.click("[data-testid=erase-confirm]")
        page.wait_for_selector("[data-testid=erase-error]")
        _clean(page, axe)  # the refusal, tied to its field
        page.screenshot(path=str(tmp_path / "erase-refused.png"), full_page=True)
        page.fill("#confirm", "Ernest Erased")
        page.click("[data-testid=erase-confirm]")
        page.wait_for_selector("[data-testid=erased]")
        assert review.store.patient(patient.id) is None
        assert "Ernest Erased" not in page.content()
    finally:
        browser.close()
