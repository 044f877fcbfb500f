"""The therapist's review, the patient's pages, exports and uploads: real app, real SQLite.

Sessions are recorded from the shared data's stored landmark track of the squat clip (the
same path as `coach analyze --save`, minus the model), except the upload test, which runs the
real model on the real clip.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from coach.store.store import aware
from tests.web.review_app import Review


def test_sign_in_rate_limit_and_cookie_settings(review: Review) -> None:
    with review.client() as c:
        r = c.get("/therapist")
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/therapist")
        r = c.post("/login", data={"username": "ther.a", "password": Review.PASSWORD})
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
    with review.client() as c:
        # Failed attempts from one address: the sixth is refused without checking the password.
        codes = [
            c.post("/login", data={"username": "ther.b", "password": f"wrong {i}"}).status_code
            for i in range(6)
        ]
        assert codes == [401] * 5 + [429]
        r = c.post("/login", data={"username": "ther.b", "password": Review.PASSWORD})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        assert "Too many failed attempts" in r.text
    # The limit is the app's state and all tests sign in from 127.0.0.1: clear it for them.
    review.server.server.config.app.state.login_limiter.reset()


def test_therapist_creates_a_patient_and_prescribes_a_program(review: Review) -> None:
    with review.client("ther.a") as c:
        r = c.post("/therapist/patients", data={"name": "Carol New", "birth_year": "1960"})
        assert r.status_code == 303
        page = r.headers["location"]
        pid = int(page.rsplit("/", 1)[1])
        r = c.post(
            f"{page}/program",
            data={
                "rows": "2",
                "exercise_0": "squat",
                "sets_0": "3",
                "reps_0": "12",
                "days_per_week_0": "4",
                "max_rom_deg_0": "90",
                "rest_s_0": "45",
                "exercise_1": "single_leg_stance",
                "sets_1": "2",
                "hold_s_1": "20",
            },
        )
        assert r.status_code == 303
        program = review.store.program(pid)
        assert [(p.exercise_id, p.sets, p.reps, p.max_rom_deg) for p in program][0] == (
            "squat",
            3,
            12,
            90.0,
        )
        assert program[1].hold_s == 20.0
        assert (program[0].rest_s, program[1].rest_s) == (45.0, None)  # empty: the default
        # Impossible input is refused with a reason, and the program is unchanged.
        bad = c.post(
            f"{page}/program",
            data={
                "rows": "1",
                "exercise_0": "squat",
                "target_rom_deg_0": "120",
                "max_rom_deg_0": "90",
            },
        )
        assert bad.status_code == 400 and "above the limit" in bad.json()["detail"]
        bad = c.post(
            f"{page}/program", data={"rows": "1", "exercise_0": "squat", "rest_s_0": "900"}
        )
        assert bad.status_code == 400 and "Rest (row 1)" in bad.json()["detail"]
        bad = c.post(f"{page}/program", data={"rows": "1", "exercise_0": "no_such_thing"})
        assert bad.status_code == 400 and "Unknown exercise" in bad.json()["detail"]
        assert len(review.store.program(pid)) == 2
        html = c.get(page).text
        assert "Carol New" in html and "Progress over weeks" in html
        assert c.get("/therapist").text.count("Carol New") == 1


def test_session_page_plot_exports_and_report(review: Review, squat_session: str) -> None:
    with review.client("ther.a") as c:
        html = c.get(f"/sessions/{squat_session}").text
        assert 'data-testid="rep-total">2<' in html
        assert html.count('class="rep-span"') == 2  # rep boundaries on the angle plot
        # A side view measures one side only: no Left / right table of dashes (issue 12).
        assert "Left / right" not in html and 'data-testid="lr-table"' not in html
        # Smoothness in words with the SPARC number on hover; no internal fault ids.
        assert 'data-testid="smoothness-key"' in html and 'title="SPARC -' in html
        assert re.search(r'data-sparc="[^"]+">(smoother|usual|less smooth)<', html)
        assert not re.search(r"<td>[a-z]+_[a-z_]+</td>", html)
        reps = list(csv.DictReader(io.StringIO(c.get(f"/sessions/{squat_session}/reps.csv").text)))
        assert [r["index"] for r in reps] == ["1", "2"]
        assert all(float(r["rom_deg"]) > 40 for r in reps)
        frames = c.get(f"/sessions/{squat_session}/frames.csv")
        assert frames.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(frames.text)))
        assert rows[0][:2] == ["t_s", "pose_found"] and "knee_flexion_left" in rows[0]
        assert len(rows) - 1 == len(review.store.session_frames(squat_session).t) > 200
        data = c.get(f"/sessions/{squat_session}/session.json").json()
        assert data["rep_count"] == 2 and data["patient"] == "Alice Patient"
        assert set(data["reps"][0]) >= {"index", "start_s", "end_s", "rom_deg", "score", "faults"}
        # The rep's features (what a personal reference is made of): side-view squat rules.
        assert {"trunk_lean", "incomplete_range", "too_fast"} <= set(data["reps"][0]["features"])
        report = c.get(f"/sessions/{squat_session}/report").text
        assert "Alice Patient" in report and "/static/report.css" in report and "2 reps" in report
        # A trend chart of this exercise, local time with its zone, no internal fault ids.
        assert 'data-testid="report-trend"' in report and "peak range per session" in report
        assert re.search(r"\d\d:\d\d [A-Z+\-0-9]+ · ", report)  # the time with its zone
        assert not re.search(r"<td>[a-z]+_[a-z_]+</td>", report)
        replay = c.get(f"/sessions/{squat_session}/replay.json").json()
        assert 80 < len(replay["frames"]) <= 160  # thinned to 15 fps
        assert sum(f is not None for f in replay["frames"]) > 100


def test_patient_sees_own_program_and_progress(review: Review, squat_session: str) -> None:
    review.store.set_program(
        review.pat_a.id, [{"exercise_id": "squat", "sets": 2, "reps": 80, "max_rom_deg": 95}]
    )
    # Today's squats of this patient (the review store is shared by the web tests, so other
    # tests may have added some): all of the day's sessions add up.
    today = datetime.now(timezone.utc).date()
    done = sum(
        len(s.reps)
        for s in review.store.sessions_of(review.pat_a.id)
        if s.exercise_id == "squat" and aware(s.started_at).date() == today
    )
    assert 2 <= done < 160
    with review.client("pat.a") as c:
        html = c.get("/me").text
        assert "Hello Alice Patient" in html
        assert "/?exercise=squat&amp;autostart=1" in html and "°" not in html
        assert "Bend your knees about two thirds of the way, no further" in html  # 95 of 135
        # The day's reps are fewer than the prescribed 2 x 80: not done today.
        assert "Done today" not in html and f"Today so far: {done} of 160 reps." in html
        assert "<svg" not in html  # no clinician charts on the patient's page
        assert c.get(f"/sessions/{squat_session}").status_code == 200
        assert c.get("/therapist").status_code == 403


def test_patient_with_an_account_signs_in_with_a_password(review: Review) -> None:
    with review.client("ther.a") as c:
        r = c.post(
            "/therapist/patients",
            data={"name": "Erin Account", "username": "erin.p", "password": "short"},
        )
        assert r.status_code == 400 and "at least 10" in r.json()["detail"]
        r = c.post(
            "/therapist/patients",
            data={"name": "Erin Account", "username": "erin.p", "password": "erin's long pw"},
        )
        assert r.status_code == 303
    with review.client() as c:
        r = c.post("/login", data={"username": "erin.p", "password": "erin's long pw"})
        assert r.status_code == 303 and r.headers["location"] == "/me"
        assert "Hello Erin Account" in c.get("/me").text
        assert c.get(f"/patients/{review.pat_a.id}").status_code == 403


def test_a_phone_user_signs_in_as_typed_and_a_failure_keeps_the_username(
    review: Review,
) -> None:
    """A phone capitalises the first letter ("Mara"); the field asks it not to, and a wrong
    password leaves the username in the form (escaped), the password field focused."""
    review.store.create_patient(
        review.ther_a.id, "Mara Phone", username="mara.phone", password="mara's long pw"
    )
    with review.client() as c:
        form = c.get("/login").text
        field = re.search(r'<input name="username"[^>]*>', form)
        assert field is not None and 'autocapitalize="off"' in field.group(0)
        assert 'spellcheck="false"' in field.group(0) and 'value=""' in field.group(0)
        failed = c.post("/login", data={"username": "Mara.Phone", "password": "not it at all"})
        assert failed.status_code == 401
        assert 'value="Mara.Phone"' in failed.text
        assert re.search(r'<input name="password"[^>]*autofocus', failed.text)
        hostile = c.post("/login", data={"username": '"><b>x', "password": "nope nope nope"})
        assert "<b>x" not in hostile.text and 'value="&#34;&gt;&lt;b&gt;x"' in hostile.text
        r = c.post("/login", data={"username": "Mara.Phone", "password": "mara's long pw"})
        assert r.status_code == 303 and r.headers["location"] == "/me"
        assert "Hello Mara Phone" in c.get("/me").text


def test_revoked_personal_link_stops_working(review: Review) -> None:
    link, token = review.store.create_link(review.pat_b.id)
    with review.client() as c:
        assert c.get(f"/p/{token}").status_code == 303
        assert c.get("/me").status_code == 200
        with review.client("ther.b") as t:
            revoke = f"/patients/{review.pat_b.id}/links/{link.id}/revoke"
            assert t.post(revoke, data={"confirm": "yes"}).status_code == 303
        assert c.get("/me").status_code == 303  # signed out: told why (/link-ended)
    with review.client() as c:
        assert c.get(f"/p/{token}").status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("notes.txt", b"hello", "not a video file"),
        ("clip.mp4", b"", "empty"),
        ("clip.mp4", b"\x00\x01 this is not a video" * 100, "can't be read as a video"),
    ],
)
def test_malformed_uploads_are_refused_with_a_reason(
    review: Review, name: str, content: bytes, reason: str
) -> None:
    with review.client("ther.a") as c:
        r = c.post(
            f"/patients/{review.pat_a.id}/uploads",
            data={"exercise_id": "squat"},
            files={"video": (name, content, "application/octet-stream")},
        )
    assert r.status_code == 400 and reason in r.json()["message"]
    assert not list((Path(review.store.engine.url.database).parent / "uploads").glob("*"))


def test_upload_without_exercise_or_too_large_is_refused(
    review: Review, squat_clip: tuple[Path, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _ = squat_clip
    with review.client("ther.a") as c:
        r = c.post(
            f"/patients/{review.pat_a.id}/uploads",
            data={"exercise_id": "juggling"},
            files={"video": ("clip.mp4", b"x", "video/mp4")},
        )
        assert r.status_code == 400 and "Choose an exercise" in r.json()["message"]
        monkeypatch.setenv("COACH_MAX_UPLOAD_MB", "0.5")
        r = c.post(
            f"/patients/{review.pat_a.id}/uploads",
            data={"exercise_id": "squat"},
            files={"video": ("clip.mp4", path.read_bytes(), "video/mp4")},
        )
        assert r.status_code == 413 and "larger than" in r.json()["message"]


@pytest.mark.model
def test_uploaded_video_is_analysed_in_the_background_with_progress(
    review: Review, squat_clip: tuple[Path, dict[str, Any]]
) -> None:
    path, entry = squat_clip
    with review.client("ther.a") as c:
        r = c.post(
            f"/patients/{review.pat_a.id}/uploads",
            data={"exercise_id": "squat"},
            files={"video": (path.name, path.read_bytes(), "video/mp4")},
            headers={"Accept": "application/json"},
        )
        assert r.status_code == 202, r.text
        job = r.json()["job"]
        seen: list[float] = []
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            status = c.get(f"/api/jobs/{job}").json()
            seen.append(status["progress"])
            if status["status"] in ("done", "failed"):
                break
            time.sleep(0.3)
        assert status["status"] == "done", status
        assert any(0 < p < 1 for p in seen) and seen == sorted(seen)  # progress was visible
        stored = review.store.session(status["session"])
        assert stored.source == "upload" and stored.video_name == path.name
        assert len(stored.reps) == entry["ground_truth"]["reps"]
        assert stored.video_path is None  # not kept unless asked
        summary = json.loads(json.dumps(stored.summary))
        assert summary["rep_count"] == len(stored.reps)
