"""What a session's pose pipeline is made for, and what the session asks of it.

`PipelineSpec` is the one value that travels from the session to wherever the pipeline is
made: the worker process (pickled across the spawn boundary), a worker thread, or the
session itself for a `pose=device` connection. A factory (`PipelineFactory`) turns it into
a processor; `coach.pipeline.FrameProcessor` is the real one, tests pass their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from scoring.definition import Exercise, TargetTask

if TYPE_CHECKING:
    from pose.types import Frame, Pose
    from scoring.events import Event
    from scoring.reference import PersonalReference
    from scoring.targets import TargetSpec

ExerciseOrTask = Exercise | TargetTask
"""What a live session runs: an exercise, or a hand-eye targets task."""


@dataclass(frozen=True)
class PipelineSpec:
    """One pipeline's makings: the exercise (or task), the patient's personal reference for
    it (scoring.reference; None: none), their range limit in degrees (coach.prescription;
    None: none), and for a targets task the targets still to do (scoring.targets: a
    reconnect runs only those). Plain, picklable data."""

    exercise: ExerciseOrTask
    reference: PersonalReference | None = None
    limit_deg: float | None = None
    schedule: tuple[TargetSpec, ...] | None = None


class FrameOutput(Protocol):
    """One processed frame (coach.pipeline.FrameResult)."""

    @property
    def pose(self) -> Pose | None: ...

    def to_message(self, landmarks: bool = True) -> dict[str, Any]: ...

    def landmark_rows(self) -> list[list[float]] | None: ...


class Processor(Protocol):
    """What a `pose=server` session needs from coach.pipeline.FrameProcessor."""

    def process(self, frame: Frame) -> FrameOutput: ...

    def finish(self) -> Sequence[Event | dict[str, Any]]: ...

    def close(self) -> None: ...


class LandmarkProcessor(Protocol):
    """What a `pose=device` session needs: coach.pipeline.FrameProcessor without a model."""

    def process_pose(
        self, t: float, raw: Pose | None, image_size: tuple[int, int]
    ) -> FrameOutput: ...

    def finish(self) -> Sequence[Event | dict[str, Any]]: ...


ProcessorT = TypeVar("ProcessorT", covariant=True)


class PipelineFactory(Protocol[ProcessorT]):
    """factory(exercise, reference, limit_deg): a processor for one stream. A factory that
    serves targets tasks also takes `schedule=` (see `ScheduledFactory`); the factories of
    exercises alone need not."""

    def __call__(
        self,
        exercise: ExerciseOrTask,
        reference: PersonalReference | None,
        limit_deg: float | None,
        /,
    ) -> ProcessorT: ...


class ScheduledFactory(Protocol[ProcessorT]):
    """A factory as it is called for a targets task: with the targets to run."""

    def __call__(
        self,
        exercise: ExerciseOrTask,
        reference: PersonalReference | None,
        limit_deg: float | None,
        /,
        *,
        schedule: list[TargetSpec],
    ) -> ProcessorT: ...


ProcessorFactory = PipelineFactory[Processor]
"""Makes a `pose=server` session's processor, in its worker (it must pickle for a process)."""
LandmarkProcessorFactory = PipelineFactory[LandmarkProcessor]
"""Makes a `pose=device` session's processor, in the server."""


def make_processor(factory: PipelineFactory[ProcessorT], spec: PipelineSpec) -> ProcessorT:
    """The processor `spec` asks for: `schedule=` is passed only for a targets task, so the
    factories of exercises keep their three arguments."""
    if spec.schedule is None:
        return factory(spec.exercise, spec.reference, spec.limit_deg)
    scheduled = cast("ScheduledFactory[ProcessorT]", factory)  # a targets session's factory
    return scheduled(spec.exercise, spec.reference, spec.limit_deg, schedule=list(spec.schedule))
