"""benchmarks/live_load.py stays runnable: `--smoke` runs a few pages against the server as
`coach serve --workers 2` runs it (the 100-session figures in docs/BENCHMARKS.md come from
the same script)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.data import REPO
from tests.machine import scaled

pytestmark = pytest.mark.subprocess


def test_the_live_load_benchmark_runs_on_two_workers(shared_data: Path) -> None:
    done = subprocess.run(
        [sys.executable, "benchmarks/live_load.py", "--smoke"],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), "COACH_SHARED_DATA": str(shared_data)},
        capture_output=True,
        text=True,
        timeout=scaled(180),
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "sessions per worker: [" in done.stdout
    assert "landmark sessions=4 fps_each=" in done.stdout
