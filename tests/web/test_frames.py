"""Checking browser frames before decoding: sizes from headers, clear refusals."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from web.frames import BadFrame, decode_frame, image_size


def _jpeg(w: int, h: int, progressive: bool = False) -> bytes:
    image = np.zeros((h, w, 3), np.uint8)
    cv2.rectangle(image, (w // 4, h // 4), (w // 2, h // 2), (0, 200, 255), -1)
    params = [cv2.IMWRITE_JPEG_QUALITY, 80, cv2.IMWRITE_JPEG_PROGRESSIVE, int(progressive)]
    return cv2.imencode(".jpg", image, params)[1].tobytes()


@pytest.mark.parametrize("progressive", [False, True])
def test_jpeg_size_is_read_from_the_header(progressive: bool) -> None:
    assert image_size(_jpeg(320, 180, progressive)) == (320, 180)


def test_png_size_is_read_from_the_header() -> None:
    png = cv2.imencode(".png", np.zeros((50, 70, 3), np.uint8))[1].tobytes()
    assert image_size(png) == (70, 50)
    assert decode_frame(png).shape == (50, 70, 3)


def test_a_good_jpeg_decodes_to_bgr() -> None:
    image = decode_frame(_jpeg(480, 270))
    assert image.shape == (270, 480, 3) and image.dtype == np.uint8


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "Empty"),
        (b"hello there", "not a camera image"),
        (b"\xff\xd8\xff\xe0\x00", "header could not be read"),
        (b"\xff\xd8\xff" + bytes(2_000_000), "too large"),
    ],
)
def test_bad_frames_are_refused_with_a_reason(data: bytes, words: str) -> None:
    with pytest.raises(BadFrame, match=words):
        decode_frame(data)


def test_huge_images_are_refused_before_decoding() -> None:
    with pytest.raises(BadFrame, match="2400x1600"):
        decode_frame(_jpeg(2400, 1600))


def test_text_is_not_a_frame() -> None:
    with pytest.raises(BadFrame, match="got text"):
        decode_frame("a string")  # type: ignore[arg-type]


def test_a_damaged_jpeg_body_is_refused() -> None:
    data = bytearray(_jpeg(320, 240))
    header_end = data.index(b"\xff\xda")  # keep the headers, wreck the scan
    data[header_end + 2 :] = b"\x00" * (len(data) - header_end - 2)
    try:
        image = decode_frame(bytes(data))
    except BadFrame as exc:
        assert "Corrupt" in str(exc)
    else:  # libjpeg may salvage a grey picture: then it must still be the right size
        assert image.shape == (240, 320, 3)
