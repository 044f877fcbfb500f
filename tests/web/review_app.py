"""A real app with a store in a SQLite file behind a real uvicorn server, with two therapists
each with one patient, and sign-in helpers (the review, access and patient-page tests)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from coach.store import open_store
from tests.helpers.store import migrated_sqlite
from web.app import create_app
from web.routes.rights import CONSENT_VERSION
from web.server import BackgroundServer


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
        self.added: dict[str, Any] = {}  # add_patient's, by name
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
        elif who in self.link_tokens:
            r = c.get(f"/p/{self.link_tokens[who]}")
            assert r.status_code == 303 and r.headers["location"] == "/me"

    def add_patient(self, who: str, name: str, therapist: str = "ther.a") -> Any:
        """A new consenting patient with a personal link, for a test that changes what a
        shared patient's pages show (this fixture is shared): `client(who)` signs them in."""
        if who in self.added:  # asked again (a fixture run per test): the same patient
            return self.added[who]
        owner = {"ther.a": self.ther_a, "ther.b": self.ther_b}[therapist]
        patient = self.store.create_patient(owner.id, name, birth_year=1950)
        self.store.record_consent(patient.id, "given", CONSENT_VERSION)
        self.link_tokens[who] = self.store.create_link(patient.id)[1]
        self.added[who] = patient
        return patient

    def cookie(self, who: str) -> str:
        with self.client(who) as c:
            return c.cookies["coach_session"]


@contextmanager
def review_app(root: Path, **app_options: Any) -> Iterator[Review]:
    """A real app with a store in a SQLite file under `root` (its data folder too), on a
    real server; `app_options` go to create_app."""
    old = os.environ.get("COACH_DATA_DIR")
    os.environ["COACH_DATA_DIR"] = str(root)
    store = open_store(migrated_sqlite(root / "coach.db"))
    try:
        with BackgroundServer(create_app(store=store, **app_options)) as server:
            yield Review(server, store)
    finally:
        store.close()
        if old is None:
            os.environ.pop("COACH_DATA_DIR", None)
        else:
            os.environ["COACH_DATA_DIR"] = old
