"""All live sessions of one server: creating, finding, resuming, restoring, expiring."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Literal

from coach.live.caps import LiveCaps, LocalCaps, SessionView, check_room, session_views
from coach.live.clinical_tests import live_test_exercise, new_test
from coach.live.limits import LiveLimits, Slots, SocketSlots
from coach.live.lookups import PatientLookups, PrescriptionLookup, ReferenceLookup
from coach.live.options import Recorder, SessionOptions, default_landmark_processor
from coach.live.protocol import (
    SERVER,
    SESSION_ENDED_WORDS,
    PoseMode,
    SessionError,
    SessionKind,
    is_pose_mode,
)
from coach.live.session import LiveSession
from coach.live.spec import ExerciseOrTask, LandmarkProcessorFactory, Processor, ProcessorFactory
from coach.live.worker import FrameDecoder, Isolation, WorkerPool
from coach.store.sessions import new_session_id
from scoring.words import Say, nsay, say

if TYPE_CHECKING:
    from scoring.reference import PersonalReference
    from scoring.targets import TargetSpec

__all__ = [
    "SESSION_ID_RE",
    "ExerciseLoader",
    "Opened",
    "PrescriptionLookup",
    "ReferenceLookup",
    "SessionRegistry",
    "default_processor",
]

SESSION_ID_RE = re.compile(r"^[A-Za-z0-9_-]{8,40}$")
ExerciseLoader = Callable[[str], ExerciseOrTask]
Opened = Literal["new", "resumed", "restored"]
"""How `SessionRegistry.open` found the session."""


def default_processor(
    exercise: ExerciseOrTask,
    reference: PersonalReference | None = None,
    limit_deg: float | None = None,
    pose_model: str = "full",
    schedule: list[TargetSpec] | None = None,
) -> Processor:
    """The real pipeline, with the setup check the live page needs before counting (and the
    patient's reference and range limit, when they have them; a targets task's `schedule`).
    `functools.partial(default_processor, pose_model="lite")` picks another model (`coach
    serve --model`) and still pickles."""
    from coach.pipeline import FrameProcessor

    return FrameProcessor(
        exercise,
        require_setup=True,
        reference=reference,
        limit_deg=limit_deg,
        pose_model=pose_model,
        schedule=schedule,
    )


def _default_loader(exercise_id: str) -> ExerciseOrTask:
    from exercises import load_any

    return load_any(exercise_id)  # an exercise or a targets task


class SessionRegistry:
    """The live sessions of one server, by id.

    `max_active` bounds the sessions with a running pose model (each takes about one CPU
    core and a few hundred MB); sessions whose patient left stay readable (resumable and
    followable) for `retain_s`, then are forgotten. Two budgets bound how many wait: at most
    `max_retained` sessions of signed-in patients and `max_retained_anonymous` try-out
    sessions, the oldest forgotten first within each, so that anonymous sessions (anyone can
    open them) never push out a patient's. `reference_for(patient_id,
    exercise_id)` gives a signed-in patient's personal reference (e.g. `Store.reference`), and
    `prescription_for(patient_id, exercise_id)` their program row (e.g. `Store.program_item`):
    its sets, reps, hold, rest and range limit drive the session. Anonymous sessions have no
    reference and follow the definition's defaults.

    `limits` (coach.live.limits.LiveLimits) bounds the rest: sessions whose page runs the
    pose model (`pose="device"`, no worker: `limits.max_device`), sessions per client
    address, and what each socket may send.

    A hand-eye targets task (`kind = "targets"`) gets its schedule here: at the `level`
    asked for, else the patient's program row's (when it has one), else 1, drawn from a
    random seed. `allow_seed` (tests and debugging only; never a public server) lets the
    caller fix that seed, so a test knows the schedule.
    """

    def __init__(
        self,
        *,
        decode: FrameDecoder,
        exercise_loader: ExerciseLoader | None = None,
        processor_factory: ProcessorFactory | None = None,
        isolation: Isolation = "process",
        recorder: Recorder | None = None,
        reference_for: ReferenceLookup | None = None,
        prescription_for: PrescriptionLookup | None = None,
        max_active: int = 4,
        retain_s: float = 1800.0,
        max_retained: int = 200,
        max_retained_anonymous: int = 100,
        setup_hold_s: float = 0.5,
        max_frame_age_s: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        limits: LiveLimits | None = None,
        landmark_processor: LandmarkProcessorFactory | None = None,
        caps: LiveCaps | None = None,
        allow_seed: bool = False,
    ) -> None:
        if max_active < 1:
            raise ValueError(f"max_active must be >= 1, got {max_active}")
        self._load = exercise_loader or _default_loader
        self._pool = WorkerPool(isolation)
        self.recorder = recorder
        self._lookups = PatientLookups(reference_for, prescription_for)
        self.max_active = max_active
        self.retain_s = retain_s
        self.max_retained = max_retained
        self.max_retained_anonymous = max_retained_anonymous
        self._clock = clock
        self.limits = limits or LiveLimits()
        self.allow_seed = allow_seed  # tests only: `seed=` fixes a targets schedule
        # Every session's options; `open` adds the patient's.
        self._options = SessionOptions(
            decode=decode,
            processor_factory=processor_factory or default_processor,
            new_worker=self._pool.take,
            landmark_processor=landmark_processor or default_landmark_processor,
            recorder=recorder,
            setup_hold_s=setup_hold_s,
            max_frame_age_s=max_frame_age_s,
            max_client_problems=self.limits.max_client_problems,
            max_followers=self.limits.max_followers,
            clock=clock,
        )
        self._sessions: dict[str, LiveSession] = {}
        self.follower_slots: Slots = SocketSlots()  # per address and in all (web.machine)
        self.caps = caps or LocalCaps()  # a cluster: the other instances' sessions per address
        self.caps.watch(self)
        self.own_id: Callable[[str], bool] | None = None  # a worker's ids (web/routing.py)

    def warm_up(self) -> None:
        """Prepare the first worker at server start, so the first patient does not wait."""
        self._pool.warm_up()

    def __len__(self) -> int:
        return len(self._sessions)

    def sessions(self) -> list[LiveSession]:
        return list(self._sessions.values())

    def get(self, session_id: str) -> LiveSession | None:
        self.sweep()
        return self._sessions.get(session_id)

    def active_count(self, pose: PoseMode | None = None) -> int:
        """Sessions with a patient connected (or connecting); of one `pose` mode if given."""
        return sum(
            (s.connected or s.patient.attaching) and (pose is None or s.pose == pose)
            for s in self._sessions.values()
        )

    def address_counts(self) -> Counter[str]:
        """Live sessions per client address on this server (shared with the other instances;
        called from their publishing thread: `list()` copies the sessions atomically)."""
        return Counter(
            s.patient.address
            for s in list(self._sessions.values())
            if s.connected and s.patient.address
        )

    def views(self) -> list[SessionView]:
        """The sessions whose patient is connected (or connecting), for other processes."""
        return session_views(list(self._sessions.values()))

    def live_views(self) -> list[SessionView]:
        """Every live session with its patient connected: this server's and, for the
        workers of one machine, the others' (the therapist's dashboard, the erasure check)."""
        return [v for v in (*self.views(), *self.caps.others()) if v.connected]

    def changed(self) -> None:
        """A patient came or left: the other processes learn it now (`LiveCaps.changed`)."""
        self.caps.changed()

    def _check_room(
        self, pose: PoseMode, address: str | None, resuming: LiveSession | None
    ) -> None:
        """Refuse a connection beyond the caps: per mode (`server_busy`), per address
        (`too_many`). A resumed session's own previous connection does not count."""
        live = [
            s
            for s in self._sessions.values()
            if (s.connected or s.patient.attaching) and s is not resuming
        ]
        refusal = check_room(live, pose, address, self.limits, self.max_active, self.caps)
        if refusal is not None:
            code, n = refusal
            raise SessionError(code, _busy(n) if code == "server_busy" else _address_full(n))

    def discard(self, session_id: str) -> None:
        """Forget a session that never got going (its pipeline could not start)."""
        session = self._sessions.get(session_id)
        if session is not None and not session.connected:
            del self._sessions[session_id]

    def load_exercise(self, exercise_id: str) -> ExerciseOrTask:
        """The exercise, or SessionError("unknown_exercise") listing the known ids."""
        clinical = live_test_exercise(exercise_id)
        if clinical is not None:
            return clinical  # a live clinical test (coach.live.clinical_tests)
        try:
            return self._load(exercise_id)
        except KeyError as exc:
            # exercises.UnknownExercise lists the known ids in its str(); a bare KeyError quotes.
            raise SessionError("unknown_exercise", _unknown(exercise_id, exc)) from exc

    def open(
        self,
        exercise_id: str,
        *,
        session_id: str | None = None,
        carry_reps: int = 0,
        carry_holds: int = 0,
        patient_id: int | None = None,
        pose: str = SERVER,
        address: str | None = None,
        level: int | None = None,
        seed: int | None = None,
    ) -> tuple[LiveSession, Opened]:
        """The session a patient's page should attach to, and how it was found.

        Without `session_id`: a new session ("new"). With the id of a known session: that
        session ("resumed"; the carried counts are ignored, the server's are right). With an
        unknown but well-formed id (the server restarted): a new session under the same id,
        so the therapist's follow link keeps working, counting on from the page's own count
        ("restored").

        `pose` (the page's word: "server": JPEG frames, a model in a worker; "device": the
        page sends landmarks) and the client `address` are checked against the caps. `level`
        and `seed` are for a new targets session (see the class); a resumed one keeps its
        schedule.
        """
        if not is_pose_mode(pose):
            raise SessionError("bad_request", say("pose must be 'server' or 'device'."))
        self.sweep()
        if session_id is not None:
            if not SESSION_ID_RE.match(session_id):
                raise SessionError("bad_session_id", say("That session id is not valid."))
            known = self._sessions.get(session_id)
            if known is not None:
                self._check_resume(known, exercise_id, patient_id)
                self._check_room(pose, address, known)
                return known, "resumed"
        if seed is not None and not self.allow_seed:
            raise SessionError(
                "bad_request", say("This server does not take a seed: the coach draws the targets.")
            )
        self._check_room(pose, address, None)
        restored = session_id is not None
        session = self._create(
            exercise_id,
            session_id,
            patient_id,
            restored=restored,
            carry=(carry_reps, carry_holds),
            level=level,
            seed=seed,
        )
        return session, "restored" if restored else "new"

    def _check_resume(self, known: LiveSession, exercise_id: str, patient_id: int | None) -> None:
        """A known session resumes only for its exercise and its patient, and not once ended."""
        if known.info["id"] != exercise_id:
            raise SessionError(
                "exercise_mismatch",
                say(
                    "Session {session} is for {exercise}, not {other}.",
                    session=known.id,
                    exercise=Say(known.info["name"]),
                    other=exercise_id,
                ),
            )
        if known.patient_id != patient_id:
            raise SessionError("unknown_session", say("No such session for you."))
        if known.ended:
            raise SessionError("session_ended", SESSION_ENDED_WORDS)

    def _create(
        self,
        exercise_id: str,
        session_id: str | None,
        patient_id: int | None,
        *,
        restored: bool,
        carry: tuple[int, int],
        level: int | None,
        seed: int | None,
    ) -> LiveSession:
        """A new session, under `session_id` (None: a new id); a `restored` one counts on
        from the page's `carry` (reps, holds)."""
        exercise = self.load_exercise(exercise_id)
        clinical_test = new_test(exercise_id)
        targets = self._lookups.targets(patient_id, exercise, level, seed)
        reference = self._lookups.reference(patient_id, exercise)
        prescription = self._lookups.prescription(patient_id, exercise)
        new_id = session_id if session_id is not None else self._new_id()
        options = replace(
            self._options,
            patient_id=patient_id,
            reference=reference,
            prescription=prescription,
            targets=targets,
            clinical_test=clinical_test,
            restored=restored,
            carry_reps=carry[0] if restored else 0,
            carry_holds=carry[1] if restored else 0,
        )
        session = LiveSession(new_id, exercise, options)
        self._sessions[new_id] = session
        session.log_event(
            SessionKind.SESSION_STARTED,
            exercise=exercise_id,
            restored=restored,
            carried_reps=carry[0],
            patient_id=patient_id,
            reference=reference is not None,
            prescription=prescription.to_message(),
            **({} if targets is None else {"targets": targets.hello(), "seed": targets.seed}),
            **({} if clinical_test is None else {"protocol": clinical_test.protocol}),
        )
        return session

    def _new_id(self) -> str:
        """A fresh id; one of several workers makes ids that route to itself (`own_id`)."""
        while True:
            candidate = new_session_id()
            if candidate not in self._sessions and (self.own_id is None or self.own_id(candidate)):
                return candidate

    def sweep(self) -> None:
        """Forget sessions whose patient left more than `retain_s` ago, and the oldest beyond
        their budget (`max_retained` signed-in, `max_retained_anonymous` anonymous); their
        followers are told and closed."""
        budgets = {True: self.max_retained, False: self.max_retained_anonymous}
        for sid in _expired(self._sessions.values(), self._clock(), self.retain_s, budgets):
            self._sessions.pop(sid).followers.expire()

    async def close_all(self) -> None:
        """Server shutdown: free every pipeline and close every socket."""
        for session in list(self._sessions.values()):
            await session.server_stopping()
        self._pool.close()


# ---- refusals in words (scoring.words) -------------------------------------------------------
def _unknown(exercise_id: str, exc: KeyError) -> Say:
    """exercises.UnknownExercise carries the known ids; a bare KeyError none."""
    known = getattr(exc, "known", None)
    if known:
        return say(
            "Unknown exercise '{id}'; known: {known}", id=exercise_id, known=", ".join(known)
        )
    return say("Unknown exercise '{id}'", id=exercise_id)


def _busy(limit: int) -> Say:
    return nsay(
        "The coach is already running {n} live session; try again shortly.",
        "The coach is already running {n} live sessions; try again shortly.",
        limit,
    )


def _address_full(mine: int) -> Say:
    return nsay(
        "This address already has {n} live session open; close one first.",
        "This address already has {n} live sessions open; close one first.",
        mine,
    )


def _expired(
    sessions: Iterable[LiveSession], now: float, retain_s: float, budgets: dict[bool, int]
) -> set[str]:
    """The ids of sessions to forget: left more than `retain_s` ago, and the oldest beyond
    their budget (`budgets[signed_in]`)."""
    idle = [s for s in sessions if not s.connected and not s.patient.attaching]
    expired = {s.id for s in idle if s.detached_at is not None and now - s.detached_at > retain_s}
    for signed_in, budget in budgets.items():
        keep = sorted(
            (s for s in idle if s.id not in expired and (s.patient_id is not None) == signed_in),
            key=lambda s: s.detached_at or 0,
        )
        excess = len(keep) - budget
        if excess > 0:
            expired.update(s.id for s in keep[:excess])
    return expired
