"""The Store's exercise sessions: a writer for a new one (records.py), reading them back with
their reps, holds, faults and frames, and removing a partial one."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import delete, desc, select
from sqlalchemy.orm import selectinload

from coach.store.frames import join_chunks
from coach.store.models import ExerciseSession, FrameChunk
from coach.store.part import StorePart
from coach.store.records import SessionWriter


@dataclass
class SessionFrames:
    t: np.ndarray
    landmarks: np.ndarray
    measures: dict[str, np.ndarray]


def new_session_id() -> str:
    """A fresh session id: 12 URL-safe characters, never a leading "-" (a command line reads
    `--session -Uc...` as an option, and one id in 64 would start so)."""
    while True:
        candidate = secrets.token_urlsafe(9)
        if not candidate.startswith("-"):
            return candidate


class SessionStore(StorePart):
    def writer(
        self,
        session_id: str,
        exercise: Any,
        *,
        patient_id: int | None,
        source: str,
        video_name: str | None = None,
    ) -> SessionWriter:
        return SessionWriter(
            self.factory,
            session_id,
            exercise=exercise,
            patient_id=patient_id,
            source=source,
            video_name=video_name,
        )

    def new_session_id(self) -> str:
        return new_session_id()

    def sessions_of(self, patient_id: int, limit: int | None = None) -> list[ExerciseSession]:
        with self.factory() as db:
            q = (
                select(ExerciseSession)
                .where(ExerciseSession.patient_id == patient_id)
                .order_by(desc(ExerciseSession.started_at))
                .options(selectinload(ExerciseSession.reps), selectinload(ExerciseSession.holds))
            )
            if limit:
                q = q.limit(limit)
            return list(db.scalars(q))

    def session(self, session_id: str) -> ExerciseSession | None:
        with self.factory() as db:
            return db.get(
                ExerciseSession,
                session_id,
                options=[
                    selectinload(ExerciseSession.reps),
                    selectinload(ExerciseSession.holds),
                    selectinload(ExerciseSession.faults),
                ],
            )

    def session_frames(self, session_id: str) -> SessionFrames:
        with self.factory() as db:
            q = select(FrameChunk.data).where(FrameChunk.session_id == session_id)
            chunks = list(db.scalars(q.order_by(FrameChunk.seq)))
        t, lm, measures = join_chunks(chunks)
        return SessionFrames(t, lm, measures)

    def set_session_video(self, session_id: str, path: str) -> None:
        with self.factory.begin() as db:
            row = db.get(ExerciseSession, session_id)
            if row is not None:
                row.video_path = path

    def discard_session(self, session_id: str) -> bool:
        """Delete a session and all its rows (a partial one, before its job is run again)."""
        with self.factory.begin() as db:
            row = db.get(ExerciseSession, session_id)
            if row is None:
                return False
            db.execute(delete(FrameChunk).where(FrameChunk.session_id == session_id))
            db.delete(row)  # reps, holds and faults go with it (cascade)
        return True
