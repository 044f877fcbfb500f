"""The layers hold: pose < scoring < exercises < coach < web, no import cycles, errors in a
leaf (the import-linter contracts in pyproject.toml, checked on the real source tree)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.subprocess
def test_the_import_contracts_are_kept() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    proc = subprocess.run(
        [exe, "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout and "Contracts: 5 kept" in proc.stdout


@pytest.mark.subprocess
def test_a_broken_layer_would_be_caught(tmp_path: Path) -> None:
    """The contracts are not vacuous: an upward import (scoring -> coach) breaks them."""
    for pkg in ("pose", "scoring", "exercises", "coach", "web", "labelled_data"):
        shutil.copytree(REPO / pkg, tmp_path / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    bad = tmp_path / "scoring" / "score.py"
    bad.write_text(bad.read_text() + "\nfrom coach.errors import UsageError  # noqa\n")
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    proc = subprocess.run(
        [exe, "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"PYTHONPATH": str(tmp_path), "PATH": str(Path(sys.executable).parent)},
    )
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert "scoring.score -> coach.errors" in proc.stdout
