"""The patient's archive (coach/review/archive.py): a zip that opens and holds everything
stored about them (the FHIR bundle, each session's CSV and JSON exports, the ratings, the
weekly check-ins, the consent answers, the clinical tests, the kept videos byte for byte) and
nothing of another patient; streamed in pieces of about a MiB however large a video is."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from coach.review.archive import CHUNK, patient_archive
from coach.review.fhir import validate
from coach.store import cluster, open_store
from coach.store.store import Store
from tests.coach.store.traces import Traces, patient_with_everything


@pytest.fixture
def data_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """A store on a SQLite file in a data directory (where kept videos go)."""
    data = tmp_path / "data"
    monkeypatch.setenv("COACH_DATA_DIR", str(data))
    monkeypatch.delenv("COACH_UPLOAD_DIR", raising=False)
    monkeypatch.delenv("COACH_VIDEO_DIR", raising=False)
    store = open_store(f"sqlite:///{tmp_path / 'coach.db'}")
    yield store
    store.close()


def _two(store: Store) -> tuple[Traces, Traces]:
    ther = store.create_user("ther.zip", "Dr Zip", "a long secret pw")
    mine = patient_with_everything(store, ther.id, "Ada Archive", "ada.zip")
    other = patient_with_everything(store, ther.id, "Otto Other", "otto.zip")
    return mine, other


def _kept_video(who: Traces) -> Path:
    """The patient's kept video (not the interrupted upload beside it)."""
    return next(
        p
        for p in who.files
        if p.parent == cluster.video_dir()
        and p.suffix == ".mp4"
        and not p.name.startswith("interrupted-")
    )


def _zip(store: Store, patient_id: int) -> zipfile.ZipFile:
    patient = store.patient(patient_id)
    data = b"".join(patient_archive(store, patient))
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None  # every member's CRC checks
    return archive


def test_the_archive_holds_everything_stored_about_the_patient(data_store: Store) -> None:
    store = data_store
    mine, other = _two(store)
    archive = _zip(store, mine.patient_id)
    names = archive.namelist()
    sessions = store.sessions_of(mine.patient_id)
    assert len(sessions) == 3
    for row in sessions:  # each session's exports, in a folder named by its id
        folder = next(n.rsplit("/", 1)[0] for n in names if n.endswith(f"_{row.id}/reps.csv"))
        for part in ("reps.csv", "frames.csv", "session.json"):
            assert f"{folder}/{part}" in names
        reps = list(csv.DictReader(io.StringIO(archive.read(f"{folder}/reps.csv").decode())))
        assert len(reps) == len(row.reps) > 0
        assert json.loads(archive.read(f"{folder}/session.json"))["id"] == row.id

    bundle = json.loads(archive.read("record.fhir.json"))
    validate(bundle)
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"Patient", "CarePlan", "Procedure", "Observation"} <= kinds

    ratings = list(csv.reader(io.StringIO(archive.read("ratings.csv").decode())))
    assert len(ratings) == 1 + 2 and "left knee" in archive.read("ratings.csv").decode()
    checkins = list(csv.DictReader(io.StringIO(archive.read("checkins.csv").decode())))
    assert [(c["sleep"], c["activity_1"]) for c in checkins] == [("4", "Ada Archive's stairs")]
    consent = archive.read("consent.csv").decode().splitlines()
    assert consent[0] == "answer,text_version,answered_at" and consent[1].startswith("given,1,")
    tests = json.loads(archive.read("clinical_tests.json"))
    assert [t["protocol"] for t in tests] == ["chair-stand"]

    videos = [n for n in names if n.startswith("videos/")]
    kept = _kept_video(mine)
    assert len(videos) == 1 and archive.read(videos[0]) == kept.read_bytes()
    assert archive.getinfo(videos[0]).compress_type == zipfile.ZIP_STORED

    readme = archive.read("README.txt").decode()
    assert "Ada Archive" in readme and "3 sessions, 1 kept videos" in readme
    everything = b"".join(archive.read(n) for n in names)
    names_text = everything.decode("utf-8", "replace") + " ".join(names)
    assert b"Otto" not in everything
    assert not [row.id for row in store.sessions_of(other.patient_id) if row.id in names_text]


def test_a_large_video_is_streamed_in_pieces(data_store: Store) -> None:
    store = data_store
    ther = store.create_user("ther.big", "Dr Big", "a long secret pw")
    patient = patient_with_everything(store, ther.id, "Bea Big", "bea.big")
    video = _kept_video(patient)
    big = bytes(range(256)) * (5 * CHUNK // 256)  # 5 MiB
    video.write_bytes(big)
    pieces = list(patient_archive(store, store.patient(patient.patient_id)))
    assert max(len(p) for p in pieces) <= CHUNK + 64 * 1024  # a piece, plus a header or two
    assert len(pieces) >= 5
    archive = zipfile.ZipFile(io.BytesIO(b"".join(pieces)))
    name = next(n for n in archive.namelist() if n.startswith("videos/"))
    assert archive.read(name) == big
