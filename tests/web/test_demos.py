"""GET /api/exercises/{id}/demo on the real server: the demonstration, or 404."""

from __future__ import annotations

import httpx

from web.server import BackgroundServer


def test_demo_route_serves_the_checked_file(live_server: BackgroundServer) -> None:
    with httpx.Client(base_url=live_server.url, timeout=30) as c:
        r = c.get("/api/exercises/squat/demo")
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
        demo = r.json()
        assert demo["id"] == "squat" and demo["provenance"]["kind"] == "recorded"
        for bad in ("no_such_thing", "Squat", "..%2Flibrary%2Fsquat"):
            assert c.get(f"/api/exercises/{bad}/demo").status_code == 404
