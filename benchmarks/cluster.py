"""Upload throughput of a cluster with 1 and 2 `coach worker` processes.

  COACH_SHARED_DATA=... python benchmarks/cluster.py [--videos 6] [--workers 1 2] [CLIP]

Starts what tests/cluster starts (a private PostgreSQL and Redis from Debian's packages, one
`coach serve` instance, N workers, a shared upload folder), uploads --videos copies of the
clip (default: the medflex squat, 10 s of 1080p video) at once over HTTP, and times from the
first upload until every job is done. Prints, per worker count: wall time, videos per hour,
video seconds analysed per wall second, and videos per worker-hour.
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


def run(pg: str, redis: str, clip: Path, workers: int, videos: int) -> float:
    from coach.store.cluster import redis_client

    redis_client(redis).flushdb()
    with tempfile.TemporaryDirectory(prefix="coach-bench-") as tmp:
        cluster = Cluster(Path(tmp), fresh_database(pg), redis)
        try:
            ther = cluster.store.create_user("ther", "Dr T", PASSWORD)
            patient = cluster.store.create_patient(ther.id, "Pat")
            url = cluster.serve("serve")
            for i in range(workers):
                cluster.worker(f"worker-{i}")
            time.sleep(3)  # the workers load the pose model and connect
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
                return time.monotonic() - start
        finally:
            cluster.stop()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("clip", nargs="?", help="a video (default: the medflex squat)")
    p.add_argument("--videos", type=int, default=6)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = p.parse_args()
    data = Path(os.environ.get("COACH_SHARED_DATA", REPO.parent / "shared" / "data"))
    clip = Path(args.clip) if args.clip else data / "videos" / "medflex" / "squat.MP4"
    seconds = clip_seconds(clip)
    print(
        f"clip {clip.name}: {seconds:.1f} s of video; {args.videos} uploads; "
        f"{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.2f} at start"
    )
    with postgres_server() as pg, redis_server() as redis:
        for n in args.workers:
            wall = run(pg, redis, clip, n, args.videos)
            per_hour = args.videos / wall * 3600
            print(
                f"{n} worker(s): {wall:6.1f} s for {args.videos} videos | "
                f"{per_hour:6.0f} videos/h | {args.videos * seconds / wall:4.2f} video-s per s | "
                f"{per_hour / n:6.0f} videos per worker-hour"
            )


if __name__ == "__main__":
    main()
