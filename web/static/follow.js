// The therapist's page: follows one live session (stick figure, counts, cues, faults), and
// sends short messages that the patient's page shows and speaks. Reconnects on its own: the
// patient may not have started yet, or the server may restart.
import {
  $, Speaker, countInSet, describeEvent, drawSkeleton, setText, setupReadouts, show, updateReadouts, wsUrl,
} from "./common.js";

const sessionId = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
const speaker = new Speaker($("speech-toggle"));
const overlay = $("overlay");
const videoLayer = $("video-layer");
const MAX_LOG = 100;

const state = { ws: null, exercise: null, edges: [], retryTimer: null, videoOn: false };

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
  showAlert("");
  setText($("rep-count"), String(countInSet(msg, msg.exercise))); // as the patient sees it
  if (msg.last_frame) render(msg.last_frame);
  $("event-log").replaceChildren();
  for (const e of msg.recent_events) addLog(describeEvent(e), e.t);
  if (msg.ended) setStatus("Session ended", "ended");
  else if (msg.connected) setStatus(msg.stage === "setup" ? "Patient is getting ready" : "Live", "live");
  else setStatus("Waiting for the patient to connect", "waiting");
}

function onFrame(msg) {
  render(msg);
  if (msg.stage === "active") setStatus(msg.paused ? "Live · paused" : "Live", "live");
  else setStatus("Patient is getting ready", "live");
  for (const e of msg.events) {
    if (e.kind !== "HoldProgress") addLog(describeEvent(e), e.t);
    if (e.kind === "Cue") speaker.say(e.text, e.priority || 1);
  }
}

function onStatus(msg) {
  if (msg.video !== undefined) {
    state.videoOn = msg.video;
    if (!msg.video) videoLayer.getContext("2d").clearRect(0, 0, videoLayer.width, videoLayer.height);
    addLog(msg.video ? "Patient is sharing video" : "Patient stopped sharing video");
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
  if (msg.patient === "connected") showAlert("");
  addLog(msg.message);
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
      addLog(`You: "${msg.text}"`, msg.t);
      return;
    case "summary": {
      const s = msg.summary;
      addLog(`Summary: ${s.rep_count} reps, ${s.faults.length} faults flagged, ${s.holds_completed} holds`);
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

$("message-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const input = $("message-text");
  const text = input.value.trim();
  if (!text) return;
  if (!state.ws || state.ws.readyState !== WebSocket.OPEN) {
    setText($("message-status"), "Not connected; try again in a moment.");
    return;
  }
  state.ws.send(JSON.stringify({ type: "message", text }));
  input.value = "";
  setText($("message-status"), "Sending…");
});

setText($("session-id"), sessionId);
connect();
