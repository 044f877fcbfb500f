"""`coach analyze VIDEO --exercise ID`: reps, holds and faults of a recorded video.

`--json` prints the stable contract (docs/ARCHITECTURE.md); `--save` stores the session as it
runs; `--reference` compares every rep with a patient's exported good reps. Several videos
are analysed in parallel processes, one a core (`--jobs`; coach/offline/batch.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coach.cli.common import (
    add_model_option,
    audit_cli,
    fail,
    model_estimator,
    patient_to_record,
    positive_int,
    resolve_exercise,
    store_or_usage_error,
    video_path,
)
from coach.errors import EXIT_NO_PERSON, EXIT_OK, NoPersonFound, UsageError
from coach.i18n import LANGUAGES, reader
from coach.offline.analysis import analyze_video, progress_bar
from coach.offline.batch import BatchJob, Failed, analyse_many
from coach.offline.frames import FrameTable
from coach.offline.report import format_summary
from pose.sources import SourceError
from scoring.engine import check_limit
from scoring.reference import PersonalReference

if TYPE_CHECKING:
    from coach.store import Store


def limit_option(raw: str | None) -> float | None:
    """`--limit-deg`: a number of degrees from 0 to 180, else a UsageError (nothing runs)."""
    if raw is None:
        return None
    try:
        limit = float(raw)
        check_limit(limit)
    except ValueError as exc:
        reason = str(exc) if "between" in str(exc) else f"not a number: {raw!r}"
        raise UsageError(f"--limit-deg: {reason}") from None
    return limit


def run(args: argparse.Namespace) -> int:
    limit_deg = limit_option(args.limit_deg)
    exercise = resolve_exercise(args.exercise)
    if len(args.video) > 1:
        paths = [video_path(v) for v in args.video]
        reference = _reference_option(args.reference, exercise)
        return run_batch(args, paths, exercise, reference, limit_deg)
    frames = _frames_table(args.frames, exercise)  # refused before the video is opened
    path = video_path(args.video[0])
    if args.save and args.annotate:
        raise UsageError("--save and --annotate can't be combined; run twice")
    reference = _reference_option(args.reference, exercise)
    make_estimator = model_estimator(args.model)  # refuses a missing model before the work
    progress = None if args.quiet else progress_bar()
    store = None
    estimator = make_estimator()
    try:
        if args.save:
            store = store_or_usage_error()
            result = _save(store, args, path, exercise, estimator, progress, reference, frames)
        else:
            result = analyze_video(
                path,
                exercise,
                estimator=estimator,
                annotate=args.annotate,
                progress=progress,
                reference=reference,
                limit_deg=limit_deg,
                sink=frames,
            )
    except SourceError as exc:
        raise UsageError(str(exc)) from None
    except NoPersonFound as exc:
        if args.json:
            print(json.dumps({"exercise": exercise.id, "error": "no_person", "message": str(exc)}))
        return fail(f"{exc}: check that the person is in view and well lit", EXIT_NO_PERSON)
    finally:
        if store is not None:
            store.close()
        if estimator is not None:
            estimator.close()
    if frames is not None:
        frames.close()
        print(f"coach: per-frame measures written to {frames.path}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_json(), indent=None if args.compact else 2))
    else:
        print(format_summary(result, exercise, reader(args.lang)))
    return EXIT_OK


def _save(
    store: Store,
    args: argparse.Namespace,
    path: Path,
    exercise: Any,
    estimator: Any,
    progress: Any,
    reference: PersonalReference | None,
    frames: FrameTable | None,
) -> Any:
    """`--save`: the analysis recorded as a session of `--patient` (who must have consented)."""
    from coach.offline.recording import record_video  # the database layer, only here

    if args.patient is not None:
        patient_to_record(store, args.patient)
    session_id, result = record_video(
        store,
        path,
        exercise,
        patient_id=args.patient,
        progress=progress,
        reference=reference,  # None: the patient's own, if they have one
        estimator=estimator,
        limit_deg=limit_option(args.limit_deg),  # None: the patient's prescribed limit, if any
        sink=frames,
    )
    if args.patient is not None:  # a patient's new session is an audit entry
        audit_cli(store, "session.record", patient_id=args.patient, session_id=session_id)
    print(f"coach: saved as session {session_id}", file=sys.stderr)
    return result


def _reference_option(raw: str | None, exercise: Any) -> PersonalReference | None:
    """`--reference FILE.json`: a patient's exported reference, else a UsageError."""
    if raw is None:
        return None
    from coach.review.references import BadReferenceFile, read_reference_file

    try:
        return read_reference_file(raw, exercise)
    except BadReferenceFile as exc:
        raise UsageError(str(exc)) from None


def _frames_table(raw: str | None, exercise: Any) -> FrameTable | None:
    """`--frames OUT.csv`: the sink that writes each frame's measures (its folder checked
    before the work)."""
    if raw is None:
        return None
    path = Path(raw)
    if not path.parent.is_dir():
        raise UsageError(f"--frames: no folder {str(path.parent)!r} to write {path.name} in")
    return FrameTable(path, exercise.measures_named())


def run_batch(
    args: argparse.Namespace,
    paths: list[Path],
    exercise: Any,
    reference: PersonalReference | None,
    limit_deg: float | None,
) -> int:
    """Several videos on every core: each one's summary (or JSON object, with its `video`)
    in the order given; the exit status of the first that failed, else 0."""
    if args.save or args.annotate or args.frames:
        raise UsageError("--save, --annotate and --frames take one video; run once per video")
    model_estimator(args.model)  # refuses a missing model before the work
    job = BatchJob(exercise, args.model, reference, limit_deg)
    status, items = EXIT_OK, []
    for done, (path, outcome) in enumerate(analyse_many(job, paths, args.jobs), start=1):
        if isinstance(outcome, Failed):
            fail(f"{path}: {outcome.message}", outcome.status)
            status = status or outcome.status
            item = {"exercise": exercise.id, "error": outcome.error, "message": outcome.message}
        else:
            item = outcome.to_json()
        if not args.quiet:
            print(f"coach: analysed {done} of {len(paths)}: {path}", file=sys.stderr, flush=True)
        if args.json:
            items.append({"video": str(path), **item})
        elif not isinstance(outcome, Failed):
            summary = format_summary(outcome, exercise, reader(args.lang))
            print(f"== {path}\n{summary}\n", flush=True)
    if args.json:
        print(json.dumps(items, indent=None if args.compact else 2))
    return status


def add_parser(sub: Any) -> None:
    a = sub.add_parser("analyze", help="score recorded videos: reps, holds, faults")
    a.add_argument(
        "video",
        nargs="+",
        help="video file (mp4, mov, avi, ...); several are analysed in parallel (--json: an "
        'array of the one-video objects, each with its "video")',
    )
    a.add_argument(
        "--jobs",
        "-j",
        type=positive_int,
        metavar="N",
        help="with several videos: processes at once (default: one a CPU core)",
    )
    a.add_argument("--exercise", "-e", required=True, help="exercise id or definition file (.toml)")
    a.add_argument("--json", action="store_true", help="print the result as JSON")
    a.add_argument("--compact", action="store_true", help="with --json: on one line")
    a.add_argument("--annotate", metavar="OUT.mp4", help="also write an annotated video")
    a.add_argument(
        "--frames",
        metavar="OUT.csv",
        help="also write every frame's measures as CSV: t_s, then one column per measure as in "
        "a session's per-frame export (empty: not measured)",
    )
    a.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    a.add_argument(
        "--lang",
        choices=[lang.code for lang in LANGUAGES],
        default="en",
        help="the summary's language (not --json's: its messages carry their ids; docs/I18N.md)",
    )
    add_model_option(a)
    a.add_argument(
        "--save",
        action="store_true",
        help="also store the session (written as it runs) in the database",
    )
    a.add_argument(
        "--patient",
        type=int,
        help="with --save: the patient id it belongs to (their reference, if any, is used)",
    )
    a.add_argument(
        "--reference",
        metavar="FILE.json",
        help="also compare each rep with this personal reference (coach reference export)",
    )
    a.add_argument(
        "--limit-deg",
        metavar="DEG",
        help="the patient's range limit in degrees (0-180): reps whose reported angle goes "
        "past it are marked over_limit (with --save --patient: default, their program's limit)",
    )
    a.set_defaults(func=run)
