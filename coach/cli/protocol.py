"""`coach protocol NAME VIDEO...`: clinical tests (coach/offline/protocols.py), one result for
the record: the value, the norms it is compared with and their source."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date
from typing import Any

from coach.cli.common import (
    add_model_option,
    audit_cli,
    model_estimator,
    patient_to_record,
    store_or_usage_error,
    video_path,
)
from coach.errors import EXIT_OK, NoPersonFound, UsageError
from coach.offline import protocols as p
from coach.offline.analysis import progress_bar
from coach.store import Store
from exercises.norms import load_norms
from pose.estimator import PoseEstimator
from pose.sources import SourceError
from scoring.protocols import NormError, ProtocolResult

Runner = Callable[[list[Any]], ProtocolResult]
# Tests walked across a room, where an examiner is often in view: the model is kept on the
# patient (coach.pipeline.guarded; --model lite and heavy are guarded for every test).
GUARDED = ("tug", "gait")


def run(args: argparse.Namespace) -> int:
    name = args.name
    if name == "list":
        for pid, what in p.PROTOCOLS.items():
            print(f"{pid:24s} {what}")
        return EXIT_OK
    if name not in p.PROTOCOLS:
        raise UsageError(f"unknown protocol {name!r}; known: {', '.join(p.PROTOCOLS)}")
    store = _store(args)  # with --save: the patient's age and sex fill in the norms
    runner = _runner(name, args)  # checks the options before the slow part
    if not args.videos:
        raise UsageError(f"protocol {name} needs a video")
    if name != "four-stage-balance" and len(args.videos) > 1:
        raise UsageError(f"protocol {name} takes one video, got {len(args.videos)}")
    if len(args.videos) > 4:
        raise UsageError(
            "four-stage-balance takes one continuous video, or 2-4 videos, one per stage in order"
        )
    make_estimator = model_estimator(args.model)
    guard = name in GUARDED  # walked in a room: stay on the patient if an examiner is in view
    tracks = [
        _track(video, None if args.quiet else progress_bar(), make_estimator, guard=guard)
        for video in args.videos
    ]
    try:
        result = runner(tracks)
    except (NormError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    if store is not None:
        row = store.add_protocol_result(args.patient, name, result.to_json())
        audit_cli(store, "test.record", patient_id=args.patient, subject=name)
        store.close()
        print(
            f"coach: saved as clinical test result {row.id} of patient {args.patient}",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(p.format_result(result))
    return EXIT_OK


def _store(args: argparse.Namespace) -> Store | None:
    """With --save, the store and the patient (whose record supplies age and sex if not given)."""
    if not args.save:
        if args.patient is not None:
            raise UsageError("--patient goes with --save")
        return None
    if args.patient is None:
        raise UsageError("--save needs --patient ID (the patient the result belongs to)")
    store = store_or_usage_error()
    try:
        patient = patient_to_record(store, args.patient)
    except UsageError:
        store.close()
        raise
    if args.age is None and patient.birth_year:
        args.age = date.today().year - patient.birth_year
    if args.sex is None and patient.sex:
        args.sex = patient.sex
    return store


def _runner(name: str, args: argparse.Namespace) -> Runner:
    """The run function for `name` with its options bound; UsageError for missing ones."""
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
        if name == "tug":
            return lambda tracks: p.run_tug(tracks[0], age=age)
        if name == "gait":
            height = args.height_cm
            if height is not None and not 50 <= height <= 250:
                raise UsageError(f"--height-cm must be 50-250, got {height:g}")
            return lambda tracks: p.run_gait(tracks[0], height_cm=height, sex=sex)
        if args.joint is None:
            raise UsageError("rom needs --joint shoulder|knee")
        movement = args.movement or "flexion"
        if (args.joint, movement) not in p.ROM_MOVEMENTS:
            raise UsageError(f"no range-of-motion test for {args.joint} {movement}")
        return lambda tracks: p.run_rom(tracks[0], joint=args.joint, movement=movement, sex=sex)
    except NormError as exc:
        raise UsageError(str(exc)) from None


def _track(
    video: str,
    progress: Callable[[int, int], None] | None,
    make_estimator: Callable[[], PoseEstimator | None],
    *,
    guard: bool = False,
) -> Any:
    path = video_path(video)
    estimator = make_estimator()  # one per video: the model tracks one stream
    try:
        return p.track_from_video(path, estimator=estimator, progress=progress, guard=guard)
    except SourceError as exc:
        raise UsageError(str(exc)) from None
    except NoPersonFound as exc:
        raise NoPersonFound(f"{exc}: check that the person is in view and well lit") from None
    finally:
        if estimator is not None:
            estimator.close()


def add_parser(sub: Any) -> None:
    pr = sub.add_parser(
        "protocol",
        help="run a clinical test on a video: chair stand, sit-to-stand, balance, range of "
        "motion, timed up-and-go, gait",
        description="Clinical tests scored from video, with reference values and their source. "
        "`coach protocol list` shows the tests.",
    )
    pr.add_argument("name", help="protocol id, or `list`")
    pr.add_argument(
        "videos",
        nargs="*",
        metavar="VIDEO",
        help="four-stage-balance: one continuous video, or one per stage in order",
    )
    pr.add_argument("--age", type=int, help="patient's age in years (norms)")
    pr.add_argument("--sex", choices=["female", "male"], help="patient's sex (norms)")
    pr.add_argument("--side", choices=["left", "right"], help="single-leg-stance: leg stood on")
    pr.add_argument("--joint", choices=["shoulder", "knee"], help="rom: the joint")
    pr.add_argument(
        "--height-cm", type=float, help="gait: the patient's height, for walking speed in m/s"
    )
    pr.add_argument("--movement", choices=["flexion", "abduction"], help="rom (default flexion)")
    pr.add_argument("--json", action="store_true", help="print the result as JSON")
    pr.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    add_model_option(pr)
    pr.add_argument("--save", action="store_true", help="store the result in the patient's record")
    pr.add_argument("--patient", type=int, help="with --save: the patient id")
    pr.set_defaults(func=run)
