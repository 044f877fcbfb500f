"""Every benchmark script keeps running: each answers --help (it imports and parses; all of
them in one child interpreter, one after another, so the imports are paid once), and the
ones that can run small do, on tiny inputs (a few frames, a second, one file a label), as a
user would start them. The figures are not checked here, only that the script gets to them:
a benchmark that stops on its own set-up (ws_live.py once met the per-address cap of its own
server) measures nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.subprocess

REPO = Path(__file__).resolve().parents[2]
MAIN = 'if __name__ == "__main__"'
SCRIPTS = sorted(p.name for p in (REPO / "benchmarks").glob("*.py") if MAIN in p.read_text())


def _run(script: str, *args: str, data: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if data is not None:
        env["COACH_SHARED_DATA"] = str(data)
    return subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / script), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


# Each script run as __main__ with --help, one after another in one child interpreter (the
# imports of numpy, cv2 and coach paid once, not once a script): its exit status and output.
HELP_ALL = """
import contextlib, io, json, runpy, sys, traceback
from pathlib import Path
answers = {}
for script in sys.argv[1:]:
    out, err, code = io.StringIO(), io.StringIO(), 0
    sys.argv, sys.path[0] = [script, "--help"], str(Path(script).parent)
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            runpy.run_path(script, run_name="__main__")
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        except BaseException:
            traceback.print_exc()
            code = 1
    answers[Path(script).name] = [code, out.getvalue(), err.getvalue()]
print(json.dumps(answers))
"""


@pytest.fixture(scope="module")
def helps() -> dict[str, list[Any]]:
    """Every script's [exit status, stdout, stderr] for --help."""
    done = subprocess.run(
        [sys.executable, "-c", HELP_ALL, *(str(REPO / "benchmarks" / s) for s in SCRIPTS)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answers: dict[str, list[Any]] = json.loads(done.stdout.splitlines()[-1])
    return answers


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_benchmark_script_answers_help(helps: dict[str, list[Any]], script: str) -> None:
    code, stdout, stderr = helps[script]
    assert code == 0, stderr
    assert "usage:" in stdout


@pytest.mark.parametrize(
    ("script", "args", "says"),
    [
        ("store.py", ["--minutes", "0.05"], "database size"),
        ("live_path.py", ["--repeat", "1"], "landmark path us_per_message="),
        ("live_load.py", ["--sessions", "2", "--seconds", "1"], "landmark sessions=2"),
        # as `coach serve --workers 2` runs (web/workers.py), the pages on both workers
        ("live_load.py", ["--smoke"], "sessions per worker: ["),
        ("labelled.py", ["--limit", "1"], "| UI-PRMD"),
        ("secure_delete.py", ["--seeds", "1"], "erasures left ids in the file; after VACUUM 0"),
    ],
)
def test_the_model_free_benchmarks_run_small(
    shared_data: Path, script: str, args: list[str], says: str
) -> None:
    done = _run(script, *args, data=shared_data)
    assert done.returncode == 0, done.stderr[-3000:]
    assert says in done.stdout


@pytest.mark.model
def test_speed_runs_small(shared_data: Path) -> None:
    """Three whole processes on 12 small frames: the plain loop and coach analyze (guard on
    and off) read the same frames, and the ratios come out."""
    done = _run("speed.py", "--smoke", data=shared_data)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "12 frames" in done.stdout and "analyze / plain loop, guard on:" in done.stdout


@pytest.mark.model
def test_ws_live_runs_three_sessions_from_one_address(shared_data: Path) -> None:
    """More sessions than the per-address cap (2) of a default server, all from here: the
    benchmark's server lifts it, so every session is served."""
    done = _run("ws_live.py", "--smoke", "--json", data=shared_data)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "already has" not in done.stderr
    (result,) = json.loads(done.stdout)
    assert result["sessions"] == 3 and result["fps_per_session"] > 0 and result["errors"] == 0
