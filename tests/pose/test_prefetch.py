"""pose.sources.Prefetched: frames decoded ahead on a thread (pose.ahead), the same as the
source's own."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from pose.ahead import ahead
from pose.sources import FrameSource, Prefetched, VideoFileSource, VideoInfo
from pose.types import Frame
from tests.pose.test_sources import N, chop, write_video


def test_the_same_frames_in_the_same_order_with_their_rgb(tmp_path: Path) -> None:
    path = write_video(tmp_path / "clip.mp4")
    with VideoFileSource(path) as plain:
        expected = list(plain)
    with Prefetched(VideoFileSource(path), depth=2) as ahead:
        got = list(ahead)
    assert len(got) == len(expected) == N
    for a, b in zip(got, expected, strict=True):
        assert (a.t, a.index) == (b.t, b.index)
        assert np.array_equal(a.image, b.image)
        assert a.rgb is not None and np.array_equal(a.rgb, cv2.cvtColor(b.image, cv2.COLOR_BGR2RGB))
    assert expected[0].rgb is None  # a source on its own makes no RGB copy


def test_a_truncated_file_still_says_so_afterwards(tmp_path: Path) -> None:
    source = VideoFileSource(chop(write_video(tmp_path / "clip.avi", fourcc="MJPG")))
    frames = list(Prefetched(source))
    assert 0 < len(frames) < N
    assert source.truncated and source.frames_read == len(frames)


class _Counting(FrameSource):
    """Frames made on demand, counted; raises after `fail_after` frames when given."""

    def __init__(self, n: int, fail_after: int | None = None) -> None:
        self.info = VideoInfo(8, 8, 10.0, n, n / 10)
        self.n, self.fail_after, self.made = n, fail_after, 0
        self.threads: set[str] = set()

    def __iter__(self) -> Iterator[Frame]:
        for i in range(self.n):
            if self.fail_after is not None and i == self.fail_after:
                raise OSError("the disk went away")
            self.made += 1
            self.threads.add(threading.current_thread().name)
            yield Frame(np.full((8, 8, 3), i, np.uint8), i / 10, i)


def test_reading_runs_on_its_own_thread_and_stays_a_few_frames_ahead() -> None:
    source = _Counting(1000)
    ahead = iter(Prefetched(source, depth=3))
    for _ in range(5):
        next(ahead)
    threading.Event().wait(0.3)  # let the reader fill the queue if it would
    assert source.made <= 5 + 3 + 1  # consumed + queued + the one waiting to be queued
    assert source.threads == {"coach-decode"}
    ahead.close()  # the consumer stops early: the reader ends, nothing hangs
    assert not [t for t in threading.enumerate() if t.name == "coach-decode"]


def test_an_error_while_reading_reaches_the_consumer_after_the_frames_before_it() -> None:
    frames = []
    with pytest.raises(OSError, match="the disk went away"):
        for frame in Prefetched(_Counting(10, fail_after=4)):
            frames.append(frame.index)
    assert frames == [0, 1, 2, 3]


def test_ahead_makes_any_items_on_its_named_thread_in_order() -> None:
    """pose.ahead.ahead, which Prefetched decodes with and `coach analyze` runs the model
    with: the items in order, made on the thread named, never more than `depth` ahead."""
    made: list[str] = []

    def squares() -> Iterator[int]:
        for i in range(50):
            made.append(threading.current_thread().name)
            yield i * i

    got = ahead(squares(), depth=2, name="coach-test")
    assert next(got) == 0
    threading.Event().wait(0.2)
    assert len(made) <= 1 + 2 + 1  # taken + queued + the one waiting to be queued
    assert [0, *got] == [i * i for i in range(50)]
    assert set(made) == {"coach-test"}
    with pytest.raises(ValueError, match="depth"):
        ahead(squares(), depth=0, name="coach-test")
