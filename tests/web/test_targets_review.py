"""A stored hand-eye targets session on the reviewer's side (real app, real SQLite): the
session page shows each target's measures with their timing resolution and the left/right
comparison; the JSON export carries them."""

from __future__ import annotations

from tests.coach.offline.test_targets_recording import PLACED, record
from tests.web.conftest import Review


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
