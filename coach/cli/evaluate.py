"""`coach eval MANIFEST.json`: every clip of a manifest against its ground truth."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from coach.cli.common import add_model_option, model_estimator, progress_printer
from coach.errors import EXIT_OK, UsageError
from coach.offline.evaluate import evaluate_manifest, format_table


def run(args: argparse.Namespace) -> int:
    manifest = Path(args.manifest)
    if not manifest.is_file():
        raise UsageError(f"no such manifest: {manifest}")
    try:
        rows = evaluate_manifest(
            manifest,
            use_landmarks=args.landmarks,
            only=args.only,
            progress=progress_printer(args.quiet),
            make_estimator=None if args.landmarks else model_estimator(args.model),
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        print(json.dumps([r.to_json() for r in rows], indent=2))
    else:
        print(format_table(rows))
    return EXIT_OK


def add_parser(sub: Any) -> None:
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
    add_model_option(e)
    e.set_defaults(func=run)
