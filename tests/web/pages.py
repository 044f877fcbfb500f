"""Driving Coach's pages in real headless Chromium (Debian's /usr/bin/chromium): launching it with
a fake camera, reading a page, waiting for a state inside it, signing in."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from tests.machine import scaled
from tests.web.review_app import Review

CHROMIUM = Path("/usr/bin/chromium")


# The fake camera's frame rate where the server's model sees the patient (`pose=server`): a
# webcam's lower setting. Each camera picture costs Chromium a JPEG and the server a model run,
# so 15 rather than 30 a second halves both; the counts, holds and targets are the same.
SERVER_CAMERA_FPS = 15


BASE_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Chromium's synthetic camera (where no clip is played) at SERVER_CAMERA_FPS, not its 20.
    f"--use-fake-device-for-media-stream=fps={SERVER_CAMERA_FPS}",
]


LEAD_IN_S = 3.0  # the patient stands still while the setup check runs


def lead_in_s() -> float:
    """The fake camera's still lead-in before the movement: LEAD_IN_S on a quiet machine,
    longer on a loaded one (the session's model starts while the camera already plays)."""
    return min(scaled(LEAD_IN_S), 20.0)


# Records what the page asks the browser to say (and still says it).
SPEECH_SPY = """
window.__spoken = [];
const realSpeak = window.speechSynthesis.speak.bind(window.speechSynthesis);
window.speechSynthesis.speak = (u) => { window.__spoken.push(u.text); realSpeak(u); };
"""


# Keeps the stage of the coach's last answer (`window.__stage`: "setup", "active", "rest",
# "done"), so a test can start the camera's movement once the setup check has passed.
STAGE_SPY = """
(() => {
  window.__stage = null;
  const PageSocket = window.WebSocket;
  window.WebSocket = class extends PageSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (e) => {
        if (typeof e.data !== "string") return;
        try { const m = JSON.parse(e.data); if (m.stage) window.__stage = m.stage; } catch {}
      });
    }
  };
})();
"""


def wait_in_position(page: Any, timeout: float = 60_000) -> None:
    """Until the coach's setup check has passed (the page needs STAGE_SPY): reps count from
    now on. The session's model loads meanwhile, so this takes longer on a loaded machine."""
    wait_js(page, "window.__stage !== null && window.__stage !== 'setup'", timeout)


# The pages' contexts ask for reduced motion unless a test says otherwise: the stick-figure
# demonstrations then stand still on the rep's key position (web/static/demo.js) instead of
# being redrawn 60 times a second, which cost Chromium's compositor 10-40 s of CPU a file.
# A test whose subject is the animation passes `reduced_motion="no-preference"`.
REDUCED_MOTION = "reduce"


def launch_chromium(playwright: Any, extra: list[str]) -> Any:
    """Chromium with these flags; its pages' action and navigation timeouts (Playwright's
    30 s) stretched by the machine factor: on a loaded machine a busy page answers late; its
    contexts with REDUCED_MOTION unless asked otherwise."""
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=BASE_FLAGS + extra
    )
    new_context, new_page = browser.new_context, browser.new_page
    timeout_ms = scaled(30_000)

    def patient_context(*args: Any, **kw: Any) -> Any:
        kw.setdefault("reduced_motion", REDUCED_MOTION)
        context = new_context(*args, **kw)
        context.set_default_timeout(timeout_ms)
        return context

    def patient_page(*args: Any, **kw: Any) -> Any:
        kw.setdefault("reduced_motion", REDUCED_MOTION)
        page = new_page(*args, **kw)
        page.set_default_timeout(timeout_ms)
        return page

    browser.new_context, browser.new_page = patient_context, patient_page
    return browser


def launch_with_camera(playwright: Any, camera_file: Path, extra: list[str] | None = None) -> Any:
    """Chromium whose camera (allowed without a prompt) plays this y4m file, looped; it opens
    the file whenever a page starts the camera."""
    flags = ["--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={camera_file}"]
    return launch_chromium(playwright, flags + (extra or []))


def texts_spy(*ids: str, extra: str = "null") -> str:
    """An init script keeping each change of these elements' texts, together (and the value
    of the JavaScript `extra` then, last), in `window.__texts` (a list of lists): a test
    checks the order the page went through, not what it shows when a loaded machine lets the
    test look."""
    return """
document.addEventListener("DOMContentLoaded", () => {
  const ids = IDS;
  window.__texts = [];
  const note = () => {
    const now = ids.map((id) => (document.getElementById(id)?.textContent ?? "").trim());
    now.push(EXTRA);
    if (JSON.stringify(window.__texts.at(-1)) !== JSON.stringify(now)) window.__texts.push(now);
  };
  const watch = new MutationObserver(note);
  for (const id of ids) {
    const el = document.getElementById(id);
    if (el) watch.observe(el, { childList: true, characterData: true, subtree: true });
  }
  note();
});
""".replace("IDS", json.dumps(list(ids))).replace("EXTRA", extra)


def close_contexts(browser: Any) -> None:
    """A shared Chromium's contexts closed after a test: no page, camera or socket outlives it."""
    for context in browser.contexts:
        context.close()


def page_text(page: Any, selector: str) -> str:
    return (page.text_content(selector) or "").strip()


# A wait ends below pytest's 10-minute limit, however loaded the machine: the test then fails
# with the page's state, not with pytest's stack of a test that ran out of time.
WAIT_CAP_S = 400.0


def wait_js(page: Any, expression: str, timeout: float = 30_000) -> None:
    """Like `page.wait_for_function`, which compiles its predicate with eval inside the page:
    the pages' Content-Security-Policy forbids that. `page.evaluate` goes through DevTools,
    which the policy does not govern. `timeout` (ms, for the quiet machine) is scaled by the
    machine factor, up to WAIT_CAP_S."""
    limit = min(scaled(timeout / 1000), WAIT_CAP_S)
    deadline = time.monotonic() + limit
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"waited {limit:.0f} s for {expression}; the page then: {live_state(page)}"
            )
        page.wait_for_timeout(100)


# What a failed wait reports of a live page: the coach's stage, the count and cue shown, and
# whether the camera still sends pictures (an ended track: the fake camera died).
_LIVE_STATE = """() => {
  const text = (id) => { const el = document.getElementById(id);
    return el && !el.hidden ? el.textContent.trim().slice(0, 80) : null; };
  const video = document.querySelector("video");
  const track = video && video.srcObject ? video.srcObject.getVideoTracks()[0] : null;
  return { stage: window.__stage ?? null, count: text("rep-count"), cue: text("cue"),
    sets: text("set-progress"), camera: track ? track.readyState : null,
    camera_frames: video && video.getVideoPlaybackQuality
      ? video.getVideoPlaybackQuality().totalVideoFrames : null };
}"""


def live_state(page: Any) -> Any:
    try:
        return page.evaluate(_LIVE_STATE)
    except Exception as exc:  # a closed or crashed page: say so rather than hide the timeout
        return f"unreadable ({exc})"


def sign_in(page: Any, review: Review, username: str) -> None:
    page.goto(f"{review.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", Review.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/therapist")


DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def first_screen(page: Any, *ids: str) -> None:
    assert page.evaluate("window.scrollY") == 0
    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 0, f"the page scrolls sideways by {wide} px"
    for element_id in ids:
        assert in_view(page, element_id), (
            f"#{element_id} is not on the first screen: {where(page, element_id)}"
        )


def where(page: Any, element_id: str) -> Any:
    """An element's box, text and the viewport: what a failed first-screen check saw."""
    return page.evaluate(
        """(id) => { const el = document.getElementById(id);
             if (!el) return "missing";
             const r = el.getBoundingClientRect();
             return { hidden: el.hidden, top: r.top, bottom: r.bottom, height: r.height,
               width: r.width, text: el.textContent.trim().slice(0, 80),
               viewport: [window.innerWidth, window.innerHeight] }; }""",
        element_id,
    )


def in_view(page: Any, element_id: str) -> bool:
    """The element is shown, wholly inside the viewport, at the current scroll (the top)."""
    return bool(
        page.evaluate(
            """(id) => { const el = document.getElementById(id);
                 if (!el || el.hidden) return false;
                 const r = el.getBoundingClientRect();
                 return r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0
                   && r.bottom <= window.innerHeight && r.right <= window.innerWidth; }""",
            element_id,
        )
    )


def start_signed_in(page: Any, url: str) -> None:
    """Opens the live page of a signed-in patient's exercise: the day's first asks pain before
    the camera starts, skipped here (tests/web/test_ratings_browser.py answers it)."""
    page.goto(url)
    prompt = "document.querySelector('[data-testid=rating-prompt]')"
    wait_js(page, f"{prompt} !== null && {prompt}.dataset.kind === 'pain_before'", 20_000)
    page.click("[data-testid=rating-prompt] .rating-skip")


def rating_buttons_fit(page: Any, viewport: dict[str, int]) -> None:
    """The pain/effort prompt's eleven buttons 0-10 and Skip are all on screen, each at least
    44 x 44 CSS pixels. Read in one go: a question in a rest is put away when the next set
    starts, and twelve round trips on a loaded machine can outlast a short rest."""
    boxes = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=rating-prompt] button')].map((b) => {
             const r = b.getBoundingClientRect();
             return { x: r.x, y: r.y, width: r.width, height: r.height }; })"""
    )
    assert len(boxes) == 12, boxes
    for box in boxes:
        assert box["width"] >= 44 and box["height"] >= 44, box
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], box
        assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], box
