// The patient's page: pick an exercise, turn on the camera, find the pose, show and speak the
// coaching. Two ways to find the pose (docs/LIVE-PROTOCOL.md, "Where the pose is found"):
// - on this device (the default where the browser can): MediaPipe runs in the page
//   (device_pose.js), the page draws its own skeleton at once and sends only the landmarks;
// - on the server (the fallback, or ?pose=server): the page sends JPEG frames one at a time
//   (the next only after the reply: a busy server makes us skip camera frames, never pile
//   them up) and draws the skeleton the server returns.
// Either way counts, cues and faults come from the server's `frame` replies.
import {
  $, Speaker, describeEvent, drawSkeleton, progressText, setText, setupReadouts, show,
  updateReadouts, wsUrl,
} from "./common.js";
import { DevicePoseError, INIT_TIMEOUT_MS, forDrawing, loadDevicePose } from "./device_pose.js";
import { RatingPrompts } from "./ratings.js";

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

const params = new URLSearchParams(location.search);
const speaker = new Speaker($("speech-toggle"));
const ratingPrompts = new RatingPrompts(speaker); // pain and effort prompts (ratings.js)
const video = $("video");
const overlay = $("overlay");
const capture = document.createElement("canvas");

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
};

// ---- small UI helpers ------------------------------------------------------------------
function showAlert(text) {
  const el = $("alert");
  setText(el, text);
  show(el, !!text);
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
  const view = { side: "Stand side-on to the camera (turn 90°).",
    front: "Face the camera." }[ex.view] || "";
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

// ---- picker ------------------------------------------------------------------------------
async function showPicker() {
  show($("picker"), true);
  show($("coach"), false);
  const list = $("exercise-list");
  try {
    const res = await fetch("/api/exercises");
    if (!res.ok) throw new Error(`the server answered ${res.status}`);
    const exercises = await res.json();
    list.replaceChildren(...exercises.map((ex) => {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.className = "card";
      a.href = `/?exercise=${encodeURIComponent(ex.id)}`;
      a.dataset.exercise = ex.id;
      const title = document.createElement("strong");
      title.textContent = ex.name;
      const meta = document.createElement("span");
      meta.className = "muted";
      const what = ex.kind === "hold" ? `hold ${Math.round(ex.hold_s)} s`
        : ex.reps ? `${ex.sets} × ${ex.reps} reps` : "repetitions";
      meta.textContent = `${what} · ${ex.view === "any" ? "any view" : `${ex.view} view`}`;
      const text = document.createElement("p");
      text.textContent = ex.instructions;
      a.append(title, meta, text);
      li.append(a);
      return li;
    }));
  } catch (err) {
    showAlert(`Could not load the exercises: ${err.message}. Is the coach server running?`);
  }
}

// ---- coach view -----------------------------------------------------------------------------
function showCoach(ex) {
  state.exercise = ex;
  document.title = `${ex.name} – Coach`;
  setText($("exercise-name"), ex.name);
  setText($("exercise-instructions"), ex.instructions);
  setText($("view-advice"), viewAdvice(ex));
  setupReadouts(ex);
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
  showAlert("");
  show($("start-panel"), false);
  show($("stop"), true);
  show($("summary"), false);
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    cameraFailed({ name: "Unsupported" });
    return;
  }
  show($("setup-panel"), true);
  setText($("setup-text"), "Starting the camera and the coach…");
  // The model loads while the camera starts; the coach is connected once we know which way.
  choosePoseMode().then(() => { if (!state.ws || state.ws.readyState > WebSocket.OPEN) connect(); });
  // The browser may be waiting for the patient to answer its camera prompt.
  const hint = setTimeout(() => {
    setConnection("Waiting for the camera: if the browser asks, click Allow.");
  }, 3000);
  try {
    state.stream = await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" },
      audio: false,
    });
  } catch (err) {
    cameraFailed(err);
    return;
  } finally {
    clearTimeout(hint);
  }
  video.srcObject = state.stream;
  show($("media"), true);
  video.addEventListener("loadedmetadata", () => {
    // The stage keeps the camera's aspect ratio, so the skeleton overlay fits it exactly.
    if (video.videoWidth && video.videoHeight) {
      video.parentElement.style.setProperty("--aspect", String(video.videoWidth / video.videoHeight));
    }
  }, { once: true });
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
  showAlert(text);
  speaker.say(text, 3);
  const code = err.name === "NotAllowedError" || err.name === "SecurityError" ? "camera_denied" : "camera_unavailable";
  state.pendingProblem = { type: "client_error", code, message: text };
  flushProblem();
  state.running = false;
  show($("setup-panel"), false);
  setText($("start"), "Try again");
  show($("start-panel"), true);
  show($("stop"), false);
}

function flushProblem() {
  if (state.pendingProblem && state.ws && state.ws.readyState === WebSocket.OPEN) {
    state.ws.send(JSON.stringify(state.pendingProblem));
    state.pendingProblem = null;
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
  stopCamera();
  if (state.ws && state.ws.readyState === WebSocket.OPEN) {
    state.ws.send(JSON.stringify({ type: "end" }));
  }
  show($("stop"), false);
  setConnection("Session ended.");
  speaker.stop();
}

// ---- WebSocket ---------------------------------------------------------------------------
function connect() {
  clearTimeout(state.reconnectTimer);
  if (state.poseMode === "device-failed") return;
  let path = `/ws/live?exercise=${encodeURIComponent(state.exercise.id)}`;
  path += `&pose=${wantedPose()}`;
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

function onClose(ws, ev) {
  if (ws !== state.ws) return;
  state.inFlight = false;
  state.unanswered = 0;
  if (!state.running || state.fatal) return;
  const seconds = Math.round(state.reconnectDelay / 1000);
  const why = ev.code === 1012 ? "The coach server is restarting." : "Connection to the coach lost.";
  setConnection(`${why} Reconnecting in ${seconds} s… Your count so far (${state.count}) is kept.`);
  showAlert(`${why} Reconnecting…`);
  state.reconnectTimer = setTimeout(connect, state.reconnectDelay);
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
  setText($("rep-count"), String(state.exercise.kind === "hold" ? state.holds : state.count));
  setText($("set-progress"), progressText(msg.set));
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
  if (state.wsPose === "device") {
    // The skeleton is drawn from the page's own results (onDeviceResult); the server adds
    // which joints to draw red.
    state.faultJoints = msg.fault_joints || [];
  } else {
    state.processed += 1;
    state.latencies.push(performance.now() - state.sentAt);
    if (overlay.width !== msg.image[0] || overlay.height !== msg.image[1]) {
      [overlay.width, overlay.height] = msg.image;
    }
    drawSkeleton(overlay.getContext("2d"), msg.landmarks, state.edges, msg.fault_joints);
  }
  updateReadouts(msg, state.exercise);
  if (state.lastStage === "setup" && msg.stage === "active") {
    showNotice("You are in position. Start the exercise!", 4000);
  }
  state.lastStage = msg.stage;
  for (const e of msg.events) onEvent(e, msg);
  remember(msg);
  trySend();
}

function onEvent(e, msg) {
  switch (e.kind) {
    case "RepCompleted": {
      // The rep number within the set is spoken; a finished set is announced.
      const set = msg.set;
      const rest = state.exercise.rest_s ? ` Rest for ${Math.round(state.exercise.rest_s)} seconds.` : "";
      if (!set || !set.per_set) speaker.say(String(e.index), 2);
      else if (set.complete && e.index === set.sets * set.per_set) speaker.say(`${set.per_set}. All sets done. Well done!`, 2);
      else if (set.complete) speaker.say(String(e.index), 2);
      else if (set.done === 0) speaker.say(`${set.per_set}. Set ${set.set - 1} done.${rest}`, 2);
      else speaker.say(String(set.done), 2);
      setText($("last-rep"), describeEvent(e) || "");
      return;
    }
    case "Cue": speaker.say(e.text, e.priority || 1); return;
    case "PoseLost": speaker.say(e.reason, 3); return;
    case "HoldEnded": speaker.say(`Hold done: ${Math.round(e.duration_s)} seconds.`, 2); return;
    default: return;
  }
}

function onError(msg) {
  if (msg.seq !== undefined) answered();
  if (msg.code === "bad_landmarks") return; // one message the server could not use; go on
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

function onTherapistMessage(msg) {
  const el = $("therapist-message");
  setText(el, `Message from your therapist: ${msg.text}`);
  show(el, true);
  speaker.say(`Message from your therapist: ${msg.text}`, 4);
}

function onSummary(s) {
  const el = $("summary");
  const lines = [`Session finished: ${s.rep_count} reps.`];
  if (s.holds_completed) lines.push(`${s.holds_completed} holds completed.`);
  const faults = [...new Set(s.faults.map((f) => f.message))];
  if (faults.length) lines.push(`To work on: ${faults.join("; ")}.`);
  setText(el, lines.join(" "));
  show(el, true);
  setText($("start"), "Start a new session");
  show($("start-panel"), true);
  state.sessionId = null;
  const url = new URL(location.href);
  url.searchParams.delete("session");
  url.searchParams.delete("autostart");
  history.replaceState(null, "", url);
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
  ws.send(JSON.stringify({ type: "landmarks", seq: state.seq, t, image: size, landmarks }));
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
  trySend(); // in case the video callback stalled
}, 1000);

// ---- wiring ------------------------------------------------------------------------------
$("start").addEventListener("click", start);
$("stop").addEventListener("click", endSession);
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
