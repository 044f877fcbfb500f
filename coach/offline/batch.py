"""Several videos at once: `coach analyze a.mp4 b.mp4 ...` on every core.

One video's analysis keeps about one core busy (the pose model, single-threaded, with the
decoding beside it), so a batch runs in parallel processes, one per core by default, each
analysing one video at a time with its own model; results come back in the order the
videos were given. Each video's outcome is an `AnalysisResult` or the reason it could not be
analysed, so one bad file does not stop the others.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from coach.errors import EXIT_BAD_INPUT, EXIT_NO_PERSON, NoPersonFound
from coach.offline.analysis import AnalysisResult, analyze_video
from coach.processes import cores, die_with_parent
from scoring.definition import Exercise
from scoring.reference import PersonalReference


@dataclass(frozen=True)
class Failed:
    """Why one video of a batch has no result: `error` is "no_person" or "bad_video"; `status`
    the exit status `coach analyze` gives for it alone."""

    error: str
    message: str
    status: int


Outcome = AnalysisResult | Failed


@dataclass(frozen=True)
class BatchJob:
    """What every video of a batch is analysed with (plain data: it goes to each process)."""

    exercise: Exercise
    pose_model: str = "full"
    reference: PersonalReference | None = None
    limit_deg: float | None = None


def analyse_one(job: BatchJob, path: Path) -> Outcome:
    """One video, in this process, with a model of its own (the guarded default)."""
    from coach.pipeline import guarded
    from pose.estimator import create_model_estimator
    from pose.sources import SourceError

    estimator = guarded(create_model_estimator(job.pose_model))
    try:
        return analyze_video(
            path,
            job.exercise,
            estimator=estimator,
            reference=job.reference,
            limit_deg=job.limit_deg,
        )
    except SourceError as exc:
        return Failed("bad_video", str(exc), EXIT_BAD_INPUT)
    except NoPersonFound as exc:
        return Failed("no_person", str(exc), EXIT_NO_PERSON)
    finally:
        estimator.close()


def default_processes(videos: int) -> int:
    """One process a core, never more than there are videos."""
    return max(1, min(videos, cores()))


def analyse_many(
    job: BatchJob, paths: list[Path], processes: int | None = None
) -> Iterator[tuple[Path, Outcome]]:
    """Each video's outcome, in the order of `paths`, from `processes` processes (default:
    one a core). With one process everything runs here, as `coach analyze` on one video."""
    processes = processes or default_processes(len(paths))
    if processes <= 1 or len(paths) <= 1:
        for path in paths:
            yield path, analyse_one(job, path)
        return
    with ProcessPoolExecutor(
        max_workers=min(processes, len(paths)),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=die_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        futures: list[Future[Outcome]] = [pool.submit(analyse_one, job, p) for p in paths]
        try:
            for path, future in zip(paths, futures, strict=True):
                yield path, future.result()
        finally:
            for future in futures:
                future.cancel()
