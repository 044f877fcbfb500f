// The therapist's page: follows one live session (stick figure, counts, cues, faults), and
// sends short messages that the patient's page shows and speaks. Reconnects on its own: the
// patient may not have started yet, or the server may restart.
import {
  $, countInSet, drawSkeleton, setText, setupReadouts, show, updateReadouts, wsUrl,
} from "./common.js";
import { stageStatus } from "./follow_stage.js";
import { WORDS, plainEvent as eventLine, summaryLine } from "./follow_words.js";
import { t, words } from "./i18n.js";
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

/** One logged event in the therapist's words (follow_words.js; null: not worth a line). */
const plainEvent = (e) => eventLine(e, state.faultWords);

/** The messages this session's therapists sent, each delivered or not yet. */
function renderMessages() {
  const list = $("sent-messages");
  list.replaceChildren();
  for (const m of state.messages.slice(-20).reverse()) {
    const li = document.createElement("li");
    const text = document.createElement("span");
    text.textContent = WORDS.quoted(m.text);
    const mark = document.createElement("span");
    mark.className = m.delivered ? "delivered" : "pending";
    mark.textContent = ` ${m.delivered ? WORDS.delivered() : WORDS.pending()}`;
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
    const exercise = t(info.exercise);
    setText($("prescription"), info.prescription
      ? WORDS.prescribed(info.prescription)
      : WORDS.notInProgram(exercise, info.patient.name));
    show($("patient-box"), true);
    document.title = WORDS.titlePatient(info.patient.name, exercise);
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
  state.faultWords = msg.fault_words || {};
  setText($("exercise-name"), t(msg.exercise.name));
  document.title = WORDS.titleExercise(t(msg.exercise.name));
  setupReadouts(msg.exercise);
  setVideo(msg.video === true);
  showAlert("");
  setText($("rep-count"), String(countInSet(msg, msg.exercise))); // as the patient sees it
  if (msg.last_frame) render(msg.last_frame);
  $("event-log").replaceChildren();
  for (const e of msg.recent_events) addLog(plainEvent(e), e.t);
  state.messages = messagesFromEvents(msg.recent_events);
  renderMessages();
  loadPatient();
  if (msg.ended) setStatus(WORDS.status.ended(), "ended");
  else if (msg.connected) showStage(msg);
  else setStatus(WORDS.status.waiting(), "waiting");
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
    if (e.kind === "Cue") speaker.say(words(e.text, e.say && e.say.text), e.priority || PRIORITY.cue, { keep: false });
  }
}

/** Whether the patient's video comes along: told on joining (`follow`) and on each change. */
function setVideo(on) {
  state.videoOn = on;
  if (!on) videoLayer.getContext("2d").clearRect(0, 0, videoLayer.width, videoLayer.height);
  setText($("video-note"), on ? WORDS.videoOn() : WORDS.videoOff());
}

function onStatus(msg) {
  if (msg.video !== undefined) {
    setVideo(msg.video === true);
    addLog(msg.video ? WORDS.log.videoStarted() : WORDS.log.videoStopped());
  }
  if (!msg.patient) return;
  const kinds = { connected: "live", disconnected: "waiting", ended: "ended", expired: "ended", problem: "problem" };
  const said = words(msg.message, msg.say && msg.say.message);
  const known = ["connected", "disconnected", "ended", "expired"].includes(msg.patient);
  const text = known ? WORDS.status[msg.patient]() : said;
  setStatus(text, kinds[msg.patient] || "");
  if (msg.patient === "problem") showAlert(WORDS.pageReports(said));
  if (msg.patient === "connected") {
    showAlert("");
    for (const m of state.messages) m.delivered = true; // handed over on reconnecting
    renderMessages();
  }
  addLog(msg.patient === "problem" ? WORDS.log.problem(said) : text);
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
      setText($("message-status"), msg.delivered ? WORDS.message.delivered() : WORDS.message.away());
      addLog(WORDS.log.wrote(msg.text), msg.t);
      state.messages.push({ text: msg.text, t: msg.t, delivered: msg.delivered === true });
      renderMessages();
      return;
    case "summary": {
      addLog(summaryLine(msg.summary));
      return;
    }
    case "error": {
      const said = words(msg.message, msg.say && msg.say.message);
      if (msg.code === "unknown_session") {
        setStatus(WORDS.status.unknown(), "waiting");
        showAlert(said);
      } else {
        setText($("message-status"), said);
        if (msg.fatal) showAlert(said);
      }
      return;
    }
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
    if (ev.code !== 4404) setStatus(WORDS.status.lost(), "waiting");
    state.retryTimer = setTimeout(connect, ev.code === 4404 ? 3000 : 2000);
  };
}

function sendMessage(text) {
  if (!text) return false;
  if (!state.ws || state.ws.readyState !== WebSocket.OPEN) {
    setText($("message-status"), WORDS.message.offline());
    return false;
  }
  state.ws.send(JSON.stringify({ type: "message", text }));
  setText($("message-status"), WORDS.message.sending());
  return true;
}

$("message-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const input = $("message-text");
  if (sendMessage(input.value.trim())) input.value = "";
});
for (const b of document.querySelectorAll("[data-quick]")) {
  b.addEventListener("click", () => sendMessage(b.dataset.quick)); // in the therapist's words
}

setText($("session-id"), sessionId);
connect();
