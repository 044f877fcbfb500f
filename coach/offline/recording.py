"""Analyse a video into the store: the session is written while the analysis runs.

Shared by `coach analyze --save` and the therapist's video upload (a background job).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from coach.errors import NoPersonFound
from coach.offline.analysis import AnalysisResult, analyze_video
from coach.sinks import EventSink, Sinks
from coach.store import Store
from pose.estimator import PoseEstimator
from scoring.reference import PersonalReference


def patient_reference(
    store: Store, patient_id: int | None, exercise: Any, reference: PersonalReference | None
) -> PersonalReference | None:
    """The reference to judge a session by: the one given, else the patient's stored one for
    this exercise (none for an anonymous session)."""
    if reference is not None or patient_id is None:
        return reference
    return store.reference(patient_id, exercise.id)


def patient_limit(
    store: Store, patient_id: int | None, exercise: Any, limit_deg: float | None
) -> float | None:
    """The range limit to judge a session by: the one given, else the limit the patient's
    program prescribes for this exercise (none for an anonymous session or no limit)."""
    if limit_deg is not None or patient_id is None:
        return limit_deg
    for item in store.program(patient_id):
        if item.exercise_id == exercise.id and item.max_rom_deg is not None:
            return float(item.max_rom_deg)
    return None


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
    reference: PersonalReference | None = None,
    estimator: PoseEstimator | None = None,
    limit_deg: float | None = None,
    sink: EventSink | None = None,
) -> tuple[str, AnalysisResult]:
    """Analyse `path` and store it as a session; returns (session id, result). `sink` gets
    every frame and event too (`coach analyze --save --frames`).

    Each rep is judged against `reference`, or, without one, against the patient's stored
    reference for the exercise (see `patient_reference`); and against `limit_deg`, or without
    one, the range limit of the patient's program for the exercise (`patient_limit`).

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
    reference = patient_reference(store, patient_id, exercise, reference)
    limit_deg = patient_limit(store, patient_id, exercise, limit_deg)
    writer.start((info.width, info.height), info.fps)
    try:
        result = analyze_video(
            path,
            exercise,
            estimator=estimator,
            progress=progress,
            sink=Sinks([writer, sink]) if sink is not None else writer,
            reference=reference,
            limit_deg=limit_deg,
        )
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
    reference: PersonalReference | None = None,
    limit_deg: float | None = None,
    world: Any = None,
) -> tuple[str, Any]:
    """Score an already-estimated (T, 33, 4) landmark track into the store, as if analysed
    (with the patient's reference and range limit, as `record_video`; with the track's
    (T, 33, 3) `world` landmarks when it has them: the reported angle needs them to know the
    movement's plane faces the camera)."""
    from coach.offline.analysis import landmarks_track, score_track

    session_id = store.new_session_id()
    writer = store.writer(
        session_id, exercise, patient_id=patient_id, source=source, video_name=name
    )
    reference = patient_reference(store, patient_id, exercise, reference)
    limit_deg = patient_limit(store, patient_id, exercise, limit_deg)
    writer.start(image_size, fps)
    engine = score_track(
        exercise,
        landmarks_track(landmarks, fps, image_size, world),
        image_size,
        sink=writer,
        reference=reference,
        limit_deg=limit_deg,
    )
    writer.finish("completed", {"rep_count": len(engine.reps)})
    return session_id, engine
