"""The fake camera files the browser tests play (tests/web/y4m.py): Chromium's y4m reader aborts
the camera on a read that ends inside a frame, so a file it has open must only ever hold whole
frames, at every instant."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.web import y4m
from tests.web.y4m import FRAME, HeldCamera


@pytest.fixture()
def clip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two seconds of moving grey at 30 fps (Motion JPEG: OpenCV writes it without codecs);
    as a 480x270 camera file its motion is ~12 MB, several of the copy's 4 MB blocks."""
    monkeypatch.setattr(y4m, "CACHE", tmp_path / "cache")
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (640, 360))
    for i in range(60):
        writer.write(np.full((360, 640, 3), 40 + 3 * i, np.uint8))
    writer.release()
    return path


def _whole_frames(size: int, header: int, frame: int) -> bool:
    return (size - header) % frame == 0


def test_playing_a_held_camera_never_shows_chromium_part_of_a_frame(
    clip: Path, tmp_path: Path
) -> None:
    camera = HeldCamera(tmp_path / "camera.y4m", clip, fps=15)
    camera.hold()
    header = len(camera.path.read_bytes().split(b"\n", 1)[0]) + 1
    frame = len(FRAME) + 480 * 270 * 3 // 2
    held = camera.path.stat().st_size
    assert _whole_frames(held, header, frame)

    sizes: set[int] = set()
    playing = threading.Event()

    def watch() -> None:  # what Chromium would see, as often as this thread can look
        fd = os.open(camera.path, os.O_RDONLY)
        try:
            while not playing.is_set():
                sizes.add(os.fstat(fd).st_size)
        finally:
            os.close(fd)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for _ in range(5):
            loop_s = camera.play()
            camera.stand_still()
    finally:
        playing.set()
        watcher.join()
    final = held + 30 * frame  # 2 s at 15 fps
    assert loop_s == pytest.approx((final - header) / frame / 15)
    assert sizes <= {held, final}, sorted(sizes)
    assert camera.path.stat().st_size == held  # standing still again
