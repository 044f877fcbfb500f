"""The personal link: a Copy button, a QR code that decodes back to the link, and a printable
handout with the link and the program in plain words. Real server, SQLite, Chromium; the QR
code is read back from a screenshot with OpenCV's detector."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from tests.web.pages import launch_chromium, page_text, sign_in
from tests.web.review_app import Review


def _decode(png: bytes) -> str:
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(image)
    return text


def test_new_link_can_be_copied_scanned_and_printed(
    playwright: Any,
    review: Review,
) -> None:
    review.store.set_program(
        review.pat_a.id,
        [{"exercise_id": "squat", "sets": 2, "reps": 10, "days_per_week": 5, "notes": "Slowly"}],
    )
    browser = launch_chromium(playwright, [])
    try:
        context = browser.new_context()
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=review.url)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        sign_in(page, review, "ther.a")
        page.goto(f"{review.url}/patients/{review.pat_a.id}")
        page.click("text=Create a personal link")
        page.wait_for_selector("[data-testid=new-link]")
        link = page_text(page, "[data-testid=new-link]")
        token = link.rsplit("/p/", 1)[1]
        assert review.store.resolve_link(token).patient_id == review.pat_a.id

        page.click("button[data-copy=new-link]")
        page.wait_for_selector("#copy-status:has-text('Copied')")
        assert page.evaluate("navigator.clipboard.readText()") == link

        qr = page.locator("[data-testid=link-qr] svg")
        assert qr.get_attribute("role") == "img" and "personal link" in qr.get_attribute(
            "aria-label"
        )
        assert _decode(qr.screenshot()) == link

        page.click("[data-testid=handout-link]")
        page.wait_for_selector("[data-testid=handout]")
        assert page_text(page, "[data-testid=handout-url]") == link
        program = page_text(page, "[data-testid=handout-program]")
        assert "2 sets of 10 reps, 5 days a week" in program and "Slowly" in program
        assert "°" not in program  # plain words for the patient
        assert _decode(page.locator(".handout .qr-box svg").screenshot()) == link
        font_px = page.evaluate(
            "parseFloat(getComputedStyle(document.querySelector('.handout')).fontSize)"
        )
        assert font_px >= 20
        assert not errors, errors
    finally:
        browser.close()


def test_the_handout_needs_a_valid_link_of_that_patient(review: Review) -> None:
    _, token_b = review.store.create_link(review.pat_b.id)
    with review.client("ther.a") as c:
        r = c.get(f"/patients/{review.pat_a.id}/handout", params={"link": token_b})
        assert r.status_code == 404
        assert c.get(f"/patients/{review.pat_a.id}/handout?link=nope").status_code == 404
        # A patient page shows no QR for a link that is not this patient's.
        page = c.get(f"/patients/{review.pat_a.id}", params={"new_link": token_b}).text
        assert '<svg role="img"' not in page.split('id="links"')[1]
    with review.client("ther.b") as c:
        r = c.get(f"/patients/{review.pat_b.id}/handout", params={"link": token_b})
        assert r.status_code == 200 and "Bob Patient" in r.text
