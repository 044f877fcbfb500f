"""coach.live.followers on its own: therapists following a session and the messages between
them and the patient, read back from the real outboxes (what the sockets would send) and a
stand-in for the session's log."""

from __future__ import annotations

from typing import Any, cast

import pytest

from coach.live.followers import Followers
from coach.live.outbox import Closing, Outbox
from coach.live.protocol import SessionError, Summary
from tests.coach.live.helpers import Journal, StepClock


def queued(box: Outbox) -> list[Any]:
    """What the socket's writer would take from `box`, in order, without an event loop."""
    out = []
    while box._items:
        head = box._items.popleft()
        item = getattr(head, "item", head)
        if item is None:
            continue  # a frame dropped while it waited
        out.append(item)
    return out


class Patient:
    """The patient's page, present or not."""

    def __init__(self) -> None:
        self.outbox: Outbox | None = None


def followers(max_followers: int = 2, max_problems: int = 3) -> tuple[Followers, Journal, Patient]:
    clock = StepClock()
    journal = Journal(clock)
    patient = Patient()
    made = Followers(
        journal,
        lambda: patient.outbox,
        clock=clock,
        max_followers=max_followers,
        max_client_problems=max_problems,
    )
    return made, journal, patient


def test_the_patient_is_told_how_many_follow_and_no_more_than_the_limit_may() -> None:
    group, _, patient = followers(max_followers=2)
    patient.outbox = Outbox()
    a = group.add()
    b = group.add()
    with pytest.raises(SessionError) as refused:
        group.add()
    assert refused.value.code == "too_many" and "2 followers" in refused.value.message
    group.remove(a)
    group.remove(a)  # twice: told once
    assert group.count == 1 and group.outboxes == {b}
    counts = [m["count"] for m in queued(patient.outbox) if m["type"] == "followers"]
    assert counts == [1, 2, 1]


def test_a_message_sent_while_the_patient_is_away_waits_for_them() -> None:
    group, journal, patient = followers()
    box = group.add()
    journal.clock.now = 3.25
    event = group.therapist_message("Keep\tyour\x00 back  straight " + "x" * 300)
    text = "Keep your back straight " + "x" * 176  # control characters gone, 200 at most
    assert event == {"kind": "TherapistMessage", "t": 3.25, "text": text}
    assert journal.events == [event]
    with pytest.raises(ValueError):
        group.therapist_message(" \n\x07 ")
    patient.outbox = Outbox()
    group.patient_connected(patient.outbox)
    note = {"type": "therapist_message", "text": text, "t": 3.25}
    assert queued(patient.outbox) == [note]  # delivered on their return, once
    group.therapist_message("Well done")
    assert queued(patient.outbox)[0]["text"] == "Well done"
    echoes = [m for m in queued(box) if m["type"] == "therapist_message"]
    assert [(m["text"][:4], m["delivered"]) for m in echoes] == [("Keep", False), ("Well", True)]
    assert queued(box) == []  # everything was read once


def test_the_patients_status_reaches_followers() -> None:
    group, _, patient = followers()
    box = group.add()
    patient.outbox = Outbox()
    group.patient_connected(patient.outbox)
    group.patient_left(rep_count=4)
    group.session_ended(cast(Summary, {"id": "s"}))
    assert [(m["type"], m.get("patient")) for m in queued(box)] == [
        ("status", "connected"),
        ("status", "disconnected"),
        ("status", "ended"),
        ("summary", None),
    ]
    group.expire()
    assert queued(box) == [
        {
            "type": "status",
            "patient": "expired",
            "message": "Session closed.",
            "say": {"message": {"id": "Session closed."}},  # for the page's language
        },
        Closing(1000, "session expired"),
    ]


def test_video_goes_to_followers_only_when_shared_and_at_most_ten_frames_a_second() -> None:
    group, journal, _ = followers()
    group.forward_video(b"before anyone follows")
    box = group.add()
    group.forward_video(b"not shared yet")
    group.share_video(True)
    group.share_video(True)  # no change: said and logged once
    for i in range(10):
        journal.clock.now = 1.0 + i / 16  # 16 frames a second offered
        group.forward_video(bytes([i]))
    group.share_video(False)
    group.forward_video(b"off again")
    sent = queued(box)
    assert sent[0] == {"type": "status", "video": True}
    assert [m for m in sent if isinstance(m, bytes)] == [bytes([i]) for i in range(0, 10, 2)]
    assert sent[-1] == {"type": "status", "video": False}
    assert [e["enabled"] for e in journal.of("VideoSharing")] == [True, False]


def test_client_problems_are_cleaned_logged_up_to_a_limit_and_always_counted() -> None:
    group, journal, _ = followers(max_problems=2)
    box = group.add()
    group.client_problem("Camera Denied!" * 10, "The camera\n\nwas   blocked " + "y" * 900)
    group.client_problem("???", "")
    group.client_problem("camera_unavailable", "third")
    (first, second) = journal.of("ClientProblem")
    assert first["code"] == "cameradeniedcameradeniedcameradeniedcame"  # a-z0-9_, 40 at most
    assert first["message"].startswith("The camera was blocked y") and len(first["message"]) == 200
    assert second["code"] == "client_error" and group.client_problems == 3
    problems = [m["code"] for m in queued(box) if m.get("patient") == "problem"]
    assert problems == [first["code"], "client_error"]
