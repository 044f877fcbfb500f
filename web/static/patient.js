// The patient's page: pick an exercise, turn on the camera, find the pose, show and speak the
// coaching. This module wires three parts and runs a session from Start to its end:
// - live_connection.js: the socket to the coach, its close codes in plain words, the retries;
// - capture.js: the camera, where the pose is found (on this device or on the server,
//   docs/LIVE-PROTOCOL.md "Where the page finds the pose"), each frame's way to the server;
// - coach_view.js: the server's replies, events and summary, what the patient sees and hears.
// Either way counts, cues and faults come from the server's `frame` replies.
import { $, show, setText } from "./common.js";
import { BalanceView } from "./balance.js";
import { Capture, cameraProblem } from "./capture.js";
import { CoachView } from "./coach_view.js";
import { dayAfter, nextAfter } from "./day.js";
import { inSentence, lang, t } from "./i18n.js";
import { LatencyMeter } from "./latency.js";
import { LiveConnection, livePath } from "./live_connection.js";
import { showPicker } from "./picker.js";
import { PRIORITY, Speaker } from "./speech.js";
import { RatingPrompts } from "./ratings.js";
import { TargetsView } from "./targets.js";
import { TugView } from "./tug.js";

const params = new URLSearchParams(location.search);
const speaker = new Speaker($("speech-toggle"), { onVoice: noteVoice });
// Pain (before the camera starts, after the day's last exercise) and effort (in the rest
// after a set): never while the coach counts (ratings.js).
const ratingPrompts = new RatingPrompts(speaker);
// A hand-eye targets task (kind "targets"): targets drawn over the picture, no rep count.
const targets = new TargetsView({ canvas: $("targets-canvas"), media: $("media") });
// The four-stage balance test: each stance's stick figure, countdown and result in words.
const balance = new BalanceView({ speaker, send: (m) => connection.sendJson(m) });
// Timed Up and Go: "Go" once seated, a running clock, the total in words.
const tug = new TugView({ speaker });
const latency = new LatencyMeter(); // camera to screen, reported in a targets session
let running = false; // the patient pressed Start (or autostart) and has not ended
let starting = false; // Start pressed: the pain question may be up, the camera not yet on
let pendingProblem = null; // a camera problem to tell the server once connected

const connection = new LiveConnection({
  path: () => (capture.poseMode === "device-failed" ? null : livePath({
    exercise: view.exercise.id,
    pose: capture.wantedPose(),
    level: params.get("level"),
    seed: params.get("seed"),
    session: view.sessionId,
    reps: view.count,
    holds: view.holds,
  })),
  isRunning: () => running,
  keptCount: () => view.count,
  on: {
    message: (msg) => {
      view.handle(msg); // first: what the frame says (a count, a set's end) is said first
      balance.handle(msg); // the four-stage balance test's stances (balance.js)
      tug.handle(msg); // Timed Up and Go (tug.js)
      ratingPrompts.onMessage(msg);
      if (msg.type === "summary") whatsNext(msg.summary);
    },
    reset: () => capture.reset(),
    refused: (why) => view.refused(why),
    retrying: (alert) => view.showAlert(alert),
    waiting: (line) => view.setConnection(line),
  },
});

const capture = new Capture({
  video: $("video"),
  connection,
  latency,
  wanted: params.get("pose"),
  timeoutS: params.get("pose_timeout"),
  isRunning: () => running,
  on: {
    drawPose: (landmarks, size) => view.drawPose(landmarks, size),
    // Handing over to the server is told in the details (the pose-mode line): technical.
    notice: () => {},
    forcedFailed: (text) => {
      view.showAlert(text);
      if (running) {
        halt();
        view.setConnection(t("Not connected."));
      }
    },
  },
});

const view = new CoachView({
  speaker, targets, latency, capture, connection,
  sessionId: params.get("session"),
  page: { isRunning: () => running, halt, endSession, connected: flushProblem },
});

/** The browser has voices, none in the page's language: said on screen (nothing is spoken). */
function noteVoice(voice) {
  const note = $("voice-note");
  if (voice || !note) return;
  const name = new Intl.DisplayNames([lang], { type: "language" }).of(lang) || lang;
  setText(note, t("This device has no voice for {language}: the coach's words are shown on screen, not spoken.", { language: name }));
  show(note, true);
}

/** The session stops here (ended, refused, failed): no camera, no End button. */
function halt() {
  running = false;
  capture.stopCamera();
  show($("stop"), false);
}

async function start() {
  if (running || starting) return;
  starting = true;
  show($("next-exercise"), false);
  try {
    await ratingPrompts.beforeStart(view.exercise); // pain, before the camera (once a day)
  } finally {
    starting = false;
  }
  if (running) return;
  running = true;
  connection.fatal = false;
  $("start").classList.remove("again");
  $("coach").classList.remove("ended");
  $("coach").classList.add("started"); // the count and cue matter from now on
  view.showAlert("");
  show($("start-panel"), false);
  show($("stop"), true);
  show($("summary"), false);
  latency.reset();
  if (document.activeElement === $("start") || document.activeElement === document.body) {
    $("stop").focus({ preventScroll: true });
  }
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    cameraFailed({ name: "Unsupported" });
    return;
  }
  show($("setup-panel"), true);
  setText($("setup-text"), t("Starting the camera and the coach…"));
  // The model loads while the camera starts. The coach is connected once both are ready (or the
  // camera failed, to report it): the server closes a connection that sends no picture within
  // 20 s, and a patient may take longer than that to answer the browser's camera prompt.
  capture.choosePoseMode();
  const connectWhenReady = () => capture.choosePoseMode().then(() => {
    if (capture.poseMode === "device-failed") return; // forced on-device model failed: said why
    if (!connection.active) connection.connect();
  });
  // The browser may be waiting for the patient to answer its camera prompt.
  const hint = setTimeout(() => {
    view.setConnection(t("Waiting for the camera: if the browser asks, click Allow."));
  }, 3000);
  try {
    await capture.openCamera();
  } catch (err) {
    cameraFailed(err);
    connectWhenReady();
    return;
  } finally {
    clearTimeout(hint);
  }
  if (!running) { // ended while the camera started (End session, a failed forced model)
    capture.stopCamera();
    return;
  }
  if (view.cameraProblem) { // solved: the camera works now (other news stays)
    view.cameraProblem = "";
    view.showAlert("");
  }
  connectWhenReady();
  await capture.showCamera();
  view.setConnection(capture.poseMode ? t("Camera on. Connecting to the coach…")
    : t("Camera on. Getting ready…"));
  capture.schedule();
}

/** After the session: for a signed-in patient, the next exercise of the day's program (or
 * back to the program once it is all done), and pain once the day's program is done. */
async function whatsNext(summary) {
  const exercise = view.exercise;
  if (!exercise) return;
  const completed = !!((summary && summary.set && summary.set.complete)
    || (summary && summary.targets && summary.targets.done >= summary.targets.count));
  const day = await dayAfter(exercise.id, completed);
  if (!day.patient || running || starting) return;
  ratingPrompts.afterSession(day);
  const next = nextAfter(day, exercise.id);
  const link = $("next-exercise");
  if (next && next.exercise_id !== exercise.id) {
    link.href = next.start;
    setText(link, t("Next exercise: {exercise}", { exercise: t(next.name) }));
  } else if (day.day_done) {
    link.href = "/me";
    setText(link, t("All done for today: back to my program"));
  } else {
    return; // this exercise is the one left: "Start again" it is
  }
  show(link, true);
  setText($("start"), t("Do {exercise} again", { exercise: inSentence(t(exercise.name)) }));
  $("start").classList.add("again");
  if (document.activeElement === $("start")) link.focus({ preventScroll: true });
}

function cameraFailed(err) {
  const { text, code, source } = cameraProblem(err);
  view.cameraProblem = text;
  $("coach").classList.remove("started"); // on a phone: the reason and "Try again" first
  view.showAlert(text);
  speaker.say(text, PRIORITY.help);
  running = false;
  pendingProblem = { type: "client_error", code, message: source };
  flushProblem();
  show($("setup-panel"), false);
  setText($("start"), t("Try again"));
  show($("start-panel"), true);
  show($("stop"), false);
}

function flushProblem() {
  if (pendingProblem && connection.sendJson(pendingProblem)) {
    pendingProblem = null;
    // Without a camera there is nothing to send: close, rather than be timed out by the server.
    if (!running) connection.close(1000, "no camera");
  }
}

function endSession() {
  running = false;
  connection.stopRetrying();
  view.cancelEnd();
  show($("rest-panel"), false);
  show($("stand-help"), false);
  capture.stopCamera();
  targets.end();
  connection.sendJson({ type: "end" });
  const hadFocus = document.activeElement === $("stop") || document.activeElement === document.body;
  show($("stop"), false);
  view.setConnection(t("Session ended."));
  speaker.stop();
  if (hadFocus) view.focusNext();
}

// Connection read-out once a second: what the patient needs to know if it feels slow.
setInterval(() => {
  if (!running || !connection.isOpen || !capture.processed) return;
  view.showSpeed(capture.takeSpeed());
  view.reportLatency();
  capture.trySend(true); // in case the video callback stalled
}, 1000);

// ---- wiring ------------------------------------------------------------------------------
$("start").addEventListener("click", start);
$("stop").addEventListener("click", endSession);
$("therapist-ok").addEventListener("click", () => view.dismissMessage());
$("next-set").addEventListener("click", () => connection.sendJson({ type: "next_set" }));
$("share-video").addEventListener("change", (ev) => {
  connection.sendJson({ type: "share_video", enabled: ev.target.checked });
  // On-device mode sends no pictures: sharing needs a connection in server mode, and back.
  if (connection.ws && connection.pose && connection.pose !== capture.wantedPose()) {
    capture.reconnectForPose();
  }
});
$("copy-link").addEventListener("click", async () => {
  const link = $("follow-link").href;
  try {
    await navigator.clipboard.writeText(link);
    view.showNotice(t("Link copied. Send it to your therapist."), 3000);
  } catch {
    window.prompt(t("Copy this link for your therapist:"), link);
  }
});

async function main() {
  const id = params.get("exercise");
  if (!id) {
    await showPicker();
    return;
  }
  const res = await fetch(`/api/exercises/${encodeURIComponent(id)}`);
  if (!res.ok) {
    await showPicker();
    let detail = t("Unknown exercise \"{id}\".", { id });
    try { detail = t((await res.json()).detail) || detail; } catch { /* keep the default */ }
    view.showAlert(t("{problem} Choose one below.", { problem: detail }));
    return;
  }
  const ex = await res.json();
  view.showCoach(ex);
  balance.showCoach(ex);
  tug.showCoach(ex);
  ratingPrompts.prefetch(); // the patient's day, ready when Start is pressed
  if (params.get("autostart") === "1") start();
}

main();
