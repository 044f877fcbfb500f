"""VideoSink writes mp4 files that our own VideoFileSource reads back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pose.sources import VideoFileSource
from pose.video_writer import VideoSink, VideoSinkError

W, H = 96, 64


def test_roundtrip_through_video_file_source(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    with VideoSink(path, fps=20.0, size=(W, H)) as sink:
        for i in range(12):
            sink.write(np.full((H, W, 3), 10 * i, dtype=np.uint8))
        assert sink.frames_written == 12
    assert sink.closed
    source = VideoFileSource(path)
    assert (source.info.width, source.info.height, source.info.fps) == (W, H, 20.0)
    frames = list(source)
    assert len(frames) == 12
    np.testing.assert_allclose(frames[-1].t, 11 / 20, atol=1e-6)


def test_wrong_frame_size_is_an_error_not_a_silent_drop(tmp_path: Path) -> None:
    with VideoSink(tmp_path / "out.mp4", fps=25, size=(W, H)) as sink:
        with pytest.raises(ValueError, match="64x96x3"):
            sink.write(np.zeros((W, H, 3), dtype=np.uint8))  # transposed
        with pytest.raises(ValueError, match="uint8"):
            sink.write(np.zeros((H, W, 3), dtype=np.float32))
        assert sink.frames_written == 0


def test_unwritable_destinations_fail_clearly(tmp_path: Path) -> None:
    with pytest.raises(VideoSinkError, match="not found"):
        VideoSink(tmp_path / "no" / "such" / "dir" / "out.mp4", fps=25, size=(W, H))
    with pytest.raises(VideoSinkError, match="cannot open"):
        VideoSink(tmp_path / "out.unknownext", fps=25, size=(W, H))
    with pytest.raises(ValueError):
        VideoSink(tmp_path / "out.mp4", fps=0, size=(W, H))
    with pytest.raises(ValueError):
        VideoSink(tmp_path / "out.mp4", fps=25, size=(0, H))


def test_close_is_idempotent_and_write_after_close_fails(tmp_path: Path) -> None:
    sink = VideoSink(tmp_path / "out.mp4", fps=25, size=(W, H))
    sink.close()
    sink.close()
    with pytest.raises(VideoSinkError, match="closed"):
        sink.write(np.zeros((H, W, 3), dtype=np.uint8))
