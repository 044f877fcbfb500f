"""coach.live.frames on their own: the two ways a connection's frames become frame messages,
and the PipelineSpec that tells a worker what to make.

The processor is the real FrameProcessor and engine; only the pose model is replaced by the
landmarks our pipeline extracted from a real squat clip (samples/tracks), frame i's pose being
row i (the index travels in the "JPEG" bytes). Server frames run on a thread worker
(coach.live.worker, as `isolation="thread"`); the session is a stand-in that keeps what the
path hands it. The clock steps with the test.
"""

from __future__ import annotations

import asyncio
import pickle
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import BrokenExecutor
from dataclasses import FrozenInstanceError
from typing import Any

import numpy as np
import pytest

from coach.live.frames import DeviceFrames, FrameStats, ProcessedFrame, ServerFrames
from coach.live.landmarks import LandmarkMessage
from coach.live.options import default_landmark_processor
from coach.live.protocol import SessionError
from coach.live.spec import ExerciseOrTask, PipelineSpec, make_processor
from coach.live.targets import LiveTargets
from coach.live.worker import PipelineWorker
from coach.pipeline import FrameProcessor
from exercises import load_exercise, load_task
from pose.estimator import PoseEstimator
from pose.types import Frame, Pose
from scoring.reference import PersonalReference
from tests.coach.live.helpers import StepClock, load_track
from tests.machine import scaled, wait_until

SQUAT = load_exercise("squat")
LM, TIMES, SIZE = load_track("formfit_squat")


class Owner:
    """The session, as a frame path sees it: keeps every reply and published frame."""

    id = "test-session"

    def __init__(self, clock: StepClock, followed: bool = False) -> None:
        self.clock = clock
        self.followed = followed
        self.replies: list[dict[str, Any]] = []
        self.published: list[ProcessedFrame] = []
        self.lost = 0
        self.failed: list[SessionError] = []

    def now(self) -> float:
        return self.clock()

    def reply(self, message: Any) -> None:
        self.replies.append(dict(message))

    def publish(self, frame: ProcessedFrame) -> None:
        self.published.append(frame)

    def pipeline_spec(self) -> PipelineSpec:
        return PipelineSpec(SQUAT)

    def pipeline_lost(self) -> None:
        self.lost += 1

    def pipeline_failed(self, error: SessionError) -> None:
        self.failed.append(error)

    def answer(self, seq: int) -> dict[str, Any] | ProcessedFrame | None:
        for frame in self.published:
            if frame.seq == seq:
                return frame
        return next((r for r in self.replies if r.get("seq") == seq), None)


# ---- the page's landmarks, processed in the server ----------------------------------------
class Flaky:
    """The real landmark processor, except that a frame without a person makes it fail."""

    def __init__(self, exercise: ExerciseOrTask, *_: Any) -> None:
        self.inner = default_landmark_processor(exercise)

    def process_pose(self, t: float, raw: Pose | None, image_size: tuple[int, int]) -> Any:
        if raw is None:
            raise RuntimeError("engine hiccup")
        return self.inner.process_pose(t, raw, image_size)

    def finish(self) -> Sequence[Any]:
        return self.inner.finish()


def device(followed: bool = False) -> tuple[DeviceFrames, Owner, FrameStats]:
    clock = StepClock()
    owner = Owner(clock, followed)
    stats = FrameStats()
    frames = DeviceFrames(owner, stats, factory=Flaky, clock=clock)
    return frames, owner, stats


def test_device_frames_run_the_engine_on_the_page_clock_then_free_it() -> None:
    frames, owner, stats = device()
    asyncio.run(frames.start())
    assert frames.alive and frames.mode == "device" and frames.pid is None
    owner.clock.now = 100.0  # the session's time when the page's first message arrives
    page_t0 = 7.0
    for i, (row, t) in enumerate(zip(LM, TIMES, strict=True)):
        frames.offer_landmarks(LandmarkMessage(i, page_t0 + float(t), SIZE, row))
    assert frames.last_landmark_t == pytest.approx(page_t0 + TIMES[-1])
    assert len(owner.published) == len(LM) == stats.processed and not owner.replies
    last = owner.published[-1]
    # Engine time is the page's capture time, mapped onto the session clock.
    assert last.message["t"] == pytest.approx(100.0 + TIMES[-1] - TIMES[0], abs=1e-3)
    assert last.seq == len(LM) - 1 and last.image == list(SIZE)
    assert last.landmarks is not None and last.landmarks.shape == (33, 4)
    assert "landmarks" not in last.message  # the page has its own; nobody follows
    assert last.rows is not None and len(last.rows() or []) == 33  # for a follower who joins
    assert last.message["rep_count"] == 3
    closing = asyncio.run(frames.finish())
    assert closing is not None and not frames.alive
    assert asyncio.run(frames.finish()) is None  # nothing left to finish


def test_followed_device_frames_carry_rows_and_a_failing_frame_is_answered() -> None:
    frames, owner, stats = device(followed=True)
    asyncio.run(frames.start())
    frames.offer_landmarks(LandmarkMessage(1, 0.0, SIZE, LM[0]))
    rows = owner.published[0].message["landmarks"]
    assert len(rows) == 33 and rows[0][:2] == pytest.approx(LM[0, 0, :2], abs=1e-4)
    frames.offer_landmarks(LandmarkMessage(2, 0.1, SIZE, None))
    assert owner.replies == [
        {
            "type": "error",
            "code": "processing_failed",
            "message": "This frame failed: engine hiccup",
            "fatal": False,
            "say": {
                "message": {
                    "id": "This frame failed: {error}",
                    "params": {"error": "engine hiccup"},
                }
            },
            "seq": 2,
        }
    ]
    frames.offer_frame(3, b"jpeg")  # a page that runs the model sends no images
    assert stats.dropped == 1 and stats.processed == 1


# ---- JPEGs through the session's worker ------------------------------------------------------
def encode(i: int) -> bytes:
    return b"F" + i.to_bytes(4, "big")


def decode(data: bytes) -> np.ndarray:
    """The frame's index in its first two pixels (refuses anything else, as a decoder does)."""
    if not data.startswith(b"F"):
        raise ValueError("That is not an image.")
    i = int.from_bytes(data[1:5], "big")
    image = np.zeros((SIZE[1] // 10, SIZE[0] // 10, 3), np.uint8)
    image[0, 0, :2] = divmod(i, 256)
    return image


class TrackEstimator(PoseEstimator):
    """Recorded landmarks in place of the model; `crash_at` / `fail_at`: a frame index on
    which the worker dies (once) or the model fails."""

    name = "track"

    def __init__(self, crash_at: int | None = None, fail_at: int | None = None) -> None:
        self.crash_at, self.fail_at = crash_at, fail_at

    def estimate(self, frame: Frame) -> Pose | None:
        i = int(frame.image[0, 0, 0]) * 256 + int(frame.image[0, 0, 1])
        if i == self.crash_at:
            self.crash_at = None
            raise BrokenExecutor("the worker died")
        if i == self.fail_at:
            raise RuntimeError("model hiccup")
        return Pose(LM[i], frame.t, frame.size)


def track_factory(
    estimator: TrackEstimator, processor: type[FrameProcessor] = FrameProcessor
) -> Callable[..., FrameProcessor]:
    def factory(
        exercise: ExerciseOrTask,
        reference: PersonalReference | None = None,
        limit_deg: float | None = None,
    ) -> FrameProcessor:
        return processor(exercise, estimator, require_setup=True, limit_deg=limit_deg)

    return factory


def server(
    estimator: TrackEstimator,
    new_worker: Callable[[bool], PipelineWorker] | None = None,
    processor: type[FrameProcessor] = FrameProcessor,
) -> tuple[ServerFrames, Owner, FrameStats]:
    clock = StepClock()
    owner = Owner(clock)
    stats = FrameStats()
    frames = ServerFrames(
        owner,
        stats,
        factory=track_factory(estimator, processor),
        decode=decode,
        new_worker=new_worker or (lambda _fallback: PipelineWorker("thread")),
        clock=clock,
        max_age_s=0.5,
    )
    return frames, owner, stats


async def until(state: Callable[[], Any]) -> Any:
    """Wait (on the loop, so the worker's replies come in) until `state()` is something."""

    async def poll() -> Any:
        while not (value := state()):
            await asyncio.sleep(0.001)
        return value

    return await asyncio.wait_for(poll(), timeout=30)


async def answered(owner: Owner, seq: int) -> Any:
    """Frame `seq`'s answer: the published frame, or the reply."""
    return await until(lambda: owner.answer(seq))


class Gate(TrackEstimator):
    """The recorded poses, each frame only when the test allows it (`allow`); `started`: the
    frames the model began, in order (from the worker's thread)."""

    def __init__(self, fail_at: int | None = None) -> None:
        super().__init__(fail_at=fail_at)
        self.started: list[int] = []
        self._go = threading.Semaphore(0)

    def allow(self, frames: int = 1) -> None:
        self._go.release(frames)

    def estimate(self, frame: Frame) -> Pose | None:
        self.started.append(int(frame.image[0, 0, 0]) * 256 + int(frame.image[0, 0, 1]))
        if not self._go.acquire(timeout=scaled(30)):
            raise RuntimeError("the test never let this frame through")
        return super().estimate(frame)


def test_the_next_frame_reaches_the_model_before_the_last_result_is_sent() -> None:
    gate = Gate()
    frames, owner, _ = server(gate)

    async def scenario() -> list[Any]:
        await frames.start()
        frames.run()
        frames.offer_frame(1, encode(0))
        await until(lambda: gate.started == [0])
        frames.offer_frame(2, encode(1))  # the page's second frame, while the model is busy
        gate.allow()
        # The event loop is held here, so frame 1's result cannot be scored or sent: the
        # model must go on to frame 2 all the same (it was handed over with frame 1).
        wait_until(lambda: gate.started == [0, 1], what="the model on the second frame")
        assert owner.published == [] and owner.replies == []
        gate.allow()
        answers = [await answered(owner, 1), await answered(owner, 2)]
        await frames.halt()
        await frames.finish()
        return answers

    first, second = asyncio.run(scenario())
    assert [f.seq for f in owner.published] == [1, 2]  # in order
    assert isinstance(first, ProcessedFrame) and isinstance(second, ProcessedFrame)


def test_the_model_goes_on_to_the_next_frame_while_the_last_one_is_scored() -> None:
    scoring = threading.Semaphore(0)

    class HeldScoring(FrameProcessor):
        """The real processor, whose filter and engine take a frame only when allowed."""

        def process_estimated(self, frame: Frame, raw: Pose | None) -> Any:
            if not scoring.acquire(timeout=scaled(30)):
                raise RuntimeError("the test never let this frame be scored")
            return super().process_estimated(frame, raw)

    gate = Gate()
    gate.allow(3)  # the model is quick here: only the scoring is held
    frames, owner, stats = server(gate, processor=HeldScoring)

    async def scenario() -> list[Any]:
        await frames.start()
        frames.run()
        for seq in (1, 2):
            frames.offer_frame(seq, encode(seq - 1))
        # Frame 1's filter and engine are held: the model must be on frame 2 all the same
        # (on a thread of its own, not after frame 1's scoring on the same one).
        wait_until(lambda: gate.started == [0, 1], what="the model on the second frame")
        assert owner.published == [] and stats.processed == 0
        scoring.release(2)
        answers = [await answered(owner, 1), await answered(owner, 2)]
        frames.offer_frame(3, encode(2))
        scoring.release()
        answers.append(await answered(owner, 3))
        await frames.halt()
        await frames.finish()
        return answers

    answers = asyncio.run(scenario())
    assert [f.seq for f in owner.published] == [1, 2, 3]  # in order, each scored once
    assert all(isinstance(a, ProcessedFrame) for a in answers)
    assert [a.message["t"] for a in answers] == sorted(a.message["t"] for a in answers)


def test_server_frames_keep_two_in_the_worker_one_waiting_drop_stale_ones_answer_each() -> None:
    gate = Gate(fail_at=4)
    frames, owner, stats = server(gate)

    async def scenario() -> list[Any]:
        await frames.start()
        frames.run()
        frames.offer_frame(1, encode(0))
        frames.offer_frame(2, encode(1))  # in the worker's queue behind 1
        frames.offer_frame(3, encode(2))  # waits: the worker holds two
        frames.offer_frame(4, encode(3))  # replaces 3
        owner.clock.now += 0.6  # 4 waits too long for the worker to be free
        gate.allow(2)
        answers = [await answered(owner, seq) for seq in (1, 2, 4)]
        for seq, data in ((5, b"not a jpeg"), (6, encode(4)), (7, encode(5))):
            frames.offer_frame(seq, data)
            if seq != 5:  # 5 never reaches the model
                gate.allow()
            answers.append(await answered(owner, seq))
        frames.offer_landmarks(LandmarkMessage(8, 0.0, SIZE, None))
        for seq in (9, 10, 11):  # the worker on 9, 10 behind it, 11 waiting: the page leaves
            frames.offer_frame(seq, encode(seq - 3))
        await until(lambda: gate.started[-1:] == [6])
        await frames.halt()
        gate.allow(3)  # the worker goes on with what it holds, then finishes
        answers.append(await frames.finish())
        return answers

    done, second, stale, bad, failed, ok, closing = asyncio.run(scenario())
    assert owner.replies[0] == {"type": "dropped", "seq": 3, "reason": "superseded"}
    assert isinstance(done, ProcessedFrame) and done.image == [SIZE[0] // 10, SIZE[1] // 10]
    assert done.landmarks is not None and done.landmarks.shape == (33, 4)
    assert len(done.message["landmarks"]) == 33  # server replies carry the landmarks
    assert isinstance(second, ProcessedFrame) and second.seq == 2
    assert stale == {"type": "dropped", "seq": 4, "reason": "stale"}
    assert bad["code"] == "bad_frame" and bad["message"] == "That is not an image."
    assert failed["code"] == "processing_failed" and "model hiccup" in failed["message"]
    assert isinstance(ok, ProcessedFrame) and not any(r.get("fatal") for r in owner.replies)
    assert owner.replies[-1] == {
        "type": "error",
        "code": "bad_landmarks",
        "message": "This session expects JPEG frames.",
        "fatal": False,
        "say": {"message": {"id": "This session expects JPEG frames."}},
        "seq": 8,
    }
    assert [f.seq for f in owner.published] == [1, 2, 7]
    assert closing == [] and not frames.alive  # a squat's engine closes nothing open
    # Dropped: 3 (superseded), 4 (stale), 10 and 11 (never begun); 9 was lost with the page.
    assert (stats.processed, stats.dropped, stats.rejected) == (3, 4, 1)


def test_a_worker_that_dies_is_replaced_and_the_frame_answered_once_it_is_back() -> None:
    workers: list[PipelineWorker] = []

    def new_worker(fallback: bool) -> PipelineWorker:
        workers.append(PipelineWorker("thread"))
        return workers[-1]

    frames, owner, _ = server(TrackEstimator(crash_at=1), new_worker)

    async def scenario() -> list[Any]:
        await frames.start()
        frames.run()
        frames.offer_frame(1, encode(0))
        out = [await answered(owner, 1)]
        frames.offer_frame(2, encode(1))  # the worker dies on it...
        frames.offer_frame(3, encode(2))  # ...with this one in its queue
        out += [await answered(owner, 2), await answered(owner, 3)]
        frames.offer_frame(4, encode(3))
        out.append(await answered(owner, 4))
        await frames.halt()
        await frames.finish()
        return out

    first, restarted, requeued, after = asyncio.run(scenario())
    assert isinstance(first, ProcessedFrame) and isinstance(after, ProcessedFrame)
    assert restarted["code"] == "pipeline_restarted" and "count is kept" in restarted["message"]
    assert isinstance(requeued, ProcessedFrame)  # the new worker took it over
    assert [f.seq for f in owner.published] == [1, 3, 4]
    assert owner.lost == 1 and len(workers) == 2 and workers[0].closed


def test_a_process_that_cannot_start_falls_back_to_a_thread_and_a_failed_restart_is_said() -> None:
    class NoProcess(PipelineWorker):  # a script without a __main__ guard, say
        async def start(self, *args: Any) -> None:
            raise BrokenExecutor("no spawn here")

    class NoModel(PipelineWorker):
        async def start(self, *args: Any) -> None:
            raise RuntimeError("cannot load the model")

    asked: list[bool] = []

    def new_worker(fallback: bool) -> PipelineWorker:
        asked.append(fallback)
        if not fallback:
            return NoProcess("thread")
        # The first start falls back to a thread; the restart after the crash cannot start.
        return PipelineWorker("thread") if len(asked) <= 2 else NoModel("thread")

    frames, owner, _ = server(TrackEstimator(crash_at=0), new_worker)

    async def scenario() -> None:
        await frames.start()
        assert frames.alive
        frames.run()
        frames.offer_frame(1, encode(0))
        await until(lambda: owner.failed)
        await frames.halt()

    asyncio.run(scenario())
    assert asked == [False, True, False, True]
    (failed,) = owner.failed
    assert failed.code == "pipeline_failed" and "cannot load" in failed.message
    assert owner.lost == 1 and not frames.alive and owner.answer(1) is None


# ---- what a pipeline is made for ----------------------------------------------------------
def test_a_pipeline_spec_crosses_to_a_process_and_names_the_schedule_only_for_targets() -> None:
    task = load_task("targets_reach_seated")
    schedule = tuple(LiveTargets(task, 2, 5).schedule)
    spec = PipelineSpec(task, None, None, schedule)
    assert pickle.loads(pickle.dumps(spec)) == spec
    with pytest.raises(FrozenInstanceError):
        spec.limit_deg = 90.0  # type: ignore[misc]
    calls: list[tuple[Any, ...]] = []

    def exercise_only(exercise: Any, reference: Any, limit_deg: Any) -> str:
        calls.append((exercise.id, reference, limit_deg))
        return "processor"

    def scheduled(exercise: Any, reference: Any, limit_deg: Any, *, schedule: Any = None) -> str:
        calls.append((exercise.id, schedule))
        return "targets processor"

    assert make_processor(exercise_only, PipelineSpec(SQUAT, None, 120.0)) == "processor"
    assert make_processor(scheduled, spec) == "targets processor"
    assert calls == [("squat", None, 120.0), (task.id, list(schedule))]
