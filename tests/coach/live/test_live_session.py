"""Pure parts of coach.live: set progress, the outbox that protects the patient's stream, the
session's own event kinds."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from coach.live import SESSION_ID_RE, Closing, Outbox, percentile, set_progress
from coach.live.protocol import SessionKind
from scoring.events import EVENT_TYPES


@pytest.mark.parametrize(
    ("reps", "expected"),
    [
        (0, (1, 0, False)),
        (9, (1, 9, False)),
        (10, (2, 0, False)),
        (25, (3, 5, False)),
        (30, (3, 10, True)),
        (34, (3, 10, True)),
    ],
)
def test_set_progress_follows_the_prescription(reps: int, expected: tuple[int, int, bool]) -> None:
    p = set_progress("reps", reps, 0, sets=3, per_set=10)
    assert (p["set"], p["done"], p["complete"]) == expected
    assert p["sets"] == 3 and p["per_set"] == 10 and p["unit"] == "rep"


def test_holds_count_one_per_set_when_no_reps_are_prescribed() -> None:
    p = set_progress("hold", 0, 2, sets=3, per_set=0)
    assert (p["set"], p["done"], p["per_set"], p["unit"]) == (3, 0, 1, "hold")
    assert set_progress("hold", 0, 3, sets=3, per_set=0)["complete"]


def test_open_ended_counting_has_no_sets() -> None:
    p = set_progress("any", 7, 0, sets=1, per_set=0)
    assert p == {"set": 1, "sets": 1, "done": 7, "per_set": 0, "unit": "rep", "complete": False}


def test_a_slow_reader_loses_frames_but_never_events_or_messages() -> None:
    async def scenario() -> list[object]:
        box = Outbox(max_frames=2)
        box.put({"type": "frame", "seq": 1, "events": [{"kind": "RepCompleted", "index": 1}]})
        box.put({"type": "therapist_message", "text": "hi"})
        box.put({"type": "frame", "seq": 2, "events": []})
        box.put(b"jpeg")  # shared video counts as a frame too
        box.put({"type": "frame", "seq": 3, "events": [{"kind": "Cue", "text": "Chest up"}]})
        box.close(1000, "bye")
        items = []
        while True:
            item = await box.get()
            items.append(item)
            if isinstance(item, Closing):
                return items

    items = asyncio.run(scenario())
    assert items[0] == {"type": "therapist_message", "text": "hi"}
    frames = [i for i in items if isinstance(i, dict) and i["type"] == "frame"]
    assert [f["seq"] for f in frames] == [3]
    # The dropped frame's rep travels on with the next frame.
    assert [e["kind"] for e in frames[0]["events"]] == ["RepCompleted", "Cue"]
    assert isinstance(items[-1], Closing) and items[-1].code == 1000


def test_nothing_is_queued_after_close() -> None:
    box = Outbox()
    box.close(4409, "taken over")
    box.put({"type": "frame", "events": []})
    assert box.closed == Closing(4409, "taken over")


def test_percentile_and_ids() -> None:
    assert percentile([], 50) is None
    assert percentile([1.0, 2.0, 3.0], 50) == 2.0
    assert SESSION_ID_RE.match("Ab3_-xyz12")
    assert not SESSION_ID_RE.match("../etc/passwd")


def test_the_sessions_own_event_kinds_are_documented_and_not_the_engines() -> None:
    protocol = (Path(__file__).resolve().parents[3] / "docs" / "LIVE-PROTOCOL.md").read_text()
    kinds = [value for name, value in vars(SessionKind).items() if name.isupper()]
    assert len(set(kinds)) == len(kinds) == 13
    assert not set(kinds) & set(EVENT_TYPES)
    assert [k for k in kinds if f"`{k}`" not in protocol] == []
