"""Each `coach` command once as a user runs it (`python -m coach.cli` in a child process), for
the commands whose other tests run in-process: the real entry point, its exit status and its
one-line refusals. (analyze, protocol, eval, exercises, reference, worker and serve have
theirs beside their other tests.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.cli import one_line_error, run_coach

pytestmark = pytest.mark.subprocess


def test_admin_creates_a_therapist_and_lists_the_accounts(tmp_path: Path) -> None:
    db = {"COACH_DATABASE_URL": f"sqlite:///{tmp_path / 'coach.db'}"}
    made = run_coach(
        *("admin", "create-therapist", "ada", "--name", "Dr Ada Lovelace", "--password-stdin"),
        stdin="correct horse battery staple\n",
        **db,
    )
    assert made.returncode == 0, made.stderr
    users = run_coach("admin", "users", **db)
    assert users.returncode == 0 and "ada" in users.stdout and "Dr Ada Lovelace" in users.stdout


def test_assets_status_answers_without_the_network() -> None:
    proc = run_coach("assets", "status")
    assert proc.returncode == 0, proc.stderr  # installed or not, it says so
    assert Path(json.loads(proc.stdout)["folder"]).name


def test_live_refuses_a_missing_video_in_one_line(tmp_path: Path) -> None:
    proc = run_coach("live", "-e", "squat", "--video", str(tmp_path / "none.mp4"), "--no-window")
    assert proc.returncode == 2
    assert "none.mp4" in one_line_error(proc)
