"""Fixtures for the live web app: a real uvicorn server with the real pipeline, and clips."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from coach.serve import BackgroundServer
from web.app import create_app
from web.frames import clip_as_jpegs

CLIP_ID = "medflex/squat"  # side view, 2 slow squats, 10 s: the page's reference clip


@pytest.fixture(scope="session")
def live_server() -> Iterator[BackgroundServer]:
    """The app on a free loopback port, shared by the protocol and browser tests."""
    with BackgroundServer(create_app(max_active=6, retain_s=600)) as server:
        yield server


def manifest_entry(shared_data: Path, clip_id: str) -> dict[str, Any]:
    for entry in json.loads((shared_data / "MANIFEST.json").read_text())["videos"]:
        if entry["id"] == clip_id:
            return entry
    raise LookupError(f"{clip_id} not in MANIFEST.json")


@pytest.fixture(scope="session")
def squat_clip(shared_data: Path) -> tuple[Path, dict[str, Any]]:
    entry = manifest_entry(shared_data, CLIP_ID)
    return shared_data / entry["video"], entry


@pytest.fixture(scope="session")
def squat_jpegs(squat_clip: tuple[Path, dict[str, Any]]) -> tuple[list[bytes], float]:
    """The squat clip as the JPEG frames a browser would send (480 px wide), and its fps."""
    path, _ = squat_clip
    return clip_as_jpegs(path, 480, quality=75)
