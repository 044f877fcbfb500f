"""The database password is never shown: `coach admin migrate` and `coach serve` print where the
data is with the password masked, and their errors leave it out too. Real commands on a real
PostgreSQL server (which trusts the loopback, so any password is accepted)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from coach.store.db import shown_url
from tests.servers import free_port, fresh_database

REPO = Path(__file__).resolve().parents[3]
PASSWORD = "Pw-never-shown-4711"


def _env(url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "COACH_DATABASE_URL": url,
        "COACH_DATA_DIR": str(tmp_path / "data"),
        "PYTHONUNBUFFERED": "1",
    }


def _coach(url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coach.cli", *args],
        cwd=REPO,
        env=_env(url, tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture()
def url_with_password(postgres_url: str) -> str:
    url = make_url(fresh_database(postgres_url)).set(password=PASSWORD)
    return url.render_as_string(hide_password=False)


def test_coach_admin_migrate_masks_the_password(url_with_password: str, tmp_path: Path) -> None:
    done = _coach(url_with_password, tmp_path, "admin", "migrate")
    assert done.returncode == 0, done.stderr
    assert f"database {shown_url(url_with_password)} is at revision" in done.stdout
    assert ":***@" in done.stdout and PASSWORD not in done.stdout + done.stderr
    # An unreachable server, a URL SQLAlchemy can't read: one line, no password either.
    refused = make_url(url_with_password).set(port=free_port())
    for bad in (refused.render_as_string(hide_password=False), f"postgresql://u:{PASSWORD}@h:x/d"):
        failed = _coach(bad, tmp_path, "admin", "migrate")
        assert failed.returncode == 2 and failed.stderr.startswith("coach: "), failed.stderr
        assert PASSWORD not in failed.stdout + failed.stderr


def test_coach_serve_masks_the_password(url_with_password: str, tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "coach.cli", "serve", "--port", str(free_port())],
        cwd=REPO,
        env=_env(url_with_password, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(2)]  # running at ..., Data: ...
        assert lines[1].startswith(f"Data: {shown_url(url_with_password)}"), lines
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl+C, as a user stops it
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
    assert ":***@" in lines[1] and PASSWORD not in "".join(lines) + out + err
    assert proc.returncode == 0, err  # stopped by the Ctrl+C, however early, not killed
