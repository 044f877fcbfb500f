// The four-stage balance test on the live page (docs/LIVE-PROTOCOL.md "The four-stage balance
// test"): a stick figure of each stance in turn, how to stand in plain words, a countdown once
// the stance is seen, and the result in words with its source. The server's events carry ids
// and numbers; every word the patient reads or hears is here, in WORDS, from the catalogs.
import { $, show, setText } from "./common.js";
import { showDemo } from "./demo.js";
import { num, t, tn } from "./i18n.js";
import { PRIORITY } from "./speech.js";

export const BALANCE_TEST = "four_stage_balance";

// All the test's words, in one place, from the message catalogs (docs/I18N.md). Functions, so
// each is said in the page's language when it is needed.
const seconds = (s) => tn("{n} second", "{n} seconds", s);
export const WORDS = {
  intro: () => t("Four stances, one after the other, each for 10 seconds. Stand near a wall or a sturdy chair in case you need it, but do not hold on. Face the camera with your feet in the picture."),
  stances: {
    feet_together: () => ({ name: t("side by side stance"), how: t("Stand with your feet side by side, touching. Keep your arms by your sides and do not hold on.") }),
    semi_tandem: () => ({ name: t("semi-tandem stance"), how: t("Move one foot forward so its instep touches the big toe of the other foot.") }),
    tandem: () => ({ name: t("tandem stance"), how: t("Put one foot right in front of the other, heel touching toe.") }),
    single_leg: () => ({ name: t("one-leg stance"), how: t("Stand on one foot. Lift the other foot off the floor.") }),
  },
  stage: (n, of, name) => t("Stance {n} of {of}: {stance}", { n, of, stance: name }),
  waiting: () => t("Take the stance. I start counting once I see it."),
  hold: (s) => tn("Hold it for {n} second.", "Hold it for {n} seconds.", s),
  held: () => t("Well done, that one is done."),
  left: (s) => num(s),
  ended: {
    stepped: () => t("You moved a foot."),
    stance_lost: () => t("The stance changed."),
    feet_unseen: () => t("I could not see your feet."),
    not_taken: () => t("I did not see the stance."),
    support: () => t("You held on to something."),
  },
  allHeld: (n, s) => tn("You held the {n} stance for {seconds}. Well done!", "You held all {n} stances for {seconds} each. Well done!", n, { seconds: seconds(s) }),
  passedFirst: (n, s) => tn("You held the first stance for {seconds}.", "You held the first {n} stances for {seconds} each.", n, { seconds: seconds(s) }),
  heldFor: (name, s) => t("You held the {stance} for {seconds}.", { stance: name, seconds: seconds(s) }),
  heldForRisk: (name, s, limit) => t("You held the {stance} for {seconds}: under {limit} is linked to a higher risk of falling.", { stance: name, seconds: seconds(s), limit: seconds(limit) }),
  stoppedAt: (name) => t("The test stopped at the {stance}.", { stance: name }),
  unfinished: () => t("The test ended before all the stances were done."),
  again: () => t("Your therapist may ask you to do the test again."),
  source: (text) => t("Source: {source}", { source: text }),
  supportButton: () => t("I held on to something"),
  // The therapist following the session (follow.js's log).
  log: {
    shown: (n, name) => t("Balance test: stance {n} ({stance}) shown", { n, stance: name }),
    started: (n) => t("Stance {n} taken: timing", { n }),
    passed: (n, s) => t("Stance {n} held {seconds} s: passed", { n, seconds: s }),
    failed: (n, s, why) => t("Stance {n} held {seconds} s: not passed ({reason})", { n, seconds: s, reason: why }),
    reasons: {
      stepped: () => t("moved a foot"),
      stance_lost: () => t("stance changed"),
      feet_unseen: () => t("feet not seen"),
      not_taken: () => t("stance not taken"),
      support: () => t("held on to a support"),
    },
    done: (last, of, risk) => (risk
      ? t("Balance test over: last stance held {last} of {stages}; increased risk of falling (CDC STEADI)", { last, stages: of })
      : t("Balance test over: last stance held {last} of {stages}", { last, stages: of })),
  },
};

const said = (words, fallback = "") => (words ? words() : fallback);

function stanceOf(id) {
  return said(WORDS.stances[id], { name: id.replaceAll("_", " "), how: "" });
}

/** The result in words: what was held, and the fall risk when a stance below the risk stage
 * was not held (a real failure: a step, a lost stance, a support). */
export function resultWords(ended, test) {
  const holdS = Math.round(test.hold_s || 10);
  const failed = ended.find((e) => !e.passed);
  if (!failed) return [WORDS.allHeld(ended.length, holdS)];
  const name = stanceOf(failed.id).name;
  const reason = said(WORDS.ended[failed.reason]);
  if (failed.reason === "not_taken" || failed.reason === "feet_unseen") {
    return [reason, WORDS.stoppedAt(name), WORDS.again()];
  }
  const heldS = Math.round(failed.held_s);
  const risky = failed.stage <= (test.fall_risk_below_stage || 3);
  const before = failed.stage > 1 ? [WORDS.passedFirst(failed.stage - 1, holdS)] : [];
  return [reason, ...before, risky ? WORDS.heldForRisk(name, heldS, holdS) : WORDS.heldFor(name, heldS)];
}

/** A balance test event as the following therapist's log says it (null: not one). */
export function followLine(e) {
  const held = (v) => num(Number(v), 1);
  switch (e.kind) {
    case "StageShown": return WORDS.log.shown(e.stage, stanceOf(e.id).name);
    case "StageStarted": return WORDS.log.started(e.stage);
    case "StageEnded":
      return e.passed ? WORDS.log.passed(e.stage, held(e.held_s))
        : WORDS.log.failed(e.stage, held(e.held_s), said(WORDS.log.reasons[e.reason], e.reason));
    case "BalanceDone": return WORDS.log.done(e.last_stage_passed, e.stages, e.fall_risk);
    default: return null;
  }
}

export class BalanceView {
  /** `speaker`: say(text, priority) (speech.js); `send(message)`: a control to the server. */
  constructor({ speaker, send }) {
    this.speaker = speaker;
    this.send = send;
    this.active = false; // this page runs the balance test
    this.test = null; // the hello's "balance"
    this.started = null; // the StageStarted in progress
    this.ended = [];
    this.shownLeft = null;
    $("balance-support").addEventListener("click", () => this.send({ type: "support" }));
  }

  /** The exercise picked: the test shows its first stance and what it is before Start. */
  showCoach(ex) {
    this.active = ex.id === BALANCE_TEST;
    $("coach").classList.toggle("balance-test", this.active);
    show($("balance-box"), false);
    if (!this.active) return;
    setText($("exercise-instructions"), WORDS.intro());
    showDemo($("start-demo"), "feet_together_stance");
  }

  handle(msg) {
    if (!this.active) return;
    if (msg.type === "session" && msg.balance) this.begin(msg.balance);
    else if (msg.type === "frame") this.onFrame(msg);
    else if (msg.type === "summary" && msg.summary && msg.summary.balance) this.onSummary(msg.summary.balance);
  }

  begin(test) {
    this.test = test;
    show($("balance-box"), true);
    setText($("balance-support"), WORDS.supportButton());
    show($("balance-support"), true);
    setText($("balance-result"), "");
    setText($("balance-source"), "");
    const first = (test.stages || [])[0];
    if (first && !this.ended.length) this.showStance(first.stage, first.id, test.hold_s); // before the setup check passes
  }

  onFrame(msg) {
    for (const e of msg.events || []) {
      if (e.kind === "StageShown") this.stageShown(e);
      else if (e.kind === "StageStarted") this.stageStarted(e);
      else if (e.kind === "StageEnded") this.stageEnded(e);
      else if (e.kind === "BalanceDone") this.done();
    }
    if (this.started && typeof msg.t === "number") {
      const left = Math.max(0, Math.ceil(this.started.hold_s - (msg.t - this.started.start_s)));
      if (left !== this.shownLeft) {
        this.shownLeft = left;
        setText($("balance-count"), WORDS.left(left));
      }
    }
  }

  /** Stance `stage` (its id) on screen: its stick figure, how to stand, the time to hold. */
  showStance(stage, id, holdS) {
    const stance = stanceOf(id);
    const stages = this.test ? this.test.stages : [];
    const demo = (stages.find((s) => s.id === id) || {}).demo;
    if (demo) showDemo($("balance-figure"), demo);
    setText($("balance-stage"), WORDS.stage(stage, stages.length || 4, stance.name));
    setText($("balance-how"), `${stance.how} ${WORDS.waiting()}`);
    setText($("balance-count"), WORDS.left(Math.round(holdS)));
    return `${WORDS.stage(stage, stages.length || 4, stance.name)}. ${stance.how}`;
  }

  stageShown(e) {
    this.started = null;
    this.shownLeft = null;
    this.speaker.say(this.showStance(e.stage, e.id, e.hold_s), PRIORITY.help);
  }

  stageStarted(e) {
    this.started = e;
    setText($("balance-how"), `${stanceOf(e.id).how} ${WORDS.hold(Math.round(e.hold_s))}`);
    this.speaker.say(WORDS.hold(Math.round(e.hold_s)), PRIORITY.count);
  }

  stageEnded(e) {
    this.started = null;
    this.ended = this.ended.filter((x) => x.stage !== e.stage).concat([e]);
    setText($("balance-count"), WORDS.left(e.passed ? 0 : Math.round(e.held_s)));
    if (e.passed) this.speaker.say(WORDS.held(), PRIORITY.count);
    else this.speaker.say(said(WORDS.ended[e.reason]), PRIORITY.count);
  }

  done() {
    show($("balance-support"), false);
    const lines = resultWords(this.ended, this.test || {});
    setText($("balance-result"), lines.join(" "));
    if (this.test && this.test.source) setText($("balance-source"), WORDS.source(this.test.source));
    this.speaker.say(lines.join(" "), PRIORITY.help);
  }

  /** The session's summary (after the coach view's, which counts reps and holds): the
   * test's result in its place. */
  onSummary(block) {
    show($("balance-support"), false);
    const stages = block.stages || [];
    const lines = block.done && stages.length
      ? resultWords(stages, this.test || {})
      : [WORDS.unfinished(), ...(stages.length ? [WORDS.passedFirst(stages.length, Math.round((this.test || {}).hold_s || 10))] : [])];
    if (block.done) {
      this.ended = stages;
      setText($("balance-result"), lines.join(" "));
      if (block.source) setText($("balance-source"), WORDS.source(block.source));
    }
    setText($("summary"), lines.join(" "));
    $("summary").classList.remove("nothing");
  }
}
