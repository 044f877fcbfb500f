// The therapist's page: follows one live session (stick figure, counts, cues, faults), and
// sends short messages that the patient's page shows and speaks. Reconnects on its own: the
// patient may not have started yet, or the server may restart.
import {
  $, countInSet, describeEvent, drawSkeleton, setText, setupReadouts, show, updateReadouts, wsUrl,
} from "./common.js";
import { followLine } from "./balance.js";
import { followLine as tugLine } from "./tug.js";
import { stageStatus } from "./follow_stage.js";
import { PRIORITY, Speaker } from "./speech.js";

const sessionId = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
const speaker = new Speaker($("speech-toggle"));
const overlay = $("overlay");
const videoLayer = $("video-layer");
const MAX_LOG = 100;

const state = {
  ws: null, exercise: null, edges: [], retryTimer: null, videoOn: false,
  faultWords: {}, messages: [], patientLoaded: false,
};

/** A fault id in the exercise's own words ("knee_valgus" -> "Knee caving inward"). */
function faultWord(id) {
  return state.faultWords[id] || String(id).replaceAll("_", " ");
}

function listWords(ids) {
  const words = (ids || []).map(faultWord);
  return words.length > 1 ? `${words.slice(0, -1).join(", ")} and ${words.at(-1)}` : (words[0] || "");
}

/** One logged event in plain words for the therapist (null: not worth a line). */
/** A hand-eye target's result for the therapist: what happened and its times. */
function targetLine(e) {
  const what = e.hit ? "touched" : ({ miss: "missed", hand_not_seen: "hand not seen",
    outside_image: "did not fit in the picture" }[e.status] || String(e.status));
  const time = (label, v) => (Number.isFinite(v) ? `${label} ${v.toFixed(2)} s` : "");
  const times = [time("reaction", e.reaction_s), time("movement", e.movement_s)].filter(Boolean);
  return `Target ${e.index} (${e.hand} hand) ${what}${times.length ? `: ${times.join(", ")}` : ""}`;
}

function plainEvent(e) {
  switch (e.kind) {
    case "RepCompleted": {
      const range = Number.isFinite(e.rom_deg) ? `, range ${Math.round(e.rom_deg)}°` : "";
      const form = e.faults && e.faults.length ? `; needs work: ${listWords(e.faults)}` : "; good form";
      const limit = e.over_limit ? "; went past the range limit" : "";
      return `Rep ${e.index} done${range}${form}${limit}`;
    }
    case "FaultDetected": return `Form: ${faultWord(e.fault || e.id) || e.message}`;
    case "HoldEnded": return `Held for ${Number(e.duration_s).toFixed(1)} seconds`;
    case "Cue": return `Coach said: "${e.text}"`;
    case "PoseLost": return "Patient out of view: counting paused";
    case "PoseFound": return "Patient back in view";
    case "ViewWarning":
      if (e.expected && e.detected && e.skipped_faults && e.skipped_faults.length && e.expected !== e.detected) {
        return `Camera sees the patient from the ${e.detected}; checking ${listWords(e.skipped_faults)} needs the ${e.expected} view`;
      }
      if (e.skipped_faults && e.skipped_faults.length) {
        return `Camera sees the patient from the ${e.detected}: ${listWords(e.skipped_faults)} not checked (needs another view)`;
      }
      return `Camera angle: ${e.message}`;
    case "SetupPassed": return "Ready: counting started";
    case "PatientConnected": return e.reconnect ? "Patient came back" : "Patient joined";
    case "PatientDisconnected": return "Patient left the page";
    case "TherapistMessage": return `You wrote: "${e.text}"`;
    case "ClientProblem": return `Problem on the patient's page: ${e.message}`;
    case "VideoSharing": return e.enabled ? "Patient started sharing video" : "Patient stopped sharing video";
    case "PipelineRestarted": return "The coach restarted its camera analysis; the count is kept";
    case "SessionEnded": return "Patient ended the session";
    case "TargetShown":
      return `Target ${e.index} shown for the ${e.hand} hand${e.path && e.path.length ? " (moving)" : ""}`;
    case "TargetResult": return targetLine(e);
    // A live clinical test's events (balance.js, tug.js), else null.
    default: return followLine(e) ?? tugLine(e);
  }
}

/** The messages this session's therapists sent, each delivered or not yet. */
function renderMessages() {
  const list = $("sent-messages");
  list.replaceChildren();
  for (const m of state.messages.slice(-20).reverse()) {
    const li = document.createElement("li");
    const text = document.createElement("span");
    text.textContent = `"${m.text}"`;
    const mark = document.createElement("span");
    mark.className = m.delivered ? "delivered" : "pending";
    mark.textContent = m.delivered ? " ✓ Delivered" : " … Not yet: the patient is away; they get it when they are back";
    li.append(text, mark);
    list.append(li);
  }
  show($("sent-box"), state.messages.length > 0);
}

/** Messages from the event log: one sent while the patient was away is pending until they
 * come back (the server hands them over then). */
function messagesFromEvents(events) {
  let connected = false;
  const out = [];
  for (const e of events) {
    if (e.kind === "PatientConnected") {
      connected = true;
      for (const m of out) m.delivered = true;
    } else if (e.kind === "PatientDisconnected" || e.kind === "SessionEnded") {
      connected = false;
    } else if (e.kind === "TherapistMessage") {
      out.push({ text: e.text, t: e.t, delivered: connected });
    }
  }
  return out;
}

/** The patient's name and prescription (a therapist's own patient only; otherwise nothing). */
async function loadPatient() {
  if (state.patientLoaded) return;
  state.patientLoaded = true;
  try {
    const r = await fetch(`/api/live/${encodeURIComponent(sessionId)}/patient`, { credentials: "same-origin" });
    if (!r.ok) return;
    const info = await r.json();
    const a = $("patient-link");
    a.href = info.patient.page;
    setText(a, info.patient.name);
    setText($("prescription"), info.prescription
      ? `Prescribed: ${info.prescription}`
      : `${info.exercise} is not in ${info.patient.name}'s program.`);
    show($("patient-box"), true);
    document.title = `Following ${info.patient.name}: ${info.exercise} – Coach`;
  } catch { /* the name is a help, not needed to follow */ }
}

function setStatus(text, kind = "") {
  const el = $("patient-status");
  setText(el, text);
  el.dataset.kind = kind;
}

function showAlert(text) {
  setText($("alert"), text);
  show($("alert"), !!text);
}

function addLog(text, t) {
  if (!text) return;
  const li = document.createElement("li");
  const time = typeof t === "number" ? `${Math.floor(t / 60)}:${String(Math.floor(t % 60)).padStart(2, "0")} ` : "";
  li.textContent = `${time}${text}`;
  const log = $("event-log");
  log.prepend(li);
  while (log.children.length > MAX_LOG) log.lastChild.remove();
}

function sizeCanvases(image) {
  if (!image) return;
  const [w, h] = image;
  for (const c of [overlay, videoLayer]) {
    if (c.width !== w || c.height !== h) {
      c.width = w;
      c.height = h;
    }
  }
  overlay.parentElement.style.aspectRatio = `${w} / ${h}`;
}

function render(msg) {
  if (!state.exercise) return;
  sizeCanvases(msg.image);
  drawSkeleton(overlay.getContext("2d"), msg.landmarks, state.edges, msg.fault_joints);
  updateReadouts(msg, state.exercise);
}

function onFollow(msg) {
  state.exercise = msg.exercise;
  state.edges = msg.skeleton_edges;
  setText($("exercise-name"), msg.exercise.name);
  document.title = `Following: ${msg.exercise.name} – Coach`;
  setupReadouts(msg.exercise);
  setVideo(msg.video === true);
  showAlert("");
  setText($("rep-count"), String(countInSet(msg, msg.exercise))); // as the patient sees it
  if (msg.last_frame) render(msg.last_frame);
  state.faultWords = msg.fault_words || {};
  $("event-log").replaceChildren();
  for (const e of msg.recent_events) addLog(plainEvent(e), e.t);
  state.messages = messagesFromEvents(msg.recent_events);
  renderMessages();
  loadPatient();
  if (msg.ended) setStatus("Session ended", "ended");
  else if (msg.connected) showStage(msg);
  else setStatus("Waiting for the patient to connect", "waiting");
}

/** The status pill from the stage of a hello or frame (rest and done are not "getting ready"). */
function showStage(msg) {
  const { text, kind } = stageStatus(msg.stage, { paused: !!msg.paused, set: msg.set });
  setStatus(text, kind);
}

function onFrame(msg) {
  render(msg);
  showStage(msg);
  for (const e of msg.events) {
    if (e.kind !== "HoldProgress") addLog(plainEvent(e), e.t);
    if (e.kind === "Cue") speaker.say(e.text, e.priority || PRIORITY.cue, { keep: false });
  }
}

/** Whether the patient's video comes along: told on joining (`follow`) and on each change. */
function setVideo(on) {
  state.videoOn = on;
  if (!on) videoLayer.getContext("2d").clearRect(0, 0, videoLayer.width, videoLayer.height);
  setText($("video-note"), on
    ? "The patient is sharing their video: you see it under the stick figure."
    : "Stick figure only: the patient's video is not sent unless they choose to share it.");
}

function onStatus(msg) {
  if (msg.video !== undefined) {
    setVideo(msg.video === true);
    addLog(msg.video ? "Patient started sharing video" : "Patient stopped sharing video");
  }
  if (!msg.patient) return;
  const kinds = { connected: "live", disconnected: "waiting", ended: "ended", expired: "ended", problem: "problem" };
  const texts = {
    connected: "Patient connected",
    disconnected: "Patient disconnected – waiting for them to come back",
    ended: "Session ended",
    expired: "Session closed",
  };
  setStatus(texts[msg.patient] || msg.message, kinds[msg.patient] || "");
  if (msg.patient === "problem") showAlert(`The patient's page reports: ${msg.message}`);
  if (msg.patient === "connected") {
    showAlert("");
    for (const m of state.messages) m.delivered = true; // handed over on reconnecting
    renderMessages();
  }
  if (msg.patient === "problem") addLog(`Problem on the patient's page: ${msg.message}`);
  else addLog(texts[msg.patient] || msg.message);
}

async function onVideo(blob) {
  if (!state.videoOn) return;
  try {
    const bitmap = await createImageBitmap(blob);
    videoLayer.getContext("2d").drawImage(bitmap, 0, 0, videoLayer.width, videoLayer.height);
    bitmap.close();
  } catch { /* a frame that cannot be shown is skipped */ }
}

function handle(msg) {
  switch (msg.type) {
    case "follow": return onFollow(msg);
    case "frame": return onFrame(msg);
    case "status": return onStatus(msg);
    case "therapist_message":
      setText($("message-status"), msg.delivered ? "Delivered." : "The patient is not connected; they will see it when they are back.");
      addLog(`You wrote: "${msg.text}"`, msg.t);
      state.messages.push({ text: msg.text, t: msg.t, delivered: msg.delivered === true });
      renderMessages();
      return;
    case "summary": {
      const s = msg.summary;
      if (s.targets) addLog(`Session ended: ${s.targets.text}. ${s.targets.hands_text}`);
      else addLog(`Session ended: ${s.rep_count} reps, ${s.holds_completed} holds, ${s.faults.length} form points flagged`);
      return;
    }
    case "error":
      if (msg.code === "unknown_session") {
        setStatus("No live session with this id yet – waiting", "waiting");
        showAlert(msg.message);
      } else {
        setText($("message-status"), msg.message);
        if (msg.fatal) showAlert(msg.message);
      }
      return;
    default: return;
  }
}

// The server closes a follower socket that sends nothing for 90 s (docs/SECURITY.md): ping.
const PING_EVERY_MS = 25000;
setInterval(() => {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) {
    state.ws.send(JSON.stringify({ type: "ping", t: Date.now() }));
  }
}, PING_EVERY_MS);

function connect() {
  clearTimeout(state.retryTimer);
  const ws = new WebSocket(wsUrl(`/ws/follow/${encodeURIComponent(sessionId)}`));
  ws.binaryType = "blob";
  state.ws = ws;
  ws.onmessage = (ev) => {
    if (typeof ev.data !== "string") {
      onVideo(ev.data);
      return;
    }
    try { handle(JSON.parse(ev.data)); } catch (err) { console.error(err); }
  };
  ws.onclose = (ev) => {
    if (ws !== state.ws) return;
    if (ev.code !== 4404) setStatus("Connection to the server lost – reconnecting", "waiting");
    state.retryTimer = setTimeout(connect, ev.code === 4404 ? 3000 : 2000);
  };
}

function sendMessage(text) {
  if (!text) return false;
  if (!state.ws || state.ws.readyState !== WebSocket.OPEN) {
    setText($("message-status"), "Not connected; try again in a moment.");
    return false;
  }
  state.ws.send(JSON.stringify({ type: "message", text }));
  setText($("message-status"), "Sending…");
  return true;
}

$("message-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const input = $("message-text");
  if (sendMessage(input.value.trim())) input.value = "";
});
for (const b of document.querySelectorAll("[data-quick]")) {
  b.addEventListener("click", () => sendMessage(b.dataset.quick));
}

setText($("session-id"), sessionId);
connect();
