"""`coach worker`: its help names every setting; without a queue it says so in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.cli import CoachCli, run_coach


def test_worker_help_documents_the_settings(coach_cli: CoachCli) -> None:
    out = coach_cli("worker", "--help")
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


@pytest.mark.subprocess
def test_worker_without_a_queue_says_what_is_missing(tmp_path: Path) -> None:
    """The `worker` command as a user runs it (its subprocess smoke test)."""
    out = run_coach("worker", COACH_DATA_DIR=str(tmp_path), COACH_REDIS_URL="")
    assert out.returncode == 2
    assert out.stderr.strip() == (
        "coach: coach worker needs the task queue: --redis-url or COACH_REDIS_URL"
    )
