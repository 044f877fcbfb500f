"""The patient's pages in other languages, in real headless Chromium on a phone (390x844):

- the pseudo-locale (en-XA: every message accented, 40% longer and bracketed; coach.i18n.pseudo)
  finds no word that did not come from a catalog and nothing cut off or wider than the phone,
  on the picker (with and without a match), the live page before the start (an exercise, the
  live balance test and Timed Up and Go), a signed-in
  patient's pain question and the page's words when the camera cannot start, and /me (its
  how-to open, the weekly check-in);
- Arabic is laid out right to left: checked on a screenshot and by where things sit.

Real server and SQLite store. The live page during a session (count, sets, rest, summary, the
server's cues) in another language is tested in tests/web/js/languages.test.js."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.web.pages import PHONE, launch_chromium, wait_js
from tests.web.review_app import Review

pytestmark = [pytest.mark.browser, pytest.mark.server]

# Words that are data, not messages: the patient's name and the product's name.
DATA_WORDS = ["Lena", "Languages", "Coach"]  # the patient's name (data), the brand
# Every visible text and labelling attribute that still has a plain (unaccented) word, every
# box whose text is cut off, and whether the page is wider than the screen; read in one go.
FIND_PROBLEMS = """(allowed) => {
  const visible = (el) => {
    const s = getComputedStyle(el), r = el.getBoundingClientRect();
    return s.visibility !== 'hidden' && s.display !== 'none' && r.width > 0 && r.height > 0;
  };
  const plain = (text) => (text.match(/[A-Za-z]{2,}/g) || []).filter((w) => !allowed.includes(w));
  const out = { untranslated: [], cut: [], wide: null, brackets: null };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement, text = walker.currentNode.textContent.trim();
    if (!text || !el || el.closest('script, style, [hidden]') || !visible(el)) continue;
    if (plain(text).length) out.untranslated.push(`${el.tagName}#${el.id}: ${text}`);
  }
  for (const el of document.querySelectorAll('[aria-label], [title], [placeholder], [alt]')) {
    if (el.closest('[hidden]')) continue;
    for (const name of ['aria-label', 'title', 'placeholder', 'alt']) {
      const value = el.getAttribute(name);
      if (value && plain(value).length) out.untranslated.push(`${el.tagName}[${name}]: ${value}`);
    }
  }
  if (plain(document.title).length) out.untranslated.push(`title: ${document.title}`);
  for (const el of document.body.querySelectorAll('*')) {
    if (!visible(el) || !el.textContent.trim()) continue;
    const s = getComputedStyle(el);
    const clips = ['hidden', 'clip'].includes(s.overflowX) || s.textOverflow === 'ellipsis';
    const r0 = el.getBoundingClientRect();
    if (r0.width <= 1 && r0.height <= 1) continue;  // visually hidden, for screen readers
    if (clips && el.scrollWidth > el.clientWidth + 1) out.cut.push(`${el.tagName}#${el.id}`);
    const r = el.getBoundingClientRect();
    if (r.right > innerWidth + 1 || r.left < -1) out.cut.push(`${el.tagName}#${el.id} outside`);
  }
  if (document.documentElement.scrollWidth > innerWidth + 1) {
    out.wide = document.documentElement.scrollWidth;
  }
  const shown = document.body.innerText;
  const open = (shown.match(/\\[/g) || []).length, close = (shown.match(/\\]/g) || []).length;
  if (open !== close) out.brackets = `${open} [ and ${close} ]`;
  return out;
}"""


def problems(page: Any, where: str, data: tuple[str, ...] = ()) -> list[str]:
    """What is wrong on the page as it is now; `data`: more of the person's own words on it."""
    found = page.evaluate(FIND_PROBLEMS, [*DATA_WORDS, *data])
    out = [f"{where}: untranslated {t}" for t in found["untranslated"]]
    out += [f"{where}: cut off {c}" for c in found["cut"]]
    if found["wide"]:
        out.append(f"{where}: the page is {found['wide']} px wide on a 390 px phone")
    if found["brackets"]:
        out.append(f"{where}: a message lost its bracket ({found['brackets']})")
    return out


def phone(browser: Any, review: Review, accept: str, who: str | None = None) -> Any:
    context = browser.new_context(viewport=PHONE, locale=accept)  # its Accept-Language
    if who is not None:
        context.add_cookies(
            [{"name": "coach_session", "value": review.cookie(who), "url": review.url}]
        )
    return context.new_page()


PROGRAM = [
    {"exercise_id": "squat", "sets": 2, "reps": 8, "target_rom_deg": 100, "max_rom_deg": 120},
    {"exercise_id": "single_leg_stance", "sets": 1, "reps": 1, "hold_s": 20},
    {"exercise_id": "targets_reach_seated", "sets": 2, "reps": 10},
]


@pytest.fixture
def program(review: Review) -> Any:
    """A patient of these tests alone ("pat.lang"), with a program: the shared patients' /me
    carries what other tests gave them (a check-in's activity names are the patient's own
    words, never translated)."""
    patient = review.add_patient("pat.lang", "Lena Languages")
    review.store.set_program(patient.id, PROGRAM)
    yield patient
    review.store.set_program(patient.id, [])
    review.store.set_language(patient.id, None)


def test_the_pseudo_locale_finds_no_untranslated_word_and_nothing_cut_off(
    playwright: Any, review: Review, program: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COACH_PSEUDO_LOCALE", "1")  # the server offers en-XA (tests only)
    browser = launch_chromium(playwright, [])
    found: list[str] = []
    try:
        anon = phone(browser, review, "en-XA")
        anon.goto(f"{review.url}/")
        wait_js(
            anon, "document.querySelectorAll('#exercise-list a, #exercise-list button').length > 3"
        )
        assert anon.evaluate("document.documentElement.lang") == "en-XA"
        found += problems(anon, "the picker")
        anon.fill("#picker-search", "zzzz")  # no match: the picker says so, with the word
        wait_js(  # (the count said how many there are before: wait for the answer itself)
            anon,
            "!document.querySelector('#exercise-list a, #exercise-list button') && "
            "document.getElementById('picker-count').textContent.includes('zzzz')",
        )
        found += problems(anon, "the picker with no match", ("zzzz",))
        anon.goto(f"{review.url}/?exercise=squat")
        wait_js(anon, "!document.getElementById('coach').hidden")
        wait_js(anon, "document.getElementById('exercise-instructions').textContent.length > 0")
        found += problems(anon, "the live page before the start")
        for test in ("four_stage_balance", "timed_up_and_go"):  # the live clinical tests' words
            anon.goto(f"{review.url}/?exercise={test}")
            wait_js(anon, "!document.getElementById('coach').hidden")
            wait_js(anon, "document.getElementById('exercise-instructions').textContent.length > 0")
            found += problems(anon, f"the live {test} before the start")
        patient = phone(browser, review, "en-XA", "pat.lang")
        patient.goto(f"{review.url}/me")
        found += problems(patient, "/me")
        patient.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
        found += problems(patient, "/me with how-to open")
        # The live page of a signed-in patient: the pain question before the camera starts,
        # then (no camera here) what the page says when the camera cannot start.
        patient.goto(f"{review.url}/?exercise=squat&autostart=1")
        wait_js(patient, "document.querySelector('[data-testid=rating-prompt]') !== null")
        found += problems(patient, "the pain question")
        patient.click("[data-testid=rating-prompt] .rating-skip")
        wait_js(patient, "!document.getElementById('alert').hidden")
        found += problems(patient, "the live page without a camera")
    finally:
        browser.close()
    assert not found, "\n".join(found)


def test_arabic_is_laid_out_right_to_left(
    playwright: Any, review: Review, program: Any, tmp_path: Path
) -> None:
    review.store.set_language(program.id, "ar")
    browser = launch_chromium(playwright, [])
    try:
        patient = phone(browser, review, "en", "pat.lang")  # the therapist chose, not the browser
        patient.goto(f"{review.url}/me")
        assert patient.evaluate(
            "[document.documentElement.lang, document.documentElement.dir]"
        ) == [
            "ar",
            "rtl",
        ]
        shot = tmp_path / "me-ar.png"
        patient.screenshot(path=str(shot), full_page=False)
        layout = patient.evaluate("""() => {
          const box = (sel) => document.querySelector(sel).getBoundingClientRect();
          const ink = (sel) => {  // where the text itself is, not its block
            const range = document.createRange();
            range.selectNodeContents(document.querySelector(sel));
            return range.getBoundingClientRect();
          };
          const h1 = ink('h1'), brand = box('header .brand'), start = ink('a.start');
          return { width: innerWidth, h1Right: h1.right, h1Left: h1.left,
                   headerBottom: box('header').bottom,
                   brandLeft: brand.left, startRight: start.right,
                   direction: getComputedStyle(document.body).direction,
                   wide: document.documentElement.scrollWidth };
        }""")
        assert layout["direction"] == "rtl"
        assert layout["wide"] <= layout["width"] + 1
        # Mirrored: a heading's words end at the right edge and leave the left side empty, the
        # header's brand sits on the right, the Start button's word is centred or right.
        assert layout["h1Right"] > layout["width"] - 40 and layout["h1Left"] > 30, layout
        assert layout["brandLeft"] > layout["width"] / 2, layout
        assert layout["startRight"] > layout["width"] / 2, layout
        _mostly_ink_on_the_right(shot, below=int(layout["headerBottom"]) + 1)
        live = phone(browser, review, "ar")
        live.goto(f"{review.url}/?exercise=squat")
        wait_js(live, "!document.getElementById('coach').hidden")
        assert live.evaluate("document.documentElement.dir") == "rtl"
        assert live.evaluate("document.getElementById('start').textContent.trim()") == "ابدأ"
        live.screenshot(path=str(tmp_path / "live-ar.png"))
        assert live.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    finally:
        browser.close()


def _mostly_ink_on_the_right(shot: Path, below: int) -> None:
    """Right-aligned text puts more dark pixels in the right half of the screen than the left
    (the page under its dark header)."""
    import numpy as np
    from PIL import Image

    grey = np.asarray(Image.open(shot).convert("L"), dtype=np.float32)[below:]
    dark = grey < 100
    half = dark.shape[1] // 2
    left, right = int(dark[:, :half].sum()), int(dark[:, half:].sum())
    assert right > 1.2 * left, f"dark pixels: left {left}, right {right}"
