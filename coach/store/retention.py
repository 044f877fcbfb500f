"""Retention: per-frame poses and kept videos are deleted N days after their session started;
the session, its reps, holds, faults and ratings stay (the per-rep results are the record).

Set by `COACH_RETENTION_DAYS` (both kinds), or per kind `COACH_RETENTION_FRAMES_DAYS` and
`COACH_RETENTION_VIDEOS_DAYS` (which win); unset: everything is kept, as before. Run by
`coach admin retention [--dry-run]`, and every hour by the server (one machine) or by each
`coach worker` (a cluster), through `PeriodicRetention`. A session whose frames or video went
says so (`frames_removed_after_days`, `video_removed_after_days`) and its page says
"per-frame data removed after N days (retention)" instead of an empty chart.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, exists, func, select, update

from coach.store import cluster
from coach.store.audit import AuditEvent
from coach.store.erasure import INTERRUPTED
from coach.store.models import ExerciseSession, FrameChunk, aware, utcnow
from coach.store.part import StorePart

log = logging.getLogger(__name__)

ENV_BOTH = "COACH_RETENTION_DAYS"
ENV_FRAMES = "COACH_RETENTION_FRAMES_DAYS"
ENV_VIDEOS = "COACH_RETENTION_VIDEOS_DAYS"
EVERY_S = 3600.0  # how often the server and the workers apply it


class RetentionError(ValueError):
    """A retention setting that is not a number of days (the message says which)."""


def _days(env: Mapping[str, str], name: str) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        days = int(raw)
    except ValueError:
        raise RetentionError(f"{name} must be a whole number of days, not {raw!r}") from None
    if days < 1:
        raise RetentionError(f"{name} must be at least 1 day (got {days})")
    return days


@dataclass(frozen=True)
class RetentionPolicy:
    """After how many days per-frame poses and kept videos go (None: kept)."""

    frames_days: int | None = None
    videos_days: int | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RetentionPolicy:
        env = os.environ if env is None else env
        both = _days(env, ENV_BOTH)
        frames, videos = _days(env, ENV_FRAMES), _days(env, ENV_VIDEOS)
        return cls(frames if frames is not None else both, videos if videos is not None else both)

    @property
    def active(self) -> bool:
        return self.frames_days is not None or self.videos_days is not None

    def words(self) -> str:
        def one(what: str, days: int | None) -> str:
            return f"{what} kept" if days is None else f"{what} deleted after {days} days"

        return f"{one('per-frame poses', self.frames_days)}, {one('kept videos', self.videos_days)}"


@dataclass(frozen=True)
class Due:
    """One thing retention removes: a session's per-frame poses or a kept video."""

    session_id: str | None  # None: a video no session names (an interrupted upload's)
    started_at: datetime | None
    size_bytes: int
    path: Path | None = None  # a video's file


@dataclass
class RetentionRun:
    """What a run removed (or, dry, would remove)."""

    policy: RetentionPolicy
    frames: list[Due] = field(default_factory=list)
    videos: list[Due] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # videos that could not be deleted, why

    def lines(self, dry_run: bool) -> list[str]:
        """What went (would go), in words, with the totals."""
        verb = "would remove" if dry_run else "removed"
        out = []
        for due in self.frames:
            out.append(
                f"{verb} the per-frame poses of session {due.session_id} "
                f"({_when(due.started_at)}, {_mb(due.size_bytes)})"
            )
        for due in self.videos:
            whose = f"session {due.session_id}" if due.session_id else "no session"
            out.append(f"{verb} kept video {due.path} ({whose}, {_mb(due.size_bytes)})")
        out.append(self.total(dry_run))
        return out + [f"could not delete {why}" for why in self.failed]

    def short(self) -> str:
        """What went, in a few words (the audit trail's subject)."""
        return f"frames of {len(self.frames)} sessions, {len(self.videos)} videos"

    def total(self, dry_run: bool) -> str:
        verb = "would remove" if dry_run else "removed"
        sessions, videos = len(self.frames), len(self.videos)
        return (
            f"{verb} the per-frame poses of {sessions} session{'' if sessions == 1 else 's'} "
            f"({_mb(sum(d.size_bytes for d in self.frames))}) and {videos} kept "
            f"video{'' if videos == 1 else 's'} ({_mb(sum(d.size_bytes for d in self.videos))})"
        )


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def _when(at: datetime | None) -> str:
    return f"started {aware(at):%Y-%m-%d}" if at is not None else "date unknown"


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


class RetentionStore(StorePart):
    def retention_due(self, policy: RetentionPolicy, now: datetime | None = None) -> RetentionRun:
        """What `apply_retention` would remove now; nothing changes."""
        now = now or utcnow()
        run = RetentionRun(policy)
        if policy.frames_days is not None:
            run.frames = self._frames_due(now - timedelta(days=policy.frames_days))
        if policy.videos_days is not None:
            cutoff = now - timedelta(days=policy.videos_days)
            run.videos = self._videos_due(cutoff) + _stray_videos(cutoff)
        return run

    def apply_retention(self, policy: RetentionPolicy, now: datetime | None = None) -> RetentionRun:
        """Delete what is older than the policy's days: each session's frames in a transaction
        of its own (the session marked with the days), each video file, then its mark."""
        run = self.retention_due(policy, now)
        for due in run.frames:
            with self.factory.begin() as db:
                db.execute(delete(FrameChunk).where(FrameChunk.session_id == due.session_id))
                db.execute(
                    update(ExerciseSession)
                    .where(ExerciseSession.id == due.session_id)
                    .values(frames_removed_after_days=policy.frames_days)
                )
        removed = []
        for due in run.videos:
            assert due.path is not None
            try:
                due.path.unlink(missing_ok=True)
            except OSError as exc:  # kept in the record: tried again at the next run
                run.failed.append(f"{due.path}: {exc.strerror or exc}")
                continue
            removed.append(due)
            if due.session_id is not None:
                with self.factory.begin() as db:
                    db.execute(
                        update(ExerciseSession)
                        .where(ExerciseSession.id == due.session_id)
                        .values(video_path=None, video_removed_after_days=policy.videos_days)
                    )
        run.videos = removed
        return run

    def _frames_due(self, cutoff: datetime) -> list[Due]:
        has_frames = exists().where(FrameChunk.session_id == ExerciseSession.id)
        size = (
            select(func.coalesce(func.sum(func.length(FrameChunk.data)), 0))
            .where(FrameChunk.session_id == ExerciseSession.id)
            .scalar_subquery()
        )
        q = (
            select(ExerciseSession.id, ExerciseSession.started_at, size)
            .where(
                ExerciseSession.started_at < cutoff,
                ExerciseSession.status != "recording",
                has_frames,
            )
            .order_by(ExerciseSession.started_at)
        )
        with self.factory() as db:
            return [Due(sid, started, int(n or 0)) for sid, started, n in db.execute(q)]

    def _videos_due(self, cutoff: datetime) -> list[Due]:
        q = (
            select(ExerciseSession.id, ExerciseSession.started_at, ExerciseSession.video_path)
            .where(ExerciseSession.started_at < cutoff, ExerciseSession.video_path.is_not(None))
            .order_by(ExerciseSession.started_at)
        )
        with self.factory() as db:
            rows = list(db.execute(q))
        return [Due(sid, started, _size(Path(p)), Path(p)) for sid, started, p in rows if p]


def _stray_videos(cutoff: datetime) -> list[Due]:
    """Kept videos of uploads a crash interrupted (`videos/interrupted-*`, in no session),
    last written before `cutoff`."""
    folder = cluster.video_dir()
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob(f"{INTERRUPTED}*")):
        try:
            mtime = path.stat().st_mtime
        except OSError:
            continue
        if path.is_file() and mtime < cutoff.timestamp():
            out.append(Due(None, None, _size(path), path))
    return out


class PeriodicRetention:
    """Applies a retention policy at start and then every `every_s` seconds on a thread of
    its own (the web server's lifespan, a `coach worker`); a failed run is logged and tried
    again next time."""

    def __init__(
        self,
        store: RetentionStore,
        policy: RetentionPolicy,
        every_s: float = EVERY_S,
        *,
        audit: Callable[[AuditEvent], object] | None = None,
    ):
        self.store = store
        self.policy = policy
        self.every_s = every_s
        self.audit = audit  # a run that removed something leaves an entry (coach.store.audit)
        self.runs = 0  # finished runs (tests wait on it)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="coach-retention", daemon=True)

    def start(self) -> PeriodicRetention:
        log.info("retention: %s, checked every %.0f s", self.policy.words(), self.every_s)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _audit(self, run: RetentionRun) -> None:
        if self.audit is not None:
            outcome = "failed" if run.failed else "ok"
            event = AuditEvent("retention.apply", "system", outcome, "local", subject=run.short())
            self.audit(event)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                run = self.store.apply_retention(self.policy)
                if run.frames or run.videos or run.failed:
                    log.warning("retention: %s", run.total(dry_run=False))
                    self._audit(run)
                for why in run.failed:
                    log.error("retention: could not delete %s", why)
            except Exception:
                log.exception("retention run failed; tried again in %.0f s", self.every_s)
            self.runs += 1
            self._stop.wait(self.every_s)
