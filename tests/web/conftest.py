"""Fixtures for the web app: a real uvicorn server with the real pipeline, the review app on a
SQLite store, real Chromium, and clips. Each declares what it starts (tests/lanes.py), so
the tests using it are marked for their lane."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from coach.offline.recording import record_landmarks
from exercises import load_exercise
from tests.helpers.data import manifest_entry
from tests.helpers.estimators import sample_track, track_processor_factory
from tests.lanes import uses
from tests.web.in_process import InProcessApp, in_process, threaded_app
from tests.web.pages import CHROMIUM
from tests.web.review_app import Review, review_app
from web.app import create_app
from web.frames import clip_as_jpegs
from web.server import BackgroundServer


@pytest.fixture(scope="session")
@uses("server", "subprocess", "model")
def live_server() -> Iterator[BackgroundServer]:
    """The app on a free loopback port, shared by the protocol and browser tests: server-mode
    sessions run the real model in worker processes."""
    with BackgroundServer(create_app(max_active=6, retain_s=600)) as server:
        yield server


@pytest.fixture(scope="session")
def squat_jpegs(squat_clip: tuple[Path, dict[str, Any]]) -> tuple[list[bytes], float]:
    """The squat clip as the JPEG frames a browser would send (480 px wide), and its fps."""
    path, _ = squat_clip
    return clip_as_jpegs(path, 480, quality=75)


# ---- the stored side: a real SQLite file behind the real app ---------------------------------
@pytest.fixture(scope="session")
@uses("server", "subprocess", "model")
def review(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Review]:
    # allow_seed: a page may fix a targets task's schedule (`&seed=`), as only tests may.
    with review_app(
        tmp_path_factory.mktemp("review"), max_active=4, retain_s=600, allow_seed=True
    ) as app:
        yield app


@pytest.fixture(scope="module")
def squat_session(review: Review, shared_data: Path) -> str:
    """The squat clip's stored track recorded as a session of patient A."""
    entry = manifest_entry(shared_data, "medflex/squat")
    lm = np.load(shared_data / entry["landmarks"])["lm"]
    session_id, engine = record_landmarks(
        review.store,
        lm,
        float(entry.get("fps") or 30.0),
        (1280, 720),
        load_exercise("squat"),
        patient_id=review.pat_a.id,
    )
    assert len(engine.reps) == entry["ground_truth"]["reps"]
    return session_id


# ---- the app in-process, the model replaced by a recorded squat --------------------------------
@pytest.fixture(scope="module")
def fake_app() -> Iterator[InProcessApp]:
    """The app on a TestClient (no server, no process); a session's model is a recorded
    squat's landmarks (tests/helpers/estimators.py): for the protocol, not the model."""
    factory = track_processor_factory(sample_track())
    with in_process(threaded_app(processor_factory=factory, max_active=2)) as app:
        yield app


@pytest.fixture(scope="session")
def jpegs() -> list[bytes]:
    """Camera pictures (480x270 JPEGs) for `fake_app`, whose landmarks stand for them."""
    return [
        cv2.imencode(".jpg", np.full((270, 480, 3), 40 + 10 * i, np.uint8))[1].tobytes()
        for i in range(10)
    ]


# ---- real Chromium ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
@uses("browser")
def playwright() -> Iterator[Any]:
    """Playwright driving Debian's Chromium (never a downloaded browser build)."""
    api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (./run test installs it)")
    with api.sync_playwright() as p:
        yield p
