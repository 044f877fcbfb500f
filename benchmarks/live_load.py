"""Many on-device-pose sessions at once: landmark messages at 30 fps against a real server.

Each simulated page replays a stored MediaPipe track of the shared clips (../shared/data) as
`pose=device` landmark messages at 30 a second, on its own schedule (a page sends what its
camera produces; it does not wait for each reply, but like capture.js it skips a
camera frame while 3 messages are unanswered: `--unanswered 0` sends every frame, so an
overloaded server's backlog, and the latency, grow without bound). Like browsers, pages
offer per-message compression (permessage-deflate), which the server accepts; unlike a
browser's native zlib, the websockets library's costs these pages a good share of their CPU.
The pages are one asyncio process (uvloop) with pre-encoded landmark rows, to leave the
cores to the server.
The server runs in its own process on
127.0.0.1 (a real uvicorn, no pose worker processes: landmark sessions need none), with the
per-address cap lifted (every simulated page comes from 127.0.0.1) and the default rate
limits. Bounded: it stops by itself after `--seconds`.

    .venv/bin/python benchmarks/live_load.py --sessions 50 --seconds 20 [--format json]
    .venv/bin/python benchmarks/live_load.py --sessions 100 --workers 2   # coach serve --workers 2
    .venv/bin/python benchmarks/live_load.py --smoke   # does it run? (tests/benchmarks)

`--workers N` runs the server as `coach serve --workers N` does (web/workers.py: a supervisor,
N worker processes on one port, sessions routed to their worker, limits shared by the
supervisor), with the same app as one process; the load starts once every worker answers,
and the pages' sessions per worker are printed. The CPU figures then add up the supervisor
and its workers.

The pages send the binary landmark message the patient page sends (web/static/device_pose.js);
`--format json`: the JSON one instead (a checkout older than the binary message needs it).
To compare two checkouts with the same pages,
`--server-tree DIR` runs the server of another one (e.g. `git archive BASE | tar -x -C DIR`);
`--ws` and `--no-deflate` choose uvicorn's WebSocket implementation and per-message deflate;
`--timeline` prints the latency second by second. On a busy machine run two at once, one
against each tree, and compare their CPU per message (docs/BENCHMARKS.md).

Last line: `landmark sessions=N fps_each=F p95_ms=L server_ms_per_frame=M`: F the frame
replies a second per session (mean), L the 95th percentile of send -> reply over all
frames, M the server's mean processing time per message (`server_ms`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from websockets.asyncio.client import connect

from coach.live.landmarks import landmark_bytes, track_messages
from pose.sources import VideoFileSource

try:  # uvloop (uvicorn[standard] brings it; the server runs on it too): the pages share the
    # cores with the server, so they should cost little.
    from uvloop import run as _run_loop
except ImportError:
    _run_loop = asyncio.run

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("COACH_SHARED_DATA", REPO.parent / "shared" / "data"))
CLIPS = ["medflex/squat", "rehab_bme410/elbow_flexion", "rehab_bme410/squat", "formfit/curl"]
FPS = 30.0
# The patient page's flow control (web/static/capture.js MAX_UNANSWERED, REPLY_TIMEOUT_MS):
# with this many landmark messages unanswered it skips camera frames instead of queueing.
MAX_UNANSWERED = 3
REPLY_TIMEOUT_S = 5.0
HEADER = len(landmark_bytes(0, 0.0, (640, 480), None))  # the binary message's header

SERVER = """
import sys
from coach.live import LiveLimits, SessionRegistry
from web.app import create_app
from web.frames import decode_frame
from web.server import BackgroundServer
limits = LiveLimits(max_device={n}, max_per_address=0)
registry = SessionRegistry(decode=decode_frame, isolation="thread", limits=limits)
server = BackgroundServer(create_app(registry))
server.server.config.ws = {ws!r}
server.server.config.ws_per_message_deflate = {deflate!r}
with server:
    print(server.port, flush=True)
    sys.stdin.read()  # until the benchmark closes our stdin
"""

# The same app in each worker of `coach serve --workers N` (web/workers.py's supervisor).
SERVER_WORKERS = """
import socket, sys, threading
from web.workers import Supervisor, WorkerApp
sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", 0))
sock.set_inheritable(True)
app = WorkerApp("benchmarks.live_load:worker_app", {{"max_device": {n}}})
supervisor = Supervisor(app, sock, {workers})
print(sock.getsockname()[1], flush=True)
threading.Thread(target=lambda: (sys.stdin.read(), supervisor.stop()), daemon=True).start()
sys.exit(supervisor.run())
"""


def worker_app(place: Any, max_device: int) -> Any:
    """The benchmark's app in one worker of `--workers N`: as the one-process server's."""
    from coach.live import LiveLimits, SessionRegistry
    from web.app import create_app
    from web.frames import decode_frame

    limits = LiveLimits(max_device=max_device, max_per_address=0)
    registry = SessionRegistry(decode=decode_frame, isolation="thread", limits=limits)
    return create_app(registry, worker=place)


@dataclass
class Track:
    exercise: str
    texts: list[str]  # pre-encoded landmark rows, one per frame ("null": no person)
    rows: list[bytes]  # the same as the binary message's float32 rows (b"": no person)
    image: tuple[int, int]


@dataclass
class PageStats:
    sent: int = 0
    frames: int = 0
    dropped: int = 0
    skipped: int = 0
    errors: int = 0
    latency_ms: list[float] = field(default_factory=list)
    sent_s: list[float] = field(default_factory=list)  # when each answered one was sent
    server_ms: list[float] = field(default_factory=list)
    session_id: str = ""


def load_tracks() -> list[Track]:
    manifest = {c["id"]: c for c in json.loads((SHARED / "MANIFEST.json").read_text())["videos"]}
    tracks = []
    for clip_id in CLIPS:
        clip = manifest[clip_id]
        with VideoFileSource(SHARED / clip["video"]) as src:
            info = src.info
        lm = np.load(SHARED / clip["landmarks"])["lm"]
        msgs = track_messages(lm, FPS, (info.width, info.height))
        size = (info.width, info.height)
        texts = [json.dumps(m["landmarks"], separators=(",", ":")) for m in msgs]
        rows = [landmark_bytes(0, 0.0, size, m["landmarks"])[HEADER:] for m in msgs]
        tracks.append(Track(clip["exercise"], texts, rows, size))
    return tracks


async def run_page(
    url: str,
    track: Track,
    seconds: float,
    stats: PageStats,
    max_unanswered: int,
    binary: bool = False,
) -> None:
    w, h = track.image
    sent_at: dict[int, float] = {}
    # Offers per-message deflate as browsers do; the server decides (uvicorn: accepts).
    async with connect(f"{url}/ws/live?exercise={track.exercise}&pose=device") as ws:
        hello = json.loads(await ws.recv())
        if hello.get("type") != "session":
            raise RuntimeError(f"server refused the session: {hello}")
        stats.session_id = str(hello.get("session_id", ""))

        unanswered = 0  # as the page counts them (web/static/capture.js)
        last_sent = 0.0

        async def replies() -> None:
            nonlocal unanswered
            async for raw in ws:
                now = time.perf_counter()
                msg = orjson.loads(raw)
                kind = msg.get("type")
                if kind in ("frame", "dropped", "error"):
                    unanswered = max(0, unanswered - 1)
                if kind == "frame":
                    stats.frames += 1
                    stats.server_ms.append(float(msg["server_ms"]))
                    start = sent_at.pop(msg["seq"], None)
                    if start is not None:
                        stats.latency_ms.append((now - start) * 1000.0)
                        stats.sent_s.append(start)
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
            if max_unanswered and unanswered >= max_unanswered:
                if time.perf_counter() - last_sent < REPLY_TIMEOUT_S:
                    stats.skipped += 1  # the page skips this camera frame
                    k += 1
                    continue
                unanswered = 0
            message: str | bytes
            if binary:
                message = landmark_bytes(k, k / FPS, (w, h), None) + track.rows[k % len(track.rows)]
            else:
                rows = track.texts[k % len(track.texts)]
                message = (
                    f'{{"type":"landmarks","seq":{k},"t":{k / FPS:.4f},'
                    f'"image":[{w},{h}],"landmarks":{rows}}}'
                )
            sent_at[k] = last_sent = time.perf_counter()
            unanswered += 1
            await ws.send(message)
            stats.sent += 1
            k += 1
        await asyncio.sleep(0.5)  # the last replies
        reader.cancel()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children so far (Linux /proc: the
    workers of `--workers N`); -1 when unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return -1.0
    total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    for child in _children(pid):
        total += max(0.0, cpu_seconds(child))
    return total


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in task.read_text().split()]
    return found


def start_server(
    sessions: int, tree: Path = REPO, ws: str = "auto", deflate: bool = True, workers: int = 1
) -> tuple[subprocess.Popen[str], str]:
    """The server of the checkout at `tree` (another one: compare before and after with the
    same pages), with uvicorn's WebSocket implementation `ws` and per-message deflate; with
    `workers` > 1 as `coach serve --workers N` (this checkout's)."""
    # Every page comes from 127.0.0.1: not held to one address's share of the connections.
    env = {**os.environ, "PYTHONPATH": str(tree), "COACH_MAX_CONNECTIONS_PER_ADDRESS": "100000"}
    if workers > 1:
        if not deflate or ws != "auto":
            raise SystemExit("--no-deflate and --ws go with one worker")
        code = SERVER_WORKERS.format(n=sessions + 10, workers=workers)
    else:
        code = SERVER.format(n=sessions + 10, ws=ws, deflate=deflate)
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=tree,
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
    if workers > 1:
        wait_for_workers(int(port), workers)
    return proc, f"ws://127.0.0.1:{port}"


def wait_for_workers(port: int, workers: int, timeout: float = 120.0) -> None:
    """Until every worker has answered /healthz (each on a new connection): pages arriving
    before would all go to the workers already up."""
    import httpx

    seen: set[int] = set()
    deadline = time.monotonic() + timeout
    while len(seen) < workers:
        if time.monotonic() > deadline:
            raise SystemExit(f"only workers {sorted(seen)} answered")
        try:
            r = httpx.get(f"http://127.0.0.1:{port}/healthz", headers={"Connection": "close"})
            seen.add(int(r.json()["worker"]))
        except (httpx.HTTPError, KeyError, ValueError):
            time.sleep(0.2)


async def run(
    url: str,
    tracks: list[Track],
    sessions: int,
    seconds: float,
    unanswered: int,
    binary: bool = False,
) -> list[PageStats]:
    stats = [PageStats() for _ in range(sessions)]
    await asyncio.wait_for(
        asyncio.gather(
            *(
                run_page(url, tracks[i % len(tracks)], seconds, stats[i], unanswered, binary)
                for i in range(sessions)
            )
        ),
        timeout=seconds + 60,
    )
    return stats


def print_timeline(stats: list[PageStats]) -> None:
    """Answered messages and latency second by second (by when they were sent): shows
    whether the latency comes from the start (50 pages connecting at once) or all along."""
    sent = np.array([t for s in stats for t in s.sent_s])
    latency = np.array([x for s in stats for x in s.latency_ms])
    if not len(sent):
        return
    second = (sent - sent.min()).astype(int)
    for k in range(second.max() + 1):
        here = latency[second == k]
        if len(here):
            print(
                f"  second {k:3d}: {len(here):5d} answered, latency p50 "
                f"{np.percentile(here, 50):7.1f} ms, p95 {np.percentile(here, 95):7.1f} ms"
            )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument(
        "--unanswered",
        type=int,
        default=MAX_UNANSWERED,
        help="skip a camera frame while this many messages are unanswered, as the page "
        f"does (default {MAX_UNANSWERED}); 0: send every frame whatever the server's backlog",
    )
    ap.add_argument(
        "--format",
        choices=["json", "binary"],
        default="binary",
        help="the pages' landmark messages: the binary message web/static/device_pose.js "
        "sends (default), or the JSON text one (docs/LIVE-PROTOCOL.md)",
    )
    ap.add_argument(
        "--server-tree",
        type=Path,
        default=REPO,
        help="run the server of this checkout (default: this one), e.g. the base of a change",
    )
    ap.add_argument(
        "--ws",
        default="auto",
        choices=["auto", "websockets", "websockets-sansio", "wsproto"],
        help="uvicorn's WebSocket implementation for the server (auto: websockets-sansio)",
    )
    ap.add_argument(
        "--no-deflate",
        action="store_true",
        help="the server refuses per-message deflate (the pages offer it, as browsers do)",
    )
    ap.add_argument(
        "--timeline", action="store_true", help="print the latency second by second too"
    )
    ap.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes, as `coach serve --workers N` runs them (default 1)",
    )
    ap.add_argument(
        "--smoke",
        action="store_true",
        help="check that the benchmark runs (tests): 4 sessions for 2 s on 2 workers; "
        "exit 1 unless every page got frames back without errors",
    )
    args = ap.parse_args(argv)
    if args.smoke:
        args.sessions, args.seconds, args.workers = 4, 2.0, max(2, args.workers)
    if not 1 <= args.sessions <= 500 or not 1 <= args.seconds <= 600:
        raise SystemExit("--sessions 1..500, --seconds 1..600")
    tracks = load_tracks()
    load_before = os.getloadavg()
    proc, url = start_server(
        args.sessions, args.server_tree, args.ws, not args.no_deflate, args.workers
    )
    server_cpu = cpu_seconds(proc.pid)
    client_cpu = time.process_time()
    try:
        stats = _run_loop(
            run(
                url,
                tracks,
                args.sessions,
                args.seconds,
                args.unanswered,
                args.format == "binary",
            )
        )
        server_cpu = cpu_seconds(proc.pid) - server_cpu
        client_cpu = time.process_time() - client_cpu
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
    latency = [x for s in stats for x in s.latency_ms]
    if args.timeline:
        print_timeline(stats)
    server = [x for s in stats for x in s.server_ms]
    fps_each = sum(s.frames for s in stats) / len(stats) / args.seconds
    sent = sum(s.sent for s in stats)
    print(
        f"sent {sent} messages, {sum(s.frames for s in stats)} frames back, "
        f"{sum(s.dropped for s in stats)} dropped, {sum(s.errors for s in stats)} errors, "
        f"{sum(s.skipped for s in stats)} camera frames skipped (flow control); "
        f"latency p50 {np.percentile(latency, 50):.1f} ms"
    )
    frames = sum(s.frames for s in stats)
    load_after = os.getloadavg()
    print(
        f"load average before {load_before[0]:.2f} ({load_before[1]:.2f} over 5 min), "
        f"after {load_after[0]:.2f}"
    )
    if args.workers > 1:
        from web.routing import owner

        per_worker = [0] * args.workers
        for s in stats:
            if s.session_id:
                per_worker[owner(s.session_id, args.workers)] += 1
        print(f"sessions per worker: {per_worker}")
    if server_cpu >= 0 and frames:
        # CPU time per answered message, which other load on the machine hardly changes.
        print(
            f"CPU per message: server {server_cpu / frames * 1000:.3f} ms, client (pages) "
            f"{client_cpu / frames * 1000:.3f} ms; server busy "
            f"{server_cpu / args.seconds:.0%} of a core"
        )
    print(
        f"landmark sessions={args.sessions} fps_each={fps_each:.1f} "
        f"p95_ms={np.percentile(latency, 95):.1f} server_ms_per_frame={np.mean(server):.2f}"
    )
    if args.smoke and any(s.frames == 0 or s.errors for s in stats):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
