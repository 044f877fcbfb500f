"""Write the accuracy card: docs/ACCURACY.md and coach/accuracy.json, from real recordings.

    python benchmarks/accuracy_card.py [--data ../shared/data]
                                       [--angles benchmarks/results/angles.json]
                                       [--everyday benchmarks/results/everyday.json]
                                       [--jumps benchmarks/results/jumps.json]
                                       [--evalset benchmarks/results/evalset.json]
                                       [--cache ~/.cache/coach/accuracy-card] [--real-model]

Rep counts and hold times of MANIFEST.json's clips (their stored landmark tracks, about ten
seconds; `--real-model` runs MediaPipe on every video instead), chair-stand counts and
sit-to-stand times of clinical_clips.json's clips (the real model, tracks cached under
--cache, a minute or two the first time), the angle table from the angle benchmark's JSON
(`python benchmarks/angles.py --json benchmarks/results/angles.json`; "not yet measured" while
that file is absent), the everyday tasks (timed up-and-go, gait, the four balance stages) from
`python benchmarks/everyday.py` (its JSON; "not yet measured" while absent), the jump landings
from `python benchmarks/jumps.py` (likewise), the rep counts on the evaluation set's clips before
and after the fixes they led to (`benchmarks/evalset/run.py --results
benchmarks/results/evalset.json --label before|after`), and published
figures beside ours (benchmarks/card/anchors.py).

A script, not a `coach` subcommand: it writes this repository's own files (a document and the
package's data file) and records this checkout's git commit, which an installed `coach` has
neither of; the product only reads the result (coach/review/accuracy.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's code, not another installed copy

from benchmarks.card import (  # noqa: E402
    angles,
    build,
    clinical,
    counts,
    evalset,
    everyday,
    jumps,
    markdown,
    product,
)

DEFAULT_ANGLES = REPO / "benchmarks" / "results" / "angles.json"
DEFAULT_EVERYDAY = REPO / "benchmarks" / "results" / "everyday.json"
DEFAULT_JUMPS = REPO / "benchmarks" / "results" / "jumps.json"
DEFAULT_EVALSET = REPO / "benchmarks" / "results" / "evalset.json"
DEFAULT_MARKDOWN = REPO / "docs" / "ACCURACY.md"
DEFAULT_PRODUCT = REPO / "coach" / "accuracy.json"
DEFAULT_CACHE = (
    Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "coach" / ("accuracy-card")
)


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def command_line(argv: list[str]) -> str:
    """The command as it can be run again from the repository's root (with the shared data's
    folder when it came from the environment)."""
    words = ["python", "benchmarks/accuracy_card.py", *(shlex.quote(a) for a in argv)]
    env = os.environ.get("COACH_SHARED_DATA")
    if env and not any(a == "--data" or a.startswith("--data=") for a in argv):
        words.insert(0, f"COACH_SHARED_DATA={shlex.quote(env)}")
    return " ".join(words)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    default_data = Path(os.environ.get("COACH_SHARED_DATA", REPO.parent / "shared" / "data"))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=default_data, help="the shared data folder")
    ap.add_argument("--angles", type=Path, default=DEFAULT_ANGLES, help="angle benchmark JSON")
    ap.add_argument(
        "--everyday", type=Path, default=DEFAULT_EVERYDAY, help="everyday-tasks benchmark JSON"
    )
    ap.add_argument("--jumps", type=Path, default=DEFAULT_JUMPS, help="jump benchmark JSON")
    ap.add_argument(
        "--evalset", type=Path, default=DEFAULT_EVALSET, help="evaluation set runs JSON"
    )
    ap.add_argument("--markdown", type=Path, default=DEFAULT_MARKDOWN, help="card for people")
    ap.add_argument("--product", type=Path, default=DEFAULT_PRODUCT, help="card for the pages")
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="real-model track cache")
    ap.add_argument(
        "--real-model", action="store_true", help="run the model on MANIFEST clips with tracks too"
    )
    ap.add_argument("--quiet", "-q", action="store_true")
    args = ap.parse_args(argv)
    manifest = args.data / "MANIFEST.json"
    if not manifest.is_file():
        print(f"no shared data at {args.data} (set COACH_SHARED_DATA)", file=sys.stderr)
        return 2

    def progress(text: str) -> None:
        if not args.quiet:
            print(text, file=sys.stderr, flush=True)

    manifest_rows = counts.manifest_rows(manifest, real_model=args.real_model, progress=progress)
    clinical_file = args.data / "clinical_clips.json"
    clips = json.loads(clinical_file.read_text()) if clinical_file.is_file() else []
    stand_rows = clinical.stand_rows(
        clips, args.data, lambda video: clinical.cached_track(video, args.cache), progress
    )
    card = build.build(
        manifest_rows,
        stand_rows,
        angles.read(args.angles),
        command=command_line(argv),
        commit=build.git_commit(REPO, [args.markdown, args.product]),
        angles_file=_relative(args.angles),
        everyday_results=everyday.read(args.everyday),
        everyday_file=_relative(args.everyday),
        jumps_results=jumps.read(args.jumps),
        jumps_file=_relative(args.jumps),
        evalset_runs=evalset.read(args.evalset),
        evalset_file=_relative(args.evalset),
    )
    args.markdown.parent.mkdir(parents=True, exist_ok=True)
    args.markdown.write_text(markdown.render(card))
    args.product.parent.mkdir(parents=True, exist_ok=True)
    args.product.write_text(json.dumps(product.product_card(card), indent=1) + "\n")
    o = card["counting"]["overall"]
    progress(
        f"wrote {_relative(args.markdown)} and {_relative(args.product)}: rep counts exact "
        f"{o.get('exact', 0)}/{o.get('clips', 0)}, angles "
        f"{'measured' if card['angles']['measured'] else 'not yet measured'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
