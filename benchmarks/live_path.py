"""CPU time of one landmark message on the server, stage by stage, without the sockets.

What `benchmarks/live_load.py` measures end to end, taken apart: each message of the stored
tracks (as a `pose=device` page sends them) is parsed, checked, scored by the session
(filter + engine + frame message) and, as the socket's writer would, encoded for the page.
CPU time (`time.process_time`), not wall time, so other load on the machine changes the
figures less; best of `--repeat` passes over the four clips of live_load.py.

    .venv/bin/python benchmarks/live_path.py [--repeat 5]

Last line: `landmark path us_per_message=T parse=P check=C session=S encode=E`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from coach.live import LiveLimits, SessionRegistry, check_landmarks, parse_message
from coach.live.landmarks import MAX_LANDMARK_CHARS, track_messages
from web.frames import decode_frame

try:  # the socket writer's encoder
    from web.live_ws import encode
except ImportError:  # before it had one of its own

    def encode(message: dict[str, Any]) -> str:
        return json.dumps(message, separators=(",", ":"), allow_nan=False)


REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("COACH_SHARED_DATA", REPO.parent / "shared" / "data"))
CLIPS = ["medflex/squat", "rehab_bme410/elbow_flexion", "rehab_bme410/squat", "formfit/curl"]


def clip_texts(clip: dict[str, Any]) -> list[str]:
    lm = np.load(SHARED / clip["landmarks"])["lm"]
    messages = track_messages(lm, 30.0, (640, 480))
    return [json.dumps(m, separators=(",", ":")) for m in messages]


async def one_pass(clips: list[tuple[str, list[str]]]) -> tuple[int, list[float]]:
    """Every clip's messages through a fresh device session, one stage at a time over all of
    a clip's messages (reading a CPU clock costs microseconds here); CPU seconds per stage."""
    registry = SessionRegistry(
        decode=decode_frame, isolation="thread", limits=LiveLimits(max_per_address=0)
    )
    spent = [0.0, 0.0, 0.0, 0.0]
    n = 0
    clock = time.process_time
    for exercise, texts in clips:
        session, _ = registry.open(exercise, pose="device")
        outbox = await session.attach_patient("device")
        while len(outbox):  # the connection's own status messages
            await outbox.get()
        a = clock()
        parsed = [parse_message(text, MAX_LANDMARK_CHARS) for text in texts]
        b = clock()
        checked, last_t = [], None
        for data in parsed:
            checked.append(check_landmarks(data, last_t))  # type: ignore[arg-type]
            last_t = checked[-1].t
        c = clock()
        out = []
        for message in checked:
            session.offer_landmarks(message)
            while len(outbox):
                out.append(await outbox.get())
        d = clock()
        for item in out:
            if isinstance(item, dict):
                encode(item)
        e = clock()
        for i, (start, end) in enumerate(((a, b), (b, c), (c, d), (d, e))):
            spent[i] += end - start
        n += len(texts)
        await session.detach_patient(outbox)
    return n, spent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    manifest = {c["id"]: c for c in json.loads((SHARED / "MANIFEST.json").read_text())["videos"]}
    clips = [(manifest[c]["exercise"], clip_texts(manifest[c])) for c in CLIPS]
    best: list[float] | None = None
    n = 0
    for _ in range(max(1, args.repeat)):
        n, spent = asyncio.run(one_pass(clips))
        if best is None or sum(spent) < sum(best):
            best = spent
    assert best is not None
    us = [s / n * 1e6 for s in best]
    print(f"{n} messages a pass, best of {args.repeat}")
    print(
        f"landmark path us_per_message={sum(us):.0f} parse={us[0]:.0f} check={us[1]:.0f} "
        f"session={us[2]:.0f} encode={us[3]:.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
