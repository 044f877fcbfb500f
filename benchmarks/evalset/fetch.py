"""Fetch the evaluation clips named in MANIFEST.json into a cache folder, checking sha256.

    python benchmarks/evalset/fetch.py [--cache DIR] [--only TEXT] [--mirrors DIR]

Each clip comes from `raw.githubusercontent.com/<repo>/<commit>/<path>` (the exact commit
the label was made on), or, with `--mirrors DIR`, from local bare git mirrors
`DIR/<owner>+<name>/repo` (`git show <commit>:<path>`). A file whose sha256 differs from the
manifest's is refused and removed. The manifest is then copied into the cache folder, where
`coach eval DIR/MANIFEST.json` and `benchmarks/evalset/run.py` read it.

Run on a developer's machine, never in CI: it downloads third-party videos (most without a
stated licence; evaluation only) and they must never be committed.
Standard library only. Default cache: $COACH_EVALSET_CACHE, else ~/.cache/coach-evalset.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # benchmarks/mirrors.py, when run as a script

from mirrors import mirror_blob  # noqa: E402

MANIFEST = HERE / "MANIFEST.json"
RAW_URL = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"


def default_cache() -> Path:
    env = os.environ.get("COACH_EVALSET_CACHE", "").strip()
    return Path(env) if env else Path.home() / ".cache" / "coach-evalset"


def add_clip_options(ap: argparse.ArgumentParser) -> None:
    """The options every evalset script takes: the cache folder and a clip filter."""
    ap.add_argument("--cache", type=Path, default=default_cache(), help="the clips' folder")
    ap.add_argument("--only", help="only clips whose id contains this text")


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _download(url: str, dest: Path) -> None:
    req = urllib.request.Request(url, headers={"User-Agent": "coach-evalset-fetch"})
    with urllib.request.urlopen(req, timeout=120) as resp, dest.open("wb") as out:  # noqa: S310
        shutil.copyfileobj(resp, out)


def fetch_clip(clip: dict, cache: Path, mirrors: Path | None) -> str:
    """'ok' (already there), 'fetched', or an error text; never leaves a bad file behind."""
    dest = cache / clip["video"]
    if dest.exists() and sha256_of(dest) == clip["sha256"]:
        return "ok"
    tmp = dest.with_suffix(dest.suffix + ".part")
    try:
        if mirrors is not None:
            tmp.write_bytes(mirror_blob(mirrors, clip["repo"], clip["commit"], clip["path"]))
        else:
            url = RAW_URL.format(
                repo=clip["repo"], commit=clip["commit"], path=urllib.parse.quote(clip["path"])
            )
            _download(url, tmp)
    except (OSError, subprocess.CalledProcessError) as exc:
        tmp.unlink(missing_ok=True)
        return f"failed: {exc}"
    got = sha256_of(tmp)
    if got != clip["sha256"]:
        tmp.unlink(missing_ok=True)
        return f"sha256 mismatch ({got[:12]}..., expected {clip['sha256'][:12]}...)"
    tmp.replace(dest)
    return "fetched"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_clip_options(ap)
    ap.add_argument("--mirrors", type=Path, help="read from local bare git mirrors instead")
    a = ap.parse_args()
    data = json.loads(MANIFEST.read_text())
    a.cache.mkdir(parents=True, exist_ok=True)
    bad = 0
    for clip in data["videos"]:
        if a.only and a.only not in clip["id"]:
            continue
        status = fetch_clip(clip, a.cache, a.mirrors)
        bad += status not in ("ok", "fetched")
        print(f"{clip['id']:50} {status}")
    shutil.copyfile(MANIFEST, a.cache / "MANIFEST.json")
    print(f"manifest: {a.cache / 'MANIFEST.json'}  ({bad} clip(s) missing)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
