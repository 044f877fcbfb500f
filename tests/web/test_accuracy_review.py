"""The accuracy card's lines where a number is shown: the session page, the printed report and
/protocols, on the real app and server with a real SQLite store.

The session is recorded from a stored sample track of a side view (no model); the card is the
committed coach/accuracy.json, and a small card with an angle figure for the angle's line
(the committed one has angle figures only once the angle benchmark has written its file)."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from coach.offline.recording import record_landmarks
from coach.review import accuracy
from exercises import load_exercise
from tests.card.fake_cards import measured_angle
from tests.web.review_app import Review

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "tracks"

CARD: dict[str, Any] = {
    "format": 1,
    "counting": {"bicep_curl": {"recordings": 3, "exact": 3, "within_one": 3, "mae_reps": 0.0}},
    "protocols": {
        "chair-stand": {"recordings": 3, "exact": 2, "within_one": 3},
        "five-times-sit-to-stand": {"recordings": 1, "mae_s": 0.32, "bias_s": -0.32},
    },
    "angles": {
        "elbow_flexion": {"side": measured_angle(6, 5.3, frames=300)},
        "knee_flexion": {"side": measured_angle(5, 4.2)},
    },
}
CURL_COUNT = "Counting Bicep curl: exact on 3 of 3 test recordings."
ELBOW_SIDE = (
    "Elbow angle from the side: measured within about 6° "
    "(average error against a 4-camera triangulated reference)."
)


@pytest.fixture(scope="module")
def curl_session(review: Review) -> str:
    """A bicep curl filmed from the side (formfit/curl, 5 reps), stored as if analysed."""
    with np.load(SAMPLES / "formfit_curl.npz") as d:
        lm, t, size = d["lm"], d["t"], tuple(int(v) for v in d["image_size"])
    session_id, engine = record_landmarks(
        review.store,
        lm,
        (len(t) - 1) / float(t[-1]),
        size,  # type: ignore[arg-type]
        load_exercise("bicep_curl"),
        patient_id=review.pat_a.id,
    )
    assert len(engine.reps) == 5
    return session_id


@pytest.fixture()
def card_with_angles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The server runs in this process: the pages read this card until the test ends."""
    path = tmp_path / "accuracy.json"
    path.write_text(json.dumps(CARD))
    monkeypatch.setattr(accuracy, "CARD_FILE", path)
    accuracy.card.cache_clear()
    yield
    accuracy.card.cache_clear()


def _accuracy_text(page: str) -> str:
    start = page.index('data-testid="accuracy"')
    return html.unescape(page[start : page.index("</p>", start)])


def test_session_page_and_report_say_how_far_the_numbers_go(
    review: Review, curl_session: str, card_with_angles: None
) -> None:
    with review.client("ther.a") as c:
        for url in (f"/sessions/{curl_session}", f"/sessions/{curl_session}/report"):
            page = c.get(url)
            assert page.status_code == 200
            text = _accuracy_text(page.text)
            assert CURL_COUNT in text and ELBOW_SIDE in text, (url, text)
        # The report no longer claims an angle accuracy nobody measured.
        assert "±5–10°" not in page.text
        protocols = c.get("/protocols").text
    chair = protocols[protocols.index('data-testid="norms-chair_stand_30s"') :]
    assert "Stands counted exactly on 2 of 3 test recordings, within one on 3 of 3." in (
        _accuracy_text(chair)
    )
    five = protocols[protocols.index('data-testid="norms-five_times_sit_to_stand"') :]
    assert "Time to the fifth stand: within about 0.4 s" in _accuracy_text(five)
    rom = protocols[protocols.index('data-testid="norms-range_of_motion"') :]
    assert "Knee angle from the side: measured within about 5°" in _accuracy_text(rom)
    # No figure on the card for the four-stage balance test: nothing said there.
    four = protocols[protocols.index('data-testid="norms-four_stage_balance"') :]
    assert 'data-testid="accuracy"' not in four[: four.index("</section>")]


def test_pages_quote_the_committed_card(review: Review, curl_session: str) -> None:
    accuracy.card.cache_clear()
    expected = accuracy.counting_line("bicep_curl", "Bicep curl")
    assert expected is not None  # the committed card has the curl clips of ../shared/data
    with review.client("ther.a") as c:
        assert expected in _accuracy_text(c.get(f"/sessions/{curl_session}").text)
        protocols = c.get("/protocols").text
    for line in accuracy.protocol_lines("chair-stand"):
        assert line in html.unescape(protocols)
