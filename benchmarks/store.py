"""Storage figures: the cost of recording a session as it happens, and of reading it back.

Writes a 10-minute session (30 fps, a rep every 3 s) through `SessionWriter` from a real
landmark track looped, into a fresh SQLite file, then reads it back as the session page does.
Prints medians of 3 runs.

    .venv/bin/python benchmarks/store.py [--minutes 10]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from coach.store import open_store
from exercises import load_exercise

DATA = Path(
    os.environ.get("COACH_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    args = ap.parse_args()
    manifest = json.loads((DATA / "MANIFEST.json").read_text())
    entry = next(e for e in manifest["videos"] if e["id"] == "medflex/squat")
    track = np.load(DATA / entry["landmarks"])["lm"]
    fps, n = 30.0, int(args.minutes * 60 * 30)
    squat = load_exercise("squat")
    write_ms, rep_ms, read_s, sizes = [], [], [], []
    for run in range(3):
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "coach.db"
            store = open_store(f"sqlite:///{db}")
            writer = store.writer(f"bench{run:04d}", squat, patient_id=None, source="analyze")
            writer.start((1280, 720), fps)
            per_frame, per_rep = [], []
            for i in range(n):
                row = track[i % len(track)]
                t0 = time.perf_counter()
                writer.frame(i / fps, row if np.isfinite(row).all() else None)
                per_frame.append(time.perf_counter() - t0)
                if i % 90 == 89:
                    t0 = time.perf_counter()
                    writer.event(
                        {
                            "kind": "RepCompleted",
                            "index": i // 90 + 1,
                            "start_s": (i - 80) / fps,
                            "end_s": i / fps,
                            "rom_deg": 90.0,
                            "peak_deg": 95.0,
                            "score": 90.0,
                        }
                    )
                    per_rep.append(time.perf_counter() - t0)
            writer.finish()
            write_ms.append(1000 * sum(per_frame) / n)
            rep_ms.append(1000 * statistics.median(per_rep))
            t0 = time.perf_counter()
            frames = store.session_frames(f"bench{run:04d}")
            session = store.session(f"bench{run:04d}")
            read_s.append(time.perf_counter() - t0)
            assert len(frames.t) == n and len(session.reps) == n // 90
            store.close()
            sizes.append(sum(p.stat().st_size for p in Path(tmp).glob("coach.db*")))
    print(f"session: {args.minutes:g} min at 30 fps ({n} frames), a rep every 3 s")
    print(
        f"recording: {statistics.median(write_ms):.3f} ms a frame on average "
        "(buffering + a compressed chunk a second)"
    )
    print(f"a completed rep committed in {statistics.median(rep_ms):.2f} ms (median)")
    print(f"reading it back (frames + reps): {statistics.median(read_s):.2f} s")
    print(f"database size: {statistics.median(sizes) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
