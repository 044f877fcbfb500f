"""The live page's modules (web/static/live_connection.js, capture.js, coach_view.js,
balance.js), each imported into a static test page in real headless Chromium and driven with a
fake WebSocket, a fake clock and a fake model: seconds, no server, no camera, no MediaPipe.

The test page is the live page's own markup (web/templates/index.html) with the test runner
(tests/web/js/harness.js) instead of patient.js, served by a tiny static server with the app's
Content-Security-Policy, so the modules run as they do on the real page. Each suite's tests
are in tests/web/js/NAME.test.js; a failure names the JavaScript test and its error.
The whole page, with the server and the model, is tested by test_browser.py and its kin.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from coach.i18n.page import page_catalog
from tests.web.pages import launch_chromium as _launch
from tests.web.pages import wait_js as _wait_js
from web.i18n import page_html
from web.routes.live import PAGES
from web.security import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
PAGE_SCRIPT = '<script type="module" src="/static/patient.js"></script>'
TEST_SCRIPT = '<script type="module" src="/tests/harness.js"></script>'
SUITES = ["connection", "capture", "coach_view", "speech", "ratings", "balance", "tug"]
# Suites run on the live page in another language (unit-LANG.html, /i18n/LANG.json served).
LANGUAGE_SUITES = {"languages": "es"}


def _test_page(code: str = "en") -> str:
    """The live page (rendered in `code`) with the test runner in place of the page's own
    script."""
    page = page_html(PAGES, "index.html", code)
    assert PAGE_SCRIPT in page, "the live page no longer loads /static/patient.js"
    return page.replace(PAGE_SCRIPT, TEST_SCRIPT)


class _Handler(SimpleHTTPRequestHandler):
    """Static files with the app's Content-Security-Policy; quiet."""

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        pass


@pytest.fixture(scope="module")
def static_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """/static/ (the app's files), /tests/ (the JavaScript tests) and /unit.html."""
    root = tmp_path_factory.mktemp("unit-page")
    (root / "static").symlink_to(REPO / "web" / "static")
    (root / "tests").symlink_to(REPO / "tests" / "web" / "js")
    (root / "unit.html").write_text(_test_page(), encoding="utf-8")
    (root / "i18n").mkdir()
    for code in set(LANGUAGE_SUITES.values()):
        (root / f"unit-{code}.html").write_text(_test_page(code), encoding="utf-8")
        (root / "i18n" / f"{code}.json").write_bytes(page_catalog(code))
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser(playwright: Any) -> Iterator[Any]:  # noqa: F811
    b = _launch(playwright, [])
    try:
        yield b
    finally:
        b.close()


@pytest.mark.parametrize("suite", SUITES + list(LANGUAGE_SUITES))
def test_module(suite: str, static_site: str, browser: Any) -> None:
    page = browser.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console: {msg.text}")
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    try:
        code = LANGUAGE_SUITES.get(suite)
        unit = f"unit-{code}.html" if code else "unit.html"
        page.goto(f"{static_site}/{unit}?suite={suite}")
        _wait_js(page, "Array.isArray(window.__results)", timeout=60_000)
        results = page.evaluate("window.__results")
    finally:
        page.close()
    failed = [f"{r['name']}: {r['error']}" for r in results if not r["ok"]]
    assert not failed, "\n\n".join(failed)
    assert len(results) >= (3 if suite in LANGUAGE_SUITES else 10), [r["name"] for r in results]
    assert not problems, problems
