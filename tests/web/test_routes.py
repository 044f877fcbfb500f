"""The stored side is one APIRouter per area, mounted by `create_app`, and its routes get the
store from a dependency: overriding it with a second real SQLite store is what they then use."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute

from coach.store import open_store
from tests.web.review_app import Review
from web.app import create_app
from web.routes import (
    admin,
    auth,
    between,
    dashboard,
    live,
    patient,
    protocols,
    records,
    rights,
    second_factor,
    sessions,
    therapist,
    uploads,
    videos,
)
from web.routes.deps import get_registry, get_store

AREAS: dict[ModuleType, set[tuple[str, str]]] = {
    auth: {("GET", "/login"), ("POST", "/login"), ("POST", "/logout")},
    therapist: {
        ("GET", "/therapist"),
        ("POST", "/therapist/patients"),
        ("GET", "/patients/{patient_id}"),
        ("POST", "/patients/{patient_id}/program"),
        ("POST", "/patients/{patient_id}/links"),
        ("POST", "/patients/{patient_id}/links/{link_id}/revoke"),
        ("POST", "/patients/{patient_id}/references/{exercise_id}/remove"),
        ("GET", "/patients/{patient_id}/handout"),
        ("GET", "/api/live/{session_id}/patient"),
    },
    patient: {
        ("GET", "/p/{token}"),
        ("GET", "/me"),
        ("GET", "/api/me/program"),
        ("GET", "/api/me/today"),
    },
    rights: {
        ("GET", "/consent"),
        ("POST", "/consent"),
        ("GET", "/patients/{patient_id}/erase"),
        ("POST", "/patients/{patient_id}/erase"),
    },
    sessions: {
        ("GET", "/sessions/{session_id}"),
        ("POST", "/sessions/{session_id}/reference"),
        ("GET", "/sessions/{session_id}/report"),
        ("GET", "/sessions/{session_id}/reps.csv"),
        ("GET", "/sessions/{session_id}/frames.csv"),
        ("GET", "/sessions/{session_id}/session.json"),
        ("GET", "/sessions/{session_id}/replay.json"),
    },
    uploads: {("POST", "/patients/{patient_id}/uploads"), ("GET", "/api/jobs/{job_id}")},
    protocols: {
        ("GET", "/protocols"),
        ("GET", "/patients/{patient_id}/protocols"),
        ("POST", "/patients/{patient_id}/protocols/run"),
    },
    records: {
        ("GET", "/patients/{patient_id}/fhir"),
        ("GET", "/patients/{patient_id}/archive"),
        ("GET", "/me/archive"),
    },
    second_factor: {
        ("GET", "/login/code"),
        ("POST", "/login/code"),
        ("GET", "/account/second-factor"),
        ("POST", "/account/second-factor"),
        ("POST", "/account/second-factor/recovery-codes"),
        ("POST", "/account/second-factor/off"),
    },
    admin: {("GET", "/admin/audit")},
    videos: {("GET", "/sessions/{session_id}/video")},
    dashboard: {("GET", "/api/therapist/live-now")},
    between: {
        ("GET", "/cal/{token}.ics"),
        ("POST", "/patients/{patient_id}/calendar"),
        ("POST", "/patients/{patient_id}/calendar/{feed_id}/revoke"),
        ("POST", "/patients/{patient_id}/reminder"),
        ("POST", "/patients/{patient_id}/reminder/stop"),
    },
}


def _api_routes(routes: Iterable[object]) -> Iterator[APIRoute]:
    """The routes with included routers opened: newer FastAPI keeps an included router as one
    node (`original_router`), older versions copy its routes into the app."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _api_routes(inner.routes)
        elif isinstance(route, APIRoute):
            yield route


def _method_paths(routes: Iterable[object]) -> set[tuple[str, str]]:
    return {(m, r.path) for r in _api_routes(routes) for m in r.methods}


@pytest.fixture
def app(review: Review) -> FastAPI:
    """The running review app (a real server over a real SQLite store)."""
    return review.server.server.config.app


def test_each_area_is_its_own_router_mounted_by_create_app(app: FastAPI) -> None:
    routers = [area.router for area in AREAS]
    assert all(isinstance(r, APIRouter) for r in routers)
    assert len({id(r) for r in routers}) == len(AREAS)
    for area, expected in AREAS.items():
        assert _method_paths(area.router.routes) == expected, area.__name__
    every = [route for paths in AREAS.values() for route in paths]
    assert len(every) == len(set(every))  # no route in two areas

    mounted = {(r.endpoint, m, r.path) for r in _api_routes(app.routes) for m in r.methods}
    for area in AREAS:
        for route in _api_routes(area.router.routes):
            for method in route.methods:
                assert (route.endpoint, method, route.path) in mounted, (method, route.path)


def test_without_a_store_the_stored_side_is_not_mounted() -> None:
    paths = _method_paths(create_app().routes)
    assert ("GET", "/healthz") in paths
    assert not paths & set().union(*AREAS.values())


LIVE_HTTP = {
    ("GET", "/"),
    ("GET", "/follow/{session_id}"),
    ("GET", "/healthz"),
    ("GET", "/api/exercises"),
    ("GET", "/api/exercises/{exercise_id}"),
    ("GET", "/api/sessions/{session_id}"),
    ("GET", "/api/sessions/{session_id}/events"),
}
LIVE_SOCKETS = {"/ws/live", "/ws/follow/{session_id}"}


def _socket_paths(routes: Iterable[object]) -> set[str]:
    out: set[str] = set()
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            out |= _socket_paths(inner.routes)
        elif isinstance(route, APIWebSocketRoute):
            out.add(route.path)
    return out


def test_the_live_side_is_one_router_mounted_with_or_without_a_store(app: FastAPI) -> None:
    assert _method_paths(live.router.routes) == LIVE_HTTP
    assert _socket_paths(live.router.routes) == LIVE_SOCKETS
    assert not LIVE_HTTP & set().union(*AREAS.values())
    for mounted in (create_app(), app):  # without a store, and the review app with one
        assert _method_paths(mounted.routes) >= LIVE_HTTP
        assert _socket_paths(mounted.routes) == LIVE_SOCKETS


def test_live_routes_take_the_registry_from_the_dependency(review: Review, app: FastAPI) -> None:
    """/healthz counts the sessions of whatever registry the dependency gives."""

    with review.client() as c:
        # Other tests on this app may have left sessions in its own registry: the stand-in
        # counts more than it has, whatever that is, so the figures can only come from it.
        real = c.get("/healthz").json()["sessions"]

        class Busy:
            def __len__(self) -> int:
                return real + 7

            def active_count(self) -> int:
                return 3

        app.dependency_overrides[get_registry] = lambda: Busy()
        try:
            assert c.get("/healthz").json() == {"ok": True, "sessions": real + 7, "active": 3}
        finally:
            app.dependency_overrides.clear()


def test_routes_take_the_store_from_the_dependency(
    review: Review, app: FastAPI, tmp_path: Path
) -> None:
    other = open_store(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        ther = other.create_user("ther.other", "Dr Other", Review.PASSWORD)
        olga = other.create_patient(ther.id, "Olga Other", birth_year=1950)
        sign_in = {"username": "ther.other", "password": Review.PASSWORD}
        with review.client() as c:
            # The app's own store has never heard of this therapist.
            assert c.post("/login", data=sign_in).status_code == 401

            app.dependency_overrides[get_store] = lambda: other
            try:
                r = c.post("/login", data=sign_in)
                assert r.status_code == 303 and r.headers["location"] == "/therapist"
                r = c.get("/therapist")
                assert r.status_code == 200 and "Olga Other" in r.text
                r = c.get(f"/patients/{olga.id}")
                assert r.status_code == 200 and "Olga Other" in r.text
            finally:
                app.dependency_overrides.clear()
            # Back on the app's store, the other store's sign-in is unknown: off to /login.
            r = c.get("/therapist")
            assert r.status_code == 303 and r.headers["location"] == "/login?next=/therapist"
    finally:
        other.close()
        app.state.login_limiter.reset()  # the failed attempt above counts for 127.0.0.1
