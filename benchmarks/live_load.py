"""Many on-device-pose sessions at once: landmark messages at 30 fps against a real server.

Each simulated page replays a stored MediaPipe track of the shared clips (../shared/data) as
`pose=device` landmark messages at 30 a second, on its own schedule (a page sends what its
camera produces; it does not wait for replies). The server runs in its own process on
127.0.0.1 (a real uvicorn, no worker processes: landmark sessions need none), with the
per-address cap lifted (every simulated page comes from 127.0.0.1) and the default rate
limits. Bounded: it stops by itself after `--seconds`.

    .venv/bin/python benchmarks/live_load.py --sessions 50 --seconds 20

Last line: `landmark sessions=N fps_each=F p95_ms=L server_ms_per_frame=M`: F the frame
replies a second per session (mean), L the 95th percentile of send -> reply over all
frames, M the server's mean processing time per message (`server_ms`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson
from websockets.asyncio.client import connect

from coach.live.landmarks import track_messages
from pose.sources import VideoFileSource

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("COACH_SHARED_DATA", REPO.parent / "shared" / "data"))
CLIPS = ["medflex/squat", "rehab_bme410/elbow_flexion", "rehab_bme410/squat", "formfit/curl"]
FPS = 30.0

SERVER = """
import sys
from coach.live import LiveLimits, SessionRegistry
from web.app import create_app
from web.frames import decode_frame
from web.server import BackgroundServer
limits = LiveLimits(max_device={n}, max_per_address=0)
registry = SessionRegistry(decode=decode_frame, isolation="thread", limits=limits)
with BackgroundServer(create_app(registry)) as server:
    print(server.port, flush=True)
    sys.stdin.read()  # until the benchmark closes our stdin
"""


@dataclass
class Track:
    exercise: str
    texts: list[str]  # pre-encoded landmark rows, one per frame ("null": no person)
    image: tuple[int, int]


@dataclass
class PageStats:
    sent: int = 0
    frames: int = 0
    dropped: int = 0
    errors: int = 0
    latency_ms: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)


def load_tracks() -> list[Track]:
    manifest = {c["id"]: c for c in json.loads((SHARED / "MANIFEST.json").read_text())["videos"]}
    tracks = []
    for clip_id in CLIPS:
        clip = manifest[clip_id]
        with VideoFileSource(SHARED / clip["video"]) as src:
            info = src.info
        lm = np.load(SHARED / clip["landmarks"])["lm"]
        msgs = track_messages(lm, FPS, (info.width, info.height))
        texts = [json.dumps(m["landmarks"], separators=(",", ":")) for m in msgs]
        tracks.append(Track(clip["exercise"], texts, (info.width, info.height)))
    return tracks


async def run_page(url: str, track: Track, seconds: float, stats: PageStats) -> None:
    w, h = track.image
    sent_at: dict[int, float] = {}
    async with connect(
        f"{url}/ws/live?exercise={track.exercise}&pose=device", compression=None
    ) as ws:
        hello = json.loads(await ws.recv())
        if hello.get("type") != "session":
            raise RuntimeError(f"server refused the session: {hello}")

        async def replies() -> None:
            async for raw in ws:
                now = time.perf_counter()
                msg = orjson.loads(raw)
                kind = msg.get("type")
                if kind == "frame":
                    stats.frames += 1
                    stats.server_ms.append(float(msg["server_ms"]))
                    start = sent_at.pop(msg["seq"], None)
                    if start is not None:
                        stats.latency_ms.append((now - start) * 1000.0)
                elif kind == "dropped":
                    stats.dropped += 1
                elif kind == "error":
                    stats.errors += 1

        reader = asyncio.create_task(replies())
        await asyncio.sleep(random.random() / FPS)  # pages are not in phase
        start = time.perf_counter()
        k = 0
        while (now := time.perf_counter()) - start < seconds:
            due = start + k / FPS
            if due > now:
                await asyncio.sleep(due - now)
            rows = track.texts[k % len(track.texts)]
            text = (
                f'{{"type":"landmarks","seq":{k},"t":{k / FPS:.4f},'
                f'"image":[{w},{h}],"landmarks":{rows}}}'
            )
            sent_at[k] = time.perf_counter()
            await ws.send(text)
            stats.sent += 1
            k += 1
        await asyncio.sleep(0.5)  # the last replies
        reader.cancel()


def start_server(sessions: int) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER.format(n=sessions + 10)],
        cwd=REPO,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    port = proc.stdout.readline().strip()
    if not port.isdigit():
        proc.kill()
        raise SystemExit("the server did not start")
    return proc, f"ws://127.0.0.1:{port}"


async def run(url: str, sessions: int, seconds: float) -> list[PageStats]:
    tracks = load_tracks()
    stats = [PageStats() for _ in range(sessions)]
    await asyncio.wait_for(
        asyncio.gather(
            *(run_page(url, tracks[i % len(tracks)], seconds, stats[i]) for i in range(sessions))
        ),
        timeout=seconds + 60,
    )
    return stats


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=20.0)
    args = ap.parse_args(argv)
    if not 1 <= args.sessions <= 500 or not 1 <= args.seconds <= 600:
        raise SystemExit("--sessions 1..500, --seconds 1..600")
    proc, url = start_server(args.sessions)
    try:
        stats = asyncio.run(run(url, args.sessions, args.seconds))
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
    latency = [x for s in stats for x in s.latency_ms]
    server = [x for s in stats for x in s.server_ms]
    fps_each = sum(s.frames for s in stats) / len(stats) / args.seconds
    sent = sum(s.sent for s in stats)
    print(
        f"sent {sent} messages, {sum(s.frames for s in stats)} frames back, "
        f"{sum(s.dropped for s in stats)} dropped, {sum(s.errors for s in stats)} errors; "
        f"latency p50 {np.percentile(latency, 50):.1f} ms"
    )
    print(
        f"landmark sessions={args.sessions} fps_each={fps_each:.1f} "
        f"p95_ms={np.percentile(latency, 95):.1f} server_ms_per_frame={np.mean(server):.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
