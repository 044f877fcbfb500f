"""What the therapist's-week tests share: a real app with a store on a real server, a stored
squat session from a sample track, a kept video for it (VP8 WebM, which Chromium plays), and
a targets session."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from exercises import load_exercise
from tests.web.review_app import Review, review_app

REPO = Path(__file__).resolve().parents[2]
TRACK = REPO / "samples" / "tracks" / "formfit_squat.npz"


def squat_session(review: Review, patient_id: int) -> str:
    d = np.load(TRACK, allow_pickle=False)
    size = (int(d["image_size"][0]), int(d["image_size"][1]))
    from coach.offline.recording import record_landmarks

    sid, _ = record_landmarks(
        review.store,
        d["lm"],
        float(d["fps"]),
        size,
        load_exercise("squat"),
        patient_id=patient_id,
        world=d["world"],
    )
    return sid


def webm(path: Path, seconds: float, fps: int = 10) -> Path:
    """A small VP8 video of `seconds` (a grey ramp with a moving bar)."""
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"VP80"), fps, (160, 120))
    assert w.isOpened(), "OpenCV cannot write VP8"
    for i in range(int(seconds * fps)):
        frame = np.full((120, 160, 3), 40 + (i * 3) % 200, np.uint8)
        frame[:, (i * 4) % 160 : (i * 4) % 160 + 6] = 255
        w.write(frame)
    w.release()
    return path


def keep_video(review: Review, sid: str, folder: Path) -> Path:
    """Give the session a kept video as long as its frames, as an upload with "keep" does."""
    frames = review.store.session_frames(sid)
    path = webm(folder / f"{sid}.webm", float(frames.t[-1]) + 0.5)
    review.store.set_session_video(sid, str(path))
    return path


@contextmanager
def week_app(root: Path, **options: Any) -> Iterator[Review]:
    with review_app(root, max_active=2, retain_s=600, **options) as review:
        yield review
