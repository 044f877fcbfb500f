"""Issue 22, the therapist's side, over HTTP against a real server and a real SQLite store:
the kept video (range requests, who may see it), "Exercising now" pushed as Server-Sent
Events, the public base URL, the calendar feed, the dashboard's flags, revoking with a
confirmation and what the patient then sees, and the session pages' fixes."""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from icalendar import Calendar

from coach.store.ratings import record_rating
from tests.lanes import uses
from tests.web.review_app import Review
from tests.web.sockets import patient_socket as _patient_socket
from tests.web.therapist_week import keep_video, squat_session, week_app


@pytest.fixture(scope="module")
@uses("server", "subprocess", "model")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Review]:
    with week_app(tmp_path_factory.mktemp("week")) as review:
        yield review


# ---- the kept video ---------------------------------------------------------------------------
def test_a_kept_video_is_served_in_ranges_to_the_patients_therapist_only(
    app: Review, tmp_path: Path
) -> None:
    sid = squat_session(app, app.pat_a.id)
    video = keep_video(app, sid, tmp_path)
    data = video.read_bytes()
    url = f"/sessions/{sid}/video"
    with app.client("ther.a") as c:
        whole = c.get(url)
        assert whole.status_code == 200 and whole.content == data
        assert whole.headers["content-type"] == "video/webm"
        assert whole.headers["accept-ranges"] == "bytes"
        part = c.get(url, headers={"Range": "bytes=100-1099"})
        assert part.status_code == 206 and part.content == data[100:1100]
        assert part.headers["content-range"] == f"bytes 100-1099/{len(data)}"
        tail = c.get(url, headers={"Range": f"bytes={len(data) - 10}-"})
        assert tail.status_code == 206 and tail.content == data[-10:]
        page = c.get(f"/sessions/{sid}").text
        assert f'src="/sessions/{sid}/video"' in page and "data-t0=" in page
    with app.client("ther.b") as c:  # another therapist: as if there were no such session
        assert c.get(url).status_code == 404
        assert c.get(url, headers={"Range": "bytes=0-10"}).status_code == 404
    with app.client("pat.a") as c:  # the patient's own session, but a therapist's page
        assert c.get(url).status_code == 403
        assert "/video" not in c.get(f"/sessions/{sid}").text
    with app.client() as c:
        assert c.get(url).status_code in (303, 401)
    other = squat_session(app, app.pat_a.id)  # no video kept
    with app.client("ther.a") as c:
        assert c.get(f"/sessions/{other}/video").status_code == 404
        assert "<video" not in c.get(f"/sessions/{other}").text


# ---- "Exercising now", pushed --------------------------------------------------------------
class _Events:
    """An event stream read on a thread: each `event: live` payload, in order."""

    def __init__(self, client: httpx.Client, url: str) -> None:
        self.payloads: list[Any] = []
        self.status = 0
        self._stop = False
        self._thread = threading.Thread(target=self._read, args=(client, url), daemon=True)
        self._thread.start()

    def _read(self, client: httpx.Client, url: str) -> None:
        with contextlib.suppress(httpx.HTTPError):  # the test closed the client
            self._lines(client, url)

    def _lines(self, client: httpx.Client, url: str) -> None:
        with client.stream("GET", url, timeout=60) as r:
            self.status = r.status_code
            event = ""
            for line in r.iter_lines():
                if self._stop:
                    return
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "live":
                    self.payloads.append(json.loads(line[6:]))

    def wait(self, check: Any, what: str, timeout: float = 30) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.payloads and check(self.payloads[-1]):
                return self.payloads[-1]
            time.sleep(0.05)
        raise AssertionError(f"no event with {what}: {self.payloads}")


def test_exercising_now_is_pushed_to_the_therapists_dashboard(app: Review) -> None:
    with app.client("ther.a") as c, app.client("ther.b") as other:
        mine = _Events(c, "/api/therapist/live-now")
        theirs = _Events(other, "/api/therapist/live-now")
        mine.wait(lambda rows: rows == [], "nobody exercising")
        theirs.wait(lambda rows: rows == [], "nobody exercising")
        with _patient_socket(app) as patient:
            sid = json.loads(patient.recv(timeout=30))["session_id"]
            started = time.monotonic()  # the patient is connected from the hello on
            rows = mine.wait(lambda rows: len(rows) == 1, "Alice exercising")
            pushed_s = time.monotonic() - started
            assert rows[0]["patient"] == "Alice Patient" and rows[0]["session_id"] == sid
            assert rows[0]["exercise"] == "Squat" and rows[0]["getting_ready"] is True
            patient.send(json.dumps({"type": "end"}))
        mine.wait(lambda rows: rows == [], "Alice gone again")
        assert all(rows == [] for rows in theirs.payloads)  # never another's patient
        assert pushed_s < 5, pushed_s  # a look a second; nothing reloaded
        mine._stop = theirs._stop = True


def test_the_event_stream_is_bounded_per_address_and_signed_in_only(app: Review) -> None:
    with app.client() as anon:
        r = anon.get("/api/therapist/live-now")
        assert r.status_code == 401
    with app.client("pat.a") as patient:
        assert patient.get("/api/therapist/live-now").status_code == 403
    slots = app.server.server.config.app.state.live_now_slots
    deadline = time.monotonic() + 30
    while slots.count() and time.monotonic() < deadline:  # the last test's streams closing
        time.sleep(0.1)
    assert slots.count() == 0
    with app.client("ther.a") as c:
        streams = [_Events(c, "/api/therapist/live-now") for _ in range(4)]
        for s in streams:
            s.wait(lambda rows: rows == [], "the first list")
        r = c.get("/api/therapist/live-now", timeout=10)
        assert r.status_code == 429 and r.headers["retry-after"]
        assert slots.count("127.0.0.1") == 4
        for s in streams:
            s._stop = True
    deadline = time.monotonic() + 30
    while slots.count() and time.monotonic() < deadline:  # closed with the client
        time.sleep(0.1)
    assert slots.count() == 0


# ---- the public address ------------------------------------------------------------------
@pytest.mark.server
@pytest.mark.subprocess
@pytest.mark.model
def test_the_handout_and_qr_carry_the_public_url_and_warn_while_it_is_local(
    tmp_path: Path, app: Review
) -> None:
    _, token = app.store.create_link(app.pat_a.id)
    with app.client("ther.a") as c:  # 127.0.0.1, nothing configured: warned
        page = c.get(f"/patients/{app.pat_a.id}/handout?link={token}").text
        assert f"{app.url}/p/{token}" in page
        assert 'data-testid="local-address"' in page and "127.0.0.1" in page
    with week_app(tmp_path, public_url="https://coach.example-clinic.org/") as public:
        _, token = public.store.create_link(public.pat_a.id)
        with public.client("ther.a") as c:
            page = c.get(f"/patients/{public.pat_a.id}/handout?link={token}").text
            assert f"https://coach.example-clinic.org/p/{token}" in page
            assert 'data-testid="local-address"' not in page
            patient_page = c.get(f"/patients/{public.pat_a.id}?new_link={token}").text
            assert f"https://coach.example-clinic.org/p/{token}</code>" in patient_page


def test_local_addresses_are_recognised_and_a_bad_public_url_stops_serve() -> None:
    from web.public_url import check_public_url, local_only
    from web.server import serve

    for url in (
        "http://127.0.0.1:8000",
        "http://localhost:8000",
        "http://192.168.1.20:8000",
        "http://10.0.0.5",
        "http://[::1]:8000",
        "http://[fd00::1]",
        "https://coach.local",
        "http://clinic-pc:8000",
    ):
        assert local_only(url), url
    for url in (
        "https://coach.example.org",
        "http://93.184.216.34:8000",
        "https://[2606:4700::1111]",
    ):
        assert not local_only(url), url
    assert check_public_url(" https://coach.example.org/ ") == "https://coach.example.org"
    assert serve(public_url="ftp://coach.example.org") == 2


# ---- the calendar feed -------------------------------------------------------------------
def test_the_calendar_feed_lists_the_programs_days_and_can_be_revoked(app: Review) -> None:
    pid = app.pat_a.id
    app.store.set_program(
        pid,
        [
            {"exercise_id": "squat", "sets": 2, "reps": 8, "days_per_week": 3},
            {"exercise_id": "single_leg_stance", "sets": 3, "reps": 1, "hold_s": 20},
            {"exercise_id": "targets_reach_seated", "sets": 2, "reps": 1, "days_per_week": 2},
        ],
    )
    with app.client("ther.b") as c:
        assert c.post(f"/patients/{pid}/calendar").status_code == 404
    with app.client("ther.a") as c:
        r = c.post(f"/patients/{pid}/calendar")
        assert r.status_code == 303
        page = c.get(r.headers["location"]).text
        url = re.search(r'data-testid="new-feed">([^<]+)<', page).group(1)
        assert url.startswith(f"{app.url}/cal/") and 'data-testid="feed-qr"' in page
        feed_id = app.store.feeds_of(pid)[-1].id
    with httpx.Client() as phone:  # a calendar app: no sign-in
        r = phone.get(url)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
        cal = Calendar.from_ical(r.content)
        events = {str(e["rrule"]["BYDAY"][0]): e for e in cal.walk("VEVENT")}
        # 5 days a week (the stance's default) Monday-Friday; squat Mon, Wed, Fri; targets Mon, Thu.
        assert sorted(events) == ["FR", "MO", "TH", "TU", "WE"]
        assert str(events["MO"]["summary"]) == (
            "Exercises: Squat, Single-leg stance, Reach to targets (seated)"
        )
        assert str(events["TU"]["summary"]) == "Exercises: Single-leg stance"
        assert "Squat: 2 sets of 8 reps" in str(events["WE"]["description"])
        assert "2 rounds of 12 targets (6 for each hand)" in str(events["TH"]["description"])
        for day, event in events.items():
            start = event.decoded("dtstart")
            assert start.strftime("%a")[:2].upper() == day and event["rrule"]["FREQ"] == ["WEEKLY"]
            assert event.walk("VALARM"), "a reminder on the day"
    with app.client("ther.a") as c:
        assert c.post(f"/patients/{pid}/calendar/{feed_id}/revoke").status_code == 303
    assert httpx.get(url).status_code == 404


def test_a_spanish_patients_calendar_feed_is_in_spanish(app: Review) -> None:
    """Issue 23: the feed speaks the language the therapist set (the English one: above)."""
    patient = app.store.create_patient(app.ther_a.id, "Carmen")
    app.store.set_language(patient.id, "es")
    app.store.set_program(
        patient.id, [{"exercise_id": "squat", "sets": 2, "reps": 8, "days_per_week": 3}]
    )
    _, token = app.store.create_feed(patient.id)
    r = httpx.get(f"{app.url}/cal/{token}.ics")
    assert r.status_code == 200
    cal = Calendar.from_ical(r.content)
    assert str(cal["x-wr-calname"]) == "Mis ejercicios (Coach)"
    events = {str(e["rrule"]["BYDAY"][0]): e for e in cal.walk("VEVENT")}
    assert sorted(events) == ["FR", "MO", "WE"]
    assert str(events["WE"]["summary"]) == "Ejercicios: Sentadilla"
    description = str(events["WE"]["description"])
    assert description.startswith("Sus ejercicios de cada miércoles:\n- Sentadilla: 2 series de 8")
    assert "Pare y descanse" in description and "exercises" not in description
    alarm = events["WE"].walk("VALARM")[0]
    assert str(alarm["description"]) == "Es hora de sus ejercicios: Sentadilla"


# ---- the dashboard's flags ---------------------------------------------------------------
def _old(review: Review, pid: int, days: int) -> str:
    """A squat session `days` ago (its reps as recorded, the start moved back)."""
    sid = squat_session(review, pid)
    from coach.store.models import ExerciseSession

    with review.store.factory.begin() as db:
        row = db.get(ExerciseSession, sid)
        row.started_at = datetime.now(timezone.utc) - timedelta(days=days)
    return sid


@pytest.mark.server
@pytest.mark.subprocess
@pytest.mark.model
def test_the_dashboard_flags_missed_days_rising_pain_and_the_range_limit(
    tmp_path: Path,
) -> None:
    with week_app(tmp_path) as review:
        store = review.store
        ther = review.ther_a.id
        missed = store.create_patient(ther, "Mia Missed")
        pain = store.create_patient(ther, "Pete Pain")
        limit = store.create_patient(ther, "Lena Limit")
        fine = store.create_patient(ther, "Finn Fine")
        for p in (missed, pain, limit, fine):
            with store.factory.begin() as db:
                from coach.store.models import Patient

                db.get(Patient, p.id).created_at = datetime.now(timezone.utc) - timedelta(days=30)
            store.set_program(p.id, [{"exercise_id": "squat", "sets": 1, "reps": 5}])
        _old(review, missed.id, 6)  # 1 day of 5 prescribed in the last week
        for d in range(1, 8):
            _old(review, fine.id, d)
        rated = [_old(review, pain.id, d) for d in (5, 3, 2, 1, 0)]
        for sid, (before, after) in zip(
            rated, [(2, 2), (2, 3), (2, 2), (5, 6), (3, 3)], strict=True
        ):
            record_rating(store, sid, "pain_before", before)
            record_rating(store, sid, "pain_after", after)
        store.set_program(limit.id, [{"exercise_id": "squat", "reps": 5, "max_rom_deg": 40}])
        for d in range(0, 7):
            _old(review, limit.id, d)
        with review.client("ther.a") as c:
            html = c.get("/therapist").text
        box = re.search(r'data-testid="attention">(.*?)</section>', html, re.S).group(1)
        items = dict(re.findall(r'data-patient="(\d+)">(.*?)</li>\s*</ul></li>', box, re.S))
        assert "Missed 4 of 5 prescribed days in the last 7 days" in items[str(missed.id)]
        assert "exercised on 1" in items[str(missed.id)]
        assert "Pain rose" in items[str(pain.id)] and "up from 2" in items[str(pain.id)]
        assert "Went past the range limit" in items[str(limit.id)]
        assert str(fine.id) not in items and "Alice" not in box


# ---- revoking, and what the patient then sees ---------------------------------------------
def test_revoking_asks_first_and_the_patient_is_told_why(app: Review) -> None:
    link, token = app.store.create_link(app.pat_b.id)
    url = f"/patients/{app.pat_b.id}/links/{link.id}/revoke"
    with app.client() as browser:
        assert browser.get(f"/p/{token}").status_code == 303
        with app.client("ther.b") as t:
            ask = t.post(url)
            assert ask.status_code == 200 and f"Revoke link #{link.id}?" in ask.text
            assert 'name="confirm" value="yes"' in ask.text
            assert app.store.resolve_link(token) is not None  # not yet
            assert t.post(url, data={"confirm": "yes"}).status_code == 303
        assert app.store.resolve_link(token) is None
        r = browser.get("/me")
        assert r.status_code == 303 and r.headers["location"] == "/link-ended"
        page = browser.get("/link-ended").text
        assert "Ask your therapist for a new link" in page
        assert browser.get("/me").headers["location"].startswith("/login")  # told once
    with app.client() as c:
        page = c.get(f"/p/{token}")
        assert page.status_code == 404
        assert "<title>This link no longer works · Coach</title>" in page.text
        assert 'name="viewport"' in page.text and "/static/review.css" in page.text


def test_the_favicon_and_the_home_pages_sign_in_link(app: Review) -> None:
    with app.client() as c:
        icon = c.get("/favicon.ico")
        assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
        assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
        assert 'href="/login"' in c.get("/").text


# ---- the session pages, the handout --------------------------------------------------------
def test_the_session_pages_name_the_task_and_show_the_limit(app: Review) -> None:
    from tests.helpers.targets import PLACED, record

    targets, _ = record(app.store, app.pat_a.id, schedule=PLACED)
    app.store.set_program(app.pat_a.id, [{"exercise_id": "squat", "reps": 5, "max_rom_deg": 95}])
    squat = squat_session(app, app.pat_a.id)
    with app.client("ther.a") as c:
        page = c.get(f"/sessions/{targets}").text
        assert "<h1>Reach to targets (seated) ·" in page and "targets_reach_seated ·" not in page
        assert "<title>Reach to targets (seated)" in page
        assert "No frames stored" not in page
        assert "No angle is measured for this exercise" in page
        assert "use-as-reference" not in page and "at least 3 measured reps" in page
        report = c.get(f"/sessions/{targets}/report").text
        assert "Reach to targets (seated)" in report
        page = c.get(f"/sessions/{squat}").text
        plot = re.search(r'data-testid="angle-plot">(.*?)</svg>', page, re.S).group(1)
        assert 'data-line="limit" data-value="95"' in plot and "limit 95°" in plot
        assert "use-as-reference" in page


def test_a_new_patients_charts_have_no_points_and_the_pain_axis_starts_at_the_first_rating(
    app: Review,
) -> None:
    fresh = app.store.create_patient(app.ther_a.id, "Nora New")
    with app.client("ther.a") as c:
        page = c.get(f"/patients/{fresh.id}").text
    reps = re.search(r'<svg[^>]*aria-label="Reps completed".*?</svg>', page, re.S).group(0)
    assert "No data yet" in reps and "data-value" not in reps


def test_the_handout_gives_a_targets_task_its_rounds_and_instructions(app: Review) -> None:
    app.store.set_program(
        app.pat_a.id, [{"exercise_id": "targets_reach_seated", "sets": 2, "reps": 1}]
    )
    _, token = app.store.create_link(app.pat_a.id)
    with app.client("ther.a") as c:
        page = c.get(f"/patients/{app.pat_a.id}/handout?link={token}").text
    program = re.search(r'data-testid="handout-program">(.*?)</ul>', page, re.S).group(1)
    assert "2 rounds of 12 targets (6 for each hand)" in program
    assert "3 sets" not in program and "reps" not in program
    assert "When a circle appears, reach out and touch it" in program
