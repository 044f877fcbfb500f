"""Writing exercise sessions as they happen, so a crash loses at most the rep in progress.

`SessionWriter` is an event sink (coach.sinks): fed the engine's events (as JSON,
`scoring.events.to_json`, the live protocol's shape) and per-frame poses. Each completed rep,
hold and fault is committed at once; frames are buffered and committed as a compressed chunk
about every second (see frames.py). Used directly by `coach analyze --save` and video
uploads, and from the live server through `LiveRecorder`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from coach.sinks import NO_INFO, FrameInfo
from coach.store.frames import encode_chunk
from coach.store.models import ExerciseSession, Fault, FrameChunk, Hold, Rep
from scoring.events import REP_FIELDS

log = logging.getLogger(__name__)

SessionFactory = sessionmaker[Session]
# A rep's fields (scoring.events) with a column of their own; its other numbers go to `extra`.
_REP_COLUMNS = frozenset(name for name in REP_FIELDS if name in Rep.__table__.columns)


def _num(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _profile(value: Any) -> dict[str, float] | None:
    """A rep's features (scoring.reference), finite numbers only; None when there are none."""
    if not isinstance(value, dict):
        return None
    out = {str(k): f for k, v in value.items() if (f := _num(v)) is not None}
    return out or None


# A jump's landing (scoring.modes.jump) is kept in the rep's `extra`, each number prefixed.
LANDING_PREFIX = "landing_"


def landing_extra(landing: Any) -> dict[str, float]:
    """A rep's landing numbers as `extra` entries ("landing_flight_s": 0.6, ...)."""
    if not isinstance(landing, dict):
        return {}
    return {f"{LANDING_PREFIX}{k}": f for k, v in landing.items() if (f := _num(v)) is not None}


def stored_landing(extra: Any) -> dict[str, float]:
    """The landing numbers back from a stored rep's `extra` (empty for other exercises)."""
    if not isinstance(extra, dict):
        return {}
    n = len(LANDING_PREFIX)
    return {k[n:]: v for k, v in extra.items() if k.startswith(LANDING_PREFIX)}


def stored_measure_names(exercise: Any) -> list[str]:
    """The measures kept per frame: those the exercise names, each as the engine reports it
    (scoring.reported: a joint angle only from a view that can measure it)."""
    return list(exercise.measures_named())


class SessionWriter:
    """One session's rows. Not thread-safe: call it from one thread (or one event loop)."""

    def __init__(
        self,
        factory: SessionFactory,
        session_id: str,
        *,
        exercise: Any,
        patient_id: int | None,
        source: str,
        video_name: str | None = None,
        chunk_s: float = 1.0,
    ) -> None:
        self._factory = factory
        self.id = session_id
        self.exercise = exercise
        self.patient_id = patient_id
        self.source = source
        self.video_name = video_name
        self.chunk_s = chunk_s
        self.measure_names = stored_measure_names(exercise)
        self.t_offset = 0.0  # a session resumed after a restart continues its own clock
        self._seq = 0
        self._aspect = 1.0
        self._t: list[float] = []
        self._lm: list[np.ndarray] = []
        self._values: list[Mapping[str, float] | None] = []
        self.last_t = 0.0
        self.reps_written = 0

    # ---- lifecycle ---------------------------------------------------------------------
    def start(self, image_size: tuple[int, int] | None = None, fps: float | None = None) -> None:
        """Create the session row, or reopen it (same id after a server restart)."""
        with self._factory.begin() as db:
            row = db.get(ExerciseSession, self.id)
            if row is None:
                db.add(
                    ExerciseSession(
                        id=self.id,
                        patient_id=self.patient_id,
                        exercise_id=self.exercise.id,
                        source=self.source,
                        status="recording",
                        video_name=self.video_name,
                        fps=fps,
                        image_w=image_size[0] if image_size else None,
                        image_h=image_size[1] if image_size else None,
                    )
                )
            else:
                row.status = "recording"
                row.ended_at = None
                self.t_offset = row.duration_s or 0.0
                last = db.scalar(
                    select(func.max(FrameChunk.seq)).where(FrameChunk.session_id == self.id)
                )
                self._seq = 0 if last is None else last + 1
                self.reps_written = len(row.reps)
        if image_size:
            self.set_image_size(image_size)

    def set_image_size(self, image_size: tuple[int, int]) -> None:
        w, h = image_size
        if w > 0 and h > 0:
            self._aspect = w / h

    def set_status(self, status: str, summary: dict[str, Any] | None = None) -> None:
        """ "paused" when the patient's page went away (it may come back), "recording" again
        when it does; frames so far are flushed first. `summary`: the session's summary so
        far (a targets session's, so one the patient never ends still shows its targets)."""
        self.flush_frames()
        values: dict[str, Any] = {
            "status": status,
            "duration_s": round(self.t_offset + self.last_t, 3),
        }
        if summary is not None:
            values["summary"] = summary
        with self._factory.begin() as db:
            db.execute(update(ExerciseSession).where(ExerciseSession.id == self.id).values(values))

    def finish(self, status: str = "completed", summary: dict[str, Any] | None = None) -> None:
        self.flush_frames()
        with self._factory.begin() as db:
            values: dict[str, Any] = {
                "status": status,
                "ended_at": datetime.now(timezone.utc),
                "duration_s": round(self.t_offset + self.last_t, 3),
            }
            if summary is not None:
                values["summary"] = summary
            db.execute(update(ExerciseSession).where(ExerciseSession.id == self.id).values(values))

    # ---- events ------------------------------------------------------------------------
    def event(self, event: dict[str, Any]) -> None:
        kind = event.get("kind")
        off = self.t_offset
        if kind == "RepCompleted":
            extra = {
                k: v
                for k, v in event.items()
                if k not in _REP_COLUMNS and k not in ("kind", "t") and _num(v) is not None
            }
            extra |= landing_extra(event.get("landing"))
            rep = Rep(
                session_id=self.id,
                index=int(event.get("index") or self.reps_written + 1),
                side=str(event.get("side") or ""),
                start_s=(_num(event.get("start_s")) or 0.0) + off,
                end_s=(_num(event.get("end_s")) or 0.0) + off,
                rom_deg=_num(event.get("rom_deg")),
                peak_deg=_num(event.get("peak_deg")),
                score=_num(event.get("score")),
                faults=list(event.get("faults") or []),
                extra=extra,
                profile=_profile(event.get("profile")),
                over_limit=event.get("over_limit") is True,
                confidence=_num(event.get("confidence")),
                confidence_reason=str(event.get("confidence_reason") or "")[:20],
                limit_check=str(event.get("limit_check") or "")[:12],
            )
            self._commit(rep, duration=rep.end_s)
            self.reps_written += 1
        elif kind == "HoldEnded":
            hold = Hold(
                session_id=self.id,
                start_s=(_num(event.get("start_s")) or 0.0) + off,
                end_s=(_num(event.get("end_s")) or 0.0) + off,
                duration_s=_num(event.get("duration_s")) or 0.0,
                sway=_num(event.get("sway")),
                touch_downs=int(event.get("touch_downs") or 0),
            )
            self._commit(hold, duration=hold.end_s)
        elif kind == "FaultDetected":
            rep_index = event.get("rep")
            fault = Fault(
                session_id=self.id,
                fault_id=str(event.get("id") or ""),
                t_s=(_num(event.get("t")) or 0.0) + off,
                rep=int(rep_index) if rep_index is not None else None,
                message=str(event.get("message") or ""),
            )
            self._commit(fault, duration=fault.t_s)

    def _commit(self, row: Any, duration: float) -> None:
        with self._factory.begin() as db:
            db.add(row)
            db.execute(
                update(ExerciseSession)
                .where(ExerciseSession.id == self.id, ExerciseSession.duration_s < duration)
                .values(duration_s=round(duration, 3))
            )

    # ---- frames ------------------------------------------------------------------------
    def frame(self, t: float, landmarks: np.ndarray | None, info: FrameInfo = NO_INFO) -> None:
        """Buffer one frame's pose ((33, 4) x, y, z, visibility, or None: no person) and its
        measures as the engine reported them (`info.measures`; none given: not measured)."""
        if info.image_size:
            self.set_image_size(info.image_size)
        row = np.full((33, 4), np.nan, np.float32) if landmarks is None else landmarks
        self._t.append(float(t))
        self._lm.append(np.asarray(row, np.float32))
        self._values.append(info.measures)
        self.last_t = float(t)
        if self._t[-1] - self._t[0] >= self.chunk_s:
            self.flush_frames()

    def close(self) -> None:
        """Commit the frames buffered so far (`finish` ends the session)."""
        self.flush_frames()

    def flush_frames(self) -> None:
        if not self._t:
            return
        t = np.asarray(self._t) + self.t_offset
        lm = np.stack(self._lm)
        # The engine's own values (scoring.reported): the store never measures again, so a
        # rep's peak is the largest stored value within it.
        measures = {
            name: np.array(
                [np.nan if v is None else v.get(name, np.nan) for v in self._values], np.float64
            )
            for name in self.measure_names
        }
        data = encode_chunk(t, lm, measures)
        chunk = FrameChunk(
            session_id=self.id,
            seq=self._seq,
            t_start=float(t[0]),
            t_end=float(t[-1]),
            frames=len(t),
            data=data,
        )
        self._t, self._lm, self._values = [], [], []
        self._seq += 1
        self._commit(chunk, duration=float(t[-1]))


def mark_interrupted(factory: SessionFactory, keep: Callable[[str], bool] | None = None) -> int:
    """Sessions left "recording" by a crash become "interrupted" (their reps stay); those whose
    patient had left ("paused") when the server stopped are simply "completed". Sessions
    `keep(id)` are left as they are (another process of the server has them)."""
    with factory.begin() as db:
        stale: dict[str, list[str]] = {"recording": [], "paused": []}
        rows = db.execute(
            select(ExerciseSession.id, ExerciseSession.status).where(
                ExerciseSession.status.in_(tuple(stale))
            )
        )
        for sid, status in rows:
            if keep is None or not keep(sid):
                stale[status].append(sid)
        for status, new in (("paused", "completed"), ("recording", "interrupted")):
            if stale[status]:
                db.execute(
                    update(ExerciseSession)
                    .where(ExerciseSession.id.in_(stale[status]))
                    .values(status=new)
                )
    return len(stale["recording"])
