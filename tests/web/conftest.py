"""Fixtures for the live web app: a real uvicorn server with the real pipeline, and clips."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import CLIP_ID, manifest_entry  # noqa: F401 (used by the web tests)
from web.app import create_app
from web.frames import clip_as_jpegs
from web.routes.rights import CONSENT_VERSION
from web.server import BackgroundServer


@pytest.fixture(scope="session")
def live_server() -> Iterator[BackgroundServer]:
    """The app on a free loopback port, shared by the protocol and browser tests."""
    with BackgroundServer(create_app(max_active=6, retain_s=600)) as server:
        yield server


@pytest.fixture(scope="session")
def squat_jpegs(squat_clip: tuple[Path, dict[str, Any]]) -> tuple[list[bytes], float]:
    """The squat clip as the JPEG frames a browser would send (480 px wide), and its fps."""
    path, _ = squat_clip
    return clip_as_jpegs(path, 480, quality=75)


# ---- the stored side: a real SQLite file behind the real app ---------------------------------
class Review:
    """A running app with a store, two therapists each with one patient, and sign-in helpers."""

    PASSWORD = "correct horse battery"

    def __init__(self, server: BackgroundServer, store: Any) -> None:
        self.server = server
        self.store = store
        self.url = server.url
        self.ther_a = store.create_user("ther.a", "Dr A", self.PASSWORD)
        self.ther_b = store.create_user("ther.b", "Dr B", self.PASSWORD)
        self.pat_a = store.create_patient(self.ther_a.id, "Alice Patient", birth_year=1952)
        self.pat_b = store.create_patient(self.ther_b.id, "Bob Patient", birth_year=1948)
        for patient in (self.pat_a, self.pat_b):  # they said yes: their links open /me
            store.record_consent(patient.id, "given", CONSENT_VERSION)
        self.link_tokens = {
            "pat.a": store.create_link(self.pat_a.id)[1],
            "pat.b": store.create_link(self.pat_b.id)[1],
        }

    @contextmanager
    def client(self, who: str | None = None) -> Iterator[httpx.Client]:
        """An HTTP client signed in as "ther.a", "ther.b", "pat.a", "pat.b" or nobody."""
        with httpx.Client(base_url=self.url, timeout=60, follow_redirects=False) as c:
            self._sign_in(c, who)
            yield c

    def _sign_in(self, c: httpx.Client, who: str | None) -> None:
        if who in ("ther.a", "ther.b"):
            r = c.post("/login", data={"username": who, "password": self.PASSWORD})
            assert r.status_code == 303, r.text
        elif who in ("pat.a", "pat.b"):
            r = c.get(f"/p/{self.link_tokens[who]}")
            assert r.status_code == 303 and r.headers["location"] == "/me"

    def cookie(self, who: str) -> str:
        with self.client(who) as c:
            return c.cookies["coach_session"]


@contextmanager
def review_app(root: Path, **app_options: Any) -> Iterator[Review]:
    """A real app with a store in a SQLite file under `root` (its data folder too), on a
    real server; `app_options` go to create_app."""
    import os

    from coach.store import open_store

    old = os.environ.get("COACH_DATA_DIR")
    os.environ["COACH_DATA_DIR"] = str(root)
    store = open_store(f"sqlite:///{root / 'coach.db'}")
    try:
        with BackgroundServer(create_app(store=store, **app_options)) as server:
            yield Review(server, store)
    finally:
        store.close()
        if old is None:
            os.environ.pop("COACH_DATA_DIR", None)
        else:
            os.environ["COACH_DATA_DIR"] = old


@pytest.fixture(scope="session")
def review(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Review]:
    # allow_seed: a page may fix a targets task's schedule (`&seed=`), as only tests may.
    with review_app(
        tmp_path_factory.mktemp("review"), max_active=4, retain_s=600, allow_seed=True
    ) as app:
        yield app
