"""`coach worker`: its help names every setting; without a queue it says so in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def _coach(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coach.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_worker_help_documents_the_settings(tmp_path: Path) -> None:
    out = _coach("worker", "--help", env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert out.returncode == 0
    for setting in (
        "COACH_DATABASE_URL",
        "COACH_REDIS_URL",
        "COACH_UPLOAD_DIR",
        "COACH_VIDEO_DIR",
        "COACH_WORKER_LEASE_S",
        "COACH_RETENTION_DAYS",
        "--redis-url",
    ):
        assert setting in out.stdout


def test_worker_without_a_queue_says_what_is_missing(tmp_path: Path) -> None:
    out = _coach("worker", env={"PATH": "/usr/bin:/bin", "COACH_DATA_DIR": str(tmp_path)})
    assert out.returncode == 2
    assert out.stderr.strip() == (
        "coach: coach worker needs the task queue: --redis-url or COACH_REDIS_URL"
    )
