"""Timed Up and Go live in real headless Chromium.

The fake camera plays a real recording; the server's pose comes from a fake processor replaying
the labelled timed up-and-go clip's stored track (samples/tracks/clinical/tug_moeed_trial_2.npz:
seated, up, out of the picture at the far turn, back, seated), so the page's part is the
subject, not the model. Checked: what to set up before Start, "Go" shown and said once the
patient is seen seated, the clock in large type running while they walk, the total in words
with the cut-off's source once seated again, the summary saying the same, and axe-core finding
no serious WCAG 2.1 A/AA violation while the clock runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from coach.live import SessionRegistry
from tests.helpers.data import manifest_entry
from tests.helpers.estimators import track_processor_factory
from tests.lanes import uses
from tests.web.axe import axe_source, serious_violations
from tests.web.pages import DESKTOP, SPEECH_SPY, launch_chromium, page_text, wait_js
from tests.web.y4m import write_y4m
from web.app import create_app
from web.frames import decode_frame
from web.server import BackgroundServer

pytestmark = pytest.mark.browser

CAMERA = "yoga_tree/tree"  # any real picture: the pose is the track's
TRACK = Path(__file__).resolve().parents[2] / "samples/tracks/clinical/tug_moeed_trial_2.npz"
CLOCK_RUNS = "/^[0-9]+\\.[0-9] s$/.test(document.getElementById('tug-clock').textContent)"
RESULT = "document.getElementById('tug-result').textContent.startsWith('You took')"


@pytest.fixture(scope="module")
@uses("server")
def tug_server() -> Iterator[BackgroundServer]:
    with np.load(TRACK, allow_pickle=False) as d:
        lm = d["lm"].astype(np.float32)
    seated = np.repeat(lm[-1:], 40, axis=0)  # seated a little longer at the end
    factory = track_processor_factory(np.concatenate([lm, seated]))
    registry = SessionRegistry(
        decode=decode_frame, isolation="thread", processor_factory=factory, max_active=1
    )
    with BackgroundServer(create_app(registry)) as server:
        yield server


@pytest.fixture(scope="module")
def camera(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    entry = manifest_entry(shared_data, CAMERA)
    y4m = tmp_path_factory.mktemp("camera") / "camera.y4m"
    write_y4m(shared_data / entry["video"], y4m, width=320, max_s=6.0)
    return y4m


def test_the_tug_says_go_runs_a_clock_and_says_the_total(
    playwright: Any, tug_server: BackgroundServer, camera: Path
) -> None:
    browser = launch_chromium(
        playwright,
        ["--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={camera}"],
    )
    try:
        errors: list[str] = []
        page = browser.new_context(viewport=DESKTOP).new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.add_init_script(SPEECH_SPY)
        page.goto(f"{tug_server.url}/?exercise=timed_up_and_go")
        wait_js(page, "document.querySelector('#start-demo canvas.demo') !== null")
        assert "3 metres from a chair" in page_text(page, "#exercise-instructions")
        assert page_text(page, "#exercise-name") == "Timed Up and Go"
        page.goto(f"{tug_server.url}/?exercise=timed_up_and_go&autostart=1&pose=server")
        wait_js(page, "document.getElementById('tug-clock').textContent === 'Go!'", 90_000)
        assert "walk to the mark 3 metres away" in page_text(page, "#tug-how")
        wait_js(page, "window.__spoken.includes('Go!')", 30_000)
        wait_js(page, CLOCK_RUNS + " && !document.getElementById('tug-clock').textContent"
                ".startsWith('0.0')", 90_000)  # fmt: skip
        size = page.evaluate("parseFloat(getComputedStyle(document.getElementById('tug-clock'))"
                             ".fontSize)")  # fmt: skip
        assert size >= 60, f"the clock is {size}px: too small to read from the mark"
        found = serious_violations(page, axe_source())
        assert not found, found
        wait_js(page, RESULT, 120_000)
        result = page_text(page, "#tug-result")
        # The page's frame rate sets the replayed track's pace: the total is not the clip's.
        assert result.endswith("linked to a higher risk of falling."), result
        assert "timed_up_and_go" not in result and "None" not in result
        assert "CDC STEADI" in page_text(page, "#tug-source")
        spoken = page.evaluate("window.__spoken")
        assert any(s.startswith("You took") for s in spoken), spoken
        assert not page.is_visible("#reps-box") and not page.is_visible("#cue-box")
        wait_js(page, "!document.getElementById('summary').hidden", 60_000)
        assert page_text(page, "#summary") == result
        assert not errors, errors
    finally:
        browser.close()
