"""A signed-in patient's whole day in real headless Chromium on a phone (390x844; issue 22):
a 2 x 3 squat with a rest, a single-leg hold and a hand-eye targets task, pain and effort
prompts on. From /me the first Start; after each exercise the big button is the next one; the
day ends with "All done for today"; the hold's set ends once its prescribed 5 s are held. (On a
laptop, 1280x800, the same prompts and end screen are checked by
tests/web/test_ratings_browser.py and the targets task by tests/web/test_targets_browser.py:
the day is run once, at the smaller size.) The clips play at SERVER_CAMERA_FPS.

Real parts: uvicorn with a SQLite store, the WebSocket, the server's MediaPipe model
(`pose=server`) for the squats and the hold, the engine, the page's JavaScript. The targets
task runs in the page's on-device mode with a stand-in for its model: a still pose of the arm
clip's stored landmarks whose hand reaches each target as it is drawn (tests/web/fake_pose.py
`reaching_pose`: every target touched, so the task takes seconds, not twelve 6 s misses; the
clip's own landmarks and the server's model are tests/web/test_targets_browser.py's). Each
exercise has its own clip as the fake camera (a browser per exercise, signed in with the same
cookie): postop_cv/squat (its motion three times after one still lead-in: the second set goes
on without waiting through the lead-in again, each play's first frames being without her),
medflex/sls and rehab_bme410/shoulder_abduction. Checked throughout: every line the patient
must hear is said, in order (counts, the end of each set, the rest, well done, the questions:
none dropped), nothing covers the count while the coach counts, and each question's buttons
fit the screen.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from coach import assets
from coach.store.ratings import session_ratings
from tests.helpers.data import manifest_entry
from tests.machine import scaled
from tests.web.fake_pose import reaching_pose
from tests.web.pages import (
    PHONE,
    SERVER_CAMERA_FPS,
    SPEECH_SPY,
    first_screen,
    launch_chromium,
    lead_in_s,
    page_text,
    rating_buttons_fit,
    wait_js,
)
from tests.web.review_app import Review
from tests.web.y4m import write_y4m

PROGRAM = [
    {"exercise_id": "squat", "sets": 2, "reps": 3, "rest_s": 6},
    {"exercise_id": "single_leg_stance", "sets": 1, "reps": 1, "hold_s": 5},
    {"exercise_id": "targets_reach_seated", "sets": 1, "reps": 10},  # the form's reps
]
CLIPS = {
    "squat": "postop_cv/squat",  # 4 squats in 12 s: 2 sets of 3 within three plays
    "single_leg_stance": "medflex/sls",
    "targets_reach_seated": "rehab_bme410/shoulder_abduction",
}
SEED = 20261201  # the targets' schedule tests/web/test_targets_browser.py uses
PROMPT = "document.querySelector('[data-testid=rating-prompt]')"
# Whether a prompt covers the page while the coach counts: the setup check, or a set under
# way (not its rest, not once every set is done). Read in one go inside the page.
COVERS_COUNTING = """() => {
  const prompt = document.querySelector('[data-testid=rating-prompt]');
  if (!prompt) return null;
  const setup = !document.getElementById('setup-panel').hidden;
  const resting = !document.getElementById('rest-panel').hidden;
  const progress = document.getElementById('set-progress').textContent;
  const counting = setup || (!resting && /^Set \\d+ of \\d+$/.test(progress)
    && document.getElementById('summary').hidden);
  return counting ? `${prompt.dataset.kind} over "${progress}"` : null; }"""
# The kind of a prompt waiting for its answer, or null.
WAITING = (
    f"{PROMPT} && !{PROMPT}.dataset.answering && !('saved' in {PROMPT}.dataset)"
    f" ? {PROMPT}.dataset.kind : null"
)
# The exercise's state in one read (a read a poll, not three): its end screen shown, a prompt
# covering the count, a prompt waiting.
STATE = f"""() => [!document.getElementById('summary').hidden, ({COVERS_COUNTING})(),
  {WAITING}]"""
# What the patient must hear (a cue may come between them: form advice is not checked here).
KEPT = re.compile(r"^(\d+\b|Set \d|All |Well done|How |\d+ seconds, well done)")


def said_words(lines: list[str]) -> list[str]:
    """The words of what was said, whatever the lines they were said in (a count said with
    other words gets a full stop: "1" alone, "... ready. 1." together)."""
    return re.sub(r"(\d)\.(\s|$)", r"\1\2", " ".join(lines)).split()


@pytest.fixture(scope="module")
def cameras(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each exercise's clip as a fake camera file."""
    folder = tmp_path_factory.mktemp("cameras")
    out = {}
    for exercise_id, clip in CLIPS.items():
        entry = manifest_entry(shared_data, clip)
        out[exercise_id] = folder / f"{exercise_id}.y4m"
        write_y4m(
            shared_data / entry["video"],
            out[exercise_id],
            width=480,
            fps=SERVER_CAMERA_FPS,
            lead_in_s=lead_in_s(),
            repeat=3 if exercise_id == "squat" else 1,
        )
    return out


@pytest.fixture(scope="module")
def arm_pose(shared_data: Path) -> str:
    """The page's on-device model: the targets clip's patient reaching each target drawn."""
    return reaching_pose(shared_data, CLIPS["targets_reach_seated"])


class Exercise:
    """One exercise of the day in its own browser (its camera), signed in as the patient."""

    def __init__(
        self, playwright: Any, camera: Path, viewport: dict[str, int], state: Any, *scripts: str
    ) -> None:
        self.browser = launch_chromium(
            playwright,
            ["--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={camera}"],
        )
        self.viewport = viewport
        self.errors: list[str] = []
        self.covered: list[str] = []
        self.page = self.browser.new_context(viewport=viewport, storage_state=state).new_page()
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        for script in (SPEECH_SPY, *scripts):
            self.page.add_init_script(script)

    def until_summary(self, answers: dict[str, int], timeout_s: float) -> list[tuple[str, str]]:
        """Runs the exercise to its end screen, answering each question as it comes (`answers`
        by kind: pain_before, effort, pain_after) and checking that none covers the count;
        the questions asked, (kind, title)."""
        page, asked = self.page, []
        deadline = time.monotonic() + scaled(timeout_s)
        while True:
            done, covered, kind = page.evaluate(STATE)
            if done:
                return asked
            assert time.monotonic() < deadline, f"no end screen in {timeout_s} s; asked {asked}"
            if covered:
                self.covered.append(covered)
            self._answer(answers, asked, kind)
            page.wait_for_timeout(150)

    def _answer(
        self, answers: dict[str, int], asked: list[tuple[str, str]], kind: str | None = ""
    ) -> None:
        """Answers the prompt waiting (`kind`: read already, or "" to read it now)."""
        page = self.page
        if kind == "":
            kind = page.evaluate(WAITING)
        if not kind:
            return
        asked.append((kind, page_text(page, "#rating-title")))
        rating_buttons_fit(page, self.viewport)
        page.click(f"[data-testid=rating-prompt] button[data-value='{answers[kind]}']")
        page.wait_for_timeout(100)

    def spoken(self) -> list[str]:
        return [t for t in self.page.evaluate("window.__spoken") if KEPT.match(t)]

    def next_exercise(self, answers: dict[str, int]) -> tuple[str, str]:
        """After the end screen: a question still to answer, then the big button (its words and
        where it goes)."""
        page, asked = self.page, []
        deadline = time.monotonic() + scaled(20)
        while page.evaluate("document.getElementById('next-exercise').hidden"):
            assert time.monotonic() < deadline, "no next exercise offered"
            self._answer(answers, asked)
            page.wait_for_timeout(150)
        self._answer(answers, asked)  # pain after is asked as the button shows (before it)
        self.after = asked
        return page_text(page, "#next-exercise"), page.get_attribute("#next-exercise", "href") or ""

    def close(self) -> None:
        self.browser.close()
        assert not self.errors, self.errors
        assert not self.covered, f"a question covered the count while counting: {self.covered}"


def test_a_patients_day_squats_hold_and_targets(
    playwright: Any,
    review: Review,
    cameras: dict[str, Path],
    arm_pose: str,
) -> None:
    viewport = PHONE
    store = review.store
    patient = store.create_patient(review.ther_a.id, "Dana Day")
    store.set_program(patient.id, PROGRAM)
    token = store.create_link(patient.id)[1]
    signing = launch_chromium(playwright, [])
    context = signing.new_context()
    context.new_page().goto(f"{review.url}/p/{token}")
    state = context.storage_state()
    signing.close()
    answers = {"pain_before": 2, "effort": 4, "pain_after": 1}

    # 1. The squats: from /me's first Start; pain first, before the camera.
    squats = Exercise(playwright, cameras["squat"], viewport, state)
    try:
        page = squats.page
        page.goto(f"{review.url}/me")
        page.click("[data-testid=today] [data-testid=start]")
        wait_js(page, f"{PROMPT} !== null && {PROMPT}.dataset.kind === 'pain_before'", 20_000)
        assert page.evaluate("document.getElementById('media').hidden")  # the camera waits
        asked = squats.until_summary(answers, 240)
        first_screen(page, "summary", "rep-count")
        assert page_text(page, "#summary").startswith("All done: 2 sets, 6 reps."), page_text(
            page, "#summary"
        )
        words, href = squats.next_exercise(answers)
        assert words == "Next exercise: Single-leg stance" and "exercise=single_leg_stance" in href
        assert page_text(page, "#start") == "Do squat again"
        first_screen(page, "next-exercise")
        spoken = squats.spoken()
        squat_session = page_text(page, "#session-id")
    finally:
        squats.close()
    assert [k for k, _ in asked] == ["pain_before", "effort", "effort"], asked
    assert squats.after == []  # the day is not over: no pain question yet
    # In this order, word for word; what one frame decided is one line ("Set 2. Start when you
    # are ready. 1." when a set starts and its first rep ends in the same frame).
    assert said_words(spoken) == said_words(
        [
            "How much pain do you feel now? 0 = no pain, 10 = worst pain you can imagine.",
            "1",
            "2",
            "3. Set 1 done. Rest for 6 seconds.",
            "How hard was set 1? 0 = no effort at all, 10 = the hardest you could do.",
            "Set 2. Start when you are ready.",
            "1",
            "2",
            "3. All sets done. Well done!",
            "How hard was set 2? 0 = no effort at all, 10 = the hardest you could do.",
        ]
    ), spoken

    # 2. The hold, by the big button: pain is not asked again today.
    hold = Exercise(playwright, cameras["single_leg_stance"], viewport, state)
    try:
        page = hold.page
        page.goto(f"{review.url}{href}&pose=server")
        wait_js(page, "document.getElementById('hold-target').textContent === 'of 5 s'", 20_000)
        asked = hold.until_summary(answers, 180)
        summary = page_text(page, "#summary")
        assert summary.startswith("All done: 1 hold."), summary
        assert page_text(page, "#rep-count") == "1"
        first_screen(page, "summary", "rep-count")
        words, href = hold.next_exercise(answers)
        assert words == "Next exercise: Reach to targets (seated)", words
        spoken = hold.spoken()
    finally:
        hold.close()
    assert asked == [("effort", "How hard was set 1?")]
    assert spoken[0].startswith("5 seconds, well done!"), spoken
    assert "Well done, that's the set!" in " ".join(spoken), spoken

    # 3. The targets task ends by itself; the day's program is done: pain after, then the end.
    # On the device where the page's assets are there (as `./run` fetches them), else the server.
    pose = "device" if assets.status()["available"] else "server"
    targets = Exercise(playwright, cameras["targets_reach_seated"], viewport, state, arm_pose)
    try:
        page = targets.page
        page.goto(f"{review.url}{href}&pose={pose}&level=3&seed={SEED}")
        asked = targets.until_summary(answers, 300)
        summary = page_text(page, "#summary")
        assert summary.startswith("All done: you touched "), summary
        words, href = targets.next_exercise(answers)
        assert words == "All done for today: back to my program" and href == "/me"
        said = page.evaluate("window.__spoken")
        targets_session = page_text(page, "#session-id")
    finally:
        targets.close()
    assert [k for k, _ in asked + targets.after] == ["pain_after"], asked  # no effort: a task
    # The results, the end (said with the last target's result), then the pain question.
    end = next(i for i, t in enumerate(said) if "All the targets are done." in t)
    assert said[end + 1 :] == [
        "How much pain do you feel in your arms and shoulders now? 0 = no pain,"
        " 10 = worst pain you can imagine."
    ], said

    # Stored where they belong; the day counts as done on /me (as in the therapist's adherence).
    ratings = [(r.kind, r.set_number, r.value) for r in session_ratings(store, squat_session)]
    assert ratings == [("pain_before", 0, 2), ("effort", 1, 4), ("effort", 2, 4)]
    assert ("pain_after", 0, 1) in [
        (r.kind, r.set_number, r.value) for r in session_ratings(store, targets_session)
    ]
    with review.client() as c:
        c.cookies.set("coach_session", state["cookies"][0]["value"])
        html = c.get("/me").text
    assert html.count("Done today ✓") == 3, html
    assert "This week you did all your exercises on <strong>1 of 5 days</strong>" in html
