"""Everything stored about one patient as one zip archive: their copy of their data and its
portable form (GDPR articles 15 and 20), for their therapist and for themselves.

In it: a README in plain words; the whole record as an HL7 FHIR R4 bundle (coach.review.fhir,
docs/FHIR.md); per session its reps and per-frame measures as CSV and the session as JSON
(coach.review.exports, the same files as the session page's exports); the pain and effort
ratings and the weekly check-ins as CSV; every consent answer; the clinical tests' results as
JSON; the kept videos.

Streamed: `zip_stream` writes the zip (Python's zipfile, on a stream it cannot seek, so each
file's sizes follow its data) into a small buffer and hands over what is there after each
piece, so a server sends an hour of video without ever holding more than a piece of it
(`CHUNK`) and one session's exports in memory. Videos are stored as they are (already
compressed), the rest deflated.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from coach.review import exports
from coach.review.checkins import checkins_csv
from coach.review.fhir import patient_bundle
from coach.store.checkins import patient_checkins
from coach.store.ratings import patient_ratings
from coach.store.store import Store, aware

CHUNK = 1024 * 1024  # a video is read and sent a MiB at a time

README = """\
Everything Coach keeps about {name}
{rule}

Made on {made} (UTC) by Coach, the exercise coach of your clinic.

What is in this archive
- record.fhir.json: the whole record in HL7 FHIR R4, the format clinic record systems
  read: the patient, the exercise program, every session with its repetitions, ranges of
  movement, holds and faults, the pain and effort ratings and the clinical tests.
- sessions/: one folder per exercise session (its date, exercise and id):
  - reps.csv: one row per repetition (range of movement, score, tempo, faults),
  - frames.csv: the measures of every camera frame that was kept (none once removed after
    the clinic's retention time),
  - session.json: the whole session, as Coach's own exports give it.
- ratings.csv: the pain (0 to 10) and effort ratings given before and after exercising.
- checkins.csv: the weekly check-ins (sleep, stress, headaches, energy, and the activities
  rated as hard, 0 to 10).
- consent.csv: every answer to the question whether Coach may keep the results, with the
  version of the text that was read and when.
- clinical_tests.json: the results of clinical tests (chair stand, balance, ...).
- videos/: the videos your therapist chose to keep, as they were uploaded.

The files are plain text (CSV opens in any spreadsheet, JSON in any text editor) except
the videos. Times are in UTC. {sessions} sessions, {videos} kept videos.

Coach does not keep the camera picture of live sessions: only the positions of the joints,
which frames.csv holds.
"""


@dataclass(frozen=True)
class Member:
    """One file of the archive: its name and a maker of its bytes, called when it is written."""

    name: str
    data: Callable[[], Iterable[bytes]]
    stored: bool = False  # already compressed (a video): not deflated again
    size: int | None = None  # known in advance (a file): zip64 headers when it is large


class _Buffer:
    """Where zipfile writes: the bytes wait here until the stream hands them over."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes, /) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> Iterator[bytes]:
        if self._parts:
            out, self._parts = b"".join(self._parts), []
            yield out


def zip_stream(members: Iterable[Member], when: datetime | None = None) -> Iterator[bytes]:
    """The zip of `members`, piece by piece, never more than about a `CHUNK` at once."""
    stamp = (when or datetime.now(timezone.utc)).timetuple()[:6]
    buffer = _Buffer()
    with zipfile.ZipFile(buffer, "w", allowZip64=True) as archive:
        for member in members:
            info = zipfile.ZipInfo(member.name, date_time=stamp)
            info.compress_type = zipfile.ZIP_STORED if member.stored else zipfile.ZIP_DEFLATED
            info.file_size = member.size or 0
            with archive.open(info, "w") as out:
                for piece in member.data():
                    out.write(piece)
                    yield from buffer.take()
            yield from buffer.take()
    yield from buffer.take()


def _text(make: Callable[[], str]) -> Callable[[], Iterable[bytes]]:
    return lambda: [make().encode("utf-8")]


def _json(make: Callable[[], Any]) -> Callable[[], Iterable[bytes]]:
    return _text(lambda: json.dumps(make(), ensure_ascii=False, indent=1) + "\n")


def _file(path: Path) -> Callable[[], Iterable[bytes]]:
    def read() -> Iterator[bytes]:
        with path.open("rb") as f:
            while piece := f.read(CHUNK):
                yield piece

    return read


def _kept_video(row: Any) -> Path | None:
    path = Path(row.video_path) if row.video_path else None
    return path if path is not None and path.is_file() else None


def _folder(row: Any) -> str:
    day = aware(row.started_at).strftime("%Y-%m-%d_%H%M")
    return f"{day}_{row.exercise_id}_{row.id}"


def _consent_csv(store: Store, patient_id: int) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["answer", "text_version", "answered_at"])
    for c in store.consent_answers(patient_id):
        w.writerow([c.answer, c.text_version, c.at.isoformat(timespec="seconds")])
    return buf.getvalue()


def _session_members(
    store: Store, session_id: str, name: str, ratings: list[dict[str, Any]]
) -> Iterator[Member]:
    """A session's files; the session is read (reps, holds, faults) when they are written."""
    row = store.session(session_id)
    if row is None:  # erased meanwhile: nothing of it
        return
    folder = f"sessions/{_folder(row)}"
    yield Member(f"{folder}/reps.csv", _text(lambda: exports.reps_csv(row)))
    if not row.frames_removed_after_days:
        frames = _text(lambda: exports.frames_csv(store.session_frames(session_id)))
        yield Member(f"{folder}/frames.csv", frames)
    yield Member(f"{folder}/session.json", _json(lambda: exports.session_json(row, name, ratings)))


def _ratings_by_session(store: Store, patient_id: int) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in patient_ratings(store, patient_id):
        out.setdefault(r.session_id, []).append(r.to_json())
    return out


def archive_members(store: Store, patient: Any) -> Iterator[Member]:
    """The archive's files, each made only when it is written (module docstring)."""
    sessions = list(reversed(store.sessions_of(patient.id)))  # oldest first
    videos = [(row, path) for row in sessions if (path := _kept_video(row)) is not None]
    title = f"Everything Coach keeps about {patient.name}"
    readme = README.format(
        name=patient.name,
        rule="=" * len(title),
        made=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M"),
        sessions=len(sessions),
        videos=len(videos),
    )
    yield Member("README.txt", _text(lambda: readme))
    yield Member("record.fhir.json", _json(lambda: patient_bundle(store, patient)))
    ratings = _ratings_by_session(store, patient.id)
    for row in sessions:
        yield from _session_members(store, row.id, patient.name, ratings.get(row.id, []))
    all_ratings = _text(lambda: exports.ratings_csv(patient_ratings(store, patient.id)))
    yield Member("ratings.csv", all_ratings)
    yield Member("checkins.csv", _text(lambda: checkins_csv(patient_checkins(store, patient.id))))
    yield Member("consent.csv", _text(lambda: _consent_csv(store, patient.id)))
    tests = [
        {"protocol": t.protocol, "at": aware(t.created_at).isoformat(), "result": t.result}
        for t in store.protocol_results(patient.id)
    ]
    yield Member("clinical_tests.json", _json(lambda: tests))
    for row, path in videos:
        name = f"videos/{_folder(row)}{path.suffix.lower()}"
        yield Member(name, _file(path), stored=True, size=path.stat().st_size)


def patient_archive(store: Store, patient: Any) -> Iterator[bytes]:
    """The patient's archive as a stream of bytes (a zip file)."""
    return zip_stream(archive_members(store, patient))
