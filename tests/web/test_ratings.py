"""Pain and effort on the stored side, against the real app and a real SQLite file: the
patient records them for their own sets (checked, with reasons), nobody else can, and they
appear in the session's JSON and CSV exports, the report, the weekly pain chart on both
patient pages, and, for the therapist only, the clinically important rises with their source."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

from tests.helpers.store import add_set
from tests.web.review_app import Review


def _set(review: Review, patient_id: int, sid: str, days_ago: int) -> str:
    return add_set(
        review.store, patient_id, datetime.now(timezone.utc) - timedelta(days=days_ago), sid
    )


def test_the_patient_rates_their_own_sets_and_bad_values_are_refused(review: Review) -> None:
    mine = _set(review, review.pat_a.id, "rate-a1", 0)
    theirs = _set(review, review.pat_b.id, "rate-b1", 0)
    with review.client("pat.a") as c:
        r = c.post(
            f"/sessions/{mine}/ratings", json={"kind": "pain_before", "value": 3, "area": "knee"}
        )
        assert r.status_code == 201 and r.json()["value"] == 3 and r.json()["area"] == "knee"
        r = c.post(f"/sessions/{mine}/ratings", json={"kind": "pain_before", "value": 11})
        assert r.status_code == 422
        assert r.json()["detail"] == (
            "pain must be a whole number from 0 (no pain) to 10 (worst pain imaginable); got 11"
        )
        r = c.post(f"/sessions/{mine}/ratings", json={"kind": "effort", "value": "hard"})
        assert r.status_code == 422 and "Borg CR10" in r.json()["detail"]
        r = c.post(f"/sessions/{mine}/ratings", json={"kind": "pain_after", "value": 4, "set": 2})
        assert r.status_code == 422 and "whole session, not for one set" in r.json()["detail"]
        r = c.post(f"/sessions/{mine}/ratings", json={"kind": "effort", "value": 4, "set": 99})
        assert (
            r.status_code == 422 and "set must be a whole number from 1 to 50" in r.json()["detail"]
        )
        r = c.post(f"/sessions/{mine}/ratings", json={"kind": "effort", "value": 4, "x": 1})
        assert r.status_code == 422 and "unknown field(s): x" in r.json()["detail"]
        r = c.post(f"/sessions/{mine}/ratings", content=b"not json")
        assert r.status_code == 422
        r = c.post(f"/sessions/{mine}/ratings", content=b"{" + b" " * 2000 + b"}")
        assert r.status_code == 413
        assert (
            c.post(f"/sessions/{theirs}/ratings", json={"kind": "effort", "value": 4}).status_code
            == 404
        )
        for kind, value in (("effort", 6), ("pain_after", 5)):
            assert (
                c.post(f"/sessions/{mine}/ratings", json={"kind": kind, "value": value}).status_code
                == 201
            )
        got = c.get(f"/sessions/{mine}/ratings").json()
        assert [(g["kind"], g["value"]) for g in got] == [
            ("pain_before", 3),
            ("pain_after", 5),
            ("effort", 6),
        ]
    with review.client("ther.a") as c:  # the therapist reads but does not rate
        r = c.post(f"/sessions/{mine}/ratings", json={"kind": "effort", "value": 1})
        assert r.status_code == 403 and "Only the patient" in r.json()["detail"]
    with review.client("ther.b") as c:
        assert c.get(f"/sessions/{mine}/ratings").status_code == 404
    with review.client() as c:
        r = c.post(f"/sessions/{mine}/ratings", json={"kind": "effort", "value": 1})
        assert r.status_code in (303, 401, 403)


def test_ratings_in_exports_report_chart_and_flags(review: Review) -> None:
    store = review.store
    patient = store.create_patient(review.ther_a.id, "Petra Pain", birth_year=1949)
    token = store.create_link(patient.id)[1]
    earlier = _set(review, patient.id, "pain-1", 8)
    later = _set(review, patient.id, "pain-2", 1)
    with review.client() as c:
        assert c.get(f"/p/{token}").status_code == 303
        for sid, kind, value in (
            (earlier, "pain_before", 3),
            (earlier, "pain_after", 3),
            (earlier, "effort", 4),
            (later, "pain_before", 3),
            (later, "pain_after", 6),  # +3 within the day: clinically important
            (later, "effort", 7),
        ):
            r = c.post(f"/sessions/{sid}/ratings", json={"kind": kind, "value": value})
            assert r.status_code == 201, r.text
        for number, value in ((2, 8), (3, 9)):  # effort after each set
            body = {"kind": "effort", "value": value, "set": number}
            r = c.post(f"/sessions/{later}/ratings", json=body)
            assert r.status_code == 201, r.text
        me = c.get("/me").text
        # The patient reads their ratings in words, week by week; the chart is the therapist's.
        assert 'data-testid="pain-weeks"' in me and "pain before exercising 3 out of 10" in me
        assert "<svg" not in me
        assert 'data-testid="pain-flags"' not in me and "Farrar" not in me  # for the therapist
    with review.client("ther.a") as c:
        page = c.get(f"/patients/{patient.id}").text
        assert 'data-testid="pain-chart"' in page and 'data-value="6.0"' in page
        assert page.count("Pain rose by a clinically important amount") == 1
        assert "from 3 before training to 6 after (+3 points, +100%)" in page
        assert "Farrar JT" in page and "Pain 2001;94(2):149-158" in page
        data = c.get(f"/sessions/{later}/session.json").json()
        assert [(r["kind"], r["value"]) for r in data["ratings"]] == [
            ("pain_before", 3),
            ("pain_after", 6),
            ("effort", 7),
            ("effort", 8),
            ("effort", 9),
        ]
        assert [r["set"] for r in data["ratings"]] == [0, 0, 1, 2, 3]
        rows = list(csv.DictReader(io.StringIO(c.get(f"/patients/{patient.id}/ratings.csv").text)))
        assert [(r["session_id"], r["kind"], r["value"]) for r in rows][:2] == [
            ("pain-1", "pain_before", "3"),
            ("pain-1", "pain_after", "3"),
        ]
        assert len(rows) == 8 and rows[0]["exercise"] == "squat"
        assert [r["set"] for r in rows[-3:]] == ["1", "2", "3"]
        one = c.get(f"/sessions/{later}/ratings.csv").text.splitlines()
        assert len(one) == 6 and one[0].startswith(
            "session_id,exercise,session_started_at,kind,set"
        )
        report = c.get(f"/sessions/{later}/report").text
        assert "pain before 3/10" in report and "pain after 6/10" in report
        assert "effort (Borg CR10) set 1: 7/10, set 2: 8/10, set 3: 9/10" in " ".join(
            report.split()
        )
    with review.client("ther.b") as c:
        assert c.get(f"/patients/{patient.id}/ratings.csv").status_code == 404
