"""One patient's live set: frames in, coaching out, counts kept, therapists following."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, Literal

from coach.live.clinical import session_plan
from coach.live.followers import Followers
from coach.live.frames import ProcessedFrame, Rows
from coach.live.landmarks import LandmarkMessage
from coach.live.options import Recorder, SessionOptions
from coach.live.outbox import Outbox, Outgoing
from coach.live.patient import PatientSide
from coach.live.protocol import (
    SERVER,
    SESSION_ENDED_WORDS,
    Hello,
    Message,
    PoseMode,
    SessionError,
    SessionKind,
    SetProgress,
    Stats,
    Summary,
    error_reply,
    is_pose_mode,
)
from coach.live.readouts import exercise_info, json_safe
from coach.live.report import frame_fields, make_hello, make_summary
from coach.live.spec import ExerciseOrTask, PipelineSpec
from coach.prescription import Prescription
from coach.sinks import EventLog, EventSink, FrameInfo, Sinks, take_measures
from scoring.words import say

log = logging.getLogger(__name__)

STARTING_ELSEWHERE = say("This session is starting in another window; use that one.")
TAKEN_OVER = say("This session was opened in another window.")
SERVER_STOPPING = say("The coach server is stopping; your count so far is kept.")

__all__ = ["LiveSession", "Recorder", "SessionError", "SessionOptions"]


class LiveSession:
    """One patient's live set: wires its parts together. Everything runs on the event loop;
    the model never does.

    - `patient` (coach.live.patient): the patient's page while connected and the frame path
      serving it (coach.live.frames): JPEGs to a worker process (`pose="server"`) or the
      page's landmarks processed here (`pose="device"`), chosen per connection.
    - `plan` (coach.live.plan): what the frames count towards, `SetPlan` (the prescription's
      sets, rests and holds) or `TargetsPlan` (a hand-eye targets task), and the counts so
      far, which survive a new pipeline (reconnect, worker crash, server restart).
    - `followers` (coach.live.followers): therapists following, and their messages.
    - The sinks (coach.sinks): every event and frame goes to the session's in-memory log,
      the recorder's sink for the session, the patient's and the followers' outboxes (frames
      only: events travel inside the frame messages); the summary is built from the log.

    A finished targets task ends the session by itself `end_after_done_s` later if the page
    has not ended it.
    """

    def __init__(self, session_id: str, exercise: ExerciseOrTask, options: SessionOptions) -> None:
        self.id = session_id
        self.exercise = exercise
        self.options = options
        self.prescription = options.prescription or Prescription.defaults(exercise)
        rx = self.prescription.to_message()
        # The pages' exercise facts, with the dose this patient was prescribed.
        self.info = {**exercise_info(exercise), **rx, "prescription": rx}
        self.patient_id = options.patient_id  # None: anonymous, reachable by its id only
        self.reference = options.reference
        self.restored = options.restored
        recorder = options.recorder
        self._record: EventSink | None = None if recorder is None else recorder.sink(session_id)
        self._clock = options.clock
        self._t0 = self._clock()
        self.created_at = datetime.now(timezone.utc)
        self.detached_at: float | None = self._clock()  # no patient yet
        self.ended = False
        self.last_message: Message | None = None
        self._log_sink = EventLog()
        self.events: list[Message] = self._log_sink.events
        self._late_rows: Callable[[], Rows] | None = None  # a device frame's, for new followers
        self._end_task: asyncio.Task[None] | None = None
        self.patient = PatientSide(self, options)
        start = options.plan_start()
        self.plan = session_plan(self, session_id, self.prescription, exercise.kind, start, options)
        self.followers = Followers(
            self,
            lambda: self.patient.outbox,
            clock=self._clock,
            max_followers=options.max_followers,
            max_client_problems=options.max_client_problems,
        )

    # ---- time, counts and state ----------------------------------------------------------
    def now(self) -> float:
        """Session time in seconds (the stream time the engine sees)."""
        return self._clock() - self._t0

    def elapsed(self) -> float:
        """Session time until now, or until the patient left."""
        detached = self.detached_at
        return self.now() if self.connected or detached is None else detached - self._t0

    @property
    def stage(self) -> Literal["setup", "active"]:
        """ "setup" until the setup check has passed, then "active" (per pipeline)."""
        return self.plan.stage

    @property
    def rep_count(self) -> int:
        return self.plan.rep_count

    def progress(self) -> SetProgress:
        return self.plan.progress()

    @property
    def pose(self) -> PoseMode:
        return self.patient.pose

    @property
    def connected(self) -> bool:
        return self.patient.outbox is not None

    @property
    def pipeline_alive(self) -> bool:
        """A pose model and engine are allocated (only while the patient is connected)."""
        return self.patient.frames is not None and self.patient.frames.alive

    @property
    def worker_pid(self) -> int | None:
        """The process running this session's model (None: none, or a thread)."""
        return self.patient.frames.pid if self.patient.frames is not None else None

    @property
    def last_landmark_t(self) -> float | None:
        frames = self.patient.frames
        return frames.last_landmark_t if frames is not None else None

    # ---- the event log and sinks -------------------------------------------------------------
    def _sinks(self) -> Sinks:
        """Where events and frames go, in this order: the log, the recorder, the patient's
        page, the followers' pages. A failing sink (a broken store) must not end the set."""
        sinks = [self._log_sink, self._record, self.patient.outbox, *self.followers.outboxes]
        return Sinks(sinks, on_error=self._sink_failed)

    def _sink_failed(self, sink: EventSink, exc: Exception) -> None:
        log.error("session %s: %s failed", self.id, type(sink).__name__, exc_info=exc)

    def log(self, event: Message) -> None:
        self._sinks().event(json_safe(event))

    def log_event(self, kind: str, **fields: Any) -> Message:
        """Log a session-level event (connections, messages, problems) at the current time."""
        event = {"kind": kind, "t": round(self.now(), 3), **fields}
        self.log(event)
        return event

    # ---- the patient's connection ------------------------------------------------------------
    async def attach_patient(
        self, pose: str = SERVER, *, address: str | None = None, max_backlog: int = 500
    ) -> Outbox:
        """Connect the patient (`pose` as the page asked): start a fresh pipeline (the model
        loads off the loop), or for "device" a filter and engine for the page's landmarks.

        A second patient connection (another tab) takes over: the first is told and closed.
        """
        if not is_pose_mode(pose):
            raise SessionError("bad_request", say("pose must be 'server' or 'device'."))
        if self.plan.ends_session and not self.ended:
            self.end()  # every target done: nothing to come back for
        if self.ended:
            raise SessionError("session_ended", SESSION_ENDED_WORDS)
        if self.patient.attaching:
            raise SessionError("session_starting", STARTING_ELSEWHERE)
        taken = error_reply("taken_over", TAKEN_OVER, fatal=True)
        old = self.patient.send_off(taken, 4409, "taken over")
        if old is not None:
            await self.detach_patient(old)
        await self.patient.connect(pose, address)
        outbox = self.patient.open(max_backlog)
        self.detached_at = None
        self.plan.carry()
        first = not any(e["kind"] == SessionKind.PATIENT_CONNECTED for e in self.events)
        self.log_event(SessionKind.PATIENT_CONNECTED, reconnect=not first, restored=self.restored)
        self.followers.patient_connected(outbox)
        return outbox

    async def detach_patient(self, outbox: Outbox) -> None:
        """The patient's socket is gone: free the pipeline (closing open holds, counting what
        it decided); the session and its log stay."""
        if outbox is not self.patient.outbox:
            return
        frames = await self.patient.close()
        if frames is not None:
            counting = self.plan.counting
            events = await frames.finish()
            if events is not None:
                self.plan.finish(events, counting=counting)
                self._end_when_done()
        self.detached_at = self._clock()
        stored = self.plan.stored()
        self.log_event(SessionKind.PATIENT_DISCONNECTED, rep_count=self.rep_count, **stored)
        self.followers.patient_left(self.rep_count)

    def end(self) -> None:
        """The patient ended the set on purpose (after detaching), or a targets task is done:
        no reconnects, tell followers. SessionEnded carries what the store keeps of the plan."""
        if self.ended:
            return
        self.ended = True
        if self._end_task is not None and self._end_task is not asyncio.current_task():
            self._end_task.cancel()
        self.log_event(SessionKind.SESSION_ENDED, rep_count=self.rep_count, **self.plan.stored())
        self.followers.session_ended(self.summary())

    def _end_when_done(self) -> None:
        """The plan is over (a targets task): end the session soon, if the page does not."""
        if self.plan.ends_session and self._end_task is None and not self.ended:
            self._end_task = asyncio.create_task(self._end_later(), name=f"end-{self.id}")

    async def _end_later(self) -> None:
        """End a finished session the page did not end: the summary to the page (and
        followers), then the patient socket closes normally."""
        await asyncio.sleep(self.options.end_after_done_s)
        if self.ended:
            return
        outbox = self.patient.outbox
        if outbox is not None:
            await self.detach_patient(outbox)
        if self.ended:  # the page sent `end` meanwhile: it has its summary
            return
        self.end()
        if outbox is not None:
            outbox.put({"type": "summary", "summary": self.summary()})
            outbox.close(1000, "session ended")

    async def server_stopping(self) -> None:
        """The server stops: the patient is told their count is kept; every socket closes."""
        text = SERVER_STOPPING
        outbox = self.patient.send_off(error_reply("server_stopping", text), 1012, "server restart")
        if outbox is not None:
            await self.detach_patient(outbox)
        self.followers.close(1012, "server restart")

    # ---- frames in (coach.live.patient) --------------------------------------------------------
    def offer_frame(self, data: bytes) -> int:
        """Take one JPEG from a `pose=server` page; returns its sequence number."""
        return self.patient.offer_frame(data)

    def offer_landmarks(self, msg: LandmarkMessage) -> None:
        """One checked landmark message from a `pose=device` page (replies carry its `seq`)."""
        self.patient.offer_landmarks(msg)

    def refuse_landmarks(self, seq: int | None, reason: str) -> None:
        self.patient.refuse_landmarks(seq, reason)

    def drop_landmarks(self, seq: int, reason: str = "rate") -> None:
        self.patient.drop_landmarks(seq, reason)

    def next_set(self) -> None:
        """The patient is ready before the rest is over: the next set starts now."""
        self.plan.next_set(self.now())

    def offer_latency(self, ms: Any) -> str | None:
        """The page's measured camera-to-screen latency (ms): None when taken (or dropped,
        more than two a second; ignored by sessions of exercises), else why not."""
        return self.plan.offer_latency(ms, self._clock())

    # ---- frames out (the session is its frame paths' FrameOwner) ----------------------------
    def reply(self, message: Outgoing) -> None:
        self.patient.reply(message)

    @property
    def followed(self) -> bool:
        return bool(self.followers.outboxes)

    def pipeline_spec(self) -> PipelineSpec:
        limit = self.prescription.limit_deg
        return PipelineSpec(self.exercise, self.reference, limit, self.plan.schedule())

    def pipeline_lost(self) -> None:
        self.plan.carry()
        self.log_event(SessionKind.PIPELINE_RESTARTED, rep_count=self.rep_count)

    def pipeline_failed(self, error: SessionError) -> None:
        failed = error_reply(error.code, error.message, fatal=True)
        self.patient.send_off(failed, 1011, "pipeline failed")

    def publish(self, frame: ProcessedFrame) -> None:
        """Count, log and send one processed frame."""
        message = frame.message
        t = float(message.get("t", self.now()))
        now = self.now()
        events = self.plan.step(message, t, now, pose=(frame.landmarks, frame.image, frame.raw))
        message.update(frame_fields(self.plan, events, frame, now))
        self.last_message = message
        if frame.rows is not None:
            self._late_rows = frame.rows
        size = frame.image
        image_size = (int(size[0]), int(size[1])) if size and len(size) == 2 else None
        info = FrameInfo(image_size, message=message, measures=take_measures(message))
        self._sinks().frame(t, frame.landmarks, info)  # measures: the recorder's, not the pages'
        self._end_when_done()

    # ---- followers and messages (coach.live.followers) -------------------------------------
    def add_follower(self, max_backlog: int = 500) -> Outbox:
        outbox = self.followers.add(max_backlog)
        last = self.last_message
        if last is not None and "landmarks" not in last and self._late_rows is not None:
            # A device session's last frame went out without rows (no one was following).
            self.last_message = {**last, "landmarks": self._late_rows()}
        return outbox

    def remove_follower(self, outbox: Outbox) -> None:
        self.followers.remove(outbox)

    def share_video(self, enabled: bool) -> None:
        self.followers.share_video(enabled)

    def forward_video(self, data: bytes, max_fps: float = 10.0) -> None:
        self.followers.forward_video(data, max_fps)

    def therapist_message(self, text: str) -> Message:
        return self.followers.therapist_message(text)

    def client_problem(self, code: str, text: str) -> None:
        self.followers.client_problem(code, text)

    # ---- read-outs (coach.live.report) -----------------------------------------------------
    def hello(self) -> Hello:
        """What a page needs to draw and label the session (first message on any socket)."""
        return make_hello(self)

    def summary(self) -> Summary:
        return make_summary(self)

    def stats(self) -> Stats:
        return self.patient.stats.as_stats(self.followers.client_problems)
