"""`coach exercises list|show|validate` know the hand-eye `targets` tasks."""

from __future__ import annotations

from pathlib import Path

import pytest

from exercises.loader import LIBRARY_DIR
from tests.helpers.cli import CoachCli, run_coach


@pytest.mark.subprocess
def test_list_shows_the_target_tasks() -> None:
    """The `exercises` command as a user runs it (its subprocess smoke test)."""
    proc = run_coach("exercises", "list")
    assert proc.returncode == 0, proc.stderr
    rows = [line for line in proc.stdout.splitlines() if " targets " in line]
    assert [row.split()[0] for row in rows] == [
        "targets_cross_body",
        "targets_follow",
        "targets_reach_seated",
    ]
    assert "skipped" not in proc.stderr


def test_show_and_validate_a_task(tmp_path: Path, coach_cli: CoachCli) -> None:
    proc = coach_cli("exercises", "show", "targets_follow")
    assert proc.returncode == 0 and '"layout": "follow"' in proc.stdout
    proc = coach_cli("exercises", "validate", str(LIBRARY_DIR / "targets_cross_body.toml"))
    assert proc.returncode == 0 and "ok (targets_cross_body, targets)" in proc.stdout
    bad = tmp_path / "bad.toml"
    text = (LIBRARY_DIR / "targets_follow.toml").read_text(encoding="utf-8")
    bad.write_text(text.replace("speed = 0.15", "speed = 0"), encoding="utf-8")
    proc = coach_cli("exercises", "validate", str(bad))
    assert proc.returncode != 0
    assert "targets.levels: level 1: a follow task needs speed > 0" in proc.stderr
