// The follow page's words (follow.js): the therapist's log, statuses, notes and message states,
// all from the message catalogs (docs/I18N.md) in the therapist's language (their browser's).
// The server sends ids, numbers and messages with their `say`; every word is made here. A
// module of its own, so the page's unit tests can read every word without opening a socket.
import { followLine } from "./balance.js";
import { list, num, t, tp, words } from "./i18n.js";
import { followLine as tugLine } from "./tug.js";

// A camera view as the server names it ("front", "side", "oblique": scoring/measure_words.py).
const VIEWS = {
  front: () => tp("camera view", "front"),
  side: () => tp("camera view", "side"),
  oblique: () => tp("camera view", "oblique"),
};
const view = (id) => (VIEWS[id] ? VIEWS[id]() : String(id ?? ""));
const seconds = (v, digits) => num(Number(v), digits);

export const WORDS = {
  title: () => t("Following a session – Coach"),
  titleExercise: (exercise) => t("Following: {exercise} – Coach", { exercise }),
  titlePatient: (name, exercise) => t("Following {patient}: {exercise} – Coach", { patient: name, exercise }),
  prescribed: (text) => t("Prescribed: {prescription}", { prescription: text }),
  notInProgram: (exercise, name) => t("{exercise} is not in {patient}'s program.", { exercise, patient: name }),
  delivered: () => t("✓ Delivered"),
  pending: () => t("… Not yet: the patient is away; they get it when they are back"),
  quoted: (text) => t("\"{text}\"", { text }),
  videoOn: () => t("The patient is sharing their video: you see it under the stick figure."),
  videoOff: () => t("Stick figure only: the patient's video is not sent unless they choose to share it."),
  status: {
    connecting: () => t("Connecting…"),
    ended: () => t("Session ended"),
    waiting: () => t("Waiting for the patient to connect"),
    connected: () => t("Patient connected"),
    disconnected: () => t("Patient disconnected – waiting for them to come back"),
    expired: () => t("Session closed"),
    unknown: () => t("No live session with this id yet – waiting"),
    lost: () => t("Connection to the server lost – reconnecting"),
  },
  pageReports: (message) => t("The patient's page reports: {message}", { message }),
  message: {
    delivered: () => t("Delivered."),
    away: () => t("The patient is not connected; they will see it when they are back."),
    offline: () => t("Not connected; try again in a moment."),
    sending: () => t("Sending…"),
  },
  // The log, one line per event.
  log: {
    rep: (index, range, form, limit) => t("Rep {index} done{range}{form}{limit}", { index, range, form, limit }),
    range: (degrees) => t(", range {degrees}°", { degrees: Math.round(Number(degrees)) }),
    needsWork: (faults) => t("; needs work: {faults}", { faults }),
    goodForm: () => t("; good form"),
    overLimit: () => t("; went past the range limit"),
    form: (fault) => t("Form: {fault}", { fault }),
    held: (s) => t("Held for {seconds} seconds", { seconds: seconds(s, 1) }),
    cue: (text) => t("Coach said: \"{text}\"", { text }),
    poseLost: () => t("Patient out of view: counting paused"),
    poseFound: () => t("Patient back in view"),
    wrongView: (detected, faults, expected) => t("Camera sees the patient from the {detected}; checking {faults} needs the {expected} view", { detected, faults, expected }),
    unchecked: (detected, faults) => t("Camera sees the patient from the {detected}: {faults} not checked (needs another view)", { detected, faults }),
    camera: (message) => t("Camera angle: {message}", { message }),
    ready: () => t("Ready: counting started"),
    joined: () => t("Patient joined"),
    cameBack: () => t("Patient came back"),
    left: () => t("Patient left the page"),
    wrote: (text) => t("You wrote: \"{text}\"", { text }),
    problem: (message) => t("Problem on the patient's page: {message}", { message }),
    videoStarted: () => t("Patient started sharing video"),
    videoStopped: () => t("Patient stopped sharing video"),
    restarted: () => t("The coach restarted its camera analysis; the count is kept"),
    ended: () => t("Patient ended the session"),
    targetShown: (index, hand) => t("Target {index} shown for the {hand} hand", { index, hand }),
    targetMoving: (index, hand) => t("Target {index} shown for the {hand} hand (moving)", { index, hand }),
    target: (index, hand, what) => t("Target {index} ({hand} hand) {what}", { index, hand, what }),
    targetTimes: (index, hand, what, times) => t("Target {index} ({hand} hand) {what}: {times}", { index, hand, what, times }),
    reaction: (s) => t("reaction {seconds} s", { seconds: seconds(s, 2) }),
    movement: (s) => t("movement {seconds} s", { seconds: seconds(s, 2) }),
    summary: (reps, holds, faults) => t("Session ended: {reps} reps, {holds} holds, {faults} form points flagged", { reps, holds, faults }),
    targetsSummary: (touched, count, hands) => t("Session ended: {touched} of {count} targets touched. {hands}", { touched, count, hands }),
    followedSummary: (touched, count, hands) => t("Session ended: {touched} of {count} moving targets followed. {hands}", { touched, count, hands }),
    handCount: (hand, touched, targets) => t("{hand} hand {touched} of {targets}", { hand, touched, targets }),
  },
  hands: {
    left: () => tp("hand", "left"),
    right: () => tp("hand", "right"),
  },
  targetStatus: {
    hit: () => t("touched"),
    miss: () => t("missed"),
    hand_not_seen: () => t("hand not seen"),
    outside_image: () => t("did not fit in the picture"),
  },
};

const hand = (id) => (WORDS.hands[id] ? WORDS.hands[id]() : String(id ?? ""));

/** Fault ids in the exercise's own words (`faultWords`: id -> the definition's message). */
export function faultWord(faultWords, id) {
  const own = faultWords && faultWords[id];
  return own ? t(own) : String(id ?? "").replaceAll("_", " ");
}

function faultList(faultWords, ids) {
  return list((ids || []).map((id) => faultWord(faultWords, id)));
}

/** A hand-eye target's result for the therapist: what happened and its times. */
function targetLine(e) {
  const status = e.hit ? "hit" : e.status;
  const what = WORDS.targetStatus[status] ? WORDS.targetStatus[status]() : String(e.status);
  const times = [
    Number.isFinite(e.reaction_s) ? WORDS.log.reaction(e.reaction_s) : "",
    Number.isFinite(e.movement_s) ? WORDS.log.movement(e.movement_s) : "",
  ].filter(Boolean);
  return times.length ? WORDS.log.targetTimes(e.index, hand(e.hand), what, list(times))
    : WORDS.log.target(e.index, hand(e.hand), what);
}

function repLine(e, faultWords) {
  const { log } = WORDS;
  const range = Number.isFinite(e.rom_deg) ? log.range(e.rom_deg) : "";
  const form = e.faults && e.faults.length ? log.needsWork(faultList(faultWords, e.faults)) : log.goodForm();
  return log.rep(e.index, range, form, e.over_limit ? log.overLimit() : "");
}

function viewLine(e, faultWords) {
  const said = e.say || {};
  const skipped = e.skipped_faults && e.skipped_faults.length ? faultList(faultWords, e.skipped_faults) : "";
  if (skipped && e.expected && e.detected && e.expected !== e.detected) {
    return WORDS.log.wrongView(view(e.detected), skipped, view(e.expected));
  }
  if (skipped) return WORDS.log.unchecked(view(e.detected), skipped);
  return WORDS.log.camera(words(e.message, said.message));
}

/** One logged event in the therapist's words (null: not worth a line). `faultWords`: the
 * exercise's fault ids in its own words (the follow hello's `fault_words`). */
export function plainEvent(e, faultWords = {}) {
  const { log } = WORDS;
  const said = e.say || {};
  switch (e.kind) {
    case "RepCompleted": return repLine(e, faultWords);
    case "FaultDetected":
      return log.form(e.fault || e.id ? faultWord(faultWords, e.fault || e.id) : words(e.message, said.message));
    case "HoldEnded": return log.held(e.duration_s);
    case "Cue": return log.cue(words(e.text, said.text));
    case "PoseLost": return log.poseLost();
    case "PoseFound": return log.poseFound();
    case "ViewWarning": return viewLine(e, faultWords);
    case "SetupPassed": return log.ready();
    case "PatientConnected": return e.reconnect ? log.cameBack() : log.joined();
    case "PatientDisconnected": return log.left();
    case "TherapistMessage": return log.wrote(e.text);
    case "ClientProblem": return log.problem(words(e.message, said.message));
    case "VideoSharing": return e.enabled ? log.videoStarted() : log.videoStopped();
    case "PipelineRestarted": return log.restarted();
    case "SessionEnded": return log.ended();
    case "TargetShown":
      return e.path && e.path.length ? log.targetMoving(e.index, hand(e.hand)) : log.targetShown(e.index, hand(e.hand));
    case "TargetResult": return targetLine(e);
    // A live clinical test's events (balance.js, tug.js), else null.
    default: return followLine(e) ?? tugLine(e);
  }
}

/** The session's end in words, from the summary's numbers (a targets task: per hand). */
export function summaryLine(s) {
  const targets = s.targets;
  if (!targets) return WORDS.log.summary(s.rep_count, s.holds_completed, (s.faults || []).length);
  const hands = Object.entries(targets.hands || {})
    .map(([id, h]) => WORDS.log.handCount(hand(id), h.touched, h.targets)).join("; ");
  const line = targets.layout === "follow" ? WORDS.log.followedSummary : WORDS.log.targetsSummary;
  return line(targets.touched, targets.count, hands);
}
