"""What the pages are told about a session: the hello (the first message on any live socket),
what each frame reply adds to the engine's message, and the summary (the `summary` message,
GET /api/sessions/SID)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from coach.live.followers import Followers
from coach.live.frames import ProcessedFrame
from coach.live.plan import Plan
from coach.live.protocol import FrameFields, Hello, Message, PoseMode, Stats, Summary
from coach.live.readouts import json_safe, report_lists
from pose.landmarks import SKELETON_EDGES


class SessionView(Protocol):
    """What the hello and the summary read of a session (coach.live.session.LiveSession)."""

    @property
    def id(self) -> str: ...

    @property
    def info(self) -> Message:
        """The exercise's facts with the prescribed dose (coach.live.readouts)."""
        ...

    @property
    def plan(self) -> Plan: ...

    @property
    def followers(self) -> Followers: ...

    @property
    def events(self) -> list[Message]: ...

    @property
    def patient_id(self) -> int | None: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def restored(self) -> bool: ...

    @property
    def connected(self) -> bool: ...

    @property
    def ended(self) -> bool: ...

    @property
    def pose(self) -> PoseMode: ...

    def now(self) -> float: ...

    def elapsed(self) -> float:
        """Session time until now, or until the patient left."""
        ...

    def stats(self) -> Stats: ...


def make_hello(s: SessionView) -> Hello:
    """What a page needs to draw and label the session."""
    plan = s.plan
    return {
        "session_id": s.id,
        "follow_path": f"/follow/{s.id}",
        "exercise": s.info,
        "prescription": s.info["prescription"],
        "skeleton_edges": [[int(a), int(b)] for a, b in SKELETON_EDGES],
        "stage": plan.shown_stage,
        "rest": plan.rest(s.now()),
        "rep_count": plan.rep_count,
        "holds_completed": plan.holds_done,
        "set": plan.progress(),
        "connected": s.connected,
        "ended": s.ended,
        "followers": s.followers.count,
        "video": s.followers.video,  # a follower who joins later must know it is on
        "restored": s.restored,
        "pose": s.pose,
        "signed_in": s.patient_id is not None,  # the page offers "Back to my program"
        **plan.hello_fields(),
    }


def frame_fields(
    plan: Plan, events: list[Message], frame: ProcessedFrame, now: float
) -> FrameFields:
    """What the session adds to a frame's engine message: its events in session terms,
    the session's counts, stage and set, and the frame's own numbers."""
    return {
        "events": events,
        "rep_count": plan.rep_count,
        "holds_completed": plan.holds_done,
        "stage": plan.shown_stage,
        "rest": plan.rest(now),
        "set": plan.progress(),
        "seq": frame.seq,
        "server_ms": round(frame.server_ms, 1),
        "image": frame.image,
    }


def make_summary(s: SessionView) -> Summary:
    """The session so far, in the shape of `coach analyze --json` plus live fields."""
    plan = s.plan
    state = "ended" if s.ended else (plan.shown_stage if s.connected else "disconnected")
    report: Summary = {
        "id": s.id,
        "exercise": s.info["id"],
        "exercise_name": s.info["name"],
        "state": state,
        "created_at": s.created_at.isoformat(timespec="seconds"),
        "duration_s": round(s.elapsed(), 2),
        "rep_count": plan.rep_count,
        "holds_completed": plan.holds_done,
        "set": plan.progress(),
        "prescription": s.info["prescription"],
        "no_count_reason": plan.no_count_reason(s.events),
        **report_lists(s.events, s.restored),
        "followers": s.followers.count,
        "events": len(s.events),
        "stats": s.stats(),
        **plan.summary_fields(),
    }
    safe: Summary = json_safe(report)
    return safe
