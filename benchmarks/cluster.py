"""Upload throughput of a cluster with 1 and 2 `coach worker` processes; live landmark
sessions spread over 1 and 2 instances.

  COACH_SHARED_DATA=... python benchmarks/cluster.py [--videos 6] [--workers 1 2] [CLIP]
  COACH_SHARED_DATA=... python benchmarks/cluster.py --live 40 [--seconds 20]

Starts what tests/cluster starts (a private PostgreSQL and Redis from Debian's packages, one
`coach serve` instance, N workers, a shared upload folder), uploads --videos copies of the
clip (default: the medflex squat, 10 s of 1080p video) at once over HTTP, and times from the
first upload until every job is done. Prints, per worker count: wall time, videos per hour,
video seconds analysed per wall second, and videos per worker-hour.

`--live N`: N simulated `pose=device` pages (benchmarks/live_load.py's, 30 landmark messages a
second each) on one instance, then spread over two instances sharing a Redis (live caps and
the relay on, per-address cap lifted: every page comes from 127.0.0.1); prints the frame
replies a second per session and the 95th percentile latency, as live_load.py does.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.cluster.processes import PASSWORD, Cluster  # noqa: E402
from tests.servers import fresh_database, postgres_server, redis_server  # noqa: E402


def clip_seconds(path: Path) -> float:
    import cv2

    cap = cv2.VideoCapture(str(path))
    try:
        return float(cap.get(cv2.CAP_PROP_FRAME_COUNT)) / max(1.0, cap.get(cv2.CAP_PROP_FPS))
    finally:
        cap.release()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(pg: str, redis: str, clip: Path, workers: int, videos: int) -> tuple[float, float]:
    """(wall seconds for all the videos, the workers' CPU seconds for them)."""
    from coach.store.cluster import redis_client

    redis_client(redis).flushdb()
    with tempfile.TemporaryDirectory(prefix="coach-bench-") as tmp:
        cluster = Cluster(Path(tmp), fresh_database(pg), redis)
        try:
            ther = cluster.store.create_user("ther", "Dr T", PASSWORD)
            patient = cluster.store.create_patient(ther.id, "Pat")
            url = cluster.serve("serve")
            procs = [cluster.worker(f"worker-{i}") for i in range(workers)]
            time.sleep(3)  # the workers load the pose model and connect
            cpu0 = sum(cpu_seconds(p.pid) for p in procs)
            body = clip.read_bytes()
            with cluster.signed_in(url, "ther") as c:
                start = time.monotonic()
                jobs = []
                for _ in range(videos):
                    r = c.post(
                        f"/patients/{patient.id}/uploads",
                        data={"exercise_id": "squat"},
                        files={"video": (clip.name, body, "video/mp4")},
                        headers={"Accept": "application/json"},
                    )
                    r.raise_for_status()
                    jobs.append(r.json()["job"])
                pending = set(jobs)
                while pending:
                    for job in list(pending):
                        status = c.get(f"/api/jobs/{job}").json()["status"]
                        if status == "failed":
                            raise SystemExit(f"job failed: {cluster.log('worker-0')}")
                        if status == "done":
                            pending.discard(job)
                    time.sleep(0.2)
                wall = time.monotonic() - start
                return wall, sum(cpu_seconds(p.pid) for p in procs) - cpu0
        finally:
            cluster.stop()


LIVE_SERVER = """
import sys
from coach.live import LiveLimits, SessionRegistry
from web.app import create_app
from web.frames import decode_frame
from web.server import BackgroundServer
limits = LiveLimits(max_device={n}, max_per_address=0)
registry = SessionRegistry(decode=decode_frame, isolation="thread", limits=limits)
with BackgroundServer(create_app(registry, redis_url={redis!r})) as server:
    print(server.port, flush=True)
    sys.stdin.read()  # until the benchmark closes our stdin
"""


def live(redis: str, sessions: int, seconds: float, instances: int) -> None:
    import asyncio
    import subprocess

    import numpy as np

    from benchmarks.live_load import PageStats, load_tracks, run_page

    procs, urls = [], []
    for _ in range(instances):
        proc = subprocess.Popen(
            [sys.executable, "-c", LIVE_SERVER.format(n=sessions + 10, redis=redis)],
            cwd=REPO,
            env={
                **os.environ,
                "PYTHONPATH": str(REPO),
                "COACH_MAX_CONNECTIONS_PER_ADDRESS": "100000",
            },
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        urls.append(f"ws://127.0.0.1:{proc.stdout.readline().strip()}")  # type: ignore[union-attr]
    tracks = load_tracks()
    stats = [PageStats() for _ in range(sessions)]

    async def pages() -> None:
        await asyncio.wait_for(
            asyncio.gather(
                *(
                    run_page(urls[i % instances], tracks[i % len(tracks)], seconds, stats[i])
                    for i in range(sessions)
                )
            ),
            timeout=seconds + 60,
        )

    cpu0 = sum(cpu_seconds(p.pid) for p in procs)
    try:
        asyncio.run(pages())
        cpu = sum(cpu_seconds(p.pid) for p in procs) - cpu0
    finally:
        for proc in procs:
            proc.stdin.close()  # type: ignore[union-attr]
            proc.wait(15)
    latency = [x for st in stats for x in st.latency_ms]
    frames = max(1, sum(st.frames for st in stats))
    fps_each = sum(st.frames for st in stats) / sessions / seconds
    print(
        f"{instances} instance(s), {sessions} landmark sessions: {fps_each:.1f} fps each, "
        f"latency p50 {np.percentile(latency, 50):.1f} ms, "
        f"p95 {np.percentile(latency, 95):.1f} ms, {sum(st.errors for st in stats)} errors; "
        f"servers' CPU {1000 * cpu / frames:.2f} ms per frame "
        f"({1000 / (30 * 1000 * cpu / frames):.0f} sessions at 30 fps per core)"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("clip", nargs="?", help="a video (default: the medflex squat)")
    p.add_argument("--videos", type=int, default=6)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--live", type=int, metavar="N", help="N live landmark sessions instead")
    p.add_argument("--seconds", type=float, default=20.0)
    args = p.parse_args()
    if args.live:
        if not 1 <= args.live <= 300 or not 1 <= args.seconds <= 300:
            raise SystemExit("--live 1..300, --seconds 1..300")
        print(f"{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.2f} at start")
        with redis_server() as redis:
            for instances in (1, 2):
                live(redis, args.live, args.seconds, instances)
        return
    data = Path(os.environ.get("COACH_SHARED_DATA", REPO.parent / "shared" / "data"))
    clip = Path(args.clip) if args.clip else data / "videos" / "medflex" / "squat.MP4"
    seconds = clip_seconds(clip)
    print(
        f"clip {clip.name}: {seconds:.1f} s of video; {args.videos} uploads; "
        f"{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.2f} at start"
    )
    with postgres_server() as pg, redis_server() as redis:
        for n in args.workers:
            wall, cpu = run(pg, redis, clip, n, args.videos)
            per_hour = args.videos / wall * 3600
            print(
                f"{n} worker(s): {wall:6.1f} s for {args.videos} videos | "
                f"{per_hour:6.0f} videos/h | {args.videos * seconds / wall:4.2f} video-s per s | "
                f"{per_hour / n:6.0f} videos per worker-hour | "
                f"{cpu / args.videos:5.1f} CPU-s per video "
                f"({3600 * args.videos / cpu:4.0f} videos per CPU-hour)"
            )


if __name__ == "__main__":
    main()
