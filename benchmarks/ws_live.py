"""Live WebSocket throughput: a real clip sent like the page sends it, 1, 2 and 4 sessions.

Each simulated page has a 30 fps "camera" playing a real recording (../shared/data by
default) and follows the page's rule: at most one frame in flight; a camera frame that comes
while waiting for a reply is skipped (dropped), and the newest frame goes as soon as the
reply arrives. The server runs in its own process (`web.server.serve`), as in real use.

    .venv/bin/python benchmarks/ws_live.py                 # 1, 2, 4 sessions, 20 s each
    .venv/bin/python benchmarks/ws_live.py --sessions 1 --seconds 10
    .venv/bin/python benchmarks/ws_live.py --url ws://127.0.0.1:8000   # an already running server

Prints, per configuration: processed frames per second per session, dropped camera frames,
server latency (frame received -> reply ready) p50/p95 and round trip p50/p95.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import websockets

from web.frames import clip_as_jpegs

REPO = Path(__file__).resolve().parents[1]


DEFAULT_CLIP = REPO.parent / "shared" / "data" / "videos" / "medflex" / "squat.MP4"


def encode_clip(path: Path, width: int) -> tuple[list[bytes], float]:
    """The clip as the page would send it: JPEG, quality ~0.7, `width` px wide."""
    frames, fps = clip_as_jpegs(path, width, quality=70)
    if not frames:
        raise SystemExit(f"cannot read any frame of {path}")
    return frames, fps


@dataclass
class PageStats:
    camera_frames: int = 0
    sent: int = 0
    processed: int = 0
    dropped_by_server: int = 0
    errors: int = 0
    server_ms: list[float] = field(default_factory=list)
    rtt_ms: list[float] = field(default_factory=list)


async def run_page(
    url: str, exercise: str, frames: list[bytes], clip_fps: float, fps: float, seconds: float
) -> PageStats:
    """One simulated patient page for `seconds` after a warm-up frame."""
    stats = PageStats()
    async with websockets.connect(f"{url}/ws/live?exercise={exercise}", max_size=None) as ws:
        hello = json.loads(await ws.recv())
        if hello.get("type") != "session":
            raise RuntimeError(f"server refused the session: {hello}")
        await ws.send(frames[0])  # warm-up: the model loads on the first frame
        while json.loads(await ws.recv())["type"] not in ("frame", "error"):
            pass

        start = time.monotonic()
        latest = -1  # newest camera frame index
        last_sent = -1
        in_flight = False
        sent_at = 0.0
        done = asyncio.Event()

        async def send(k: int) -> None:
            nonlocal in_flight, sent_at, last_sent
            in_flight, sent_at, last_sent = True, time.monotonic(), k
            stats.sent += 1
            await ws.send(frames[int(k / fps * clip_fps) % len(frames)])

        async def camera() -> None:
            nonlocal latest
            k = 0
            while True:
                due = start + k / fps
                now = time.monotonic()
                if now - start >= seconds:
                    done.set()
                    return
                if due > now:
                    await asyncio.sleep(due - now)
                latest = k
                stats.camera_frames += 1
                if not in_flight:
                    await send(k)
                k += 1

        async def replies() -> None:
            nonlocal in_flight
            async for raw in ws:
                if not isinstance(raw, str):
                    continue
                msg = json.loads(raw)
                kind = msg.get("type")
                if kind not in ("frame", "dropped", "error"):
                    continue
                now = time.monotonic()
                if kind == "frame":
                    stats.processed += 1
                    stats.server_ms.append(float(msg["server_ms"]))
                    stats.rtt_ms.append((now - sent_at) * 1000.0)
                elif kind == "dropped":
                    stats.dropped_by_server += 1
                else:
                    stats.errors += 1
                in_flight = False
                if done.is_set():
                    return
                if latest > last_sent:
                    await send(latest)

        reader = asyncio.create_task(replies())
        await camera()
        try:
            await asyncio.wait_for(reader, timeout=5.0)
        except asyncio.TimeoutError:
            reader.cancel()
    return stats


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


async def run_config(
    url: str,
    n: int,
    exercise: str,
    frames: list[bytes],
    clip_fps: float,
    fps: float,
    seconds: float,
) -> dict[str, float]:
    pages = await asyncio.gather(
        *(run_page(url, exercise, frames, clip_fps, fps, seconds) for _ in range(n))
    )
    server = [x for p in pages for x in p.server_ms]
    rtt = [x for p in pages for x in p.rtt_ms]
    camera = sum(p.camera_frames for p in pages)
    sent = sum(p.sent for p in pages)
    return {
        "sessions": n,
        "fps_per_session": sum(p.processed for p in pages) / seconds / n,
        "camera_frames": camera,
        "dropped": camera - sent,
        "dropped_pct": 100.0 * (camera - sent) / camera if camera else 0.0,
        "server_dropped": sum(p.dropped_by_server for p in pages),
        "errors": sum(p.errors for p in pages),
        "server_p50": pct(server, 50),
        "server_p95": pct(server, 95),
        "rtt_p50": pct(rtt, 50),
        "rtt_p95": pct(rtt, 95),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(max_active: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    code = (
        "import sys; from web.server import serve; "
        f"sys.exit(serve('127.0.0.1', {port}, max_active={max_active}))"
    )
    env = {**os.environ, "GLOG_minloglevel": "2", "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=REPO, env=env, stdout=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, f"ws://127.0.0.1:{port}"
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("the server exited at start-up") from None
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clip", type=Path, default=DEFAULT_CLIP)
    ap.add_argument("--exercise", default="squat")
    ap.add_argument("--sessions", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--fps", type=float, default=30.0, help="camera frame rate")
    ap.add_argument("--width", type=int, default=480, help="width of the sent JPEGs (page: 480)")
    ap.add_argument("--url", help="ws://host:port of a running server (default: start one)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args(argv)

    frames, clip_fps = encode_clip(args.clip, args.width)
    size_kb = sum(map(len, frames)) / len(frames) / 1024
    proc = None
    url = args.url
    if url is None:
        proc, url = start_server(max(args.sessions))
    try:
        results = []
        for n in args.sessions:
            results.append(
                asyncio.run(
                    run_config(url, n, args.exercise, frames, clip_fps, args.fps, args.seconds)
                )
            )
            time.sleep(1.0)  # let the sessions of this round be freed
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(
        f"clip {args.clip.name}: {len(frames)} frames at {clip_fps:.0f} fps, sent as "
        f"{args.width} px JPEG (~{size_kb:.0f} KB), camera {args.fps:.0f} fps, "
        f"{args.seconds:.0f} s per run, {os.cpu_count()} CPUs"
    )
    print(
        "| sessions | processed fps / session | dropped camera frames | server p50 | server p95 "
        "| round trip p50 | round trip p95 |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['sessions']} | {r['fps_per_session']:.1f} | {r['dropped']} of "
            f"{r['camera_frames']} ({r['dropped_pct']:.0f}%) | {r['server_p50']:.0f} ms "
            f"| {r['server_p95']:.0f} ms | {r['rtt_p50']:.0f} ms | {r['rtt_p95']:.0f} ms |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
