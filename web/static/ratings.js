// Pain and effort prompts for the live page: pain (0-10) once before the day's first exercise
// and once after its last, effort (Borg CR10, 0-10) after each set (of reps or holds; a
// hand-eye targets task is not an effort). Large buttons, the
// question spoken, always skippable, fits a 390 x 844 phone screen. Answers are posted to
// POST /sessions/SID/ratings (web/routes/ratings.py).
//
// Nothing is ever asked while the coach counts:
// - pain before is asked before the camera starts (`beforeStart`, awaited by the page), kept
//   here and posted once the session has seen the patient (a session that never did is not
//   stored, coach/store/live_recorder.py: there is nothing to rate);
// - effort is asked in the rest after a set (or once the last set is done), and a question
//   still open when the next set starts is put away unanswered;
// - pain after is asked once the session is over (`afterSession`), when the day's program is
//   done (or the patient has none).
// Only a signed-in patient is asked (GET /api/me/today, day.js); a skipped question counts as
// asked for the day. `fetch`, the clock and storage are parameters: the unit tests
// (tests/web/js/ratings.test.js) hand it fakes.
import { pageClock } from "./common.js";
import { fetchDay } from "./day.js";
import { num, t, tp } from "./i18n.js";
import { PRIORITY } from "./speech.js";

// The scales' words: functions, so they are read in the page's language when asked.
const PAIN = {
  title: (area) => ({
    legs: () => t("How much pain do you feel in your legs now?"),
    "arms and shoulders": () => t("How much pain do you feel in your arms and shoulders now?"),
    arms: () => t("How much pain do you feel in your arms now?"),
  }[area] || (() => t("How much pain do you feel now?")))(),
  low: () => t("0 = no pain"),
  high: () => t("10 = worst pain you can imagine"),
  labels: () => ({ 0: t("No pain"), 5: tp("pain", "Moderate"), 10: t("Worst") }),
};
const EFFORT = {
  title: (_area, set) => t("How hard was set {set}?", { set }),
  low: () => t("0 = no effort at all"),
  high: () => t("10 = the hardest you could do"),
  labels: () => ({
    0: t("Nothing"), 1: t("Very easy"), 2: t("Easy"), 3: tp("effort", "Moderate"), 5: t("Hard"),
    7: t("Very hard"), 10: t("Maximal"),
  }),
};
// The body area asked about (the stored answer's `area`, in English: an id, not words).
const AREAS = { lower: "legs", legs: "legs", upper: "arms and shoulders", arms: "arms", full: "" };
const RETRY_MS = 1500; // the session may be stored a moment after the patient is first seen
const POST_TRIES = 4;
const UNANSWERED_MS = 60000; // a question not answered by then is skipped: exercise goes on
const COUNTING = new Set(["setup", "active"]); // stages in which nothing may cover the page

/** Today's date (the patient's clock): a question skipped today is not asked again today. */
function today() {
  const d = new Date();
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

export class RatingPrompts {
  /**
   * `speaker`: something with `say(text, priority)` (speech.js Speaker), or null;
   * `root`: where the prompt goes; `fetchImpl`, `clock`, `storage`: fetch, the page's clock
   * and localStorage, or fakes.
   */
  constructor(speaker = null, root = document.body, {
    fetchImpl = (...args) => fetch(...args), clock = pageClock, storage = localStorage,
  } = {}) {
    this.speaker = speaker;
    this.root = root;
    this.fetch = fetchImpl;
    this.clock = clock;
    this.storage = storage;
    this.patient = false; // a signed-in patient: the only one asked
    this.day = null;
    this.prefetched = null; // the day asked for as the page opened (a promise)
    this.sessionId = null;
    this.area = "";
    this.seen = false; // this session has seen the patient (it is stored)
    this.lastSet = null; // {set, complete} of the latest progress seen
    this.stage = null;
    this.pending = []; // answers waiting for the session to be stored: {kind, value, area}
    this.queue = [];
    this.open = null;
    this.asked = new Set(); // "effort:2", ... asked in this session
    this.timer = null;
    if (!document.querySelector("link[href='/static/ratings.css']")) {
      const css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = "/static/ratings.css";
      document.head.appendChild(css);
    }
  }

  // ---- before the camera starts ----------------------------------------------------------
  /** Before the camera starts: pain, if this is the day's first exercise. Resolves once it is
   * answered or skipped (at once when nothing is to be asked). */
  async beforeStart(exercise) {
    this.area = AREAS[(exercise && exercise.body) || "full"] ?? "";
    this.day = await (this.prefetched || fetchDay(this.fetch));
    this.prefetched = null; // a later start asks again (pain may have been given meanwhile)
    this.patient = !!this.day.patient;
    if (!this.patient || !this.day.ask_pain_before || this.skippedToday("pain_before")) return;
    if (this.pending.some((p) => p.kind === "pain_before")) return; // answered, not yet posted
    await new Promise((done) => this.ask({ kind: "pain_before", onClose: done }));
  }

  /** Asks the server about the day as the page opens, so that Start does not wait for it. */
  prefetch() {
    this.prefetched = fetchDay(this.fetch);
  }

  // ---- during the session ----------------------------------------------------------------
  /** Every message from the live socket (after the page has handled it). */
  onMessage(msg) {
    if (!msg || typeof msg !== "object") return;
    if (msg.type === "session") {
      if (msg.session_id !== this.sessionId) this.newSession(msg.session_id);
      this.area = AREAS[(msg.exercise && msg.exercise.body) || "full"] ?? this.area;
      this.progress(msg.set, msg.stage);
    } else if (msg.type === "frame") {
      if (!this.seen && (msg.stage === "active" || msg.stage === "rest" || msg.stage === "done")) {
        this.seen = true; // past the setup: the patient was seen, the session is stored
        this.flush();
      }
      this.progress(msg.set, msg.stage);
    }
  }

  newSession(sessionId) {
    this.sessionId = sessionId;
    this.seen = false;
    this.lastSet = null;
    this.stage = null;
    this.asked = new Set();
    this.queue = [];
    if (this.open && this.open.item.kind === "effort") this.close(); // of the session before
  }

  /** A set is over when the set number moves on, or the last one completes: effort is asked
   * in the rest (or once all is done), and put away when counting starts again. */
  progress(set, stage) {
    this.stage = stage || this.stage;
    if (COUNTING.has(this.stage)) {
      this.queue = this.queue.filter((q) => q.kind !== "effort");
      if (this.open && this.open.item.kind === "effort" && !this.open.box.dataset.answering) this.close();
    }
    if (!set || !set.per_set || set.unit === "target") return; // a targets task: no effort
    const last = this.lastSet;
    this.lastSet = { set: set.set, complete: !!set.complete };
    if (!last) return;
    if (set.set > last.set) this.askEffort(last.set);
    if (set.complete && !last.complete) this.askEffort(set.set);
  }

  askEffort(set) {
    const key = `effort:${set}`;
    if (!this.patient || this.asked.has(key) || COUNTING.has(this.stage)) return;
    this.asked.add(key);
    this.ask({ kind: "effort", set, sessionId: this.sessionId });
  }

  // ---- after the session -----------------------------------------------------------------
  /** The session is over: pain, if the day's program is done now (`day`: day.js's). */
  afterSession(day) {
    if (!day || !day.patient || !day.ask_pain_after || this.skippedToday("pain_after")) return;
    if (!this.seen || !this.sessionId) return; // nothing stored to rate
    this.ask({ kind: "pain_after", sessionId: this.sessionId });
  }

  // ---- asking ----------------------------------------------------------------------------
  ask(item) {
    this.queue.push(item);
    if (!this.open) this.next();
  }

  skippedToday(kind) {
    return this.storage.getItem(`coach.skipped.${kind}`) === today();
  }

  next() {
    const item = this.queue.shift();
    if (!item) return;
    const scale = item.kind === "effort" ? EFFORT : PAIN;
    const title = scale.title(this.area, item.set);
    const box = document.createElement("div");
    box.className = "rating-prompt";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-modal", "true");
    box.setAttribute("aria-labelledby", "rating-title");
    box.dataset.testid = "rating-prompt";
    box.dataset.kind = item.kind;
    const h = document.createElement("h2");
    h.id = "rating-title";
    h.textContent = title;
    const help = document.createElement("p");
    help.className = "rating-help";
    const low = scale.low();
    const high = scale.high();
    const labels = scale.labels();
    help.textContent = `${low} · ${high}`;
    const grid = document.createElement("div");
    grid.className = "rating-grid";
    for (let v = 0; v <= 10; v += 1) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "rating-value";
      b.dataset.value = String(v);
      const n = document.createElement("span");
      n.className = "rating-number";
      n.textContent = num(v);
      b.appendChild(n);
      if (labels[v]) {
        const l = document.createElement("span");
        l.className = "rating-label";
        l.textContent = labels[v];
        b.appendChild(l);
      }
      b.setAttribute("aria-label", labels[v] ? t("{value}, {label}", { value: v, label: labels[v] }) : num(v));
      b.addEventListener("click", () => this.answer(v));
      grid.appendChild(b);
    }
    const skip = document.createElement("button");
    skip.type = "button";
    skip.className = "rating-skip";
    skip.textContent = t("Skip");
    skip.addEventListener("click", () => this.skip());
    const status = document.createElement("p");
    status.className = "rating-status";
    status.setAttribute("role", "status");
    box.append(h, help, grid, skip, status);
    box.addEventListener("keydown", (ev) => { if (ev.key === "Escape") this.skip(); });
    this.root.appendChild(box);
    this.open = { item, box };
    this.timer = this.clock.setTimeout(() => {
      if (this.open && this.open.box === box && !box.dataset.answering) this.skip();
    }, UNANSWERED_MS);
    grid.querySelector("button").focus({ preventScroll: true });
    if (this.speaker) this.speaker.say(t("{question} {low}, {high}.", { question: title, low, high }), PRIORITY.help);
  }

  /** The patient chose `value`: pain before waits for the stored session; the others are
   * posted now. */
  async answer(value) {
    const { item, box } = this.open;
    const body = { kind: item.kind, value };
    if (item.kind === "effort") body.set = item.set;
    else if (this.area) body.area = this.area;
    box.dataset.saved = String(value);
    if (item.kind === "pain_before") {
      this.pending.push(body);
      this.flush();
      this.done();
      return;
    }
    box.dataset.answering = "1";
    for (const b of box.querySelectorAll("button")) b.disabled = true;
    const status = box.querySelector(".rating-status");
    status.textContent = t("Saving…");
    const saved = await this.post(item.sessionId, body);
    if (!this.open || this.open.box !== box) return; // closed meanwhile (a new session)
    if (!saved) {
      delete box.dataset.saved;
      status.textContent = t("Could not save. You can carry on.");
      for (const b of box.querySelectorAll("button")) b.disabled = false;
      delete box.dataset.answering;
      return;
    }
    this.done();
  }

  skip() {
    const item = this.open && this.open.item;
    if (item && item.kind !== "effort") this.storage.setItem(`coach.skipped.${item.kind}`, today());
    this.done();
  }

  /** Answers kept until the session is stored (it has seen the patient) go to it now. */
  flush() {
    if (!this.seen || !this.sessionId || !this.pending.length) return;
    const sessionId = this.sessionId;
    const answers = this.pending.splice(0);
    for (const body of answers) this.post(sessionId, body);
  }

  /** true when stored; false when it could not be (the page carries on). */
  async post(sessionId, body) {
    for (let attempt = 0; attempt < POST_TRIES; attempt += 1) {
      try {
        const r = await this.fetch(`/sessions/${encodeURIComponent(sessionId)}/ratings`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          credentials: "same-origin",
          body: JSON.stringify(body),
        });
        if (r.ok) return true;
        if (r.status !== 404) return false;
      } catch {
        return false;
      }
      // Not stored yet: the recorder writes the session a moment after it first sees the patient.
      await new Promise((done) => this.clock.setTimeout(done, RETRY_MS));
    }
    return false;
  }

  close() {
    this.clock.clearTimeout(this.timer);
    const open = this.open;
    this.open = null;
    if (open) {
      open.box.remove();
      if (open.item.onClose) open.item.onClose();
    }
  }

  done() {
    this.close();
    this.next();
  }
}
