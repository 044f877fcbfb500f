"""A stored hand-eye targets session on the reviewer's side (real app, real SQLite): the
session page shows each target's measures with their timing resolution and the left/right
comparison; the JSON export carries them; the patient page charts them per week."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from coach.review.progress import week_start
from tests.helpers.targets import PLACED, record, stored_targets
from tests.web.review_app import Review


def test_target_measures_on_the_session_page_and_in_the_export(review: Review) -> None:
    session_id, run = record(review.store, review.pat_a.id, schedule=PLACED)
    with review.client("ther.a") as c:
        page = c.get(f"/sessions/{session_id}")
        assert page.status_code == 200
        html = page.text
        assert 'data-testid="target-table"' in html and 'data-testid="target-hands"' in html
        assert "2 of 2 targets reached" in html
        assert "± 0.036 s (one frame)" in html and "loop latency not measured" in html
        assert f"<td>{run.results[1].reaction_s:.2f}</td>" in html
        data = c.get(f"/sessions/{session_id}/session.json").json()
        results = data["targets"]["results"]
        assert [r["hand"] for r in results] == ["left", "right"]
        assert results[1]["resolution_s"] > 0 and results[1]["movement_s"] > 0
        assert {"reaction_s", "straightness", "sparc", "overshoot"} <= set(results[0])
    with review.client("pat.b") as c:
        assert c.get(f"/sessions/{session_id}").status_code == 404


def test_the_therapist_sees_targets_charted_per_week(review: Review) -> None:
    """Sessions of this week and two weeks ago (a real store, a real server): the patient page
    has a hand-eye targets card with the weekly touched share and reaction time per hand, the
    numbers in the charts' descriptions and the table, and the timing caveat."""
    pid = review.store.create_patient(review.ther_a.id, "Tara Targets").id
    now = datetime.now(timezone.utc)
    before = now - timedelta(days=14)
    stored_targets(review.store, pid, before, schedule=PLACED)
    sid, placed = stored_targets(review.store, pid, now, schedule=PLACED)
    stored_targets(review.store, pid, now, level=1, seed=0)  # 3 targets, all missed
    _, follow = stored_targets(review.store, pid, before, "targets_follow", level=1, seed=0)
    this, old = (week_start(d.date()).strftime("%d %b") for d in (now, before))
    with review.client("ther.a") as c:
        html = c.get(f"/patients/{pid}").text
        report = c.get(f"/sessions/{sid}/report").text
    assert 'data-testid="targets-progress"' in html and "<h2>Hand–eye targets per week</h2>" in html
    touched = "Reach to targets (seated): targets touched per week"
    assert f"<title>{touched}</title>" in html
    # The description gives each value to one decimal, as the hover does (a third is 33.3 %).
    assert f"<desc>left: {old} 100%, {this} 33.3%; right: {old} 100%, {this} 50%</desc>" in html
    assert "<title>Reach to targets (seated): reaction time per week</title>" in html
    rt = placed.results[1].reaction_s  # the right hand's; the left one set off early (no time)
    ms = f"{1000 * rt:.1f}".removesuffix(".0")
    assert f"<desc>right: {old} {ms} ms, {this} {ms} ms</desc>" in html
    assert f"<td>{this}</td><td>left</td><td>2</td><td>1 of 3</td><td>–</td>" in html
    assert f"<td>{this}</td><td>right</td><td>2</td><td>1 of 2</td><td>{rt:.2f}</td>" in html
    assert "± 0.036 s (one frame)" in html and "loop latency not measured" in html
    # a follow task: its tracking error too, as a share of the arm's length
    te = [f"{100 * r.tracking_error:.0f}%" for r in follow.results]
    follow_title = "Follow the moving target: tracking error per week (% of arm length)"
    assert f"<title>{follow_title}</title>" in html
    said = [f"{100 * r.tracking_error:.1f}".removesuffix(".0") + "%" for r in follow.results]
    assert f"<desc>left: {old} {said[0]}; right: {old} {said[1]}</desc>" in html
    row = f"<td>{old}</td><td>left</td><td>1</td><td>0 of 1</td><td>–</td><td>{te[0]}</td>"
    assert row in html
    assert 'stroke="#b00020"' not in html.split('id="targets-progress"')[1].split("</section>")[0]
    # the printed report of a targets session: its targets and its task's weeks up to it
    assert 'data-testid="target-table"' in report and 'data-testid="targets-weeks"' in report
    assert f"<title>{touched}</title>" in report and "± 0.036 s (one frame)" in report
    with review.client("ther.b") as c:
        assert c.get(f"/patients/{pid}").status_code == 404
    # the patient's own page: one line in plain words, no charts
    review.store.set_program(pid, [{"exercise_id": "squat", "sets": 2, "reps": 8}])
    _, token = review.store.create_link(pid)
    with review.client() as c:
        assert c.get(f"/p/{token}").status_code == 303
        me = c.get("/me").text
    assert "This week you touched 2 of 5 targets." in me and "targets-progress" not in me
