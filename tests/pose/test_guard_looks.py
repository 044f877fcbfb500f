"""pose.guard's looks for others: the person detector alone first, the single-image pose only
when it sees a head away from the patient; taken one frame later, whatever the timing; once
a second, or a quarter of a second after a look that found someone. Fakes
stand in for the models here; tests/pose/test_guard.py runs the real ones on real clips, and
the detector itself is checked on real frames below."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from pose.estimator import PoseEstimator
from pose.guard import Box, GuardedEstimator, blank, pose_box
from pose.types import Frame, Pose
from tests.pose.test_guard import _pose_at, composite

PATIENT = (0.3, 0.5, 0.4)  # centre x, y and size of the patient's head and trunk
OTHER = (0.8, 0.5, 0.3)


class _Fixed(PoseEstimator):
    """Always the same person, at the frame's time; counts its calls."""

    def __init__(self, where: tuple[float, float, float]) -> None:
        self.where, self.calls = where, 0

    def estimate(self, frame: Frame) -> Pose | None:
        self.calls += 1
        pose = _pose_at(*self.where)
        return Pose(pose.landmarks, frame.t, pose.image_size)


class _Spotter:
    """Heads at fixed places; `delay` holds each answer back (a slow or busy machine)."""

    def __init__(self, heads: list[Box], delay: float = 0.0) -> None:
        self.heads_seen, self.delay, self.calls = heads, delay, 0
        self.threads: set[str] = set()

    def heads(self, frame: Frame) -> list[Box]:
        self.calls += 1
        self.threads.add(threading.current_thread().name)
        threading.Event().wait(self.delay)
        return list(self.heads_seen)

    def close(self) -> None:
        pass


def _head(cx: float, cy: float, size: float) -> Box:
    return Box(cx - size / 4, cy - size / 2, cx + size / 4, cy - size / 4)


def _frames(n: int, fps: float = 30.0) -> list[Frame]:
    return [Frame(np.zeros((48, 64, 3), np.uint8), i / fps, i) for i in range(n)]


def _guard(spotter: _Spotter, finder: _Fixed) -> GuardedEstimator:
    return GuardedEstimator(_Fixed(PATIENT), lambda: finder, spotter=lambda: spotter)


def test_alone_in_view_only_the_detector_looks_once_a_second() -> None:
    spotter, finder = _Spotter([]), _Fixed(OTHER)  # nobody once the patient is blanked
    guard = _guard(spotter, finder)
    poses = [guard.estimate(f) for f in _frames(90)]  # 3 s at 30 fps
    assert guard.looks == spotter.calls == 3  # at 0, 1 and 2 s
    assert guard.close_looks == finder.calls == 0  # the single-image pose never ran
    assert not any(p is not None and p.others_in_view for p in poses)
    assert spotter.threads == {"coach-guard_0"}  # beside the tracker, not on its thread
    guard.close()


def test_a_head_away_from_the_patient_gets_a_close_look_and_two_in_a_row_are_said() -> None:
    spotter, finder = _Spotter([_head(*PATIENT), _head(*OTHER)]), _Fixed(OTHER)
    guard = _guard(spotter, finder)
    flags = [p.others_in_view for p in map(guard.estimate, _frames(30)) if p is not None]
    # The look at 0 s finds someone, so the next comes 0.25 s later (frame 8), not 1 s.
    assert guard.close_looks == finder.calls == 2
    # Each look is judged at the frame after it: the second at frame 9.
    assert flags.index(True) == 9 and all(flags[9:])
    guard.close()


@pytest.mark.parametrize("delay", [0.0, 0.15])
def test_the_outcome_does_not_depend_on_how_fast_the_detector_answers(delay: float) -> None:
    spotter, finder = _Spotter([_head(*OTHER)], delay=delay), _Fixed(OTHER)
    guard = _guard(spotter, finder)
    flags = [p.others_in_view for p in map(guard.estimate, _frames(20)) if p is not None]
    assert flags.index(True) == 9
    guard.close()


def test_without_a_detector_every_look_is_a_close_look() -> None:
    finder = _Fixed(OTHER)
    guard = GuardedEstimator(_Fixed(PATIENT), lambda: finder, look_every_s=0.25)
    for frame in _frames(30):
        guard.estimate(frame)
    assert guard.looks == finder.calls == 4  # frames 0, 8, 16, 24: each judged the frame after
    guard.close()


@pytest.mark.model
def test_the_real_detector_finds_the_other_person_once_the_patient_is_blanked(
    shared_data: Path,
) -> None:
    """MediaPipe's detector alone on the composite of tests/pose/test_guard.py: the patient
    on the left, alone (grey on the right) or with the other clip's person on the right.
    It scores one person high, so with two in view the patient may be the one missed: the
    guard blanks the patient out first, and then it finds the other, and nobody when alone."""
    from pose.mediapipe_backend import MediaPipePoseEstimator
    from pose.mediapipe_detector import MediaPipePersonDetector

    alone = next(f for f in composite(shared_data, None) if f.t >= 2.0)
    both = next(f for f in composite(shared_data, 1.5) if f.t >= 2.0)
    detector = MediaPipePersonDetector()
    with MediaPipePoseEstimator(static_image_mode=True) as pose:
        patient = pose.estimate(alone)
    try:
        assert patient is not None
        box = pose_box(patient)
        assert box is not None and box.x1 < 0.55  # the patient is in the left half
        (head,) = detector.heads(alone)
        assert box.grown(0.2).overlap(head) > 0.5  # the patient's own head
        assert detector.heads(_without(alone, box)) == []
        (other,) = detector.heads(_without(both, box))
        assert other.centre[0] > 0.5 and not box.grown(0.2).overlap(other)
    finally:
        detector.close()


def _without(frame: Frame, box: Box) -> Frame:
    return Frame(blank(frame.image, [box]), frame.t, frame.index)
