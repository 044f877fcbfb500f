"""The layers hold: pose < scoring < exercises < coach < web, no import cycles, errors in a
leaf (the import-linter contracts in pyproject.toml, checked on the real source tree); the
lower layers type-check strictly (mypy, [tool.mypy] in pyproject.toml); no function in
scoring/ or pose/ is longer than 60 lines."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_import_contracts_are_kept() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    proc = subprocess.run(
        [exe, "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout and "Contracts: 5 kept" in proc.stdout


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


def mypy(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_the_lower_layers_type_check_strictly() -> None:
    """mypy with pyproject.toml's settings: strict on pose, scoring, exercises, labelled_data."""
    proc = mypy(cwd=REPO)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert "Success: no issues found" in proc.stdout


def test_the_type_checks_are_strict(tmp_path: Path) -> None:
    """Not vacuous: under the same settings an unannotated function in scoring/ is an error."""
    (tmp_path / "scoring").mkdir()
    (tmp_path / "scoring" / "__init__.py").write_text("")
    (tmp_path / "scoring" / "loose.py").write_text("def same(x):\n    return x\n")
    config = ["--config-file", str(REPO / "pyproject.toml")]
    proc = mypy(*config, "--cache-dir", str(tmp_path / "cache"), "scoring", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "loose.py:1: error: Function is missing a type annotation" in proc.stdout


def test_no_function_in_scoring_or_pose_is_over_60_lines() -> None:
    """Counted from `def` to the last line, docstring included."""
    long = []
    for package in ("scoring", "pose"):
        for path in sorted((REPO / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    lines = (node.end_lineno or node.lineno) - node.lineno + 1
                    if lines > 60:
                        long.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name} {lines}")
    assert not long, long
