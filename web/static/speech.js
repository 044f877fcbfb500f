// What the pages say aloud, through the browser's synthesiser: one queue with priorities.
//
// Words the patient must hear are *kept*: a count, the end of a set, the rest, "well done",
// a question, a therapist's message, the safety warning. They are never dropped and never
// cut off: each waits for the one being said, in the order they came (the safety warning
// ahead of the others). A *cue* (a form correction, "I can't see your feet") is advice about
// this moment: it is said at once when nothing kept is being said, a kept line or a more
// urgent cue cuts it short, only the newest cue waits its turn (behind the kept lines), it
// goes stale after a few seconds, and the same cue is not repeated within a few seconds.
//
// Some systems never report the end of an utterance (no voice, no audio device): after its
// expected length the next one goes to the synthesiser anyway (which queues it behind).
// Every line is said in the page's language (<html lang>, i18n.js) by a voice of that language
// where the browser has one. Where it has voices but none of that language, nothing is said
// (another language's voice would read the words wrongly) and `onVoice` is told, for the page
// to say so on screen; a browser that lists no voices at all (some never do) is handed the
// language with each line and left to choose.
//
// The synthesiser, its utterance class and the clock are parameters: the unit tests
// (tests/web/js/speech.test.js) hand it fakes.
import { pageClock } from "./common.js";
import { lang as pageLang } from "./i18n.js";

export const PRIORITY = { cue: 1, count: 2, help: 3, therapist: 4, safety: 6 };
const SAFETY = PRIORITY.safety;
const CUE_REPEAT_MS = 6000; // the same cue again only after this long
const CUE_STALE_MS = 4000; // a cue still waiting after this long is no longer about now
const RATE = 0.95;

/** The best voice for `lang` among `voices` (the language's default first, then the same
 * region, then any of the language), or null. */
export function voiceFor(voices, lang) {
  const norm = (tag) => String(tag || "").replace("_", "-").toLowerCase();
  const want = norm(lang);
  const base = want.split("-")[0];
  const same = voices.filter((v) => norm(v.lang).split("-")[0] === base);
  return same.find((v) => v.default) || same.find((v) => norm(v.lang) === want) || same[0] || null;
}

/** How long `text` takes to say (ms), generously: the next line waits at most this long for
 * the synthesiser to report the end. */
export function expectedMs(text) {
  return 800 + 80 * text.length;
}

export class Speaker {
  /**
   * `toggle`: the page's "Speak to me" checkbox (remembered in localStorage), or null;
   * `synth`, `Utterance`, `clock`: window.speechSynthesis, SpeechSynthesisUtterance and the
   * page's clock, or fakes; `lang`: the language to speak (the page's); `onVoice(found)`:
   * told once the browser's voices are known, with the voice chosen or null (none of the
   * language: nothing is said).
   */
  constructor(toggle, {
    synth = "speechSynthesis" in window ? window.speechSynthesis : null,
    Utterance = typeof SpeechSynthesisUtterance === "undefined" ? null : SpeechSynthesisUtterance,
    clock = pageClock,
    lang = pageLang,
    onVoice = () => {},
  } = {}) {
    this.toggle = toggle;
    this.synth = synth;
    this.Utterance = Utterance;
    this.clock = clock;
    this.lang = lang;
    this.onVoice = onVoice;
    this.voice = null; // the browser's voice of the language, once known
    this.noVoice = false; // the browser has voices, none of the language: silent
    this.available = !!(synth && Utterance);
    this.current = null; // {text, priority, keep} being said
    this.waiting = []; // kept lines in the order they will be said, then at most one cue
    this.timer = null; // the end of the current line, if the synthesiser never says
    this.lastCue = { text: "", at: -Infinity };
    if (toggle) {
      const saved = localStorage.getItem("coach.speech");
      if (saved !== null) toggle.checked = saved === "1";
      toggle.addEventListener("change", () => {
        localStorage.setItem("coach.speech", toggle.checked ? "1" : "0");
        if (!toggle.checked) this.stop();
      });
      if (!this.available) {
        toggle.checked = false;
        toggle.disabled = true;
      }
    }
    if (this.available) this.findVoice();
  }

  /** Chooses the language's voice now, and again when the browser's list arrives (Chromium
   * fills it a moment after the page loads). */
  findVoice() {
    const look = () => {
      const voices = typeof this.synth.getVoices === "function" ? this.synth.getVoices() || [] : [];
      if (!voices.length) return false; // not known (yet): each line carries its language
      this.voice = voiceFor(voices, this.lang);
      this.noVoice = !this.voice;
      if (this.noVoice) this.stop();
      this.onVoice(this.voice);
      return true;
    };
    if (!look() && typeof this.synth.addEventListener === "function") {
      const again = () => { if (look()) this.synth.removeEventListener("voiceschanged", again); };
      this.synth.addEventListener("voiceschanged", again);
    }
  }

  get enabled() {
    return this.available && !this.noVoice && (!this.toggle || this.toggle.checked);
  }

  /** Says `text` now or in its turn. `keep`: never dropped (default: above a cue's priority). */
  say(text, priority = PRIORITY.cue, { keep = priority > PRIORITY.cue } = {}) {
    if (!this.enabled || !text) return;
    const now = this.clock.now();
    const line = { text, priority, keep, at: now };
    if (!keep) {
      if (text === this.lastCue.text && now - this.lastCue.at < CUE_REPEAT_MS) return;
      this.lastCue = { text, at: now };
    }
    const cur = this.current;
    if (!cur) {
      this.speak(line);
    } else if (!cur.keep && (keep || priority > cur.priority)) {
      this.speak(line, true); // a cue is cut short by anything that matters more
    } else if (keep) {
      // In the order they came (a count before the set's end before the next question), the
      // safety warning ahead of them; a waiting cue stays last.
      const rank = (l) => (!l.keep ? 0 : l.priority >= SAFETY ? 2 : 1);
      const i = this.waiting.findIndex((l) => rank(l) < rank(line));
      this.waiting.splice(i < 0 ? this.waiting.length : i, 0, line);
    } else {
      // Only the newest cue waits (behind every kept line).
      this.waiting = this.waiting.filter((l) => l.keep);
      this.waiting.push(line);
    }
  }

  /** Hands `line` to the synthesiser (`interrupt`: what it is saying is cut short). */
  speak(line, interrupt = false) {
    const synth = this.synth;
    this.current = line; // first: the end of a line cut short is not this one's
    if (interrupt && (synth.speaking || synth.pending)) synth.cancel();
    const u = new this.Utterance(line.text);
    u.rate = RATE;
    u.lang = this.lang;
    if (this.voice) u.voice = this.voice;
    const done = () => { if (this.current === line) this.next(); };
    u.onend = done;
    u.onerror = done;
    this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(done, expectedMs(line.text));
    try {
      synth.speak(u);
    } catch { // no voice available: the words are on screen
      this.clock.clearTimeout(this.timer);
      this.timer = this.clock.setTimeout(done, 0);
    }
  }

  /** The current line is over: the next one waiting (a stale cue is dropped). */
  next() {
    this.clock.clearTimeout(this.timer);
    this.current = null;
    const now = this.clock.now();
    while (this.waiting.length) {
      const line = this.waiting.shift();
      if (line.keep || now - line.at < CUE_STALE_MS) {
        this.speak(line);
        return;
      }
    }
  }

  /** Silence: what is being said stops and nothing waits. */
  stop() {
    this.waiting = [];
    this.current = null;
    this.clock.clearTimeout(this.timer);
    if (this.available) this.synth.cancel();
  }
}
