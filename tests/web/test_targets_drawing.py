"""The targets drawing (web/static/targets.js) on the real live page in real headless Chromium:
the page's own module and canvas, fed the events the server sends (docs/LIVE-PROTOCOL.md),
so what is drawn where can be checked exactly: a still target at the mirrored place, its
label and countdown, a moving target along its path, the reaction and the running count.
The whole loop with the server is in test_targets_browser.py."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.pages import launch_chromium, page_text, wait_js
from web.server import BackgroundServer

# The page's #media shown at a 16:9 picture, and the module's view over its targets canvas.
SETUP = """async () => {
  const m = await import("/static/targets.js");
  const media = document.getElementById("media");
  document.getElementById("coach").hidden = false;
  media.hidden = false;
  const video = document.getElementById("video");
  video.style.aspectRatio = "16 / 9";
  window.__said = [];
  const view = new m.TargetsView({ canvas: document.getElementById("targets-canvas"), media });
  const canvas = document.getElementById("targets-canvas");
  window.__view = {
    onEvents: (events, at) => window.__said.push(...view.onEvents(events, at)),
    // Drawn at a moment of the page's clock (performance.now() ms) chosen by the test, not
    // when a loaded machine gets round to it: where the target is then.
    drawAt: (now) => { view.draw(now); return Number(canvas.dataset.x); },
  };
  view.begin({ task: "targets_reach_seated", count: 3 }, "harness");
  document.getElementById("targets-box").hidden = false;
}"""
PAINTED = """([fx, fy]) => { const c = document.getElementById("targets-canvas");
  const x = Math.round(fx * c.width), y = Math.round(fy * c.height);
  return c.getContext("2d").getImageData(x, y, 1, 1).data[3]; }"""


def _shown(index: int, hand: str, x: float, y: float, path: list[list[float]]) -> dict[str, Any]:
    return {
        "kind": "TargetShown",
        "t": 10.0,
        "index": index,
        "hand": hand,
        "x": x,
        "y": y,
        "radius": 0.08,
        "timeout_s": 6.0,
        "path": path,
    }


def test_targets_are_drawn_mirrored_labelled_and_answered(
    playwright: Any,
    live_server: BackgroundServer,
) -> None:
    browser = launch_chromium(playwright, [])
    try:
        errors: list[str] = []
        page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{live_server.url}/?exercise=squat")
        wait_js(page, "!document.getElementById('coach').hidden", 10_000)
        page.evaluate(SETUP)
        # A still target for the left hand at x=0.2 of the camera image: drawn at 0.8.
        page.evaluate(
            "(e) => window.__view.onEvents([e], performance.now())",
            _shown(1, "left", 0.2, 0.4, []),
        )
        wait_js(page, "document.getElementById('targets-canvas').dataset.x !== undefined", 5_000)
        assert page.evaluate("document.getElementById('targets-canvas').dataset.x") == "0.800"
        assert page.evaluate(PAINTED, [0.8, 0.4]) > 0  # the target, at the mirrored place
        assert page.evaluate(PAINTED, [0.2, 0.4]) == 0  # not where the camera saw it
        assert page_text(page, "#target-now") == "Touch the target with your left hand."
        assert page.evaluate("window.__said") == ["Touch the target with your left hand."]
        assert page_text(page, "#targets-progress") == "0 of 3 touched"

        # Touched: the server's words, said and shown, the count goes up, the target goes.
        page.evaluate(
            """() => window.__view.onEvents([{ kind: "TargetResult", index: 1, hand: "left",
                 status: "hit", hit: true, message: "Target 1 (left hand): touched" }])"""
        )
        assert page_text(page, "#target-now") == "Target 1 (left hand): touched"
        assert page_text(page, "#targets-progress") == "1 of 3 touched"
        assert page.evaluate("window.__said")[-1] == "Target 1 (left hand): touched"
        assert page.evaluate("document.getElementById('targets-canvas').dataset.target") is None

        # A moving target for the right hand: 0.5 -> 0.7 of the image width over 2 s.
        path = [[i / 10, 0.5 + 0.01 * i, 0.5] for i in range(21)]
        shown_at = page.evaluate(
            "(e) => { const at = performance.now(); window.__view.onEvents([e], at); return at; }",
            _shown(2, "right", 0.5, 0.5, path),
        )
        assert page.evaluate("window.__said")[-1] == "Touch the target with your right hand."
        # On the page's clock: 1 s along it is at 0.6 of the image, mirrored to 0.4; past the
        # path's end (2 s) it stays at 0.7, mirrored to 0.3.
        at = "(ms) => window.__view.drawAt(ms)"
        assert page.evaluate(at, shown_at + 1000) == pytest.approx(0.4, abs=0.002)
        assert page.evaluate(at, shown_at + 1500) == pytest.approx(0.35, abs=0.002)
        assert page.evaluate(at, shown_at + 2300) == pytest.approx(0.3, abs=0.002)
        # The page's own animation takes it along to the end, where it stays.
        wait_js(page, "document.getElementById('targets-canvas').dataset.x === '0.300'", 10_000)
        page.evaluate(
            """() => window.__view.onEvents([{ kind: "TargetResult", index: 2, hand: "right",
                 status: "miss", hit: false, message: "Moving target 2 (right hand): on it 20% of the time" }])"""  # noqa: E501
        )
        assert page_text(page, "#targets-progress") == "1 of 3 touched"
        assert page.evaluate("document.getElementById('target-now').className") == "target-now miss"

        # Hostile events are ignored: no hand, a position that is not a number.
        page.evaluate(
            """() => window.__view.onEvents([
                 { kind: "TargetShown", index: 3, hand: "both", x: 0.5, y: 0.5, radius: 0.1 },
                 { kind: "TargetShown", index: 3, hand: "left", x: "0.5", y: 0.5, radius: 0.1 },
                 { kind: "TargetShown", index: 3, hand: "left", x: 0.5, y: 0.5, radius: 1e9 }],
                 performance.now())"""
        )
        assert page.evaluate("document.getElementById('targets-canvas').dataset.target") is None
        assert not errors, errors
    finally:
        browser.close()


def test_the_end_screen_words_for_the_live_and_the_stored_summary(
    playwright: Any,
    live_server: BackgroundServer,
) -> None:
    browser = launch_chromium(playwright, [])
    try:
        page = browser.new_page()
        page.goto(f"{live_server.url}/?exercise=squat")
        words = page.evaluate(
            """async () => { const { summaryWords } = await import("/static/targets.js");
              const live = { count: 4, done: 4, touched: 3, hands: {
                left: { targets: 2, done: 2, touched: 2 }, right: { targets: 2, done: 2, touched: 1 } } };
              const stored = { results: [{ hand: "left", hit: false }, { hand: "right", hit: false }] };
              return [summaryWords(live), summaryWords({ ...live, done: 1, touched: 1 }),
                      summaryWords(stored), summaryWords(null)]; }"""  # noqa: E501
        )
        assert words[0] == [
            "All done: you touched 3 of 4 targets.",
            "Left hand: 2 of 2.",
            "Right hand: 1 of 2.",
            "Well done!",
        ]
        assert words[1][0] == "Session finished: you touched 1 of 4 targets."
        assert words[2] == [
            "All done: you touched 0 of 2 targets.",
            "Left hand: 0 of 1.",
            "Right hand: 0 of 1.",
            "Next time, reach until your hand is inside the circle.",
        ]
        assert words[3] == ["Session finished before the first target."]
    finally:
        browser.close()
