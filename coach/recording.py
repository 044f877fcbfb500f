"""Analyse a video into the store: the session is written while the analysis runs.

Shared by `coach analyze --save` and the therapist's video upload (a background job).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from coach.analysis import AnalysisResult, NoPersonFound, analyze_video
from coach.store import Store


def record_video(
    store: Store,
    path: str | Path,
    exercise: Any,
    *,
    patient_id: int | None,
    source: str = "analyze",
    video_name: str | None = None,
    session_id: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[str, AnalysisResult]:
    """Analyse `path` and store it as a session; returns (session id, result).

    Raises what `analyze_video` raises (SourceError, NoPersonFound); the session row then
    stays with status "failed" and the reason, so the therapist sees what happened.
    """
    from pose.sources import VideoFileSource

    with VideoFileSource(path) as probe:
        info = probe.info
    session_id = session_id or store.new_session_id()
    writer = store.writer(
        session_id,
        exercise,
        patient_id=patient_id,
        source=source,
        video_name=video_name or Path(path).name,
    )
    writer.start((info.width, info.height), info.fps)
    try:
        result = analyze_video(path, exercise, progress=progress, sink=writer)
    except NoPersonFound as exc:
        writer.finish("failed", {"error": "no_person", "message": str(exc)})
        raise
    except BaseException as exc:
        writer.finish("failed", {"error": type(exc).__name__, "message": str(exc)})
        raise
    writer.finish("completed", result.to_json())
    return session_id, result


def record_landmarks(
    store: Store,
    landmarks: Any,
    fps: float,
    image_size: tuple[int, int],
    exercise: Any,
    *,
    patient_id: int | None,
    source: str = "analyze",
    name: str | None = None,
) -> tuple[str, Any]:
    """Score an already-estimated (T, 33, 4) landmark track into the store, as if analysed."""
    from coach.analysis import landmarks_track, score_track

    session_id = store.new_session_id()
    writer = store.writer(
        session_id, exercise, patient_id=patient_id, source=source, video_name=name
    )
    writer.start(image_size, fps)
    engine = score_track(
        exercise, landmarks_track(landmarks, fps, image_size), image_size, sink=writer
    )
    writer.finish("completed", {"rep_count": len(engine.reps)})
    return session_id, engine
