"""A therapist's video upload, received: checked before and while its body is read.

The route (web/routes/uploads.py) checks who is asking before a byte of the body is read;
then `receive_upload` streams the multipart body itself (no spooling by a form parser):
a declared `Content-Length` over the limit is refused at once (413), the size is counted
while streaming (cut off past the limit), a body that stalls for `COACH_UPLOAD_IDLE_S`
seconds (or takes longer than `COACH_UPLOAD_TIMEOUT_S` in all) is aborted (408), a full disk
is answered in words (507), and whatever went wrong, the partial file is removed. Then: a
known exercise, a video file name extension, a file OpenCV can decode (`check_name`,
`check_decodable`). No message shows a server path. What happens next is web/uploads/jobs.py.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from coach.offline.jobs import without_paths

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

log = logging.getLogger(__name__)

VIDEO_EXTENSIONS = {".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm"}


def max_upload_bytes() -> int:
    mb = float(os.environ.get("COACH_MAX_UPLOAD_MB", "500"))
    return int(mb * 1024 * 1024)


def _env_seconds(name: str, default: float) -> float:
    try:
        return max(0.1, float(os.environ.get(name, default)))
    except ValueError:
        return default


def upload_idle_timeout_s() -> float:
    """`COACH_UPLOAD_IDLE_S`: a body that sends nothing for this long is aborted (30 s)."""
    return _env_seconds("COACH_UPLOAD_IDLE_S", 30.0)


def upload_total_timeout_s() -> float:
    """`COACH_UPLOAD_TIMEOUT_S`: the longest an upload may take in all (1 h)."""
    return _env_seconds("COACH_UPLOAD_TIMEOUT_S", 3600.0)


# The multipart envelope and the small fields around the video: allowed on top of the limit.
FORM_OVERHEAD = 64 * 1024
MAX_FIELD_BYTES = 4096
MAX_PARTS = 16
PARTIAL = ".part"


class UploadRefused(ValueError):
    """The upload is not acceptable; the message says why, for the therapist."""

    status = 400
    error = "upload_refused"


class UploadTooLarge(UploadRefused):
    status = 413
    error = "too_large"


class UploadStalled(UploadRefused):
    status = 408
    error = "upload_timeout"


class UploadNoSpace(UploadRefused):
    status = 507
    error = "server_full"


def too_large(limit: int) -> UploadTooLarge:
    return UploadTooLarge(
        f"The video is larger than the {limit // (1024 * 1024)} MB limit; "
        "trim it or lower its resolution."
    )


def storage_error(exc: OSError) -> UploadRefused:
    """A write failure in words, without the server's paths."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return UploadNoSpace(
            "The server has no room left to store this video. Nothing was saved; "
            "tell the administrator (the disk is full) and try again later."
        )
    err = UploadRefused(
        "The server could not store this video (a storage error). Nothing was saved; "
        "try again later."
    )
    err.status = 503
    return err


def check_name(filename: str | None) -> str:
    name = Path(filename or "").name
    if not name:
        raise UploadRefused("Choose a video file to upload.")
    if Path(name).suffix.lower() not in VIDEO_EXTENSIONS:
        allowed = ", ".join(sorted(VIDEO_EXTENSIONS))
        raise UploadRefused(f"{name} is not a video file we accept ({allowed}).")
    return name


def open_for_writing(path: Path) -> BinaryIO:
    """Where an upload's bytes go (tests replace it to simulate a full disk)."""
    return open(path, "xb")


@dataclass
class ReceivedUpload:
    """A multipart body, received: its small fields and the video (in `path`, or None)."""

    fields: dict[str, str] = field(default_factory=dict)
    filename: str | None = None
    path: Path | None = None
    size: int = 0
    refused: UploadRefused | None = None  # the video part was refused (e.g. its name)


class _FormReceiver:
    """python-multipart callbacks writing the `video` part to `dest`, the rest to memory."""

    def __init__(self, dest: Path, file_field: str) -> None:
        self.dest = dest
        self.file_field = file_field
        self.result = ReceivedUpload()
        self.parts = 0
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name = ""
        self._value = bytearray()
        self._out: BinaryIO | None = None
        self._to_file = False

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": self.header_field,
            "on_header_value": self.header_value,
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
        }

    def part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise UploadRefused("This form has too many parts.")
        self._headers = {}
        self._value = bytearray()
        self._to_file = False

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def header_end(self) -> None:
        self._headers[self._header_field.strip().lower()] = self._header_value.strip()
        self._header_field = self._header_value = b""

    def headers_finished(self) -> None:
        from python_multipart.multipart import parse_options_header

        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        if self._name != self.file_field or filename is None:
            return
        if self.result.filename is not None:
            raise UploadRefused("Upload one video at a time.")
        self.result.filename = filename.decode("utf-8", "replace")
        try:
            check_name(self.result.filename)
        except UploadRefused as exc:
            self.result.refused = exc  # said once the whole form has arrived
            return
        self._out = open_for_writing(self.dest)
        self.result.path = self.dest
        self._to_file = True

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self._to_file and self._out is not None:
            self._out.write(data[start:end])
            self.result.size += end - start
        elif self.result.filename is None or self._name != self.file_field:
            self._value += data[start:end]
            if len(self._value) > MAX_FIELD_BYTES:
                raise UploadRefused(f"The form field {self._name[:40]!r} is too long.")

    def part_end(self) -> None:
        if self._to_file and self._out is not None:
            self._out.close()
            self._out = None
        elif self._name and self._name != self.file_field:
            self.result.fields.setdefault(self._name, self._value.decode("utf-8", "replace"))
        self._to_file = False

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None


async def _chunks(stream: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The body's chunks; `UploadStalled` when one takes longer than the idle timeout or the
    whole body longer than the total timeout."""
    idle = upload_idle_timeout_s()
    deadline = time.monotonic() + upload_total_timeout_s()
    while True:
        wait = min(idle, deadline - time.monotonic())
        if wait <= 0:
            raise UploadStalled("The upload took too long and was stopped; try again.")
        try:
            chunk = await asyncio.wait_for(stream.__anext__(), wait)
        except StopAsyncIteration:
            return
        except (asyncio.TimeoutError, TimeoutError):
            raise UploadStalled(
                "The upload stalled (nothing arrived for a while) and was stopped; try again."
            ) from None
        yield chunk


def _boundary(content_type: str, content_length: str | None, limit: int) -> bytes:
    """The multipart boundary, once the headers announce a body that may be read: an upload
    form, and no declared length over the limit (refused before a byte is read)."""
    from python_multipart.multipart import parse_options_header

    mime, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if mime != b"multipart/form-data" or not boundary:
        raise UploadRefused("Send the video with the upload form (multipart/form-data).")
    if content_length is not None:
        try:
            declared = int(content_length)
        except ValueError:
            raise UploadRefused("The request's Content-Length is not a number.") from None
        if declared > limit + FORM_OVERHEAD:
            raise too_large(limit)
    return boundary


async def _parse_body(
    stream: AsyncIterator[bytes], parser: Any, receiver: _FormReceiver, limit: int
) -> None:
    """Feed the body to the parser, cutting it off once it (or the video in it) is too large."""
    received = 0
    async for chunk in _chunks(stream):
        received += len(chunk)
        if received > limit + FORM_OVERHEAD:
            raise too_large(limit)
        parser.write(chunk)
        if receiver.result.size > limit:
            raise too_large(limit)
    parser.finalize()


def _refusal(exc: BaseException) -> UploadRefused | None:
    """What a failure while receiving tells the therapist; None: raise it as it is (already a
    refusal, or the client went away, or the server is stopping)."""
    if isinstance(exc, UploadRefused):
        return None
    if isinstance(exc, OSError):
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            log.warning("upload not stored: %s", exc)
        return storage_error(exc)
    if isinstance(exc, ValueError):  # python-multipart: a malformed body
        return UploadRefused(f"The upload form arrived malformed ({type(exc).__name__}).")
    return None


async def receive_upload(
    stream: AsyncIterator[bytes],
    content_type: str,
    content_length: str | None,
    upload_dir: Path,
    limit: int,
    *,
    file_field: str = "video",
) -> ReceivedUpload:
    """Stream a multipart/form-data body: the `file_field` part to a new partial file in
    `upload_dir`, the other (small) fields to memory. On any failure (too large, stalled,
    disconnected, disk full, malformed) the partial file is removed and `UploadRefused` (or
    the disconnect) raised; nothing is read when the declared length is already too large."""
    from python_multipart.multipart import MultipartParser

    boundary = _boundary(content_type, content_length, limit)
    dest = upload_dir / f"{secrets.token_hex(8)}{PARTIAL}"
    receiver = _FormReceiver(dest, file_field)
    parser = MultipartParser(boundary, receiver.callbacks())
    try:
        upload_dir.mkdir(parents=True, exist_ok=True)
        await _parse_body(stream, parser, receiver, limit)
        receiver.close()
    except BaseException as exc:
        receiver.close()
        dest.unlink(missing_ok=True)
        refusal = _refusal(exc)
        if refusal is None:
            raise
        raise refusal from None
    result = receiver.result
    if result.refused is None and result.path is not None and result.size == 0:
        dest.unlink(missing_ok=True)
        result.path = None
        result.refused = UploadRefused("The uploaded file is empty.")
    return result


def check_decodable(path: Path, shown: str | None = None) -> None:
    """Can OpenCV decode a frame? Messages name the file as `shown`, never its server path."""
    from pose.sources import SourceError, VideoFileSource

    try:
        with VideoFileSource(path) as src:
            first = next(iter(src), None)
    except SourceError as exc:
        reason = without_paths(str(exc), path, shown or "the file")
        raise UploadRefused(f"This file can't be read as a video: {reason}") from None
    if first is None:
        raise UploadRefused("This file has no readable video frames.")
