"""The clinical tests pages: every reference value with its source, and a patient's stored
results with what they were compared with. Real server and SQLite store."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from scoring.protocols import ProtocolResult
from tests.web.pages import launch_chromium, page_text, sign_in
from tests.web.review_app import Review


def test_the_protocols_page_shows_every_norm_with_its_source(review: Review) -> None:
    with review.client("ther.a") as c:
        html = c.get("/protocols").text
    for norm_id in (
        "chair_stand_30s",
        "five_times_sit_to_stand",
        "four_stage_balance",
        "gait",
        "range_of_motion",
        "single_leg_stance",
        "timed_up_and_go",
    ):
        section = html.split(f'data-testid="norms-{norm_id}"')[1].split("</section>")[0]
        assert "Source:" in section and re.search(r"(19|20)\d\d", section), norm_id
    sls = html.split('data-testid="norms-single_leg_stance"')[1].split("</section>")[0]
    assert "32.1" in sls and "Springer" in sls  # best of 3, ages 60-69
    rom = html.split('data-testid="norms-range_of_motion"')[1].split("</section>")[0]
    assert "158.5°" in rom and "Gill 2020" in rom and "tolerance" not in rom
    tug = html.split('data-testid="norms-timed_up_and_go"')[1].split("</section>")[0]
    assert "9.2" in tug and "Bohannon" in tug and "STEADI" in tug and "coach protocol tug" in tug
    with review.client("pat.a") as c:
        assert c.get("/protocols").status_code in (403, 404)


def test_a_patients_results_are_listed_with_reference_and_source(review: Review) -> None:
    result = ProtocolResult(
        protocol="single_leg_stance",
        name="Single-leg stance (eyes open)",
        value=18.2,
        unit="s",
        reference={"band": "adults 70-79", "mean_s": 21.5},
        source="Springer BA et al. 2007",
        interpretation="below the mean for adults 70-79 (21.5 s)",
    )
    review.store.add_protocol_result(review.pat_a.id, "single-leg-stance", result.to_json())
    with review.client("ther.a") as c:
        html = c.get(f"/patients/{review.pat_a.id}/protocols").text
    table = html.split('data-testid="protocol-results"')[1].split("</table>")[0]
    assert "18.2 s" in table and "mean s 21.5" in table and "Springer" in table
    assert "below the mean" in table
    with review.client("ther.b") as c:
        assert c.get(f"/patients/{review.pat_a.id}/protocols").status_code == 404


def test_a_therapist_runs_single_leg_stance_on_an_uploaded_video(
    playwright: Any,
    review: Review,
    shared_data: Path,
) -> None:
    """The real medflex clip (right leg, 8.06 s hold): scored through the web form, stored,
    compared with the best-of-3 mean of the patient's age group (Springer 2007)."""
    manifest = json.loads((shared_data / "MANIFEST.json").read_text())
    clip = next(c for c in manifest["videos"] if c["id"] == "medflex/sls")
    lo, hi = clip["ground_truth"]["accept_hold_s"]
    browser = launch_chromium(playwright, [])
    try:
        page = browser.new_context().new_page()
        sign_in(page, review, "ther.b")  # Bob, born 1948: the 70-79 band (or 80-99)
        page.goto(f"{review.url}/patients/{review.pat_b.id}/protocols")
        page.select_option("select[name=protocol]", "single-leg-stance")
        page.click("[data-testid=run-form] button[type=submit]")  # no side, no video yet
        page.set_input_files("input[name=video]", str(shared_data / clip["video"]))
        page.click("[data-testid=run-form] button[type=submit]")
        page.wait_for_selector("[data-testid=run-error]")
        assert "leg stood on" in page_text(page, "[data-testid=run-error]")
        page.select_option("select[name=protocol]", "single-leg-stance")
        page.select_option("select[name=side]", "right")
        page.set_input_files("input[name=video]", str(shared_data / clip["video"]))
        page.click("[data-testid=run-form] button[type=submit]")
        page.wait_for_url("**/protocols#result-*", timeout=180_000)
        row = page_text(page, "[data-testid=protocol-results] tbody tr")
    finally:
        browser.close()
    value = float(re.search(r"([\d.]+) s", row).group(1))
    assert lo <= value <= hi, row
    assert "Springer" in row and ("21.5" in row or "9.4" in row)
    stored = review.store.protocol_results(review.pat_b.id)[-1]
    assert stored.protocol == "single-leg-stance"
    assert stored.result["patient"].get("side", "right") == "right"
