// Timed Up and Go on the live page (docs/LIVE-PROTOCOL.md "Timed Up and Go"): sit in the
// chair, "Go" once the coach sees you seated, a running clock in large type while you walk, the
// total in words once you are seated again, with the fall-risk cut-off and its source. The
// server's events carry numbers; every word the patient reads or hears is here, in WORDS,
// from the catalogs.
import { $, show, setText } from "./common.js";
import { showDemo } from "./demo.js";
import { num, t } from "./i18n.js";
import { PRIORITY } from "./speech.js";

export const TUG_TEST = "timed_up_and_go";

// All the test's words, in one place, from the message catalogs (docs/I18N.md).
export const WORDS = {
  intro: () => t("Put a mark on the floor 3 metres from a chair. Sit in the chair, side-on or facing the camera, with your whole body and the chair in the picture."),
  seated: () => t("Sit in the chair. I say \"Go\" once I see you seated."),
  how: () => t("Stand up, walk to the mark 3 metres away, turn, come back and sit down. Go when you hear \"Go\"."),
  go: () => t("Go!"),
  walking: () => t("Walk to the mark, turn, come back and sit down."),
  clock: (s) => t("{seconds} s", { seconds: num(s, 1) }),
  total: (s) => t("You took {seconds} seconds to stand up, walk, turn, come back and sit down.", { seconds: num(s, 1) }),
  risk: (cut) => t("{cut} seconds or more is linked to a higher risk of falling.", { cut: num(cut) }),
  noRisk: (cut) => t("That is under {cut} seconds, the time linked to a higher risk of falling.", { cut: num(cut) }),
  notTimed: {
    not_found: () => t("I could not time that attempt: I did not see you stand up and sit down again."),
    too_long: () => t("I stopped timing: you had not sat down again after two minutes."),
    ended: () => t("The test ended before you sat down again."),
  },
  again: () => t("Your therapist may ask you to do the test again."),
  source: (text) => t("Source: {source}", { source: text }),
  // The therapist following the session (follow.js's log).
  log: {
    ready: () => t("Timed Up and Go: seated, \"Go\" said"),
    started: () => t("Timed Up and Go: stood up, timing"),
    timed: (s) => t("Timed Up and Go over: {seconds} s", { seconds: num(s, 1) }),
    atRisk: (s) => t("Timed Up and Go over: {seconds} s; at risk of falling (CDC STEADI)", { seconds: num(s, 1) }),
    notTimed: () => t("Timed Up and Go over: not timed"),
  },
};

/** The result in words: the total and what it means, or why there is none. */
export function resultWords(done, test) {
  if (done.total_s === null || done.total_s === undefined) {
    const why = WORDS.notTimed[done.reason] || WORDS.notTimed.not_found;
    return [why(), WORDS.again()];
  }
  const cut = done.fall_risk_s || (test && test.fall_risk_s) || 12;
  return [WORDS.total(done.total_s), done.fall_risk ? WORDS.risk(cut) : WORDS.noRisk(cut)];
}

/** A Timed Up and Go event as the following therapist's log says it (null: not one). */
export function followLine(e) {
  switch (e.kind) {
    case "TugReady": return WORDS.log.ready();
    case "TugStarted": return WORDS.log.started();
    case "TugDone":
      if (e.total_s === null || e.total_s === undefined) return WORDS.log.notTimed();
      return e.fall_risk ? WORDS.log.atRisk(e.total_s) : WORDS.log.timed(e.total_s);
    default: return null;
  }
}

export class TugView {
  /** `speaker`: say(text, priority) (speech.js). */
  constructor({ speaker }) {
    this.speaker = speaker;
    this.active = false; // this page runs the test
    this.test = null; // the hello's "tug"
    this.started = null; // the TugStarted, while the clock runs
    this.shown = null; // the clock's last text
    this.over = false;
  }

  /** The exercise picked: the test says what to set up before Start. */
  showCoach(ex) {
    this.active = ex.id === TUG_TEST;
    $("coach").classList.toggle("tug-test", this.active);
    show($("tug-box"), false);
    if (!this.active) return;
    setText($("exercise-instructions"), WORDS.intro());
    showDemo($("start-demo"), "sit_to_stand");
  }

  handle(msg) {
    if (!this.active) return;
    if (msg.type === "session" && msg.tug) this.begin(msg.tug);
    else if (msg.type === "frame") this.onFrame(msg);
    else if (msg.type === "summary" && msg.summary && msg.summary.tug) this.onSummary(msg.summary.tug);
  }

  begin(test) {
    this.test = test;
    show($("tug-box"), true);
    if (this.over) return; // a reconnect after the result: it stays
    setText($("tug-how"), WORDS.seated());
    setText($("tug-clock"), WORDS.clock(0));
    setText($("tug-result"), "");
    setText($("tug-source"), "");
  }

  onFrame(msg) {
    for (const e of msg.events || []) {
      if (e.kind === "TugReady") this.ready();
      else if (e.kind === "TugStarted") this.started = e;
      else if (e.kind === "TugDone") this.done(e);
    }
    if (this.started && !this.over && typeof msg.t === "number") {
      const text = WORDS.clock(Math.max(0, Math.floor((msg.t - this.started.t) * 10) / 10));
      if (text !== this.shown) {
        this.shown = text;
        setText($("tug-clock"), text);
        setText($("tug-how"), WORDS.walking());
      }
    }
  }

  ready() {
    setText($("tug-how"), WORDS.how());
    setText($("tug-clock"), WORDS.go());
    this.speaker.say(WORDS.how(), PRIORITY.help);
    this.speaker.say(WORDS.go(), PRIORITY.count);
  }

  done(e) {
    this.over = true;
    this.started = null;
    const lines = resultWords(e, this.test);
    if (e.total_s !== null && e.total_s !== undefined) setText($("tug-clock"), WORDS.clock(e.total_s));
    setText($("tug-how"), "");
    setText($("tug-result"), lines.join(" "));
    if (this.test && this.test.source) setText($("tug-source"), WORDS.source(this.test.source));
    this.speaker.say(lines.join(" "), PRIORITY.help);
  }

  /** The session's summary (after the coach view's): the test's result in its place. */
  onSummary(block) {
    const lines = block.result ? resultWords(block.result, this.test) : [WORDS.notTimed.ended()];
    if (block.result && !this.over) this.done(block.result);
    setText($("summary"), lines.join(" "));
    $("summary").classList.remove("nothing");
  }
}
