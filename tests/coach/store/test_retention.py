"""Retention on SQLite and PostgreSQL: per-frame poses and kept videos older than the setting
go, the sessions and their per-rep results stay, a dry run deletes nothing, and the settings
are read as days or refused in words."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest

from coach.store import cluster
from coach.store.models import utcnow
from coach.store.retention import PeriodicRetention, RetentionError, RetentionPolicy
from coach.store.store import Store
from tests.coach.store.traces import aged_session


@pytest.fixture
def patient(any_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("COACH_VIDEO_DIR", raising=False)
    ther = any_store.create_user("ther.ret", "Dr Ret", "a long secret pw")
    return any_store.create_patient(ther.id, "Ruth Retained").id


def test_old_frames_and_videos_go_and_the_reps_stay(any_store: Store, patient: int) -> None:
    store = any_store
    old = aged_session(store, patient, days_ago=40, video=True)
    older_video = aged_session(store, patient, days_ago=100, video=True)
    recent = aged_session(store, patient, days_ago=5, video=True)
    stray = cluster.video_dir() / "interrupted-job123.keep.mp4"
    stray.write_bytes(b"\x00" * 10)
    policy = RetentionPolicy(frames_days=30, videos_days=90)

    due = store.retention_due(policy)  # a dry run: what would go, nothing changes
    assert [d.session_id for d in due.frames] == [older_video, old]
    assert all(d.size_bytes > 0 for d in due.frames)
    assert [d.session_id for d in due.videos] == [older_video]  # the stray file is too new
    assert (
        len(store.session_frames(old).t) == 60
        and Path(store.session(older_video).video_path).exists()
    )
    assert "would remove the per-frame poses of 2 sessions" in due.lines(dry_run=True)[-1]

    done = store.apply_retention(policy)
    assert [d.session_id for d in done.frames] == [older_video, old] and not done.failed
    for sid in (old, older_video):
        row = store.session(sid)
        assert len(store.session_frames(sid).t) == 0 and len(row.reps) == 2
        assert row.frames_removed_after_days == 30
    gone = store.session(older_video)
    assert gone.video_path is None and gone.video_removed_after_days == 90
    assert not (cluster.video_dir() / f"{older_video}.mp4").exists()
    kept = store.session(old)  # 40 days: its video is within the 90
    assert kept.video_path is not None and kept.video_removed_after_days is None
    fresh = store.session(recent)
    assert len(store.session_frames(recent).t) == 60 and fresh.frames_removed_after_days is None
    assert store.retention_due(policy).frames == []  # done once: nothing left to do

    with_stray = store.apply_retention(policy, now=utcnow() + timedelta(days=91))
    assert stray not in [d.path for d in store.retention_due(policy).videos]
    assert not stray.exists() and len(with_stray.videos) == 3  # two sessions' and the stray


def test_the_settings_are_days_per_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not RetentionPolicy.from_env({}).active
    assert RetentionPolicy.from_env({"COACH_RETENTION_DAYS": "30"}) == RetentionPolicy(30, 30)
    both_and_one = {"COACH_RETENTION_DAYS": "30", "COACH_RETENTION_VIDEOS_DAYS": "7"}
    assert RetentionPolicy.from_env(both_and_one) == RetentionPolicy(30, 7)
    assert RetentionPolicy.from_env({"COACH_RETENTION_FRAMES_DAYS": " 14 "}) == RetentionPolicy(14)
    for bad in ("0", "-3", "two weeks", "1.5"):
        with pytest.raises(RetentionError, match="COACH_RETENTION_DAYS"):
            RetentionPolicy.from_env({"COACH_RETENTION_DAYS": bad})
    words = RetentionPolicy(30, None).words()
    assert words == "per-frame poses deleted after 30 days, kept videos kept"


def test_the_periodic_run_applies_it_at_start_then_on_its_timer(
    any_store: Store, patient: int
) -> None:
    old = aged_session(any_store, patient, days_ago=40)
    periodic = PeriodicRetention(any_store, RetentionPolicy(frames_days=30), every_s=0.2).start()
    try:
        deadline = time.monotonic() + 30
        while periodic.runs < 3:  # ran at start, then again on its timer
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        periodic.stop()
    assert any_store.session(old).frames_removed_after_days == 30
