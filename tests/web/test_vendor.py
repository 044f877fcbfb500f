"""/vendor/mediapipe-pose/: the fetched web build served by a real server, or "missing"."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from coach import assets
from tests.helpers.assets import FILES, make_tarball
from tests.lanes import uses
from tests.web.in_process import threaded_app
from web.server import BackgroundServer


@pytest.fixture()
@uses("server")
def server() -> Iterator[BackgroundServer]:
    with BackgroundServer(threaded_app(max_active=1)) as s:
        yield s


def test_serves_the_fetched_files_with_their_types(
    server: BackgroundServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(assets.VENDOR_ENV, str(tmp_path / "vendor"))
    tarball = tmp_path / "pose.tgz"
    assets.fetch(str(tarball), make_tarball(tarball, FILES))  # a local copy works as --url

    with httpx.Client(base_url=server.url, timeout=30) as c:
        status = c.get("/vendor/mediapipe-pose/status").json()
        assert status["available"] is True and "pose.js" in status["files"]
        for name, kind in (
            ("pose.js", "text/javascript"),
            ("pose_solution_simd_wasm_bin.wasm", "application/wasm"),
            ("pose_landmark_full.tflite", "application/octet-stream"),
        ):
            r = c.get(f"/vendor/mediapipe-pose/{name}")
            assert r.status_code == 200, name
            assert r.headers["content-type"].startswith(kind), (name, r.headers["content-type"])
            assert r.content == FILES[f"package/{name}"]
        assert c.get("/vendor/mediapipe-pose/.complete").status_code == 404
        assert c.get("/vendor/mediapipe-pose/../../pyproject.toml").status_code == 404
        assert c.get("/vendor/mediapipe-pose/%2e%2e/%2e%2e/pyproject.toml").status_code == 404
        assert c.get("/vendor/mediapipe-pose/nothing.js").status_code == 404


def test_without_the_assets_status_says_missing(
    server: BackgroundServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(assets.VENDOR_ENV, str(tmp_path / "empty"))
    with httpx.Client(base_url=server.url, timeout=30) as c:
        r = c.get("/vendor/mediapipe-pose/status")
        assert r.status_code == 200
        assert r.json()["available"] is False and "coach assets fetch" in r.json()["hint"]
        missing = c.get("/vendor/mediapipe-pose/pose.js")
        assert missing.status_code == 404 and "coach assets fetch" in missing.text
