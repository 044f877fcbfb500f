"""pose.guard: staying on the patient when someone else is in view.

The real test composes two real clips side by side in memory (frames from ../shared/data,
never written anywhere): the patient's clip on the left from the start, a second person's
clip on the right from 1.5 s, as when someone walks in. The real MediaPipe model runs on the
composite through the pipeline `coach analyze` and the live server use.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from coach.pipeline import FrameProcessor
from exercises.loader import load_exercise
from pose.guard import Box, PersonLock, blank, pose_box
from pose.landmarks import NUM_LANDMARKS
from pose.types import Frame, Pose
from scoring.engine import ExerciseEngine
from scoring.events import Cue, Event, PersonWarning


def _pose_at(cx: float, cy: float, size: float) -> Pose:
    """A pose whose head and trunk fill a box of `size` centred at (cx, cy)."""
    lm = np.zeros((NUM_LANDMARKS, 4), np.float32)
    lm[:, 0], lm[:, 1], lm[:, 3] = cx, cy, 1.0
    for idx, (dx, dy) in {0: (0, -0.5), 11: (-0.25, -0.3), 12: (0.25, -0.3), 23: (-0.2, 0.5),
                          24: (0.2, 0.5)}.items():  # fmt: skip
        lm[idx, 0], lm[idx, 1] = cx + dx * size, cy + dy * size
    return Pose(lm, 0.0, (640, 480))


def test_the_lock_keeps_the_person_and_refuses_a_jump_or_a_new_size() -> None:
    lock = PersonLock()
    first = pose_box(_pose_at(0.3, 0.5, 0.4), core=True)
    assert first is not None and lock.same_person(first, 0.0)
    lock.accept(first, 0.0)
    moved = pose_box(_pose_at(0.35, 0.52, 0.42), core=True)
    assert moved is not None and lock.same_person(moved, 0.04)
    for other in (_pose_at(0.75, 0.5, 0.4), _pose_at(0.45, 0.5, 0.15)):
        box = pose_box(other, core=True)
        assert box is not None and not lock.same_person(box, 0.08)
    # After a long gap anyone is taken: the patient may have moved while out of view.
    far = pose_box(_pose_at(0.75, 0.5, 0.4), core=True)
    assert far is not None and lock.same_person(far, 10.0)


def test_blank_fills_only_the_box() -> None:
    image = np.zeros((100, 200, 3), np.uint8)
    image[:, 100:] = 200
    out = blank(image, [Box(0.6, 0.2, 0.8, 0.8)], grow=0.0)
    assert (out[:, :100] == 0).all() and (image[:, 100:] == 200).all()
    assert (out[30:70, 125:155] == 100).all()  # the image's mean colour
    assert (out[5, 190] == 200).all()


def test_blank_fills_exactly_the_grown_boxes_pixels() -> None:
    """Every pixel of each grown box, edges and the picture's borders included, and no
    other: the same image as slicing the box's pixels and filling them."""
    rng = np.random.default_rng(7)
    image = rng.integers(0, 256, (90, 160, 3), dtype=np.uint8)
    fill = np.array(cv2.mean(image)[:3]).astype(np.uint8)
    for _ in range(300):
        x0, y0 = rng.uniform(-0.3, 1.1, 2)
        box = Box(x0, y0, x0 + rng.uniform(0.0, 0.8), y0 + rng.uniform(0.0, 0.8))
        expected = image.copy()
        b = box.grown(0.2)
        x0, x1 = max(0, int(b.x0 * 160)), min(160, int(np.ceil(b.x1 * 160)))
        y0, y1 = max(0, int(b.y0 * 90)), min(90, int(np.ceil(b.y1 * 90)))
        if x1 > x0 and y1 > y0:  # a box outside the picture blanks nothing
            expected[y0:y1, x0:x1] = fill
        assert np.array_equal(blank(image, [box]), expected)


def test_pose_box_needs_the_trunk() -> None:
    pose = _pose_at(0.5, 0.5, 0.3)
    pose.landmarks[[11, 12, 23, 24], 3] = 0.1
    assert pose_box(pose) is None


# -- real frames ------------------------------------------------------------------------------
PATIENT, OTHER = "postop_cv/squat", "medflex/squat"
ENTERS_S = 1.5


def _clip(shared: Path, clip_id: str) -> dict:
    clips = json.loads((shared / "MANIFEST.json").read_text())["videos"]
    (clip,) = [c for c in clips if c["id"] == clip_id]
    return clip


def composite(shared: Path, enters_s: float | None) -> Iterator[Frame]:
    """The patient's clip with the other clip beside it (scaled to the same height) from
    `enters_s` (None: never; a grey half instead)."""
    other_frames: list[np.ndarray] = []
    cap = cv2.VideoCapture(str(shared / _clip(shared, OTHER)["video"]))
    other_fps = cap.get(cv2.CAP_PROP_FPS)
    while (got := cap.read())[0]:
        other_frames.append(got[1])
    cap.release()
    cap = cv2.VideoCapture(str(shared / _clip(shared, PATIENT)["video"]))
    fps = cap.get(cv2.CAP_PROP_FPS)
    index = 0
    while (got := cap.read())[0]:
        image, t = got[1], index / fps
        h, w = image.shape[:2]
        other = other_frames[int(t * other_fps) % len(other_frames)]
        other = cv2.resize(other, (other.shape[1] * h // other.shape[0], h))
        x0 = (other.shape[1] - w) // 2
        right = other[:, x0 : x0 + w]
        if enters_s is None or t < enters_s:
            right = np.full_like(right, 128)
        yield Frame(np.ascontiguousarray(np.concatenate([image, right], axis=1)), t, index)
        index += 1
    cap.release()


def _run(shared: Path, enters_s: float | None) -> tuple[ExerciseEngine, list[Event]]:
    proc = FrameProcessor(load_exercise("squat"))  # the default estimator, as analyze uses
    events: list[Event] = []
    try:
        for frame in composite(shared, enters_s):
            events += proc.process(frame).events
        events += proc.finish()
    finally:
        proc.close()
    assert proc.engine is not None
    return proc.engine, events


@pytest.mark.model
def test_a_second_person_walking_in_is_not_counted_and_is_said(shared_data: Path) -> None:
    engine, events = _run(shared_data, ENTERS_S)
    truth = _clip(shared_data, PATIENT)["ground_truth"]["reps"]
    assert len(engine.reps) == truth  # the patient's squats, not the other person's
    warnings = [e for e in events if isinstance(e, PersonWarning)]
    assert warnings == engine.person_warnings
    assert warnings and ENTERS_S <= warnings[0].t <= ENTERS_S + 1.5
    said = [e for e in events if isinstance(e, Cue) and e.source == "others"]
    assert said and said[0].text == "Someone else is in view."


@pytest.mark.model
def test_alone_in_view_no_warning(shared_data: Path) -> None:
    engine, events = _run(shared_data, None)
    assert len(engine.reps) == _clip(shared_data, PATIENT)["ground_truth"]["reps"]
    assert not engine.person_warnings
