"""`coach live --exercise ID`: live coaching on this machine, from a camera or a video played
as if it were one (coach/live/desktop.py)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from coach.cli.common import resolve_exercise
from coach.errors import UsageError
from coach.live.desktop import run_desktop


def run(args: argparse.Namespace) -> int:
    resolve_exercise(args.exercise)  # fail early with the list of known ids
    if args.video and not Path(args.video).is_file():
        raise UsageError(f"no such file: {args.video}")
    return run_desktop(args.exercise, args.camera, args.video, not args.no_window)


def add_parser(sub: Any) -> None:
    live = sub.add_parser("live", help="coach live from a camera or a video, on this machine")
    live.add_argument("--exercise", "-e", required=True)
    src = live.add_mutually_exclusive_group()
    src.add_argument("--camera", type=int, default=None, help="camera index (default 0)")
    src.add_argument("--video", help="play a video file as if it were the camera")
    live.add_argument("--no-window", action="store_true", help="print events instead of a window")
    live.set_defaults(func=run)
