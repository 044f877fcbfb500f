"""The `coach` command: analyze, protocol, eval, serve, live, exercises, reference, admin.

Bad input gets a one-line reason on stderr and a non-zero exit, never a traceback.
Exit codes: 0 ok, 1 unexpected error, 2 bad input, 3 no person found in the video.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_BAD_INPUT = 2
EXIT_NO_PERSON = 3


class UsageError(Exception):
    """Bad input from the user: reported on one line, exit status 2."""


def _fail(message: str, code: int) -> int:
    print(f"coach: {message}", file=sys.stderr)
    return code


def resolve_exercise(spec: str):  # type: ignore[no-untyped-def]
    """An exercise id from the library, or a path to a definition file."""
    from exercises import DefinitionError, UnknownExercise, load_exercise, load_file

    if spec.endswith(".toml") or "/" in spec or Path(spec).is_file():
        try:
            return load_file(spec)
        except DefinitionError as exc:
            raise UsageError(f"invalid exercise definition: {exc}") from None
    try:
        return load_exercise(spec)
    except UnknownExercise as exc:
        raise UsageError(str(exc)) from None


# -- analyze ----------------------------------------------------------------------------
def cmd_analyze(args: argparse.Namespace) -> int:
    from coach.analysis import NoPersonFound, analyze_video, progress_bar
    from coach.report import format_summary
    from pose.sources import SourceError

    exercise = resolve_exercise(args.exercise)
    path = Path(args.video)
    if not path.exists():
        raise UsageError(f"no such file: {path}")
    if path.is_dir():
        raise UsageError(f"{path} is a folder, not a video file")
    if args.save and args.annotate:
        raise UsageError("--save and --annotate can't be combined; run twice")
    reference = None
    if args.reference is not None:
        from coach.references import BadReferenceFile, read_reference_file

        try:
            reference = read_reference_file(args.reference, exercise)
        except BadReferenceFile as exc:
            raise UsageError(str(exc)) from None
    store = None
    try:
        if args.save:
            from coach.recording import record_video
            from coach.store import StoreError, open_store

            try:
                store = open_store()
            except StoreError as exc:
                raise UsageError(str(exc)) from None
            if args.patient is not None and store.patient(args.patient) is None:
                raise UsageError(f"no patient with id {args.patient}")
            session_id, result = record_video(
                store,
                path,
                exercise,
                patient_id=args.patient,
                progress=None if args.quiet else progress_bar(),
                reference=reference,  # None: the patient's own, if they have one
            )
            print(f"coach: saved as session {session_id}", file=sys.stderr)
        else:
            result = analyze_video(
                path,
                exercise,
                annotate=args.annotate,
                progress=None if args.quiet else progress_bar(),
                reference=reference,
            )
    except SourceError as exc:
        raise UsageError(str(exc)) from None
    except NoPersonFound as exc:
        if args.json:
            print(json.dumps({"exercise": exercise.id, "error": "no_person", "message": str(exc)}))
        return _fail(f"{exc}: check that the person is in view and well lit", EXIT_NO_PERSON)
    finally:
        if store is not None:
            store.close()
    if args.json:
        print(json.dumps(result.to_json(), indent=None if args.compact else 2))
    else:
        print(format_summary(result, exercise))
    return EXIT_OK


# -- protocol ---------------------------------------------------------------------------
def cmd_protocol(args: argparse.Namespace) -> int:
    """Clinical tests (coach/protocols.py): one video in, one result for the record out."""
    from coach.analysis import progress_bar
    from coach.protocols import PROTOCOLS, NoPoseInTrack, format_result
    from scoring.protocols import NormError

    name = args.name
    if name == "list":
        for pid, what in PROTOCOLS.items():
            print(f"{pid:24s} {what}")
        return EXIT_OK
    if name not in PROTOCOLS:
        raise UsageError(f"unknown protocol {name!r}; known: {', '.join(PROTOCOLS)}")
    store = _protocol_store(args)  # with --save: the patient's age and sex fill in the norms
    runner = _protocol_runner(name, args)  # checks the options before the slow part
    if not args.videos:
        raise UsageError(f"protocol {name} needs a video")
    if name != "four-stage-balance" and len(args.videos) > 1:
        raise UsageError(f"protocol {name} takes one video, got {len(args.videos)}")
    if len(args.videos) > 4:
        raise UsageError("four-stage-balance takes 1-4 videos, one per stage in order")
    tracks = []
    for video in args.videos:
        tracks.append(_protocol_track(video, None if args.quiet else progress_bar()))
    try:
        result = runner(tracks)
    except (NormError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    except NoPoseInTrack as exc:  # pragma: no cover - raised while reading, above
        return _fail(str(exc), EXIT_NO_PERSON)
    if store is not None:
        row = store.add_protocol_result(args.patient, name, result.to_json())
        store.close()
        print(
            f"coach: saved as clinical test result {row.id} of patient {args.patient}",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(format_result(result))
    return EXIT_OK


def _protocol_store(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """With --save, the store and the patient (whose record supplies age and sex if not given)."""
    if not args.save:
        if args.patient is not None:
            raise UsageError("--patient goes with --save")
        return None
    if args.patient is None:
        raise UsageError("--save needs --patient ID (the patient the result belongs to)")
    from datetime import date

    from coach.store import StoreError, open_store

    try:
        store = open_store()
    except StoreError as exc:
        raise UsageError(str(exc)) from None
    patient = store.patient(args.patient)
    if patient is None:
        store.close()
        raise UsageError(f"no patient with id {args.patient}")
    if args.age is None and patient.birth_year:
        args.age = date.today().year - patient.birth_year
    if args.sex is None and patient.sex:
        args.sex = patient.sex
    return store


def _protocol_runner(name: str, args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The run function for `name` with its options bound; UsageError for missing ones."""
    from coach import protocols as p
    from exercises.norms import load_norms
    from scoring.protocols import NormError

    age, sex = args.age, args.sex
    try:
        if name == "chair-stand":
            load_norms("chair_stand_30s").band(age, sex)  # says which of age/sex is missing
            return lambda tracks: p.run_chair_stand(tracks[0], age=age, sex=sex)
        if name == "five-times-sit-to-stand":
            return lambda tracks: p.run_five_times_sit_to_stand(tracks[0], age=age)
        if name == "single-leg-stance":
            if args.side is None:
                raise UsageError("single-leg-stance needs --side left|right (the leg stood on)")
            return lambda tracks: p.run_single_leg_stance(tracks[0], side=args.side, age=age)
        if name == "four-stage-balance":
            return p.run_four_stage_balance
        if args.joint is None:
            raise UsageError("rom needs --joint shoulder|knee")
        movement = args.movement or "flexion"
        if (args.joint, movement) not in p.ROM_MOVEMENTS:
            raise UsageError(f"no range-of-motion test for {args.joint} {movement}")
        return lambda tracks: p.run_rom(tracks[0], joint=args.joint, movement=movement)
    except NormError as exc:
        raise UsageError(str(exc)) from None


def _protocol_track(video: str, progress):  # type: ignore[no-untyped-def]
    from coach.protocols import NoPoseInTrack, track_from_video
    from pose.sources import SourceError

    path = Path(video)
    if not path.exists():
        raise UsageError(f"no such file: {path}")
    if path.is_dir():
        raise UsageError(f"{path} is a folder, not a video file")
    try:
        return track_from_video(path, progress=progress)
    except SourceError as exc:
        raise UsageError(str(exc)) from None
    except NoPoseInTrack as exc:
        raise _NoPerson(f"{exc}: check that the person is in view and well lit") from None


class _NoPerson(Exception):
    """No person in a protocol's video: exit status 3, as for `coach analyze`."""


# -- eval -------------------------------------------------------------------------------
def cmd_eval(args: argparse.Namespace) -> int:
    from coach.evaluate import evaluate_manifest, format_table

    manifest = Path(args.manifest)
    if not manifest.is_file():
        raise UsageError(f"no such manifest: {manifest}")
    try:
        rows = evaluate_manifest(
            manifest,
            use_landmarks=args.landmarks,
            only=args.only,
            progress=None if args.quiet else lambda msg: print(msg, file=sys.stderr, flush=True),
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        print(json.dumps([r.to_json() for r in rows], indent=2))
    else:
        print(format_table(rows))
    return EXIT_OK


# -- exercises --------------------------------------------------------------------------
def cmd_exercises(args: argparse.Namespace) -> int:
    from exercises import DefinitionError, UnknownExercise, list_exercises, load_exercise, load_file
    from exercises.loader import default_library

    if args.action == "list":
        for ex in list_exercises():
            print(f"{ex.id:28s} {ex.kind:5s} {ex.view:6s} {ex.category:16s} {ex.name}")
        for err in default_library().errors:
            print(f"coach: skipped {err}", file=sys.stderr)
        return EXIT_OK
    if args.action == "show":
        if not args.target:
            raise UsageError("exercises show needs an exercise id")
        try:
            ex = load_exercise(args.target)
        except UnknownExercise as exc:
            raise UsageError(str(exc)) from None
        print(json.dumps(ex.model_dump(mode="json", exclude_none=True), indent=2))
        return EXIT_OK
    if args.action == "validate":
        if not args.target:
            raise UsageError("exercises validate needs a file")
        try:
            ex = load_file(args.target)
        except DefinitionError as exc:
            return _fail(str(exc), EXIT_BAD_INPUT)
        print(f"{args.target}: ok ({ex.id}, {ex.kind})")
        return EXIT_OK
    if args.action == "schema":
        from exercises.schema import definition_json_schema

        print(json.dumps(definition_json_schema(), indent=2))
        return EXIT_OK
    raise UsageError(f"unknown action {args.action!r}")


# -- serve / live -----------------------------------------------------------------------
def cmd_serve(args: argparse.Namespace) -> int:
    from coach.serve import serve

    return serve(host=args.host, port=args.port, database_url=args.database_url) or EXIT_OK


def cmd_live(args: argparse.Namespace) -> int:
    from coach.desktop import run_desktop

    resolve_exercise(args.exercise)  # fail early with the list of known ids
    if args.video and not Path(args.video).is_file():
        raise UsageError(f"no such file: {args.video}")
    return run_desktop(args.exercise, args.camera, args.video, not args.no_window)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="coach",
        description="Camera-based exercise coach for home rehabilitation: counts reps, times "
        "balance holds, measures range of motion and flags faulty movement.",
        epilog="Examples:\n  coach exercises list\n  coach analyze clip.mp4 --exercise squat\n"
        "  coach analyze clip.mp4 --exercise squat --json --annotate out.mp4\n"
        "  coach serve            # live coaching page on http://127.0.0.1:8000\n"
        "  coach live --exercise squat --video clip.mp4 --no-window",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    a = sub.add_parser("analyze", help="score a recorded video: reps, holds, faults")
    a.add_argument("video", help="video file (mp4, mov, avi, ...)")
    a.add_argument("--exercise", "-e", required=True, help="exercise id or definition file (.toml)")
    a.add_argument("--json", action="store_true", help="print the result as JSON")
    a.add_argument("--compact", action="store_true", help="with --json: on one line")
    a.add_argument("--annotate", metavar="OUT.mp4", help="also write an annotated video")
    a.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
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
    a.set_defaults(func=cmd_analyze)

    pr = sub.add_parser(
        "protocol",
        help="run a clinical test on a video: chair stand, sit-to-stand, balance, range of motion",
        description="Clinical tests scored from video, with reference values and their source. "
        "`coach protocol list` shows the tests.",
    )
    pr.add_argument("name", help="protocol id, or `list`")
    pr.add_argument("videos", nargs="*", metavar="VIDEO", help="four-stage-balance: one per stage")
    pr.add_argument("--age", type=int, help="patient's age in years (norms)")
    pr.add_argument("--sex", choices=["female", "male"], help="patient's sex (norms)")
    pr.add_argument("--side", choices=["left", "right"], help="single-leg-stance: leg stood on")
    pr.add_argument("--joint", choices=["shoulder", "knee"], help="rom: the joint")
    pr.add_argument("--movement", choices=["flexion", "abduction"], help="rom (default flexion)")
    pr.add_argument("--json", action="store_true", help="print the result as JSON")
    pr.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    pr.add_argument("--save", action="store_true", help="store the result in the patient's record")
    pr.add_argument("--patient", type=int, help="with --save: the patient id")
    pr.set_defaults(func=cmd_protocol)

    e = sub.add_parser("eval", help="run every clip of a manifest against its ground truth")
    e.add_argument("manifest", help="MANIFEST.json (format of ../shared/data/MANIFEST.json)")
    e.add_argument(
        "--landmarks",
        action="store_true",
        help="score the manifest's stored landmark tracks instead of running the model",
    )
    e.add_argument("--only", help="only clips whose id contains this text")
    e.add_argument("--json", action="store_true")
    e.add_argument("--quiet", "-q", action="store_true")
    e.set_defaults(func=cmd_eval)

    x = sub.add_parser("exercises", help="list, show or validate exercise definitions")
    x.add_argument("action", choices=["list", "show", "validate", "schema"])
    x.add_argument("target", nargs="?", help="exercise id (show) or file (validate)")
    x.set_defaults(func=cmd_exercises)

    s = sub.add_parser("serve", help="start the live coaching web app")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument(
        "--database-url",
        help="SQLAlchemy URL of the store (default: COACH_DATABASE_URL, else the SQLite file "
        "coach.db in COACH_DATA_DIR or ~/.local/share/coach)",
    )
    s.set_defaults(func=cmd_serve)

    live = sub.add_parser("live", help="coach live from a camera or a video, on this machine")
    live.add_argument("--exercise", "-e", required=True)
    src = live.add_mutually_exclusive_group()
    src.add_argument("--camera", type=int, default=None, help="camera index (default 0)")
    src.add_argument("--video", help="play a video file as if it were the camera")
    live.add_argument("--no-window", action="store_true", help="print events instead of a window")
    live.set_defaults(func=cmd_live)

    from coach.admin import add_parser as add_admin_parser
    from coach.references import add_parser as add_reference_parser

    add_reference_parser(sub)
    add_admin_parser(sub)
    return p


def quiet_native_logs() -> None:
    """Native libraries (MediaPipe, FFmpeg) log to stderr; users need only our messages."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # FFmpeg (inside OpenCV) prints its own complaints about bad files; we say it in one line.
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")


def main(argv: list[str] | None = None) -> int:
    quiet_native_logs()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return int(args.func(args))
    except UsageError as exc:
        return _fail(str(exc), EXIT_BAD_INPUT)
    except _NoPerson as exc:
        return _fail(str(exc), EXIT_NO_PERSON)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except Exception as exc:  # last resort: one line, never a traceback
        return _fail(f"unexpected error: {type(exc).__name__}: {exc}", EXIT_ERROR)


if __name__ == "__main__":
    # `python -m coach.cli` runs this file as `__main__`, a second copy of the module: run the
    # importable one, whose UsageError is the class coach.admin and coach.references raise.
    from coach.cli import main as _main

    sys.exit(_main())
