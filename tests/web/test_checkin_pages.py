"""The weekly check-in through the pages: the patient answers on /me (large buttons, any
question skipped, the whole week skipped), the therapist sees it charted by week beside pain,
with the changes the PSFS's published thresholds call meaningful, and exports it (CSV, JSON);
the session report says the week's check-in. Real server, real SQLite store."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from coach.offline.recording import record_landmarks
from coach.review.progress import week_start
from coach.store.checkins import patient_checkins, record_checkin
from exercises import load_exercise
from tests.web.review_app import Review
from tests.web.svg_charts import ReadChart
from web.routes.checkins import checkin_review

ANSWERS = {"sleep": "7", "stress": "", "headaches": "2", "energy": "5"}


def _form(**more: str) -> dict[str, str]:
    return ANSWERS | {"activity_1": "Climbing stairs", "psfs_1": "3", "activity_2": "",
                      "psfs_2": "", "action": "save"} | more  # fmt: skip


def test_the_patient_answers_skips_and_changes_their_check_in(review: Review) -> None:
    pid = review.add_patient("pat.checkin", "Cleo Checkin", therapist="ther.b").id
    with review.client("pat.checkin") as c:
        page = c.get("/me").text
        form = page.split('data-testid="checkin-form"')[1].split("</form>")[0]
        assert form.count('type="radio"') == 4 * 12 + 3 * 12  # 0-10 and Skip, every question
        assert "How well did you sleep this week?" in form and "Skip this week" in form
        refused = c.post(
            "/me/checkin", data=_form(activity_1="", psfs_1="3", activity_2="Gardening")
        )
        assert refused.status_code == 400 and "has a score but no name" in refused.text
        # Nothing entered is lost: the form comes back as it was sent, to be mended.
        assert 'name="sleep" value="7" checked' in refused.text
        assert 'name="stress" value="" checked' in refused.text
        assert 'name="psfs_1" value="3" checked' in refused.text
        assert 'value="Gardening"' in refused.text
        assert 'action="/me/checkin#checkin"' in refused.text  # opens at the reason
        assert patient_checkins(review.store, pid) == []
        saved = c.post("/me/checkin", data=_form())
        assert saved.status_code == 303 and saved.headers["location"] == "/me?checkin=saved#checkin"
        done = (
            c.get("/me?checkin=saved").text.split('data-testid="checkin"')[1].split("</section>")[0]
        )
        assert "Thank you" in done and "Climbing stairs: <strong>3</strong>" in done
        assert "stressed" not in done  # left on Skip: not answered
        change = c.get("/me?checkin=again").text
        assert 'name="sleep" value="7" checked' in change
        assert 'value="Climbing stairs"' in change
        c.post("/me/checkin", data=_form(action="skip"))
        assert 'data-testid="checkin-skipped"' in c.get("/me").text
    (week,) = patient_checkins(review.store, pid)
    assert week.skipped and week.answers == {} and week.activities == ()
    with review.client("ther.b") as c:
        assert c.post("/me/checkin", data=_form()).status_code == 403
    with review.client() as c:
        assert c.post("/me/checkin", data=_form()).status_code in (303, 401)
    assert patient_checkins(review.store, pid)[0].skipped  # unchanged by either


def _monday(weeks_ago: int) -> datetime:
    day = week_start(datetime.now(timezone.utc).date()) - timedelta(weeks=weeks_ago)
    return datetime.combine(day, datetime.min.time(), timezone.utc) + timedelta(hours=9)


def test_the_therapist_sees_weeks_charted_changes_marked_and_exports(review: Review) -> None:
    pid = review.store.create_patient(review.ther_a.id, "Wendy Weekly").id
    record_checkin(review.store, pid, {"sleep": 3, "energy": 4}, [("Stairs", 2), ("Kneeling", 6)],
                   when=_monday(3))  # fmt: skip
    record_checkin(review.store, pid, {}, [], skipped=True, when=_monday(2))
    record_checkin(review.store, pid, {"sleep": 6, "stress": 5}, [("stairs", 6), ("Kneeling", 7)],
                   when=_monday(0))  # fmt: skip
    ctx = checkin_review(review.store, pid)
    labels = [w.strftime("%d %b") for w in ctx["weeks"].weeks]
    feel = ReadChart(ctx["feel_chart"])
    answered = {
        "sleep": [3, None, None, 6],
        "stress": [None, None, None, 5],
        "headaches": [None] * 4,
        "energy": [4, None, None, None],
    }
    assert feel.check(labels, answered) == 4
    psfs = ReadChart(ctx["psfs_chart"])
    assert psfs.check(labels, {"Stairs": [2, None, None, 6], "Kneeling": [6, None, None, 7],
                               "PSFS average": [4.0, None, None, 6.5]}) == 6  # fmt: skip
    with review.client("ther.a") as c:
        page = c.get(f"/patients/{pid}").text
        section = page.split('data-testid="checkins"')[1].split("</section>")[0]
        changes = section.split('data-testid="checkin-changes"')[1].split("</ul>")[0]
        assert "Meaningful improvement" in changes and "Stairs: 2" in changes
        assert "Kneeling" not in changes  # +1: not a change the scale can tell from noise
        assert "Stratford" in section and "Abbott" in section
        rows = list(csv.DictReader(io.StringIO(c.get(f"/patients/{pid}/checkins.csv").text)))
        assert [(r["skipped"], r["sleep"], r["activity_1"], r["psfs_1"]) for r in rows] == [
            ("0", "3", "Stairs", "2"), ("1", "", "", ""), ("0", "6", "stairs", "6")]  # fmt: skip
        data = c.get(f"/patients/{pid}/checkins.json").json()
        assert data["checkins"][2]["psfs_mean"] == 6.5
        assert data["meaningful_changes"][0]["threshold"] == 3
    with review.client("ther.b") as c:
        assert c.get(f"/patients/{pid}/checkins.csv").status_code == 404
    with review.client("pat.a") as c:
        assert c.get(f"/patients/{pid}/checkins.json").status_code in (403, 404)


def test_the_session_report_says_the_weeks_check_in(review: Review) -> None:
    pid = review.add_patient("pat.report", "Rosa Report").id  # of ther.a, a week of her own
    record_checkin(review.store, pid, {"sleep": 8}, [("Gardening", 4)])
    with np.load(Path(__file__).resolve().parents[2] / "samples/tracks/formfit_squat.npz") as d:
        sid, _ = record_landmarks(review.store, d["lm"], 30.0, (1280, 720), load_exercise("squat"),
                                  patient_id=pid)  # fmt: skip
    with review.client("ther.a") as c:
        report = c.get(f"/sessions/{sid}/report").text
    line = report.split('data-testid="report-checkin"')[1].split("</tr>")[0]
    assert "sleep quality 8/10" in line and "PSFS 4.0/10 (Gardening 4)" in line
