// The live page's coach view: what the patient sees and hears. It reads the server's messages
// (docs/LIVE-PROTOCOL.md): the `session` (the count so far, the therapist's link), each `frame`
// reply (the count, set progress, cue, skeleton, rest, and help with standing when the setup
// takes long), the frame's events said in one go, errors, the therapist's messages and the
// closing `summary`; and it shows the page's own news (alerts, notices, the connection line).
// The page's copy of the count is kept here too (sessionStorage), sent back on a reconnect.
// The speaker, the clock, the capture and the connection are parameters: tests hand it fakes
// (tests/web/js/coach_view.test.js).
import {
  $, countInSet, describeEvent, drawSkeleton, pageClock, progressText, setText, setupReadouts,
  show, updateReadouts,
} from "./common.js";
import { forDrawing } from "./device_pose.js";
import { num, t, tn, words } from "./i18n.js";
import { showDemo } from "./demo.js";
import { ONE_MESSAGE_CODES } from "./live_connection.js";
import { PRIORITY } from "./speech.js";
import { summaryWords } from "./targets.js";

const STAND_HELP_AFTER_MS = 10000; // in the setup this long: say why and show how to stand
const END_AFTER_DONE_MS = 2500; // every set done: the last words are said, then the summary
const LIMIT_WARNING_MS = 5000;
// A therapist's message stays in view until the patient presses "Got it", or fades by itself
// once there was time to hear and read it (it was also spoken).
const MESSAGE_SHOWN_MS = 30000;
const MESSAGE_FADE_MS = 600;
// Errors after which a fresh start needs a new session.
const SESSION_GONE_CODES = ["unknown_session", "session_ended", "exercise_mismatch", "bad_session_id"];

/** How to stand for an exercise, in a sentence or two. */
export function viewAdvice(ex) {
  const body = {
    full: t("The camera must see your whole body, head to feet."),
    lower: t("The camera must see your legs and hips."),
    upper: t("The camera must see your upper body and arms."),
    arms: t("The camera must see your arms and shoulders."),
    legs: t("The camera must see your legs."),
  }[ex.body] || t("The camera must see your whole body.");
  const views = ex.views && ex.views.length ? ex.views : [ex.view];
  let view = "";
  if (!views.includes("any")) {
    const side = views.includes("side");
    const front = views.includes("front");
    if (side && front) view = t("Face the camera, or stand side-on to it.");
    else if (side) view = t("Stand side-on to the camera (turn a quarter turn).");
    else if (front) view = t("Face the camera.");
  }
  return `${view} ${body}`.trim();
}

/** Takes the session id (and `more` parameters) out of the page's address. */
function forgetInAddress(...more) {
  const url = new URL(location.href);
  for (const name of ["session", ...more]) url.searchParams.delete(name);
  history.replaceState(null, "", url);
}

export class CoachView {
  /**
   * - `speaker`: say(text, priority, {keep}), stop() (speech.js Speaker); `targets`: the
   *   TargetsView;
   *   `latency`: the LatencyMeter; `capture`: the Capture; `connection`: the LiveConnection;
   * - `sessionId`: the session in the page's address (?session=), or null;
   * - `page`: `isRunning()`, `halt()` (the session stops: no camera, no End button),
   *   `endSession()`, `connected()` (a session message arrived: what waited for it may go);
   * - `clock`: performance.now() and its timers, or a fake.
   */
  constructor({ speaker, targets, latency, capture, connection, sessionId = null, page, clock = pageClock }) {
    this.speaker = speaker;
    this.targets = targets;
    this.latency = latency;
    this.capture = capture;
    this.connection = connection;
    this.page = page;
    this.clock = clock;
    this.overlay = $("overlay");
    this.exercise = null;
    this.sessionId = sessionId;
    this.count = 0;
    this.holds = 0;
    this.stored = null; // the session whose count is in sessionStorage
    this.edges = [];
    this.faultJoints = []; // device mode: joints the last reply called faulty, drawn red
    this.lastStage = null;
    this.setupSince = null; // when the current stretch of the setup stage began (clock.now())
    this.standHelpSaid = false;
    this.isTargets = false; // this is a hand-eye targets task (the exercise's kind)
    this.cameraProblem = ""; // a camera error stays on screen until the camera works
    this.noticeTimer = null;
    this.alertTimer = null;
    this.limitTimer = null;
    this.messageTimer = null;
    this.endTimer = null;
  }

  // ---- the page's own news ---------------------------------------------------------------
  showAlert(text) {
    const el = $("alert");
    // A camera problem is not replaced by other news ("Connected to the coach.") until solved.
    const shown = text || this.cameraProblem;
    setText(el, shown);
    show(el, !!shown);
  }

  /** Good news or information for a while ("You are in position"): not in the red alert box,
   * which is for problems. */
  showNotice(text, ms = 6000) {
    const el = $("notice");
    setText(el, text);
    show(el, !!text);
    this.clock.clearTimeout(this.noticeTimer);
    this.noticeTimer = this.clock.setTimeout(() => show(el, false), ms);
  }

  /** A passing problem (a message the server refused): in the alert box for a while. */
  flashAlert(text, ms = 5000) {
    this.showAlert(text);
    this.clock.clearTimeout(this.alertTimer);
    this.alertTimer = this.clock.setTimeout(() => this.showAlert(""), ms);
  }

  setConnection(text) {
    setText($("connection"), text);
  }

  /** Speed once a second, in the details for the therapist: what to look at if it feels slow. */
  showSpeed({ frames, p50 }) {
    setText($("speed"), this.connection.pose === "device"
      ? t("Connected · pose on this device · {frames} frames/s · {ms} ms a frame", { frames, ms: p50 })
      : t("Connected · {frames} frames/s · {ms} ms", { frames, ms: p50 }));
  }

  /** In a targets task: the measured camera-to-screen latency, small under the video (for the
   * therapist), and to the server, which keeps it beside the reaction times. */
  reportLatency() {
    const line = $("latency");
    show(line, this.isTargets && !!this.latency.median());
    if (!this.isTargets) return;
    setText(line, this.latency.describe());
    const msg = this.latency.report();
    if (msg) this.connection.sendJson(msg);
  }

  // ---- the count the page keeps ----------------------------------------------------------
  countKey() {
    return `coach.count.${this.sessionId}`;
  }

  // The page's own copy of the count: sent back on reconnect, so a server restart loses nothing.
  remember(msg) {
    const reps = typeof msg.rep_count === "number" ? msg.rep_count : this.count;
    const holds = typeof msg.holds_completed === "number" ? msg.holds_completed : this.holds;
    if (reps === this.count && holds === this.holds && this.stored === this.sessionId) return;
    this.count = reps;
    this.holds = holds;
    if (this.sessionId) {
      sessionStorage.setItem(this.countKey(), JSON.stringify({ reps, holds }));
      this.stored = this.sessionId;
    }
  }

  // ---- the exercise ----------------------------------------------------------------------
  /** A targets task shows its targets and how many were touched instead of a rep count
   * (web/static/targets.js). */
  showKind(kind) {
    this.isTargets = kind === "targets";
    $("coach").classList.toggle("targets-task", this.isTargets);
    show($("reps-box"), !this.isTargets); // the targets' box shows once a session begins
    if (!this.isTargets) show($("targets-box"), false);
  }

  showCoach(ex) {
    this.exercise = ex;
    document.title = t("{exercise} – Coach", { exercise: t(ex.name) });
    setText($("exercise-name"), t(ex.name));
    setText($("exercise-instructions"), t(ex.instructions));
    setText($("view-advice"), viewAdvice(ex));
    if (ex.kind !== "targets") showDemo($("start-demo"), ex.id); // a targets task has none
    // The prescription (reps per set, hold time) comes with the session: no default number
    // shows before it ("of 10" for a patient prescribed 3).
    setupReadouts({ ...ex, reps: 0, hold_s: 0 });
    this.showKind(ex.kind);
    show($("picker"), false);
    show($("coach"), true);
    const saved = this.sessionId && JSON.parse(sessionStorage.getItem(this.countKey()) || "null");
    if (saved) {
      this.count = saved.reps || 0;
      this.holds = saved.holds || 0;
      setText($("rep-count"), String(ex.kind === "hold" ? this.holds : this.count));
    }
  }

  // ---- the server's messages -------------------------------------------------------------
  handle(msg) {
    switch (msg.type) {
      case "session": return this.onSession(msg);
      case "frame": return this.onFrame(msg);
      case "dropped": this.capture.answered(); return;
      case "error": return this.onError(msg);
      case "therapist_message": return this.onTherapistMessage(msg);
      case "followers":
        setText($("followers"), msg.count ? t("Your therapist is watching (stick figure only unless you share video).") : "");
        return;
      case "summary": return this.onSummary(msg.summary);
      default: return;
    }
  }

  onSession(msg) {
    this.sessionId = msg.session_id;
    this.edges = msg.skeleton_edges;
    this.lastStage = msg.stage;
    if (msg.exercise) {
      // The session's exercise facts carry this patient's prescription (sets, reps, rest...).
      this.exercise = { ...this.exercise, ...msg.exercise };
      setupReadouts(this.exercise);
      setText($("view-advice"), viewAdvice(this.exercise));
    }
    this.showKind(msg.kind || (this.exercise && this.exercise.kind));
    if (this.isTargets) this.targets.begin(msg.targets, msg.session_id);
    show($("back-to-program"), !!msg.signed_in);
    const url = new URL(location.href);
    url.searchParams.set("session", msg.session_id);
    history.replaceState(null, "", url);
    const link = `${location.origin}${msg.follow_path}`;
    setText($("session-id"), msg.session_id);
    const a = $("follow-link");
    a.href = link;
    setText(a, link);
    show($("session-box"), true);
    setText($("followers"), msg.followers ? t("Your therapist is watching.") : "");
    this.remember(msg);
    setText($("rep-count"), String(countInSet(msg, this.exercise)));
    setText($("set-progress"), progressText(msg.set, msg.stage));
    this.showRest(msg);
    if (msg.notice) this.showNotice(words(msg.notice, msg.say && msg.say.notice), 10000);
    this.showAlert("");
    this.setConnection(msg.how === "resumed" ? t("Reconnected. Your session continues.") : t("Connected to the coach."));
    this.page.connected();
    this.capture.describeConnectionPose();
    if ($("share-video").checked) this.connection.sendJson({ type: "share_video", enabled: true });
  }

  /** Device mode: the page's own pose, drawn at once (joints of the last reply's faults red). */
  drawPose(landmarks, size) {
    const overlay = this.overlay;
    if (overlay.width !== size[0] || overlay.height !== size[1]) [overlay.width, overlay.height] = size;
    drawSkeleton(overlay.getContext("2d"), forDrawing(landmarks), this.edges,
      landmarks ? this.faultJoints : []);
  }

  onFrame(msg) {
    // When the picture this reply is about was captured: a target's time starts there.
    const capturedAt = this.capture.replied(msg);
    if (this.connection.pose === "device") {
      // The skeleton is drawn from the page's own results (drawPose); the server adds which
      // joints to draw red.
      this.faultJoints = msg.fault_joints || [];
    } else {
      const overlay = this.overlay;
      if (overlay.width !== msg.image[0] || overlay.height !== msg.image[1]) {
        [overlay.width, overlay.height] = msg.image;
      }
      drawSkeleton(overlay.getContext("2d"), msg.landmarks, this.edges, msg.fault_joints);
    }
    updateReadouts(msg, this.exercise);
    if (this.lastStage === "setup" && msg.stage === "active") {
      this.showNotice(this.isTargets ? t("You are in position. Watch for the first target!")
        : t("You are in position. Start the exercise!"), 4000);
    }
    this.lastStage = msg.stage;
    this.showRest(msg);
    this.checkStandHelp(msg);
    const setup = msg.setup || {};
    const tip = msg.stage === "active" && setup.tip ? words(setup.tip, setup.say && setup.say.tip) : "";
    setText($("view-tip"), tip);
    show($("view-tip"), !!tip);
    // What this frame decided is said in one go ("5. Set 1 done. Rest for 60 seconds.").
    const said = this.isTargets ? this.targets.onEvents(msg.events, capturedAt) : [];
    for (const e of msg.events) this.onEvent(e, msg, said);
    // Kept: a count or the end of a set is never dropped (speech.js).
    if (said.length === 1) this.speaker.say(said[0], PRIORITY.count);
    else if (said.length) this.speaker.say(said.map((w) => (/[.!?。؟]$/.test(w) ? w : `${w}.`)).join(" "), PRIORITY.count);
    this.remember(msg);
    this.capture.trySend();
  }

  onEvent(e, msg, said) {
    switch (e.kind) {
      case "RepCompleted": {
        // The count within the set is said, the number on screen.
        const set = msg.set;
        const ended = msg.events.some((x) => x.kind === "SetCompleted" || x.kind === "AllSetsDone");
        said.push(num(set && set.per_set && ended ? set.per_set : countInSet(msg, this.exercise)));
        setText($("last-rep"), describeEvent(e) || "");
        return;
      }
      case "HoldReached":
        said.push(tn("{n} second, well done!", "{n} seconds, well done!", Math.round(e.target_s)));
        return;
      case "SetCompleted":
        said.push(e.rest_s
          ? tn("Set {set} done. Rest for {n} second.", "Set {set} done. Rest for {n} seconds.", Math.round(e.rest_s), { set: e.set })
          : t("Set {set} done. Now set {next}.", { set: e.set, next: e.set + 1 }));
        return;
      case "RestEnded": said.push(t("Set {set}. Start when you are ready.", { set: e.set })); return;
      case "AllSetsDone":
        if (this.isTargets) {
          said.push(e.targets && e.targets.touched ? t("All the targets are done. Well done!")
            : t("All the targets are done."));
        } else {
          said.push(msg.set && msg.set.sets > 1 ? t("All sets done. Well done!") : t("Well done, that's the set!"));
        }
        // A clear end: the last words, then the summary.
        this.clock.clearTimeout(this.endTimer);
        this.endTimer = this.clock.setTimeout(() => { if (this.page.isRunning()) this.page.endSession(); },
          END_AFTER_DONE_MS);
        return;
      case "FaultDetected":
        if (e.id === "range_limit") this.warnLimit(words(e.cue, e.say && e.say.cue));
        return;
      case "Cue": {
        const text = words(e.text, e.say && e.say.text);
        if (e.source === "range_limit") this.warnLimit(text);
        else this.speaker.say(text, e.priority || PRIORITY.cue, { keep: false }); // advice for now
        return;
      }
      case "PoseLost": this.speaker.say(words(e.reason, e.say && e.say.reason), PRIORITY.help, { keep: false }); return;
      case "HoldEnded":
        if (this.exercise.kind === "hold" && msg.stage === "active") {
          this.speaker.say(tn("Hold done: {n} second.", "Hold done: {n} seconds.", Math.round(e.duration_s)), PRIORITY.count);
        }
        return;
      default: return;
    }
  }

  /** The session is ending by itself (every set done) or was ended: no summary timer. */
  cancelEnd() {
    this.clock.clearTimeout(this.endTimer);
  }

  /** Past the prescribed range limit: said at once (above everything else) and shown. */
  warnLimit(text) {
    const warning = text || t("Not so far: stay within your limit");
    this.speaker.say(warning, PRIORITY.safety);
    const el = $("limit-warning");
    setText(el, warning);
    show(el, true);
    this.clock.clearTimeout(this.limitTimer);
    this.limitTimer = this.clock.setTimeout(() => show(el, false), LIMIT_WARNING_MS);
  }

  /** Between sets: the rest counting down, then the next set by itself (or sooner, by button). */
  showRest(msg) {
    const rest = msg.stage === "rest" ? msg.rest : null;
    show($("rest-panel"), !!rest);
    if (!rest) return;
    setText($("rest-left"), t("{seconds} s", { seconds: Math.ceil(rest.left_s) }));
    setText($("rest-next"), t("Ready for set {set}? It starts by itself when the rest is over.", { set: rest.next_set }));
    setText($("next-set"), t("Start set {set} now", { set: rest.next_set }));
  }

  /** Still in the setup after a while: say why counting has not started and how to stand. */
  checkStandHelp(msg) {
    if (msg.stage !== "setup") {
      this.setupSince = null;
      this.standHelpSaid = false;
      show($("stand-help"), false);
      return;
    }
    const now = this.clock.now();
    if (this.setupSince === null) this.setupSince = now;
    if (now - this.setupSince < STAND_HELP_AFTER_MS) return;
    const setup = msg.setup || {};
    const why = words(setup.message, setup.say && setup.say.message) || t("I can't see you well enough.");
    const advice = viewAdvice(this.exercise);
    setText($("stand-why"), this.isTargets ? t("I can't start the targets yet: {why}", { why })
      : t("I can't count yet: {why}", { why }));
    setText($("stand-how"), t("How to stand: {advice} About 2 to 3 metres from the camera.", { advice }));
    show($("stand-help"), true);
    if (!this.standHelpSaid) {
      this.standHelpSaid = true;
      this.speaker.say(this.isTargets ? t("I can't start the targets yet. {why} {advice}", { why, advice })
        : t("I can't count yet. {why} {advice}", { why, advice }), PRIORITY.help);
    }
  }

  onError(msg) {
    if (msg.seq !== undefined) this.capture.answered();
    if (ONE_MESSAGE_CODES.has(msg.code)) return;
    const message = words(msg.message, msg.say && msg.say.message);
    if (msg.fatal) {
      this.showAlert(message);
      if (this.connection.fatal) {
        this.page.halt();
        setText($("start"), t("Start again"));
        show($("start-panel"), msg.code !== "taken_over");
        if (SESSION_GONE_CODES.includes(msg.code)) {
          this.sessionId = null; // a fresh start gets a new session
          forgetInAddress();
        }
        this.setConnection(t("Not connected."));
      }
      return;
    }
    this.flashAlert(message, 5000);
  }

  /** The connection was refused or ended for good (an entry of live_connection.js's
   * CLOSED_FOR_GOOD): stop, keep the words on screen, offer the way on (if any). */
  refused(why) {
    this.clock.clearTimeout(this.alertTimer); // an earlier passing alert must not wipe this away
    this.page.halt();
    if (why.newSession) {
      this.sessionId = null;
      forgetInAddress();
    }
    if (why.button) setText($("start"), why.button);
    show($("start-panel"), !!why.button);
    this.showAlert(why.text);
    this.speaker.say(why.text, PRIORITY.help);
    this.setConnection(t("Not connected."));
  }

  onTherapistMessage(msg) {
    const el = $("therapist-message");
    const text = t("Message from your therapist: {text}", { text: msg.text });
    setText($("therapist-text"), text);
    el.classList.remove("fading");
    show(el, true);
    this.speaker.say(text, PRIORITY.therapist);
    this.clock.clearTimeout(this.messageTimer);
    this.messageTimer = this.clock.setTimeout(() => this.dismissMessage(), MESSAGE_SHOWN_MS);
  }

  dismissMessage() {
    const el = $("therapist-message");
    this.clock.clearTimeout(this.messageTimer);
    if (el.hidden) return;
    const hadFocus = el.contains(document.activeElement);
    el.classList.add("fading"); // a short fade (none with prefers-reduced-motion), then gone
    this.clock.setTimeout(() => {
      show(el, false);
      el.classList.remove("fading");
      if (hadFocus) this.focusNext();
    }, MESSAGE_FADE_MS);
  }

  // Keyboard focus never drops to the page body when the button that had it disappears:
  // End session after Start, the summary after the end, Start (or Try again) otherwise.
  focusNext() {
    for (const id of ["stop", "summary", "start"]) {
      const el = $(id);
      if (el && !el.hidden && el.offsetParent !== null) {
        el.focus({ preventScroll: true });
        return;
      }
    }
  }

  onSummary(s) {
    const el = $("summary");
    if (this.page.isRunning()) { // the server ended it (a targets task ends when its targets are done)
      this.cancelEnd();
      this.page.halt(); // focus on End session moves to the summary (below)
      this.setConnection(t("Session ended."));
    }
    this.targets.end();
    const hold = this.exercise && this.exercise.kind === "hold";
    const count = (hold ? s.holds_completed : s.rep_count) || 0;
    const amount = hold ? tn("{n} hold", "{n} holds", count) : tn("{n} rep", "{n} reps", count);
    const lines = [];
    if (this.isTargets) {
      lines.push(...summaryWords(s.targets));
    } else if (s.no_count_reason) {
      const reason = words(s.no_count_reason, s.say && s.say.no_count_reason);
      lines.push(t("Nothing was counted. {reason}", { reason }));
      if (this.exercise) lines.push(t("Next time: {advice}", { advice: viewAdvice(this.exercise) }));
    } else if (s.set && s.set.complete) {
      lines.push(s.set.sets > 1
        ? tn("All done: {n} set, {amount}. Well done!", "All done: {n} sets, {amount}. Well done!", s.set.sets, { amount })
        : t("All done: {amount}. Well done!", { amount }));
    } else {
      lines.push(t("Session finished: {amount}.", { amount }));
    }
    const past = this.isTargets ? 0 : (s.reps || []).filter((r) => r.over_limit).length;
    if (past) lines.push(tn("{n} rep went past your limit: next time, not so far.", "{n} reps went past your limit: next time, not so far.", past));
    const faults = this.isTargets ? [] : [...new Set((s.faults || []).filter((f) => f.id !== "range_limit")
      .map((f) => words(f.message, f.say && f.say.message)))];
    if (faults.length) lines.push(t("To work on: {faults}.", { faults: faults.join("; ") }));
    setText(el, lines.join(" "));
    el.classList.toggle("nothing", !this.isTargets && !!s.no_count_reason);
    show(el, true);
    show($("rest-panel"), false);
    show($("stand-help"), false);
    setText($("start"), t("Start a new session"));
    show($("start-panel"), true);
    $("coach").classList.add("ended"); // what comes next, first (coach.css)
    this.sessionId = null;
    forgetInAddress("autostart");
    // The summary is what matters now: a keyboard user lands on it (then Tab: Start a new one).
    if (!document.activeElement || document.activeElement === document.body || document.activeElement.hidden) {
      el.focus({ preventScroll: false });
    }
  }
}
