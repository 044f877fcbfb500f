// Pain and effort prompts for the live page: pain (0-10) before the session and after it,
// effort (Borg CR10, 0-10) after each set. Large buttons, the question spoken, always
// skippable, fits a 390 x 844 phone screen. Self-contained: the page hands it every server
// message (`prompts.onMessage(msg)`), it works out when to ask and posts the answers to
// POST /sessions/SID/ratings (web/routes/ratings.py). Nothing is asked until the page has
// checked that the session is a signed-in patient's stored one (GET /sessions/SID/ratings):
// a try-out session has no record to keep, and its page stays as it was.

const PAIN = {
  title: (area) => `How much pain do you feel${area ? ` in your ${area}` : ""} now?`,
  low: "0 = no pain",
  high: "10 = worst pain you can imagine",
  labels: { 0: "No pain", 5: "Moderate", 10: "Worst" },
};
const EFFORT = {
  title: (_area, set) => `How hard was set ${set}?`,
  low: "0 = no effort at all",
  high: "10 = the hardest you could do",
  labels: { 0: "Nothing", 1: "Very easy", 2: "Easy", 3: "Moderate", 5: "Hard", 7: "Very hard", 10: "Maximal" },
};
const AREAS = { lower: "legs", legs: "legs", upper: "arms and shoulders", arms: "arms", full: "" };
const RETRY_MS = 1500; // the stored session may be written a moment after it starts
const UNANSWERED_MS = 60000; // a question not answered by then is skipped: exercise goes on

export class RatingPrompts {
  /** `speaker`: something with `say(text, priority)` (common.js Speaker), or null. */
  constructor(speaker = null, root = document.body) {
    this.speaker = speaker;
    this.root = root;
    this.sessionId = null;
    this.area = "";
    this.lastSet = null; // {set, complete} of the latest progress seen
    this.queue = [];
    this.open = null;
    this.quiet = true;
    this.asked = new Set(); // "pain_before", "effort:2", ... asked in this session
    const css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = "/static/ratings.css";
    document.head.appendChild(css);
  }

  /** Every message from the live socket: decides whether to ask something. */
  onMessage(msg) {
    if (!msg || typeof msg !== "object") return;
    if (msg.type === "session") {
      const fresh = msg.session_id !== this.sessionId;
      if (fresh) this._reset(msg.session_id);
      this.area = AREAS[(msg.exercise && msg.exercise.body) || "full"] ?? "";
      this._progress(msg.set);
      if (fresh) {
        const sessionId = msg.session_id;
        this._stored(sessionId).then((ok) => {
          if (!ok || sessionId !== this.sessionId) return;
          this.quiet = false;
          if (msg.how === "new") this._ask("pain_before");
        });
      }
    } else if (msg.type === "frame") {
      this._progress(msg.set);
    } else if (msg.type === "summary" && this.sessionId) {
      this._ask("pain_after");
    }
  }

  _reset(sessionId) {
    this.sessionId = sessionId;
    this.lastSet = null;
    this.queue = [];
    this.asked = new Set();
    this.quiet = true; // until _stored says this session keeps ratings
    this._close();
  }

  /** Whether the session is stored for the signed-in patient (the store may write it a
   *  moment after the session starts: one retry). */
  async _stored(sessionId) {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        const r = await fetch(`/sessions/${encodeURIComponent(sessionId)}/ratings`, {
          credentials: "same-origin",
          redirect: "manual", // not signed in: a redirect to the sign-in page
        });
        if (r.ok && r.type !== "opaqueredirect") return true;
        if (r.status !== 404) return false;
      } catch {
        return false;
      }
      await new Promise((done) => setTimeout(done, RETRY_MS));
    }
    return false;
  }

  /** A set is over when the set number moves on, or the last one completes. */
  _progress(set) {
    if (!set || !set.per_set) return;
    const last = this.lastSet;
    this.lastSet = { set: set.set, complete: !!set.complete };
    if (!last) return;
    if (set.set > last.set) this._ask("effort", last.set);
    if (set.complete && !last.complete) this._ask("effort", set.set);
  }

  _ask(kind, set = 0) {
    const key = kind === "effort" ? `effort:${set}` : kind;
    if (this.quiet || this.asked.has(key)) return;
    this.asked.add(key);
    this.queue.push({ kind, set, sessionId: this.sessionId });
    if (!this.open) this._next();
  }

  _next() {
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
    help.textContent = `${scale.low} · ${scale.high}`;
    const grid = document.createElement("div");
    grid.className = "rating-grid";
    for (let v = 0; v <= 10; v += 1) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "rating-value";
      b.dataset.value = String(v);
      const n = document.createElement("span");
      n.className = "rating-number";
      n.textContent = String(v);
      b.appendChild(n);
      if (scale.labels[v]) {
        const l = document.createElement("span");
        l.className = "rating-label";
        l.textContent = scale.labels[v];
        b.appendChild(l);
      }
      b.setAttribute("aria-label", scale.labels[v] ? `${v}, ${scale.labels[v]}` : String(v));
      b.addEventListener("click", () => this._answer(item, v));
      grid.appendChild(b);
    }
    const skip = document.createElement("button");
    skip.type = "button";
    skip.className = "rating-skip";
    skip.textContent = "Skip";
    skip.addEventListener("click", () => this._done());
    const status = document.createElement("p");
    status.className = "rating-status";
    status.setAttribute("role", "status");
    box.append(h, help, grid, skip, status);
    box.addEventListener("keydown", (ev) => { if (ev.key === "Escape") this._done(); });
    this.root.appendChild(box);
    this.open = box;
    this.timer = setTimeout(() => { if (this.open === box && !box.dataset.answering) this._done(); }, UNANSWERED_MS);
    grid.querySelector("button").focus({ preventScroll: true });
    if (this.speaker) this.speaker.say(`${title} ${scale.low}, ${scale.high}.`, 3);
  }

  async _answer(item, value) {
    const box = this.open;
    box.dataset.answering = "1";
    for (const b of box.querySelectorAll("button")) b.disabled = true;
    const body = { kind: item.kind, value };
    if (item.kind === "effort") body.set = item.set;
    else if (this.area) body.area = this.area;
    const status = box.querySelector(".rating-status");
    status.textContent = "Saving…";
    const saved = await this._post(item.sessionId, body);
    if (this.open !== box) return; // closed meanwhile (a new session)
    if (saved === "no_patient") {
      this.quiet = item.sessionId === this.sessionId; // a try-out session: no record to keep
      this.queue = [];
    } else if (!saved) {
      status.textContent = "Could not save. You can carry on.";
      for (const b of box.querySelectorAll("button")) b.disabled = false;
      delete box.dataset.answering;
      return;
    }
    box.dataset.saved = String(value);
    this._done();
  }

  async _post(sessionId, body) {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        const r = await fetch(`/sessions/${encodeURIComponent(sessionId)}/ratings`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          credentials: "same-origin",
          body: JSON.stringify(body),
        });
        if (r.ok) return true;
        if (r.status === 404 && attempt === 0) {
          await new Promise((done) => setTimeout(done, RETRY_MS));
          continue;
        }
        if (r.status === 404 || r.status === 401 || r.status === 403) return "no_patient";
        return false;
      } catch {
        return false;
      }
    }
    return "no_patient";
  }

  _close() {
    clearTimeout(this.timer);
    if (this.open) this.open.remove();
    this.open = null;
  }

  _done() {
    this._close();
    this._next();
  }
}
