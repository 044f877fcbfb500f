"""scoring.events.EventKind names every engine event's JSON kind, and only those."""

from __future__ import annotations

from scoring.events import EVENT_TYPES, EventKind, PoseFound, to_json


def test_every_event_kind_is_its_class_name() -> None:
    kinds = {value for name, value in vars(EventKind).items() if name.isupper()}
    assert kinds == set(EVENT_TYPES)
    assert to_json(PoseFound(t=1.0))["kind"] == EventKind.POSE_FOUND
