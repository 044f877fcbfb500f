// The patient's page: pick an exercise, turn on the camera, find the pose, show and speak the
// coaching. Two ways to find the pose (docs/LIVE-PROTOCOL.md, "Where the pose is found"):
// - on this device (the default where the browser can): MediaPipe runs in the page
//   (device_pose.js), the page draws its own skeleton at once and sends only the landmarks;
// - on the server (the fallback, or ?pose=server): the page sends JPEG frames one at a time
//   (the next only after the reply: a busy server makes us skip camera frames, never pile
//   them up) and draws the skeleton the server returns.
// Either way counts, cues and faults come from the server's `frame` replies.
import {
  $, Speaker, countInSet, describeEvent, drawSkeleton, progressText, setText, setupReadouts, show,
  updateReadouts, wsUrl,
} from "./common.js";
import {
  DevicePoseError, INIT_TIMEOUT_MS, forDrawing, landmarkMessage, loadDevicePose,
} from "./device_pose.js";
import { showDemo } from "./demo.js";
import { LatencyMeter } from "./latency.js";
import { showPicker } from "./picker.js";
import { RatingPrompts } from "./ratings.js";
import { TargetsView, summaryWords } from "./targets.js";

const MAX_SEND_WIDTH = 480; // the model looks at 256 px; more only costs bandwidth
const JPEG_QUALITY = 0.7;
const REPLY_TIMEOUT_MS = 5000;
const NON_FATAL_CODES = new Set(["server_busy", "server_stopping"]);
const MAX_LANDMARK_RATE = 30; // landmark messages a second, at most (the protocol allows 60)
const MAX_UNANSWERED = 3; // landmark messages on their way before we skip sending
const DEVICE_FAILURES_TO_FALL_BACK = 5; // model errors in a row before the server takes over
const MIN_DEVICE_FPS = 5; // slower than this on this device (after warming up): use the server
const DEVICE_WARMUP_FRAMES = 3;
const DEVICE_SPEED_FRAMES = 8;
const STAND_HELP_AFTER_MS = 10000; // in the setup this long: say why and show how to stand
const END_AFTER_DONE_MS = 2500; // every set done: the last words are said, then the summary
const LIMIT_WARNING_MS = 5000;

const params = new URLSearchParams(location.search);
const speaker = new Speaker($("speech-toggle"));
const ratingPrompts = new RatingPrompts(speaker); // pain and effort prompts (ratings.js)
const video = $("video");
const overlay = $("overlay");
const capture = document.createElement("canvas");
// A hand-eye targets task (kind "targets"): targets drawn over the picture, no rep count.
const targets = new TargetsView({ canvas: $("targets-canvas"), media: $("media") });
const latency = new LatencyMeter(); // camera to screen, reported in a targets session

const state = {
  exercise: null,
  ws: null,
  sessionId: params.get("session"),
  edges: [],
  running: false, // the patient pressed Start (or autostart) and has not ended
  stream: null,
  inFlight: false,
  sentAt: 0,
  reconnectDelay: 1000,
  reconnectTimer: null,
  fatal: false,
  pendingProblem: null,
  count: 0,
  holds: 0,
  stored: null, // the session whose count is in sessionStorage
  lastStage: null,
  processed: 0,
  skipped: 0,
  latencies: [],
  // Where the pose is found: "device" or "server"; decided once per page (choosePoseMode).
  poseMode: null,
  wsPose: null, // the pose mode of the current connection, as its `session` message says
  poseModeReady: null, // the promise of that decision
  device: null, // the on-device model (device_pose.js), in device mode
  detecting: false,
  lastDetectAt: 0,
  deviceFailures: 0,
  deviceTimes: [], // ms a frame of the first detections, to check the device is fast enough
  seq: 0,
  unanswered: 0,
  faultJoints: [],
  cameraProblem: "", // a camera error stays on screen until the camera works
  setupSince: null, // when the current stretch of the setup stage began (performance.now())
  standHelpSaid: false,
  endTimer: null,
  targets: false, // this is a hand-eye targets task (the exercise's kind)
};

// ---- small UI helpers ------------------------------------------------------------------
function showAlert(text) {
  const el = $("alert");
  // A camera problem is not replaced by other news ("Connected to the coach.") until solved.
  const shown = text || state.cameraProblem;
  setText(el, shown);
  show(el, !!shown);
}

let noticeTimer = null;
function showNotice(text, ms = 6000) {
  showAlert(text);
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => showAlert(""), ms);
}

function setConnection(text) {
  setText($("connection"), text);
}

function viewAdvice(ex) {
  const body = { full: "your whole body, head to feet", lower: "your legs and hips",
    upper: "your upper body and arms", arms: "your arms and shoulders", legs: "your legs" }[ex.body]
    || "your whole body";
  const views = ex.views && ex.views.length ? ex.views : [ex.view];
  let view = "";
  if (!views.includes("any")) {
    const side = views.includes("side");
    const front = views.includes("front");
    if (side && front) view = "Face the camera, or stand side-on to it.";
    else if (side) view = "Stand side-on to the camera (turn a quarter turn).";
    else if (front) view = "Face the camera.";
  }
  return `${view} The camera must see ${body}.`.trim();
}

function countKey() {
  return `coach.count.${state.sessionId}`;
}

// The page's own copy of the count: sent back on reconnect, so a server restart loses nothing.
function remember(msg) {
  const reps = typeof msg.rep_count === "number" ? msg.rep_count : state.count;
  const holds = typeof msg.holds_completed === "number" ? msg.holds_completed : state.holds;
  if (reps === state.count && holds === state.holds && state.stored === state.sessionId) return;
  state.count = reps;
  state.holds = holds;
  if (state.sessionId) {
    sessionStorage.setItem(countKey(), JSON.stringify({ reps, holds }));
    state.stored = state.sessionId;
  }
}

// ---- coach view -----------------------------------------------------------------------------
/** A targets task shows its targets and how many were touched instead of a rep count
 * (web/static/targets.js). */
function showKind(kind) {
  state.targets = kind === "targets";
  $("coach").classList.toggle("targets-task", state.targets);
  show($("reps-box"), !state.targets); // the targets' box shows once a session begins
  if (!state.targets) show($("targets-box"), false);
}

function showCoach(ex) {
  state.exercise = ex;
  document.title = `${ex.name} – Coach`;
  setText($("exercise-name"), ex.name);
  setText($("exercise-instructions"), ex.instructions);
  setText($("view-advice"), viewAdvice(ex));
  showDemo($("start-demo"), ex.id);
  setupReadouts(ex);
  showKind(ex.kind);
  show($("picker"), false);
  show($("coach"), true);
  const saved = state.sessionId && JSON.parse(sessionStorage.getItem(countKey()) || "null");
  if (saved) {
    state.count = saved.reps || 0;
    state.holds = saved.holds || 0;
    setText($("rep-count"), String(ex.kind === "hold" ? state.holds : state.count));
  }
}

async function start() {
  if (state.running) return;
  state.running = true;
  state.fatal = false;
  $("coach").classList.add("started"); // the count and cue matter from now on
  showAlert("");
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
  setText($("setup-text"), "Starting the camera and the coach…");
  // The model loads while the camera starts. The coach is connected once both are ready (or the
  // camera failed, to report it): the server closes a connection that sends no picture within
  // 20 s, and a patient may take longer than that to answer the browser's camera prompt.
  choosePoseMode();
  const connectWhenReady = () => choosePoseMode().then(() => {
    if (state.poseMode === "device-failed") return; // forced on-device model failed: said why
    if (!state.ws || state.ws.readyState > WebSocket.OPEN) connect();
  });
  // The browser may be waiting for the patient to answer its camera prompt.
  const hint = setTimeout(() => {
    setConnection("Waiting for the camera: if the browser asks, click Allow.");
  }, 3000);
  try {
    state.stream = await navigator.mediaDevices.getUserMedia({
      // No height: a portrait camera keeps its own shape (a 4:3 request would crop it).
      video: { width: { ideal: 640 }, facingMode: "user" },
      audio: false,
    });
  } catch (err) {
    cameraFailed(err);
    connectWhenReady();
    return;
  } finally {
    clearTimeout(hint);
  }
  if (!state.running) { // ended while the camera started (End session, a failed forced model)
    stopCamera();
    return;
  }
  if (state.cameraProblem) { // solved: the camera works now (other news stays)
    state.cameraProblem = "";
    showAlert("");
  }
  connectWhenReady();
  video.srcObject = state.stream;
  show($("media"), true);
  // The stage keeps the camera's aspect ratio (also when a phone turns), so the skeleton
  // overlay fits it exactly.
  const fitAspect = () => {
    if (video.videoWidth && video.videoHeight) {
      video.parentElement.style.setProperty("--aspect", String(video.videoWidth / video.videoHeight));
    }
  };
  video.addEventListener("loadedmetadata", fitAspect);
  video.addEventListener("resize", fitAspect);
  try {
    await video.play();
  } catch { /* autoplay of a muted stream is allowed; keep going */ }
  setConnection(state.poseMode ? "Camera on. Connecting to the coach…"
    : "Camera on. Getting the pose model ready…");
  scheduleCapture();
}

// ---- where the pose is found -----------------------------------------------------------
function poseModeLine(text) {
  setText($("pose-mode"), text);
  show($("pose-mode"), !!text);
}

/** The mode to ask the server for. The server takes no video on a device-mode connection,
 * so while the patient shares their video (it goes to the server anyway) the server sees them. */
function wantedPose() {
  return state.poseMode === "device" && state.device && !$("share-video").checked
    ? "device" : "server";
}

function describeConnectionPose() {
  if (state.wsPose === "device") {
    poseModeLine("Your pose is found on this device: your camera picture stays here.");
  } else if (state.poseMode === "device" && state.device) {
    poseModeLine("While you share your video, the server sees you: your camera picture is sent"
      + " to the coach server.");
  } else if (state.wsPose === "server" && state.poseMode === "device") {
    useServer("this coach server does not take poses found on the device");
  }
}

function useServer(reason) {
  state.poseMode = "server";
  poseModeLine(reason ? `Using the server to see you: ${reason}.`
    : "Using the server to see you: your camera picture is sent to the coach server.");
}

/** Decide once per page: on this device where it works, else the server (and say why). */
function choosePoseMode() {
  if (state.poseModeReady) return state.poseModeReady;
  const wanted = params.get("pose");
  state.poseModeReady = (async () => {
    if (wanted === "server") {
      useServer("");
      return;
    }
    const seconds = Number(params.get("pose_timeout"));
    const timeoutMs = seconds > 0 ? seconds * 1000 : INIT_TIMEOUT_MS;
    try {
      state.device = await loadDevicePose({
        timeoutMs,
        allowSoftware: wanted === "device",
        onProgress: (text) => { if (state.running) setText($("setup-text"), text); },
      });
      state.poseMode = "device";
      if (state.running) setText($("setup-text"), "Checking your position…");
      poseModeLine("Your pose is found on this device: your camera picture stays here.");
    } catch (err) {
      const reason = err instanceof DevicePoseError ? err.message : `the on-device model failed (${err})`;
      if (wanted === "device") {
        // Forced: no quiet fallback, say what went wrong.
        state.poseMode = "device-failed";
        poseModeLine(`The on-device model could not start: ${reason}.`);
        showAlert(`The on-device model could not start: ${reason}. Open the page without`
          + " pose=device to let the server see you.");
        if (state.running) {
          state.running = false;
          stopCamera();
          show($("stop"), false);
          setConnection("Not connected.");
        }
        return;
      }
      useServer(reason);
    }
  })();
  return state.poseModeReady;
}

/** Open a new connection for the same session in the mode now wanted (the server lets a
 * resumed session change mode: `pose` is per connection). */
function reconnectForPose() {
  if (!state.running || !state.ws) return;
  const old = state.ws;
  state.ws = null; // its close must not schedule a reconnect of its own
  if (old.readyState <= WebSocket.OPEN) old.close(1000, "changing pose mode");
  connect();
}

/** The on-device model failed during the session: let the server see the patient instead. */
function fallBackToServer(reason) {
  if (state.device) state.device.close();
  state.device = null;
  useServer(reason);
  showNotice(`Using the server to see you from now on: ${reason}.`, 8000);
  if (state.wsPose === "device") reconnectForPose();
}

function cameraFailed(err) {
  const messages = {
    NotAllowedError: "Camera access is blocked. Allow the camera for this page (the camera icon in the address bar), then press Start again.",
    SecurityError: "Camera access is blocked by the browser's settings. Allow the camera for this page, then press Start again.",
    NotFoundError: "No camera was found. Connect a camera, then press Start again.",
    OverconstrainedError: "The camera could not provide a usable picture. Try another camera, then press Start again.",
    NotReadableError: "The camera is in use by another program. Close that program, then press Start again.",
    Unsupported: "This browser cannot use the camera on this page. Open it as http://127.0.0.1:8000 or over https.",
  };
  const text = messages[err.name] || `The camera could not start (${err.name || "error"}: ${err.message || ""}).`;
  state.cameraProblem = text;
  $("coach").classList.remove("started"); // on a phone: the reason and "Try again" first
  showAlert(text);
  speaker.say(text, 3);
  const code = err.name === "NotAllowedError" || err.name === "SecurityError" ? "camera_denied" : "camera_unavailable";
  state.running = false;
  state.pendingProblem = { type: "client_error", code, message: text };
  flushProblem();
  show($("setup-panel"), false);
  setText($("start"), "Try again");
  show($("start-panel"), true);
  show($("stop"), false);
}

function flushProblem() {
  if (state.pendingProblem && state.ws && state.ws.readyState === WebSocket.OPEN) {
    state.ws.send(JSON.stringify(state.pendingProblem));
    state.pendingProblem = null;
    // Without a camera there is nothing to send: close, rather than be timed out by the server.
    if (!state.running) state.ws.close(1000, "no camera");
  }
}

function stopCamera() {
  if (state.stream) state.stream.getTracks().forEach((t) => t.stop());
  state.stream = null;
  video.srcObject = null;
  show($("media"), false);
  show($("setup-panel"), false);
  show($("pause-banner"), false);
}

function endSession() {
  state.running = false;
  clearTimeout(state.reconnectTimer);
  clearTimeout(state.endTimer);
  show($("rest-panel"), false);
  show($("stand-help"), false);
  stopCamera();
  targets.end();
  if (state.ws && state.ws.readyState === WebSocket.OPEN) {
    state.ws.send(JSON.stringify({ type: "end" }));
  }
  const hadFocus = document.activeElement === $("stop") || document.activeElement === document.body;
  show($("stop"), false);
  setConnection("Session ended.");
  speaker.stop();
  if (hadFocus) focusNext();
}

// ---- WebSocket ---------------------------------------------------------------------------
function connect() {
  clearTimeout(state.reconnectTimer);
  if (state.poseMode === "device-failed") return;
  let path = `/ws/live?exercise=${encodeURIComponent(state.exercise.id)}`;
  path += `&pose=${wantedPose()}`;
  // A targets task's level (1-3: smaller targets, further away); the server checks it.
  if (params.get("level")) path += `&level=${encodeURIComponent(params.get("level"))}`;
  // A fixed schedule: only a server started for tests takes it (allow_seed); others refuse.
  if (params.get("seed")) path += `&seed=${encodeURIComponent(params.get("seed"))}`;
  if (state.sessionId) {
    path += `&session=${encodeURIComponent(state.sessionId)}&reps=${state.count}&holds=${state.holds}`;
  }
  const ws = new WebSocket(wsUrl(path));
  ws.binaryType = "arraybuffer";
  state.ws = ws;
  state.wsPose = null;
  state.inFlight = false;
  state.unanswered = 0;
  ws.onmessage = (ev) => {
    if (ws !== state.ws || typeof ev.data !== "string") return;
    let msg;
    try { msg = JSON.parse(ev.data); } catch { return; }
    handle(msg);
  };
  ws.onclose = (ev) => onClose(ws, ev);
}

// How the server ends a connection (close codes: web/live_ws.py, docs/LIVE-PROTOCOL.md), in
// the patient's words. A refusal stays on screen with a way on and is never retried by itself;
// only "busy" and a lost connection are retried, with growing waits that the page shows.
const CLOSE_BUSY = 4503;
const BUSY_FIRST_WAIT_MS = 5000;
const BUSY_MAX_WAIT_MS = 60000;
const CLOSED_FOR_GOOD = {
  4408: { button: "Try again", text: "The coach stopped waiting for your camera: no picture"
    + " arrived for a while. Your count is kept. When your camera is ready, press Try again." },
  4429: { button: "Try again", text: "Too many coaching sessions are open from this internet"
    + " connection. Close the coach in your other windows or tabs, then press Try again." },
  4410: { button: "Start again", newSession: true,
    text: "This session has ended. Press Start again to begin a new one." },
  4409: { button: null, text: "This session is now open in another window or tab, and it"
    + " continues there. You can close this one." },
};

/** A refusal or an ending: stop, keep the words on screen, offer the way on (if any). */
function closedForGood(why) {
  clearTimeout(state.reconnectTimer);
  clearTimeout(noticeTimer); // an earlier notice must not wipe this message away
  state.running = false;
  state.fatal = true;
  stopCamera();
  show($("stop"), false);
  if (why.newSession) {
    state.sessionId = null;
    const url = new URL(location.href);
    url.searchParams.delete("session");
    history.replaceState(null, "", url);
  }
  if (why.button) setText($("start"), why.button);
  show($("start-panel"), !!why.button);
  showAlert(why.text);
  speaker.say(why.text, 3);
  setConnection("Not connected.");
}

/** Waits `ms`, counting down on screen, then connects again. */
function retryIn(ms, why) {
  const until = performance.now() + ms;
  const tick = () => {
    if (!state.running) return;
    const left = Math.ceil((until - performance.now()) / 1000);
    if (left <= 0) {
      connect();
      return;
    }
    setConnection(`${why} Trying again in ${left} s… Your count so far (${state.count}) is kept.`);
    state.reconnectTimer = setTimeout(tick, Math.min(1000, until - performance.now()));
  };
  tick();
}

function onClose(ws, ev) {
  if (ws !== state.ws) return;
  state.inFlight = false;
  state.unanswered = 0;
  const refusal = CLOSED_FOR_GOOD[ev.code];
  // After a refusal the server's error message may have stopped the page already (fatal).
  if (refusal && (state.running || state.fatal)) {
    closedForGood(refusal);
    return;
  }
  if (!state.running || state.fatal) return;
  if (ev.code === CLOSE_BUSY) {
    const wait = Math.max(state.reconnectDelay, BUSY_FIRST_WAIT_MS);
    state.reconnectDelay = Math.min(wait * 2, BUSY_MAX_WAIT_MS);
    const why = "The coach is busy with other patients right now.";
    showAlert(`${why} The page will try again by itself; please wait.`);
    retryIn(wait, why);
    return;
  }
  const why = ev.code === 1012 ? "The coach server is restarting." : "Connection to the coach lost.";
  showAlert(`${why} Reconnecting…`);
  retryIn(state.reconnectDelay, why);
  state.reconnectDelay = Math.min(state.reconnectDelay * 2, 5000);
}

function handle(msg) {
  ratingPrompts.onMessage(msg);
  switch (msg.type) {
    case "session": return onSession(msg);
    case "frame": return onFrame(msg);
    case "dropped": answered(); return;
    case "error": return onError(msg);
    case "therapist_message": return onTherapistMessage(msg);
    case "followers":
      setText($("followers"), msg.count ? "Your therapist is watching (stick figure only unless you share video)." : "");
      return;
    case "summary": return onSummary(msg.summary);
    default: return;
  }
}

function onSession(msg) {
  state.sessionId = msg.session_id;
  state.edges = msg.skeleton_edges;
  state.reconnectDelay = 1000;
  state.lastStage = msg.stage;
  if (msg.exercise) {
    // The session's exercise facts carry this patient's prescription (sets, reps, rest...).
    state.exercise = { ...state.exercise, ...msg.exercise };
    setupReadouts(state.exercise);
    setText($("view-advice"), viewAdvice(state.exercise));
  }
  showKind(msg.kind || (state.exercise && state.exercise.kind));
  if (state.targets) targets.begin(msg.targets, msg.session_id);
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
  setText($("followers"), msg.followers ? "Your therapist is watching." : "");
  remember(msg);
  setText($("rep-count"), String(countInSet(msg, state.exercise)));
  setText($("set-progress"), progressText(msg.set, msg.stage));
  showRest(msg);
  if (msg.notice) showNotice(msg.notice, 10000);
  else showAlert("");
  setConnection(msg.how === "resumed" ? "Reconnected. Your session continues." : "Connected to the coach.");
  flushProblem();
  state.wsPose = msg.pose || "server"; // a server without on-device support says nothing
  describeConnectionPose();
  if ($("share-video").checked) sendControl({ type: "share_video", enabled: true });
}

/** A reply (frame, dropped, error) for one of our frames or landmark messages. */
function answered() {
  state.inFlight = false;
  state.unanswered = Math.max(0, state.unanswered - 1);
}

function onFrame(msg) {
  answered();
  // When the picture this reply is about was captured: a target's time starts there.
  let capturedAt;
  if (state.wsPose === "device") {
    // The skeleton is drawn from the page's own results (onDeviceResult); the server adds
    // which joints to draw red.
    state.faultJoints = msg.fault_joints || [];
    capturedAt = latency.answered(msg.seq);
  } else {
    state.processed += 1;
    state.latencies.push(performance.now() - state.sentAt);
    capturedAt = state.sentAt;
    latency.add(performance.now() - capturedAt);
    if (overlay.width !== msg.image[0] || overlay.height !== msg.image[1]) {
      [overlay.width, overlay.height] = msg.image;
    }
    drawSkeleton(overlay.getContext("2d"), msg.landmarks, state.edges, msg.fault_joints);
  }
  updateReadouts(msg, state.exercise);
  if (state.lastStage === "setup" && msg.stage === "active") {
    showNotice(state.targets ? "You are in position. Watch for the first target!"
      : "You are in position. Start the exercise!", 4000);
  }
  state.lastStage = msg.stage;
  showRest(msg);
  checkStandHelp(msg);
  const tip = msg.stage === "active" && msg.setup && msg.setup.tip ? msg.setup.tip : "";
  setText($("view-tip"), tip);
  show($("view-tip"), !!tip);
  // What this frame decided is said in one go ("5. Set 1 done. Rest for 60 seconds.").
  const words = state.targets ? targets.onEvents(msg.events, capturedAt) : [];
  for (const e of msg.events) onEvent(e, msg, words);
  if (words.length === 1) speaker.say(words[0], 2);
  else if (words.length) speaker.say(words.map((w) => (/[.!?]$/.test(w) ? w : `${w}.`)).join(" "), 2);
  remember(msg);
  trySend();
}

function onEvent(e, msg, words) {
  switch (e.kind) {
    case "RepCompleted": {
      // The count within the set is said, the number on screen.
      const set = msg.set;
      const ended = msg.events.some((x) => x.kind === "SetCompleted" || x.kind === "AllSetsDone");
      words.push(String(set && set.per_set && ended ? set.per_set : countInSet(msg, state.exercise)));
      setText($("last-rep"), describeEvent(e) || "");
      return;
    }
    case "HoldReached": words.push(`${Math.round(e.target_s)} seconds, well done!`); return;
    case "SetCompleted":
      words.push(`Set ${e.set} done.${e.rest_s ? ` Rest for ${Math.round(e.rest_s)} seconds.` : ` Now set ${e.set + 1}.`}`);
      return;
    case "RestEnded": words.push(`Set ${e.set}. Start when you are ready.`); return;
    case "AllSetsDone":
      if (state.targets) words.push(`All the targets are done.${e.targets && e.targets.touched ? " Well done!" : ""}`);
      else words.push(msg.set && msg.set.sets > 1 ? "All sets done. Well done!" : "Well done, that's the set!");
      // A clear end: the last words, then the summary.
      clearTimeout(state.endTimer);
      state.endTimer = setTimeout(() => { if (state.running) endSession(); }, END_AFTER_DONE_MS);
      return;
    case "FaultDetected":
      if (e.id === "range_limit") warnLimit(e.cue);
      return;
    case "Cue":
      if (e.source === "range_limit") warnLimit(e.text);
      else speaker.say(e.text, e.priority || 1);
      return;
    case "PoseLost": speaker.say(e.reason, 3); return;
    case "HoldEnded":
      if (state.exercise.kind === "hold" && msg.stage === "active") {
        speaker.say(`Hold done: ${Math.round(e.duration_s)} seconds.`, 2);
      }
      return;
    default: return;
  }
}

/** Past the prescribed range limit: said at once (above everything else) and shown. */
let limitTimer = null;
function warnLimit(text) {
  const words = text || "Not so far: stay within your limit";
  speaker.say(words, 6);
  const el = $("limit-warning");
  setText(el, words);
  show(el, true);
  clearTimeout(limitTimer);
  limitTimer = setTimeout(() => show(el, false), LIMIT_WARNING_MS);
}

/** Between sets: the rest counting down, then the next set by itself (or sooner, by button). */
function showRest(msg) {
  const rest = msg.stage === "rest" ? msg.rest : null;
  show($("rest-panel"), !!rest);
  if (!rest) return;
  setText($("rest-left"), `${Math.ceil(rest.left_s)} s`);
  setText($("rest-next"), `Ready for set ${rest.next_set}? It starts by itself when the rest is over.`);
  setText($("next-set"), `Start set ${rest.next_set} now`);
}

/** Still in the setup after a while: say why counting has not started and how to stand. */
function checkStandHelp(msg) {
  if (msg.stage !== "setup") {
    state.setupSince = null;
    state.standHelpSaid = false;
    show($("stand-help"), false);
    return;
  }
  const now = performance.now();
  if (state.setupSince === null) state.setupSince = now;
  if (now - state.setupSince < STAND_HELP_AFTER_MS) return;
  const why = (msg.setup && msg.setup.message) || "I can't see you well enough.";
  const notYet = state.targets ? "I can't start the targets yet" : "I can't count yet";
  setText($("stand-why"), `${notYet}: ${why}`);
  setText($("stand-how"), `How to stand: ${viewAdvice(state.exercise)} About 2 to 3 metres from the camera.`);
  show($("stand-help"), true);
  if (!state.standHelpSaid) {
    state.standHelpSaid = true;
    speaker.say(`${notYet}. ${why} ${viewAdvice(state.exercise)}`, 3);
  }
}

function onError(msg) {
  if (msg.seq !== undefined) answered();
  // One message the server could not use (landmarks; a latency report): go on.
  if (msg.code === "bad_landmarks" || msg.code === "bad_latency") return;
  if (msg.fatal) {
    state.fatal = !NON_FATAL_CODES.has(msg.code);
    showAlert(msg.message);
    if (state.fatal) {
      state.running = false;
      stopCamera();
      show($("stop"), false);
      setText($("start"), "Start again");
      show($("start-panel"), msg.code !== "taken_over");
      if (["unknown_session", "session_ended", "exercise_mismatch", "bad_session_id"].includes(msg.code)) {
        state.sessionId = null; // a fresh start gets a new session
        const url = new URL(location.href);
        url.searchParams.delete("session");
        history.replaceState(null, "", url);
      }
      setConnection("Not connected.");
    }
    return;
  }
  showNotice(msg.message, 5000);
}

// A therapist's message stays in view until the patient presses "Got it", or fades by itself
// once there was time to hear and read it (it was also spoken).
const MESSAGE_SHOWN_MS = 30000;

function onTherapistMessage(msg) {
  const el = $("therapist-message");
  setText($("therapist-text"), `Message from your therapist: ${msg.text}`);
  el.classList.remove("fading");
  show(el, true);
  speaker.say(`Message from your therapist: ${msg.text}`, 4);
  clearTimeout(state.messageTimer);
  state.messageTimer = setTimeout(dismissMessage, MESSAGE_SHOWN_MS);
}

function dismissMessage() {
  const el = $("therapist-message");
  clearTimeout(state.messageTimer);
  if (el.hidden) return;
  const hadFocus = el.contains(document.activeElement);
  el.classList.add("fading"); // a short fade (none with prefers-reduced-motion), then gone
  setTimeout(() => {
    show(el, false);
    el.classList.remove("fading");
    if (hadFocus) focusNext();
  }, 600);
}

// Keyboard focus never drops to the page body when the button that had it disappears:
// End session after Start, the summary after the end, Start (or Try again) otherwise.
function focusNext() {
  for (const id of ["stop", "summary", "start"]) {
    const el = $(id);
    if (el && !el.hidden && el.offsetParent !== null) {
      el.focus({ preventScroll: true });
      return;
    }
  }
}

function onSummary(s) {
  const el = $("summary");
  if (state.running) { // the server ended it (a targets task ends when its targets are done)
    state.running = false;
    clearTimeout(state.endTimer);
    stopCamera();
    show($("stop"), false); // focus on it moves to the summary (below)
    setConnection("Session ended.");
  }
  targets.end();
  const hold = state.exercise && state.exercise.kind === "hold";
  const count = hold ? s.holds_completed : s.rep_count;
  const unit = hold ? (count === 1 ? "hold" : "holds") : (count === 1 ? "rep" : "reps");
  const lines = [];
  if (state.targets) {
    lines.push(...summaryWords(s.targets));
  } else if (s.no_count_reason) {
    lines.push(`Nothing was counted. ${s.no_count_reason}`);
    if (state.exercise) lines.push(`Next time: ${viewAdvice(state.exercise)}`);
  } else if (s.set && s.set.complete) {
    lines.push(`All done: ${s.set.sets > 1 ? `${s.set.sets} sets, ` : ""}${count} ${unit}. Well done!`);
  } else {
    lines.push(`Session finished: ${count} ${unit}.`);
  }
  const past = state.targets ? 0 : (s.reps || []).filter((r) => r.over_limit).length;
  if (past) lines.push(`${past} ${past === 1 ? "rep went" : "reps went"} past your limit: next time, not so far.`);
  const faults = state.targets ? [] : [...new Set((s.faults || []).filter((f) => f.id !== "range_limit").map((f) => f.message))];
  if (faults.length) lines.push(`To work on: ${faults.join("; ")}.`);
  setText(el, lines.join(" "));
  el.classList.toggle("nothing", !state.targets && !!s.no_count_reason);
  show(el, true);
  show($("rest-panel"), false);
  show($("stand-help"), false);
  setText($("start"), "Start a new session");
  show($("start-panel"), true);
  state.sessionId = null;
  const url = new URL(location.href);
  url.searchParams.delete("session");
  url.searchParams.delete("autostart");
  history.replaceState(null, "", url);
  // The summary is what matters now: a keyboard user lands on it (then Tab: Start a new one).
  if (!document.activeElement || document.activeElement === document.body || document.activeElement.hidden) {
    el.focus({ preventScroll: false });
  }
}

function sendControl(msg) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(msg));
}

// ---- frames ------------------------------------------------------------------------------
function scheduleCapture() {
  if (!state.stream) return;
  if ("requestVideoFrameCallback" in video) video.requestVideoFrameCallback(onVideoFrame);
  else setTimeout(onVideoFrame, 33);
}

function onVideoFrame(now, metadata) {
  if (state.wsPose === "device" && state.device) {
    // Capture time on the performance.now() clock: the camera's when the browser knows it.
    const at = metadata && metadata.captureTime ? metadata.captureTime
      : (typeof now === "number" ? now : performance.now());
    detectOnDevice(at);
  } else if (state.wsPose === "server") {
    trySend();
  }
  scheduleCapture();
}

// ---- on-device frames --------------------------------------------------------------------
async function detectOnDevice(capturedAt) {
  if (state.detecting || !state.running || !state.stream || !video.videoWidth) return;
  if (performance.now() - state.lastDetectAt < 1000 / MAX_LANDMARK_RATE) return;
  state.detecting = true;
  state.lastDetectAt = performance.now();
  const size = [video.videoWidth, video.videoHeight];
  let result;
  try {
    result = await state.device.detect(video);
    state.deviceFailures = 0;
  } catch (err) {
    state.detecting = false;
    state.deviceFailures += 1;
    if (state.deviceFailures >= DEVICE_FAILURES_TO_FALL_BACK && state.device) {
      fallBackToServer(`the on-device model stopped working (${err.message || err})`);
    }
    return;
  }
  state.detecting = false;
  if (!state.running || state.wsPose !== "device") return;
  state.processed += 1;
  state.latencies.push(result.ms);
  onDeviceResult(result.landmarks, size, capturedAt / 1000);
  checkDeviceSpeed(result.ms);
}

/** Once, after a few frames: a device too slow to coach hands over to the server (unless
 * ?pose=device forces it). */
function checkDeviceSpeed(ms) {
  const times = state.deviceTimes;
  if (params.get("pose") === "device" || times.length >= DEVICE_WARMUP_FRAMES + DEVICE_SPEED_FRAMES) return;
  times.push(ms);
  if (times.length < DEVICE_WARMUP_FRAMES + DEVICE_SPEED_FRAMES) return;
  const steady = times.slice(DEVICE_WARMUP_FRAMES).sort((a, b) => a - b);
  const median = steady[Math.floor(steady.length / 2)];
  if (median > 1000 / MIN_DEVICE_FPS) {
    const fps = Math.round(1000 / median);
    const rate = fps <= 1 ? "about a frame a second or less" : `about ${fps} frames a second`;
    fallBackToServer(`this device finds your pose too slowly (${rate})`);
  }
}

function onDeviceResult(landmarks, size, t) {
  // Draw at once, at camera rate: the server's reply is not needed for the skeleton.
  if (overlay.width !== size[0] || overlay.height !== size[1]) [overlay.width, overlay.height] = size;
  drawSkeleton(overlay.getContext("2d"), forDrawing(landmarks), state.edges,
    landmarks ? state.faultJoints : []);
  const ws = state.ws;
  if (!ws || ws.readyState !== WebSocket.OPEN) return;
  if (state.unanswered >= MAX_UNANSWERED) {
    if (performance.now() - state.sentAt < REPLY_TIMEOUT_MS) {
      state.skipped += 1;
      return;
    }
    state.unanswered = 0; // replies got lost; do not stall forever
  }
  state.seq += 1;
  state.unanswered += 1;
  state.sentAt = performance.now();
  latency.sent(state.seq, t * 1000);
  ws.send(landmarkMessage(state.seq, t, size, landmarks)); // binary: cheaper for the server
}

// ---- server frames -----------------------------------------------------------------------
function encodeFrame(done) {
  const scale = Math.min(1, MAX_SEND_WIDTH / video.videoWidth);
  const w = Math.round(video.videoWidth * scale);
  const h = Math.round(video.videoHeight * scale);
  if (capture.width !== w || capture.height !== h) {
    capture.width = w;
    capture.height = h;
  }
  capture.getContext("2d").drawImage(video, 0, 0, w, h);
  capture.toBlob(done, "image/jpeg", JPEG_QUALITY);
}

function trySend() {
  const ws = state.ws;
  if (state.wsPose !== "server") return;
  if (!state.running || !state.stream || !ws || ws.readyState !== WebSocket.OPEN) return;
  if (!video.videoWidth) return;
  if (state.inFlight) {
    if (performance.now() - state.sentAt < REPLY_TIMEOUT_MS) {
      state.skipped += 1;
      return;
    }
    state.inFlight = false; // the reply got lost; do not stall forever
  }
  state.inFlight = true;
  state.sentAt = performance.now();
  encodeFrame((blob) => {
    if (blob && ws.readyState === WebSocket.OPEN && ws === state.ws) ws.send(blob);
    else state.inFlight = false;
  });
}

// Connection read-out once a second: what the patient needs to know if it feels slow.
setInterval(() => {
  if (!state.running || !state.ws || state.ws.readyState !== WebSocket.OPEN || !state.processed) return;
  const lat = state.latencies.sort((a, b) => a - b);
  const p50 = lat.length ? Math.round(lat[Math.floor(lat.length / 2)]) : 0;
  setConnection(state.wsPose === "device"
    ? `Connected · pose on this device · ${state.processed} frames/s · ${p50} ms a frame`
    : `Connected · ${state.processed} frames/s · ${p50} ms`);
  state.processed = 0;
  state.skipped = 0;
  state.latencies = [];
  reportLatency();
  trySend(); // in case the video callback stalled
}, 1000);

/** In a targets task: the measured camera-to-screen latency, small under the video (for the
 * therapist), and to the server, which keeps it beside the reaction times. */
function reportLatency() {
  const line = $("latency");
  show(line, state.targets && !!latency.median());
  if (!state.targets) return;
  setText(line, latency.describe());
  const msg = latency.report();
  if (msg) sendControl(msg);
}

// ---- wiring ------------------------------------------------------------------------------
$("start").addEventListener("click", start);
$("stop").addEventListener("click", endSession);
$("therapist-ok").addEventListener("click", dismissMessage);
$("next-set").addEventListener("click", () => sendControl({ type: "next_set" }));
$("share-video").addEventListener("change", (ev) => {
  sendControl({ type: "share_video", enabled: ev.target.checked });
  // On-device mode sends no pictures: sharing needs a connection in server mode, and back.
  if (state.ws && state.wsPose && state.wsPose !== wantedPose()) reconnectForPose();
});
$("copy-link").addEventListener("click", async () => {
  const link = $("follow-link").href;
  try {
    await navigator.clipboard.writeText(link);
    showNotice("Link copied. Send it to your therapist.", 3000);
  } catch {
    window.prompt("Copy this link for your therapist:", link);
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
    let detail = `Unknown exercise "${id}".`;
    try { detail = (await res.json()).detail || detail; } catch { /* keep the default */ }
    showAlert(`${detail} Choose one below.`);
    return;
  }
  showCoach(await res.json());
  if (params.get("autostart") === "1") start();
}

main();
