"""Frame sources on small videos and image folders written here, plus real recordings."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from pose.sources import (
    CameraSource,
    FrameSource,
    ImageFolderSource,
    SourceError,
    VideoFileSource,
    VideoInfo,
    open_source,
)
from pose.types import Frame

W, H, FPS, N = 64, 48, 25.0, 30


def synthetic_frame(i: int) -> np.ndarray:
    """A frame whose brightness encodes its index (survives lossy compression)."""
    return np.full((H, W, 3), 8 * i, dtype=np.uint8)


def write_video(path: Path, n: int = N, fourcc: str = "mp4v", fps: float = FPS) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (W, H))
    assert writer.isOpened(), f"test setup: cannot write {path}"
    for i in range(n):
        writer.write(synthetic_frame(i))
    writer.release()
    return path


@pytest.fixture
def video(tmp_path: Path) -> Path:
    return write_video(tmp_path / "clip.mp4")


def test_video_file_frames_count_and_timestamps(video: Path) -> None:
    with VideoFileSource(video) as source:
        assert isinstance(source, FrameSource)
        assert source.info == VideoInfo(W, H, FPS, N, N / FPS)
        frames = list(source)
    assert len(frames) == N
    assert all(isinstance(f, Frame) for f in frames)
    assert [f.index for f in frames] == list(range(N))
    ts = np.array([f.t for f in frames])
    assert ts[0] == 0.0
    assert np.all(np.diff(ts) > 0)
    np.testing.assert_allclose(np.diff(ts), 1 / FPS, atol=1e-6)
    assert frames[0].size == (W, H) and frames[0].image.dtype == np.uint8
    brightness = [float(f.image.mean()) for f in frames]
    assert np.all(np.diff(brightness) > 0), "frames out of order"
    assert source.frames_read == N and not source.truncated


def test_stride_and_max_frames(video: Path) -> None:
    frames = list(VideoFileSource(video, stride=3, max_frames=4))
    assert [f.index for f in frames] == [0, 3, 6, 9]
    np.testing.assert_allclose([f.t for f in frames], np.array([0, 3, 6, 9]) / FPS, atol=1e-6)
    assert abs(frames[1].image.mean() - synthetic_frame(3).mean()) < 4

    strided = VideoFileSource(video, stride=7)
    assert [f.index for f in strided] == [0, 7, 14, 21, 28]
    assert strided.frames_read == N and not strided.truncated
    with pytest.raises(ValueError):
        VideoFileSource(video, stride=0)


def test_iterating_twice_restarts_and_close_stops(video: Path) -> None:
    source = VideoFileSource(video, max_frames=5)
    first = [f.t for f in source]
    second = [f.t for f in source]
    assert first == second and len(first) == 5
    source.close()
    source.close()  # idempotent
    with pytest.raises(SourceError, match="closed"):
        list(source)


def test_missing_file_raises_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.mp4"
    with pytest.raises(SourceError, match="not found") as err:
        VideoFileSource(missing)
    assert str(missing) in str(err.value)


def test_directory_is_not_a_video(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="directory"):
        VideoFileSource(tmp_path)


def test_text_file_named_mp4_raises_clear_error(tmp_path: Path) -> None:
    fake = tmp_path / "notes.mp4"
    fake.write_text("this is not a video\n" * 50)
    with pytest.raises(SourceError, match="cannot open") as err:
        VideoFileSource(fake)
    assert "not a video" in str(err.value) and str(fake) in str(err.value)


def chop(path: Path, fraction: float = 0.5) -> Path:
    data = path.read_bytes()
    cut = path.with_name(f"cut_{path.name}")
    cut.write_bytes(data[: int(len(data) * fraction)])
    return cut


def test_truncated_avi_yields_what_is_readable_and_reports_it(tmp_path: Path) -> None:
    # AVI keeps its frame count in the header, so a cut-off file still opens.
    cut = chop(write_video(tmp_path / "clip.avi", fourcc="MJPG"))
    source = VideoFileSource(cut)
    assert source.info.frame_count == N
    frames = list(source)
    assert 0 < len(frames) < N
    assert source.frames_read == len(frames)
    assert source.truncated
    assert np.all(np.diff([f.t for f in frames]) > 0)


def test_truncated_mp4_without_index_raises_clear_error(tmp_path: Path) -> None:
    # OpenCV writes the mp4 index (moov) last: half a file has none and nothing is readable.
    cut = chop(write_video(tmp_path / "clip.mp4"))
    with pytest.raises(SourceError, match="cut off|truncated|corrupt"):
        VideoFileSource(cut)


def test_max_frames_is_not_truncation(video: Path) -> None:
    source = VideoFileSource(video, max_frames=3)
    assert len(list(source)) == 3
    assert not source.truncated


def write_images(folder: Path, names: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        assert cv2.imwrite(str(folder / name), synthetic_frame(i))


def test_image_folder_natural_order_and_timestamps(tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    write_images(folder, ["f1.png", "f2.jpg", "f10.png", "f3.JPEG"])
    (folder / "readme.txt").write_text("ignored")
    with ImageFolderSource(folder, fps=10.0) as source:
        assert [p.name for p in source.files] == ["f1.png", "f2.jpg", "f3.JPEG", "f10.png"]
        assert source.info == VideoInfo(W, H, 10.0, 4, 0.4)
        frames = list(source)
    assert [f.t for f in frames] == [0.0, 0.1, 0.2, 0.3]
    assert [f.index for f in frames] == [0, 1, 2, 3]
    assert frames[3].size == (W, H)


def test_empty_or_missing_image_folder_fails(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no images here")
    with pytest.raises(SourceError, match="no images"):
        ImageFolderSource(tmp_path / "empty")
    with pytest.raises(SourceError, match="not found"):
        ImageFolderSource(tmp_path / "absent")


def test_image_folder_corrupt_image_fails_clearly(tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    write_images(folder, ["a.png"])
    (folder / "b.png").write_bytes(b"not a png")
    source = ImageFolderSource(folder)
    with pytest.raises(SourceError, match="b.png"):
        list(source)


def test_missing_camera_raises_clear_error() -> None:
    with pytest.raises(SourceError, match="camera 97"):
        CameraSource(97)


def test_open_source_dispatch(tmp_path: Path, video: Path) -> None:
    write_images(tmp_path / "frames", ["0.png", "1.png"])
    with open_source(video) as source:
        assert isinstance(source, VideoFileSource)
    with open_source(str(video), max_frames=2) as source:
        assert isinstance(source, VideoFileSource) and len(list(source)) == 2
    with open_source(tmp_path / "frames", fps=5.0) as source:
        assert isinstance(source, ImageFolderSource) and source.info.fps == 5.0
    for spec in (97, "97", " 97 "):
        with pytest.raises(SourceError, match="camera 97"):
            open_source(spec)
    with pytest.raises(SourceError, match="not found"):
        open_source(tmp_path / "missing.mov")


# --- real recordings ---------------------------------------------------------------------------


def test_real_variable_frame_rate_video_keeps_container_timestamps(shared_data: Path) -> None:
    """medflex/sls.MP4 is a phone video with an irregular frame rate: index/fps would be off by
    up to 0.4 s; the container times are used instead."""
    source = VideoFileSource(shared_data / "videos" / "medflex" / "sls.MP4")
    ts = np.array([f.t for f in source])
    assert len(ts) == source.info.frame_count == 192
    assert np.all(np.diff(ts) > 0)
    assert np.max(np.diff(ts)) > 1.5 * np.median(np.diff(ts))  # a real dropped-frame gap
    assert np.max(np.abs(ts - np.arange(len(ts)) / source.info.fps)) > 0.2


def test_real_video_shorter_than_its_header_is_reported(shared_data: Path) -> None:
    """rehab_monitor_yolanda/stance.mp4 declares 375 frames but only 355 decode."""
    source = VideoFileSource(
        shared_data / "videos" / "rehab_monitor_yolanda" / "stance.mp4", stride=50
    )
    assert source.info.frame_count == 375
    list(source)
    assert source.frames_read == 355
    assert source.truncated


def test_one_decoding_thread_gives_the_same_frames_and_times(shared_data: Path) -> None:
    """`coach analyze` decodes with the cores the model leaves (one on a 2-core machine):
    FFmpeg's frames and the container's times are the same as with its default threads, on
    a phone's H.264 video (irregular frame rate) and on a VP9 WebM."""
    for clip in ("medflex/sls.MP4", "tug_moeed/trial_1.webm"):
        path = shared_data / "videos" / clip
        runs = []
        for threads in (None, 1):
            with VideoFileSource(path, max_frames=60, decode_threads=threads) as source:
                frames = list(source)
            runs.append(([f.t for f in frames], np.stack([f.image for f in frames])))
        assert runs[0][0] == runs[1][0] and len(runs[0][0]) == 60
        assert np.array_equal(runs[0][1], runs[1][1])
    with pytest.raises(ValueError, match="decode_threads"):
        VideoFileSource(path, decode_threads=0)
