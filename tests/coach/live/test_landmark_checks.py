"""coach.live.landmarks and .messages: hostile text in, a sentence or a clean value out."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from coach.live import BadLandmarks, check_landmarks, echo_number, parse_message
from coach.live.outbox import Outbox


def msg(**over: Any) -> dict[str, Any]:
    base = {
        "type": "landmarks",
        "seq": 3,
        "t": 1.25,
        "image": [640, 480],
        "landmarks": [[0.5, 0.5, 0.0, 1.0]] * 33,
    }
    return {**base, **over}


def test_a_good_message_becomes_an_array() -> None:
    checked = check_landmarks(msg(), last_t=1.0)
    assert checked.seq == 3 and checked.t == 1.25 and checked.image == (640, 480)
    assert checked.landmarks is not None and checked.landmarks.shape == (33, 4)
    assert checked.landmarks.dtype == np.float32
    assert check_landmarks(msg(landmarks=None)).landmarks is None


@pytest.mark.parametrize(
    "over",
    [
        {"landmarks": [[0.5, 0.5, 0.0, 1.0]] * 34},
        {"landmarks": [[0.5, 0.5, 0.0]] * 33},
        {"landmarks": [[0.5, 0.5, 0.0, True]] * 33},
        {"landmarks": [[0.5, 0.5, 0.0, None]] * 33},
        {"landmarks": [[-1.5, 0.5, 0.0, 1.0]] * 33},
        {"landmarks": [[0.5, 2.5, 0.0, 1.0]] * 33},
        {"landmarks": [[0.5, 0.5, -11, 1.0]] * 33},
        {"landmarks": [[0.5, 0.5, 0.0, -0.1]] * 33},
        {"landmarks": [[0.5, 0.5, 0.0, 10**400]] * 33},
        {"landmarks": "33 rows"},
        {"image": [640]},
        {"image": [15, 480]},
        {"image": [640, 4097]},
        {"t": "1.0"},
        {"t": 0.5},  # before last_t
        {"seq": -1},
        {"seq": 1.0},
    ],
)
def test_bad_messages_are_refused_with_a_sentence(over: dict[str, Any]) -> None:
    with pytest.raises(BadLandmarks) as bad:
        check_landmarks(msg(**over), last_t=1.0)
    assert str(bad.value)


def test_non_finite_numbers_are_refused_when_parsing() -> None:
    for text in ('{"type":"ping","t":NaN}', '{"type":"ping","t":-Infinity}', '{"t":1e999}'):
        assert isinstance(parse_message(text, 1000), str)
    assert parse_message('{"type":"ping","t":1e-999}', 1000) == {"type": "ping", "t": 0.0}
    assert parse_message('{"type":"ping","t":1e300}', 1000) == {"type": "ping", "t": 1e300}
    assert "nested" in str(parse_message("[" * 5000, 10_000))
    assert "too long" in str(parse_message(json.dumps({"type": "x" * 100}), 50))
    assert echo_number(float("nan")) is None and echo_number(10**30) is None
    assert echo_number(2.5) == 2.5 and echo_number("1") is None


def test_the_outbox_drops_old_frames_in_constant_time_and_bounds_the_rest() -> None:
    box = Outbox(max_frames=2, max_backlog=3)
    for i in range(1000):
        box.put({"type": "frame", "seq": i, "events": [{"kind": "RepCompleted", "i": i}]})
    assert len(box) == 2 and box.dropped == 998
    for i in range(3):
        box.put({"type": "pong", "t": i})
    assert box.closed is None
    box.put({"type": "pong", "t": 99})  # the reader stopped reading
    assert box.closed is not None and box.closed.code == 1008
