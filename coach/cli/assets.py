"""`coach assets fetch|status`: the MediaPipe Pose web build, without Node (coach/assets.py).

`fetch` downloads the pinned @mediapipe/pose tarball, checks its integrity, unpacks it into the
vendor folder and installs its lite and heavy models into mediapipe (for `--model lite|heavy`).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from coach import assets
from coach.errors import EXIT_OK, UsageError
from pose.mediapipe_backend import ModelUnavailableError


def run(args: argparse.Namespace) -> int:
    if args.action == "status":
        info = assets.status()
        info["folder"] = str(assets.pose_dir())
        print(json.dumps(info, indent=2))
        return EXIT_OK
    update, close = (None, lambda: None) if args.quiet else assets.tqdm_progress()
    try:
        result = assets.fetch(args.url, progress=update)
    except assets.AssetError as exc:
        raise UsageError(str(exc)) from None
    finally:
        close()
    what = "fetched" if result.fetched else "already present and verified"
    count = len(result.files)
    print(f"{assets.PACKAGE} {assets.VERSION}: {what}, {count} files in {result.folder}")
    if args.no_models:
        return EXIT_OK
    try:
        done = assets.install_pose_models(result.folder)
    except (assets.AssetError, ModelUnavailableError) as exc:
        raise UsageError(f"models not installed: {exc}") from None
    for name, state in done.items():
        print(f"{name}: {state}")
    return EXIT_OK


def add_parser(sub: Any) -> None:
    a = sub.add_parser(
        "assets",
        help="fetch the MediaPipe Pose web build and the lite/heavy models (no Node needed)",
        description=f"fetch: download {assets.PACKAGE} {assets.VERSION} from the npm registry, "
        f"check its pinned integrity, unpack it into the vendor folder ({assets.VENDOR_ENV}, "
        "else vendor/ of the checkout, else of the data directory) and install its lite and "
        "heavy pose models into mediapipe. Does nothing when already done. status: what is there.",
    )
    a.add_argument("action", choices=["fetch", "status"])
    a.add_argument(
        "--url",
        default=assets.URL,
        help="where to get the tarball: a mirror URL or a local copy of the .tgz (the pinned "
        "integrity is checked all the same)",
    )
    a.add_argument("--no-models", action="store_true", help="don't install into mediapipe")
    a.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    a.set_defaults(func=run)
