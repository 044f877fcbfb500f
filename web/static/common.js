// Shared by the patient page and the therapist's follow page: drawing the skeleton, filling
// in the read-outs (same element ids on both pages, so both always show the same numbers),
// speaking, and small helpers. Plain ES module: no build step, no network beyond our server.

export const $ = (id) => document.getElementById(id);

/** ws:// or wss:// URL for a path on this server. */
export function wsUrl(path) {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}${path}`;
}

export function show(el, visible) {
  if (el) el.hidden = !visible;
}

export function setText(el, text) {
  if (el && el.textContent !== text) el.textContent = text;
}

/** The page's clock: performance.now() and its timers. The live page's modules take it as a
 * parameter, so their tests can hand them a fake one and move time on at will. */
export const pageClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id),
};

const MIN_VISIBILITY = 0.5;

/**
 * Draw bones and joints on a canvas already sized to the image. `landmarks` are
 * [x, y, visibility] normalised to the image; joints in `faultJoints` (and their bones) are red.
 * Hidden joints are not drawn: a guessed position must not look like a seen one.
 */
export function drawSkeleton(ctx, landmarks, edges, faultJoints = []) {
  const { width: w, height: h } = ctx.canvas;
  ctx.clearRect(0, 0, w, h);
  if (!landmarks) return;
  const bad = new Set(faultJoints);
  const seen = (i) => landmarks[i] && landmarks[i][0] !== null && landmarks[i][2] >= MIN_VISIBILITY;
  const px = (i) => [landmarks[i][0] * w, landmarks[i][1] * h];
  const lw = Math.max(3, Math.round(Math.min(w, h) / 110));
  ctx.lineCap = "round";
  for (const [a, b] of edges) {
    if (!seen(a) || !seen(b)) continue;
    const [x1, y1] = px(a);
    const [x2, y2] = px(b);
    const faulty = bad.has(a) || bad.has(b);
    ctx.strokeStyle = faulty ? "#ff2d2d" : "rgba(255,255,255,0.9)";
    ctx.lineWidth = lw;
    ctx.setLineDash(faulty ? [lw * 2, lw * 1.5] : []); // faults differ by shape, not colour alone
    ctx.beginPath();
    ctx.moveTo(x1, y1);
    ctx.lineTo(x2, y2);
    ctx.stroke();
  }
  const joints = new Set(edges.flat());
  for (const i of joints) {
    if (!seen(i)) continue;
    const [x, y] = px(i);
    const fault = bad.has(i);
    ctx.fillStyle = fault ? "#ff2d2d" : "#2fd36b";
    ctx.beginPath();
    if (fault) { // a square with a white outline: told apart from a good joint without colour
      const r = lw * 1.9;
      ctx.rect(x - r, y - r, 2 * r, 2 * r);
      ctx.fill();
      ctx.setLineDash([]);
      ctx.strokeStyle = "#fff";
      ctx.lineWidth = Math.max(2, lw / 2);
      ctx.stroke();
    } else {
      ctx.arc(x, y, lw * 1.1, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
  ctx.setLineDash([]);
}

const MEASURE_LABELS = {
  hip_height: "Depth",
  heel_lift: "Heel lift",
  knee_flexion: "Knee bend",
  hip_flexion: "Hip bend",
  elbow_flexion: "Elbow bend",
  shoulder_abduction: "Arm raise",
  shoulder_flexion: "Arm raise",
  ankle_plantarflexion: "Heel lift",
};

export function measureLabel(name) {
  if (!name) return "Range of motion";
  name = name.replace(/_2d$/, "");
  return MEASURE_LABELS[name] || name.replaceAll("_", " ").replace(/^./, (c) => c.toUpperCase());
}

/** Prepare the read-outs for an exercise (which boxes to show, labels, targets). */
export function setupReadouts(exercise) {
  const hold = exercise.kind === "hold";
  resetRange($("rom-gauge"));
  show($("hold-box"), hold);
  show($("rom-box"), !hold && exercise.measure !== null && exercise.measure !== undefined);
  setText($("rom-label"), measureLabel(exercise.measure));
  const perSet = hold ? Math.max(1, exercise.reps || 0) : exercise.reps;
  const unit = hold ? "Holds" : "Reps";
  setText($("rep-label"), perSet ? `${unit} in this set` : unit);
  setText($("rep-target"), perSet ? `of ${perSet}` : "");
  setText($("hold-target"), exercise.hold_s ? `of ${exercise.hold_s.toFixed(0)} s` : "");
}

/** The big number: reps (or holds) in the current set, as the voice counts them (the
 * session's total when the prescription is open-ended). During a rest: the set just done. */
export function countInSet(msg, exercise) {
  const hold = exercise.kind === "hold";
  const total = (hold ? msg.holds_completed : msg.rep_count) ?? 0;
  const set = msg.set;
  if (!set || !set.per_set) return total;
  if (msg.stage === "rest") return set.per_set;
  return set.done;
}

export function progressText(set, stage) {
  if (!set || !set.per_set) return "";
  if (set.complete) return set.sets > 1 ? `All ${set.sets} sets done. Well done!` : "Set done. Well done!";
  if (stage === "rest") return `Set ${set.set - 1} of ${set.sets} done`;
  return `Set ${set.set} of ${set.sets}`;
}

/** The one line the patient should read now: a pause reason, a cue, or the setup advice. */
export function currentCue(msg) {
  if (msg.stage === "setup") {
    const text = (msg.setup && msg.setup.message) || msg.cue;
    return text || "Hold still while I check your position.";
  }
  if (msg.paused && msg.paused_reason) return msg.paused_reason;
  return msg.cue || "";
}

const GAUGE_MAX = 1.25; // the gauge runs to 125% of the target range

/**
 * The range gauge: the share of the way from the resting value to the target (unit- and
 * direction-free). Past the patient's range limit it shows the limit, never success: the
 * server says so on the frame the limit is crossed (a `range_limit` FaultDetected), the
 * gauge marks where that was, and while the patient is that far or further it reads "Past
 * your limit" in red stripes instead of green.
 */
export function showRange(gauge, m, events, exercise) {
  const target = m.target ?? exercise.target;
  const rest = exercise.rest;
  const value = m.value;
  const known = value !== null && value !== undefined && target !== null && target !== undefined
    && rest !== null && rest !== undefined && target !== rest;
  const share = known ? Math.max(0, Math.min(GAUGE_MAX, (value - rest) / (target - rest))) : 0;
  const crossed = events.some((e) => e.kind === "FaultDetected" && e.id === "range_limit");
  if (crossed && known) gauge.dataset.limitShare = String(share);
  const limit = gauge.dataset.limitShare === undefined ? null : Number(gauge.dataset.limitShare);
  const past = crossed || (known && limit !== null && share >= limit - 0.02);
  let mark = gauge.querySelector(".limit");
  if (limit !== null && !mark) {
    mark = document.createElement("div");
    mark.className = "limit";
    mark.title = "your limit";
    gauge.append(mark);
  }
  if (mark) mark.style.left = `calc(${(limit / GAUGE_MAX) * 100}% - 3px)`;
  gauge.querySelector(".fill").style.width = `${(share / GAUGE_MAX) * 100}%`;
  gauge.querySelector(".target").style.left = `${100 / GAUGE_MAX}%`;
  gauge.classList.toggle("reached", known && share >= 1 && !past);
  gauge.classList.toggle("past", past);
  gauge.setAttribute("aria-valuenow", String(Math.round(share * 100)));
  gauge.setAttribute("aria-valuetext", past ? "Past your limit" : `${Math.round(share * 100)}%`);
  setText($("rom-value"), !known ? "not visible"
    : past ? "Past your limit: not so far" : `${Math.round(share * 100)}% of the target range`);
}

/** A new exercise or session: the gauge forgets where the last one's limit was. */
export function resetRange(gauge) {
  if (!gauge) return;
  delete gauge.dataset.limitShare;
  gauge.querySelector(".limit")?.remove();
  gauge.classList.remove("reached", "past");
}

/** Fill every read-out from one frame message (server -> page). */
export function updateReadouts(msg, exercise) {
  const hold = exercise.kind === "hold";
  setText($("rep-count"), String(countInSet(msg, exercise)));
  setText($("set-progress"), progressText(msg.set, msg.stage));
  if (msg.hold) {
    const el = $("hold-time");
    setText(el, `${(msg.hold.elapsed_s || 0).toFixed(1)} s`);
    el?.classList.toggle("active", !!msg.hold.active);
  }
  const m = msg.measure;
  if (m && $("rom-gauge")) showRange($("rom-gauge"), m, msg.events || [], exercise);
  setText($("cue"), currentCue(msg));
  const setup = $("setup-panel");
  if (setup) {
    show(setup, msg.stage === "setup");
    setText($("setup-text"), (msg.setup && msg.setup.message) || "Checking your position…");
  }
  const pause = $("pause-banner");
  if (pause) {
    show(pause, msg.stage === "active" && !!msg.paused);
    setText(pause, msg.paused ? `Paused: ${msg.paused_reason || "I can't see you."}` : "");
  }
}

/** One line for an event, for the therapist's log (null: not worth a line). */
export function describeEvent(e) {
  switch (e.kind) {
    case "RepCompleted": {
      const faults = e.faults && e.faults.length ? `, ${e.faults.join(", ").replaceAll("_", " ")}` : "";
      const past = e.over_limit ? " (past the range limit)" : "";
      const range = Number.isFinite(e.rom_deg) ? `range ${Math.round(e.rom_deg)}°` : "angle not measured";
      return `Rep ${e.index}${past}: ${range}, score ${Math.round(e.score)}${faults}`;
    }
    case "FaultDetected": return `Fault: ${e.message}`;
    case "HoldEnded": return `Hold ended after ${e.duration_s.toFixed(1)} s`;
    case "Cue": return `Cue: "${e.text}"`;
    case "PoseLost": return `Paused: ${e.reason}`;
    case "PoseFound": return "Back in view";
    case "ViewWarning": return `View: ${e.message}`;
    case "PersonWarning": return `Someone else in view: ${e.message}`;
    case "SetupPassed": return "Setup check passed; counting started";
    case "PatientConnected": return e.reconnect ? "Patient reconnected" : "Patient connected";
    case "PatientDisconnected": return "Patient disconnected";
    case "TherapistMessage": return `Message sent: "${e.text}"`;
    case "ClientProblem": return `Patient's page: ${e.message}`;
    case "SessionEnded": return "Session ended";
    case "SetCompleted": return `Set ${e.set} of ${e.sets} done${e.rest_s ? `; rest ${Math.round(e.rest_s)} s` : ""}`;
    case "RestEnded": return `Set ${e.set} started${e.early ? " (before the rest was over)" : ""}`;
    case "AllSetsDone": return "All sets done";
    case "HoldReached": return `Hold reached its target (${Math.round(e.target_s)} s)`;
    default: return null;
  }
}
