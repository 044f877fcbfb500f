"""The therapist finds a patient's live session on the dashboard and follows it: the follow page
names the patient and their prescription, logs in words, and tracks each message's delivery.

Real uvicorn, SQLite store, pose pipeline; the patient is a signed-in WebSocket client sending
the squat clip's JPEG frames, the therapist real headless Chromium.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from coach.live.landmarks import track_messages
from tests.helpers.data import manifest_entry
from tests.web.pages import launch_chromium, page_text, sign_in, wait_js
from tests.web.review_app import Review
from tests.web.sockets import (
    clip_messages,
    patient_socket,
    recv,
    recv_type,
    send_landmarks,
)


def test_dashboard_lists_live_patients_and_the_follow_page_names_them(
    playwright: Any, review: Review, shared_data: Path
) -> None:
    # The patient's page sends landmarks (pose=device): the follow page is the subject here,
    # not the model.
    _, frames = clip_messages(shared_data, "medflex/squat")
    review.store.set_program(
        review.pat_a.id,
        [{"exercise_id": "squat", "sets": 2, "reps": 8, "days_per_week": 4, "max_rom_deg": 120}],
    )
    browser = launch_chromium(playwright, [])
    errors: list[str] = []
    try:
        page = browser.new_context().new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        sign_in(page, review, "ther.a")
        assert "None of your patients is exercising" in page_text(page, "[data-testid=live-now]")

        with patient_socket(review, "exercise=squat&pose=device") as patient:
            sid = recv(patient, timeout=30)["session_id"]
            for data in frames[:10]:
                send_landmarks(patient, data)
            page.goto(f"{review.url}/therapist")
            live = page_text(page, "[data-testid=live-now]")
            assert "Alice Patient" in live and "Squat" in live
            # Another therapist's dashboard does not show her.
            with review.client("ther.b") as c:
                assert "Alice Patient" not in c.get("/therapist").text
                assert c.get(f"/api/live/{sid}/patient").status_code == 404
            page.click("text=Follow Alice Patient")
            page.wait_for_url(f"**/follow/{sid}")
            wait_js(page, "!document.getElementById('patient-box').hidden")
            assert page_text(page, "#patient-link") == "Alice Patient"
            rx = page_text(page, "#prescription")
            assert "2 sets of 8 reps" in rx and "4 days a week" in rx and "range limit 120°" in rx

            for data in frames[10:150]:
                send_landmarks(patient, data)
            wait_js(page, "document.getElementById('event-log').children.length > 2")
            log = page_text(page, "#event-log")
            assert "Patient joined" in log
            assert not re.search(r"\b[a-z]+_[a-z_]+\b", log), log  # no internal ids

            page.click("[data-quick='Slow down a little']")
            assert recv_type(patient, "therapist_message")["text"] == "Slow down a little"
            wait_js(
                page, "document.getElementById('sent-messages').textContent.includes('Delivered')"
            )

        # The patient has gone: a message waits, and is delivered when they come back.
        wait_js(page, "document.getElementById('patient-status').dataset.kind === 'waiting'")
        page.wait_for_timeout(1100)  # the server takes one message a second
        page.fill("#message-text", "Call me when you are back")
        page.click("#message-form button[type=submit]")
        wait_js(page, "document.getElementById('sent-messages').textContent.includes('Not yet')")
        with patient_socket(review, f"exercise=squat&pose=device&session={sid}") as patient:
            recv(patient, timeout=30)
            got = recv_type(patient, "therapist_message", timeout=30)
            assert got["text"] == "Call me when you are back"
            wait_js(
                page, "!document.getElementById('sent-messages').textContent.includes('Not yet')"
            )
        assert not errors, errors
    finally:
        browser.close()


def test_follow_api_is_for_the_patients_own_therapist_only(review: Review) -> None:
    with patient_socket(review, "exercise=squat&pose=device") as patient:
        sid = recv(patient)["session_id"]
        with review.client("ther.a") as c:
            body = c.get(f"/api/live/{sid}/patient").json()
            assert body["patient"]["name"] == "Alice Patient"
        for other in ("pat.a", None):
            with review.client(other) as c:
                assert c.get(f"/api/live/{sid}/patient").status_code in (401, 403, 404)
        patient.send(json.dumps({"type": "end"}))


def test_the_follow_status_follows_the_stage_never_getting_ready_under_counted_reps(
    playwright: Any,
    review: Review,
    shared_data: Path,
) -> None:
    """Issue 22: the pill once said "Patient is getting ready" under counted reps and "Set
    done". The patient's page sends the medflex squat's landmarks (pose=device, no model):
    set 1 of 1 rep is done, the rest follows, and the pill says so."""
    review.store.set_program(
        review.pat_a.id, [{"exercise_id": "squat", "sets": 2, "reps": 1, "rest_s": 60}]
    )
    lm = np.load(shared_data / manifest_entry(shared_data, "medflex/squat")["landmarks"])["lm"]
    browser = launch_chromium(playwright, [])
    try:
        page = browser.new_context().new_page()
        sign_in(page, review, "ther.a")
        with patient_socket(review, "exercise=squat&pose=device") as patient:
            sid = recv(patient, timeout=30)["session_id"]
            page.goto(f"{review.url}/follow/{sid}")
            wait_js(page, "!document.getElementById('patient-box').hidden")
            stages = []
            for msg in track_messages(lm, 30.0, (1280, 720)):
                patient.send(json.dumps(msg))
                reply = recv_type(patient, "frame", "dropped", "error", timeout=30)
                stages.append(reply.get("stage"))
                if reply.get("stage") == "rest":
                    break
            assert stages[-1] == "rest", stages
            wait_js(
                page,
                "document.getElementById('patient-status').textContent === 'Resting between sets'",
            )
            assert page_text(page, "#rep-count") == "1"
    finally:
        browser.close()
