"""Shared fixtures: where the real recordings live (and the rule that CI must not skip them),
the one PostgreSQL and Redis of a test session, and how loaded the machine is.

The lanes plugin (tests/lanes.py) marks every test by what it starts and enforces it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Passwords hashed at argon2's minimum cost in this process and every server it starts: the
# default costs ~0.18 s of CPU a sign-in, minutes over the suite (tests/coach/store/test_store.py
# checks the default profile; coach/store/accounts.py).
os.environ.setdefault("COACH_TEST_FAST_PASSWORD_HASHES", "1")

# Helper modules get pytest's assertion messages too (it rewrites only test files by itself).
pytest.register_assert_rewrite(
    "tests.lanes",
    "tests.helpers",
    "tests.servers",
    "tests.cluster.processes",
    "tests.coach.store.uiprmd_sessions",
    "tests.exercises.definitions",
    "tests.scoring.poses",
    "tests.scoring.streams",
    "tests.scoring.tracks",
    "tests.web.pages",
    "tests.web.review_app",
    "tests.web.sockets",
)

from tests import machine  # noqa: E402
from tests.helpers.cli import CoachCli, coach_in_process  # noqa: E402
from tests.helpers.data import CLIP_ID, manifest_entry, shared_data_dir  # noqa: E402
from tests.lanes import uses  # noqa: E402
from tests.servers import postgres_server, redis_server  # noqa: E402

pytest_plugins = ["tests.lanes", "pytester"]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real evaluation data (../shared/data). Skips on a user's machine without it; on CI
    (CI=true) its absence is a failure, never a silent skip."""
    path = shared_data_dir()
    if not (path / "MANIFEST.json").is_file():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but the shared data is missing at {path}")
        pytest.skip(f"shared data not found at {path} (set COACH_SHARED_DATA)")
    return path


@pytest.fixture(scope="session")
def squat_clip(shared_data: Path) -> tuple[Path, dict[str, Any]]:
    entry = manifest_entry(shared_data, CLIP_ID)
    return shared_data / entry["video"], entry


@pytest.fixture()
def coach_cli(capsys: pytest.CaptureFixture[str]) -> CoachCli:
    """`coach_cli("analyze", path, "-e", "squat")`: the command run in this process through
    `coach.cli.main` (exit status, stdout, stderr). Refusals and exit codes are tested so;
    one subprocess smoke test per command keeps the real entry point honest."""
    return lambda *args: coach_in_process(capsys, *args)


@pytest.fixture(scope="session")
@uses("postgres")
def postgres_url() -> Iterator[str]:
    """The session's private PostgreSQL (database `postgres`); tests take a fresh database
    on it (tests/servers.py: `fresh_database`, `migrated_database`)."""
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
@uses("postgres")
def redis_url() -> Iterator[str]:
    """The session's private Redis; a test that uses it empties it first."""
    with redis_server() as url:
        yield url


@pytest.fixture(scope="session")
def machine_factor() -> float:
    """How much slower the machine is now than when idle (tests/machine.py): multiply a
    real-time deadline by it, or call `tests.machine.scaled`."""
    return machine.machine_factor()


def pytest_report_header() -> str:
    return f"machine factor {machine.machine_factor():.1f} (tests/machine.py)"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    factor = machine.last_factor()
    if factor is not None:
        terminalreporter.write_line(f"machine factor at the last measure: {factor:.1f}")
