"""The `coach` command in tests: `coach_in_process` runs `coach.cli.main(argv)` in this process
(its exit status and output, as the `coach_cli` fixture returns them; milliseconds), and
`run_coach` in a child process exactly as a user runs it (a second or more each: the
`subprocess` lane), for one smoke test per command. `one_line_error` checks a refusal."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CoachCli = Callable[..., subprocess.CompletedProcess[str]]
"""The `coach_cli` fixture: `coach_cli("exercises", "list")` -> exit status and output."""


def coach_in_process(
    capsys: pytest.CaptureFixture[str], *args: str
) -> subprocess.CompletedProcess[str]:
    """`coach ARGS` through `coach.cli.main` here: its exit status (argparse's SystemExit
    included), stdout and stderr, shaped like `run_coach`'s result."""
    from coach.cli import main

    capsys.readouterr()  # only this command's output
    try:
        code: Any = main(list(args))
    except SystemExit as exc:
        code = exc.code
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    out = capsys.readouterr()
    return subprocess.CompletedProcess(["coach", *args], code, out.out, out.err)


def run_coach(
    *args: str, timeout: float = 300, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """`python -m coach.cli ARGS` in a child process, with `env` added to the environment and
    `stdin` as its input."""
    return subprocess.run(
        [sys.executable, "-m", "coach.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
        cwd=REPO,
    )


def one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    """The refusal's one line on stderr ("coach: ..."), with no traceback."""
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("coach: ")
    return lines[0]
