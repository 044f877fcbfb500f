"""How a live session is made and run: everything `LiveSession` is given besides its id and
exercise. The registry fills one per session (coach.live.registry); tests fill their own."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from coach.live.followers import MAX_CLIENT_PROBLEMS
from coach.live.plan import PlanStart
from coach.live.worker import FrameDecoder, PipelineWorker

if TYPE_CHECKING:
    from coach.live.clinical import LiveTest
    from coach.live.spec import (
        ExerciseOrTask,
        LandmarkProcessor,
        LandmarkProcessorFactory,
        ProcessorFactory,
    )
    from coach.live.targets import LiveTargets
    from coach.prescription import Prescription
    from coach.sinks import EventSink
    from scoring.reference import PersonalReference
    from scoring.targets import TargetSpec

END_AFTER_DONE_S = 4.0  # a targets schedule done: the page ends it first (it says well done)


class Recorder(Protocol):
    """Records live sessions (e.g. coach.store.live_recorder.LiveRecorder)."""

    def sink(self, session_id: str) -> EventSink:
        """One session's sink: fed every event the session logs and every processed frame
        (per-frame poses for plots and replay), on the event loop: keep it quick (a store
        should hand slow writes to its own thread). Its errors are logged, never raised into
        the session."""
        ...

    def close(self) -> None:
        """The server stops: write out what is queued."""
        ...


def default_worker(fallback: bool) -> PipelineWorker:
    """A worker process (after one failed to start, `fallback`: a thread)."""
    return PipelineWorker("thread" if fallback else "process")


def default_landmark_processor(
    exercise: ExerciseOrTask,
    reference: PersonalReference | None = None,
    limit_deg: float | None = None,
    schedule: list[TargetSpec] | None = None,
) -> LandmarkProcessor:
    """The filter and engine of a `pose=device` session (no model: the page has one)."""
    from coach.pipeline import FrameProcessor, LandmarksOnly

    return FrameProcessor(
        exercise,
        LandmarksOnly(),
        require_setup=True,
        reference=reference,
        limit_deg=limit_deg,
        schedule=schedule,
    )


@dataclass(frozen=True)
class SessionOptions:
    """A live session's makings and limits.

    - The pipeline: `decode` (a patient's JPEG to an image), `processor_factory` (the
      processor in the worker, coach.live.spec), `new_worker(fallback)` (the worker for each
      pipeline; fallback=True after a worker process failed to start), and for `pose=device`
      connections `landmark_processor` (the filter and engine, run in the server).
    - The patient: `patient_id` (None: anonymous, reachable by the session's id only), their
      personal `reference` for the exercise (every pipeline's engine judges the reps against
      it too), their `prescription` (default: the definition's dose), a targets task's
      `targets` (coach.live.targets; None: an exercise), a live clinical test's
      `clinical_test` (coach.live.clinical; None: not a test).
    - A restored session (the server restarted): `restored`, counting on from `carry_reps`
      and `carry_holds`.
    - Limits and timing: `setup_hold_s` (the setup check must pass this long before counting
      starts), `max_frame_age_s` (a waiting JPEG older than this is dropped as stale),
      `max_client_problems` (logged; more are only counted), `max_followers`,
      `end_after_done_s` (a done targets session ends by itself this long after), `clock`.
    - `recorder`: its sink gets every event and frame of the session (the store's seam).
    """

    decode: FrameDecoder
    processor_factory: ProcessorFactory
    new_worker: Callable[[bool], PipelineWorker] = default_worker
    landmark_processor: LandmarkProcessorFactory = default_landmark_processor
    recorder: Recorder | None = None
    patient_id: int | None = None
    reference: PersonalReference | None = None
    prescription: Prescription | None = None
    targets: LiveTargets | None = None
    clinical_test: LiveTest | None = None
    restored: bool = False
    carry_reps: int = 0
    carry_holds: int = 0
    setup_hold_s: float = 0.5
    max_frame_age_s: float = 0.5
    max_client_problems: int = MAX_CLIENT_PROBLEMS
    max_followers: int = 10
    end_after_done_s: float = END_AFTER_DONE_S
    clock: Callable[[], float] = time.monotonic

    def plan_start(self) -> PlanStart:
        return PlanStart(self.carry_reps, self.carry_holds, self.setup_hold_s)
