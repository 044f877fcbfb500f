"""Shared fixtures: where the real recordings live, and the rule that CI must not skip them."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]


def _shared_data_dir() -> Path:
    return Path(os.environ.get("COACH_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real evaluation data (../shared/data). Skips on a user's machine without it; on CI
    (CI=true) its absence is a failure, never a silent skip."""
    path = _shared_data_dir()
    if not (path / "MANIFEST.json").is_file():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but the shared data is missing at {path}")
        pytest.skip(f"shared data not found at {path} (set COACH_SHARED_DATA)")
    return path


CLIP_ID = "medflex/squat"  # side view, 2 slow squats, 10 s: the page's reference clip


def manifest_entry(shared_data: Path, clip_id: str) -> dict[str, Any]:
    for entry in json.loads((shared_data / "MANIFEST.json").read_text())["videos"]:
        if entry["id"] == clip_id:
            return entry
    raise LookupError(f"{clip_id} not in MANIFEST.json")


@pytest.fixture(scope="session")
def squat_clip(shared_data: Path) -> tuple[Path, dict[str, Any]]:
    entry = manifest_entry(shared_data, CLIP_ID)
    return shared_data / entry["video"], entry
