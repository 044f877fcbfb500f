"""A four-stage balance test taken on the live page is charted by week beside the uploaded
ones, marked as live, on the therapist's tests page. In-process app, real SQLite store; the
live result is the tracker's own on a track made from real standing
(samples/make_balance_tracks.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from coach.live.balance import PROTOCOL, LiveBalance
from coach.review.progress import week_start
from coach.review.tests_progress import weekly_tests
from coach.store import open_store
from coach.store.models import ProtocolResult
from tests.scoring.tracks import balance_script
from tests.web.in_process import in_process, threaded_app
from tests.web.svg_charts import ReadChart
from web.routes.protocols import charts_by_test


def _at(weeks_ago: int) -> datetime:
    monday = week_start(datetime.now(timezone.utc).date()) - timedelta(weeks=weeks_ago)
    return datetime.combine(monday + timedelta(days=2), datetime.min.time(), timezone.utc)


def _live_result() -> dict[str, object]:
    lm, t, (w, h), _ = balance_script().made_track("tandem_fails")
    balance = LiveBalance()
    for ti, pose in zip(t, lm, strict=True):
        balance.frame(float(ti), pose, [w, h])
    assert balance.done
    return balance.result("abc123")


def test_a_live_result_is_charted_beside_the_uploaded_ones_and_marked_live(
    tmp_path: Path,
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'coach.db'}")
    ther = store.create_user("ther", "Dr T", "correct horse battery")
    pid = store.create_patient(ther.id, "Pat").id
    uploaded = {
        "name": "Four-stage balance test",
        "unit": "stage",
        "value": 1.0,
        "measured": {"recording": "one continuous recording"},
    }
    live = _live_result()
    with store.factory.begin() as db:
        db.add(
            ProtocolResult(patient_id=pid, protocol=PROTOCOL, result=uploaded, created_at=_at(2))
        )
        db.add(ProtocolResult(patient_id=pid, protocol=PROTOCOL, result=live, created_at=_at(0)))
    rows = store.protocol_results(pid)
    (trend,) = weekly_tests(rows)
    assert trend.values == [1.0, None, 2.0] and trend.live == [False, False, True]
    (svg,) = charts_by_test(rows)
    labels = [w.strftime("%d %b") for w in trend.weeks]
    series = {
        "Four-stage balance test, recorded": [1.0, None, None],
        "Four-stage balance test, live": [None, None, 2.0],
    }
    assert ReadChart(svg, " stage").check(labels, series) == 2
    with in_process(threaded_app(store=store)) as app:
        password = {"username": "ther", "password": "correct horse battery"}
        signed_in = app.http.post("/login", data=password)  # followed to the therapist's page
        assert str(signed_in.url).endswith("/therapist"), signed_in.url
        page = app.http.get(f"/patients/{pid}/protocols").text
    table = page.split('data-testid="protocol-results"')[1].split("</table>")[0]
    assert table.count('data-testid="live-result"') == 1
    live_row = table.split("<tr id=")[1]  # newest first: the live one
    assert 'data-testid="live-result"' in live_row and "increased fall risk" in live_row
    hint = page.split('data-testid="balance-live-hint"')[1].split("</p>")[0]
    assert 'href="/?exercise=four_stage_balance"' in hint
