"""The whole loop in real headless Chromium: the patient opens their personal link, starts the
prescribed exercise (a real squat clip as the fake camera), and the therapist signs in, finds
the recorded session, reads its reps, plot and replay, and exports it. (The therapist's upload
of a video, its analysis progress shown, is tests/web/test_upload_browser.py: a file of its
own, so that a second worker runs it meanwhile.)
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from typing import Any

from tests.machine import scaled
from tests.web.pages import (
    SERVER_CAMERA_FPS,
    launch_chromium,
    lead_in_s,
    page_text,
    sign_in,
    wait_js,
)
from tests.web.review_app import Review
from tests.web.y4m import write_y4m


def test_patient_session_is_recorded_and_reviewed_by_the_therapist(
    playwright: Any,
    review: Review,
    squat_clip: tuple[Path, dict[str, Any]],
    tmp_path: Path,
) -> None:
    clip, entry = squat_clip
    truth = entry["ground_truth"]["reps"]
    # Two sets with a long rest: after the clip's 2 reps she rests, still on her page (a
    # finished program would end the session by itself).
    review.store.set_program(
        review.pat_a.id, [{"exercise_id": "squat", "sets": 2, "reps": 2, "rest_s": 300}]
    )
    y4m = tmp_path / "squat.y4m"
    loop_s = write_y4m(clip, y4m, width=480, fps=SERVER_CAMERA_FPS, lead_in_s=lead_in_s())
    browser = launch_chromium(
        playwright, ["--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={y4m}"]
    )
    errors: list[str] = []
    try:
        patient = browser.new_context().new_page()
        patient.on("pageerror", lambda exc: errors.append(f"patient: {exc}"))
        patient.goto(f"{review.url}/p/{review.link_tokens['pat.a']}")
        assert "Hello Alice Patient" in page_text(patient, "h1")
        patient.click("[data-testid=today] [data-testid=start]")
        # The session id comes once a worker process has loaded the model: slow on a loaded
        # machine (20 s was too short at load 8.6).
        wait_js(
            patient, "document.getElementById('session-id').textContent.length > 0", timeout=60_000
        )
        session_id = page_text(patient, "#session-id")
        started, count = time.monotonic(), 0  # the fake camera loops: a whole clip from now
        while time.monotonic() < started + loop_s + scaled(6.0) and count < truth:
            count = int(page_text(patient, "#rep-count") or 0)
            time.sleep(0.2)
        assert count == truth
        review.server.server.config.app.state.registry.recorder.flush()

        therapist = browser.new_context().new_page()
        therapist.on("pageerror", lambda exc: errors.append(f"therapist: {exc}"))
        sign_in(therapist, review, "ther.a")
        # She is still on her page: the dashboard lists her as exercising now, too.
        assert "Alice Patient" in page_text(therapist, "[data-testid=live-now]")
        therapist.click("[data-testid=patient-list] a:has-text('Alice Patient')")
        therapist.wait_for_selector("[data-testid=progress-charts] svg")
        therapist.click(f"a[href='/sessions/{session_id}']")
        assert page_text(therapist, "[data-testid=rep-total]") == str(truth)
        assert therapist.locator("[data-testid=angle-plot] rect.rep-span").count() == truth
        wait_js(
            therapist,
            "Number(document.getElementById('replay').dataset.loaded || 0) > 20",
            timeout=10_000,
        )
        therapist.click("#replay-play")
        wait_js(
            therapist, "Number(document.getElementById('replay-pos').value) > 3", timeout=10_000
        )
        reps_csv = therapist.request.get(f"{review.url}/sessions/{session_id}/reps.csv").text()
        assert len(list(csv.DictReader(io.StringIO(reps_csv)))) == truth
        therapist.click("[data-testid=report-link]")
        assert "Alice Patient" in page_text(therapist, "[data-testid=report-patient]")
        assert not errors, errors
    finally:
        browser.close()
