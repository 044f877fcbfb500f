"""The live protocol's vocabulary as types (docs/LIVE-PROTOCOL.md): where the pose model runs,
the session's own event kinds, its errors and the shapes of the messages a session builds.

Shapes only: the session and its parts fill them. Keys are listed in the order the pages
have always received them (a dict literal keeps the order it is written in).
"""

from __future__ import annotations

from typing import Any, Final, Literal, Protocol, TypedDict, TypeGuard

from scoring.words import said, say

Message = dict[str, Any]
MAX_MESSAGE_CHARS = 200  # a therapist's message, a page's problem, a setup hint: at most this

PoseMode = Literal["server", "device"]
"""Where a connection runs the pose model: "server" (the page sends JPEGs, a worker runs the
model) or "device" (the page runs it and sends landmarks)."""
SERVER: Final = "server"
DEVICE: Final = "device"
POSE_MODES: Final = (SERVER, DEVICE)

Stage = Literal["setup", "active", "rest", "done"]
"""What the pages show: setting up, counting, resting between sets, every set done."""
Phase = Literal["set", "rest", "done"]
"""Where a session is in its prescription (coach.live.sets.SetFlow)."""


def is_pose_mode(value: object) -> TypeGuard[PoseMode]:
    """`value` (a page's `pose=` parameter) names a pose mode."""
    return value in POSE_MODES


class SessionKind:
    """The `kind` of the events a live session logs itself (engine events:
    scoring.events.EventKind)."""

    SESSION_STARTED: Final = "SessionStarted"
    PATIENT_CONNECTED: Final = "PatientConnected"
    PATIENT_DISCONNECTED: Final = "PatientDisconnected"
    SETUP_PASSED: Final = "SetupPassed"
    SESSION_ENDED: Final = "SessionEnded"
    PIPELINE_RESTARTED: Final = "PipelineRestarted"
    THERAPIST_MESSAGE: Final = "TherapistMessage"
    CLIENT_PROBLEM: Final = "ClientProblem"
    VIDEO_SHARING: Final = "VideoSharing"
    SET_COMPLETED: Final = "SetCompleted"
    REST_ENDED: Final = "RestEnded"
    ALL_SETS_DONE: Final = "AllSetsDone"
    HOLD_REACHED: Final = "HoldReached"


class SessionError(Exception):
    """A request the server refuses; `code` is the protocol's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Journal(Protocol):
    """A session's event log as its parts see it (the session is one)."""

    def now(self) -> float:
        """Session time in seconds."""
        ...

    def log(self, event: Message) -> None:
        """Log an event (to every sink of the session)."""
        ...

    def log_event(self, kind: str, **fields: Any) -> Message:
        """Log a session-level event at the current time; returns it."""
        ...


# ---- pieces of several messages -----------------------------------------------------------
class SetProgress(TypedDict):
    """Which set the patient is in and how far along (`set` in frames, hello, summary)."""

    set: int
    sets: int
    done: int
    per_set: int
    unit: Literal["rep", "hold", "target", "stage", "attempt"]
    complete: bool


class RestState(TypedDict):
    """The rest in progress between two sets (`rest`; null when not resting)."""

    left_s: float
    rest_s: float
    next_set: int
    sets: int


class Stats(TypedDict):
    """A session's frame counts and server latency (the summary's `stats`)."""

    frames_received: int
    frames_processed: int
    frames_dropped: int
    frames_rejected: int
    client_problems: int
    server_ms_p50: float | None
    server_ms_p95: float | None


class PlanFields(TypedDict, total=False):
    """What a targets task or a live clinical test (the balance test, Timed Up and Go) adds
    to the hello and the summary (nothing for sets of reps)."""

    targets: Message
    balance: Message
    tug: Message


# ---- the session's messages ----------------------------------------------------------------
class FrameFields(TypedDict):
    """What the session adds to the engine's frame message (coach.pipeline.FrameResult
    `to_message`) before it goes out as a `frame` reply."""

    events: list[Message]
    rep_count: int
    holds_completed: int
    stage: Stage
    rest: RestState | None
    set: SetProgress
    seq: int
    server_ms: float
    image: list[int]


class _Hello(TypedDict):
    session_id: str
    follow_path: str
    exercise: Message
    prescription: Message
    skeleton_edges: list[list[int]]
    stage: Stage
    rest: RestState | None
    rep_count: int
    holds_completed: int
    set: SetProgress
    connected: bool
    ended: bool
    followers: int
    video: bool
    restored: bool
    pose: PoseMode
    signed_in: bool


class Hello(_Hello, PlanFields, total=False):
    """What a page needs to draw and label the session (in `session` and `follow`)."""


class _Summary(TypedDict):
    id: str
    exercise: str
    exercise_name: str
    state: str
    created_at: str
    duration_s: float
    rep_count: int
    holds_completed: int
    set: SetProgress
    prescription: Message
    no_count_reason: str | None
    reps: list[Message]
    holds: list[Message]
    faults: list[Message]
    warnings: list[str]
    messages: list[Message]
    followers: int
    events: int
    stats: Stats


class Summary(_Summary, PlanFields, total=False):
    """The session so far (`summary`, GET /api/sessions/SID)."""


class SummaryMessage(TypedDict):
    type: Literal["summary"]
    summary: Summary


class _Status(TypedDict):
    type: Literal["status"]


class Status(_Status, total=False):
    """What happened to the patient's side, for followers."""

    patient: Literal["connected", "disconnected", "problem", "ended", "expired"]
    code: str
    message: str
    rep_count: int
    video: bool


class _Error(TypedDict):
    type: Literal["error"]
    code: str
    message: str
    fatal: bool


class ErrorReply(_Error, total=False):
    """An error for the person; `seq` when it is about one frame."""

    seq: int | None


class Dropped(TypedDict):
    """Frame `seq` was not processed (`superseded`, `stale`, `rate`)."""

    type: Literal["dropped"]
    seq: int
    reason: str


class FollowerCount(TypedDict):
    """How many therapists are watching (to the patient)."""

    type: Literal["followers"]
    count: int


class _TherapistNote(TypedDict):
    type: Literal["therapist_message"]
    text: str
    t: float


class TherapistNote(_TherapistNote, total=False):
    """A follower's message: to the patient as is, echoed to followers with `delivered`."""

    delivered: bool


def error_reply(code: str, message: str, *, fatal: bool = False) -> ErrorReply:
    """An error for the page: `message` is a message (scoring.words.Say) whose id and
    parameters ride along as `say`, for the page to render in its reader's language."""
    reply: ErrorReply = {"type": "error", "code": code, "message": message, "fatal": fatal}
    reply.update(said(message=message))  # type: ignore[typeddict-item]
    return reply


SESSION_ENDED_WORDS = say("This session has ended; start a new one.")
