// Shared by the patient page and the therapist's follow page: drawing the skeleton, filling
// in the read-outs (same element ids on both pages, so both always show the same numbers),
// speaking, and small helpers. Plain ES module: no build step, no network beyond our server.
import { num, t, tn, words } from "./i18n.js";

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
  hip_height: () => t("Depth"),
  heel_lift: () => t("Heel lift"),
  knee_flexion: () => t("Knee bend"),
  hip_flexion: () => t("Hip bend"),
  elbow_flexion: () => t("Elbow bend"),
  shoulder_abduction: () => t("Arm raise"),
  shoulder_flexion: () => t("Arm raise"),
  ankle_plantarflexion: () => t("Heel lift"),
  shoulder_elevation: () => t("Arm raise"),
  arm_trunk_angle: () => t("Arm raise"),
  hip_abduction: () => t("Leg raise"),
  knee_lift: () => t("Knee lift"),
  reach: () => t("Reach"),
};

export function measureLabel(name) {
  if (!name) return t("Range of motion");
  name = name.replace(/_2d$/, "");
  const label = MEASURE_LABELS[name];
  return label ? label() : t("Range of motion");
}

/** Prepare the read-outs for an exercise (which boxes to show, labels, targets). */
export function setupReadouts(exercise) {
  const hold = exercise.kind === "hold";
  resetRange($("rom-gauge"));
  show($("hold-box"), hold);
  show($("rom-box"), !hold && exercise.measure !== null && exercise.measure !== undefined);
  setText($("rom-label"), measureLabel(exercise.measure));
  const perSet = hold ? Math.max(1, exercise.reps || 0) : exercise.reps;
  const unit = hold ? t("Holds") : t("Reps");
  setText($("rep-label"), perSet ? (hold ? t("Holds in this set") : t("Reps in this set")) : unit);
  setText($("rep-target"), perSet ? t("of {n}", { n: perSet }) : "");
  setText($("hold-target"), exercise.hold_s ? t("of {seconds} s", { seconds: num(exercise.hold_s, 0) }) : "");
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
  if (set.complete) {
    return set.sets > 1 ? t("All {sets} sets done. Well done!", { sets: set.sets }) : t("Set done. Well done!");
  }
  if (stage === "rest") return t("Set {set} of {sets} done", { set: set.set - 1, sets: set.sets });
  return t("Set {set} of {sets}", { set: set.set, sets: set.sets });
}

/** The one line the patient should read now: a pause reason, a cue, or the setup advice. */
export function currentCue(msg) {
  const said = msg.say || {};
  const setup = msg.setup || {};
  if (msg.stage === "setup") {
    const text = words(setup.message, setup.say && setup.say.message) || words(msg.cue, said.cue);
    return text || t("Hold still while I check your position.");
  }
  if (msg.paused && msg.paused_reason) return words(msg.paused_reason, said.paused_reason);
  return words(msg.cue, said.cue);
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
    mark.title = t("your limit");
    gauge.append(mark);
  }
  // From the start of the line: the left, or the right in a right-to-left language.
  if (mark) mark.style.insetInlineStart = `calc(${(limit / GAUGE_MAX) * 100}% - 3px)`;
  gauge.querySelector(".fill").style.width = `${(share / GAUGE_MAX) * 100}%`;
  gauge.querySelector(".target").style.insetInlineStart = `${100 / GAUGE_MAX}%`;
  gauge.classList.toggle("reached", known && share >= 1 && !past);
  gauge.classList.toggle("past", past);
  gauge.setAttribute("aria-valuenow", String(Math.round(share * 100)));
  const percent = Math.round(share * 100);
  gauge.setAttribute("aria-valuetext", past ? t("Past your limit") : t("{percent}%", { percent }));
  setText($("rom-value"), !known ? t("not visible")
    : past ? t("Past your limit: not so far") : t("{percent}% of the target range", { percent }));
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
    setText(el, t("{seconds} s", { seconds: num(msg.hold.elapsed_s || 0, 1) }));
    el?.classList.toggle("active", !!msg.hold.active);
  }
  const m = msg.measure;
  if (m && $("rom-gauge")) showRange($("rom-gauge"), m, msg.events || [], exercise);
  setText($("cue"), currentCue(msg));
  const setup = $("setup-panel");
  if (setup) {
    show(setup, msg.stage === "setup");
    const said = msg.setup && msg.setup.say;
    setText($("setup-text"), words(msg.setup && msg.setup.message, said && said.message)
      || t("Checking your position…"));
  }
  const pause = $("pause-banner");
  if (pause) {
    show(pause, msg.stage === "active" && !!msg.paused);
    const reason = words(msg.paused_reason, msg.say && msg.say.paused_reason) || t("I can't see you.");
    setText(pause, msg.paused ? t("Paused: {reason}", { reason }) : "");
  }
}

/** One line for an event, for the therapist's log (null: not worth a line). */
export function describeEvent(e) {
  const said = e.say || {};
  switch (e.kind) {
    case "RepCompleted": {
      const faults = e.faults && e.faults.length ? e.faults.join(", ").replaceAll("_", " ") : "";
      const range = Number.isFinite(e.rom_deg) ? t("range {degrees}°", { degrees: Math.round(e.rom_deg) })
        : t("angle not measured");
      const score = Math.round(e.score);
      if (e.over_limit) {
        return faults ? t("Rep {index} (past the range limit): {range}, score {score}, {faults}", { index: e.index, range, score, faults })
          : t("Rep {index} (past the range limit): {range}, score {score}", { index: e.index, range, score });
      }
      return faults ? t("Rep {index}: {range}, score {score}, {faults}", { index: e.index, range, score, faults })
        : t("Rep {index}: {range}, score {score}", { index: e.index, range, score });
    }
    case "FaultDetected": return t("Fault: {message}", { message: words(e.message, said.message) });
    case "HoldEnded": return t("Hold ended after {seconds} s", { seconds: num(e.duration_s, 1) });
    case "Cue": return t("Cue: \"{text}\"", { text: words(e.text, said.text) });
    case "PoseLost": return t("Paused: {reason}", { reason: words(e.reason, said.reason) });
    case "PoseFound": return t("Back in view");
    case "ViewWarning": return t("View: {message}", { message: words(e.message, said.message) });
    case "PersonWarning": return t("Someone else in view: {message}", { message: words(e.message, said.message) });
    case "SetupPassed": return t("Setup check passed; counting started");
    case "PatientConnected": return e.reconnect ? t("Patient reconnected") : t("Patient connected");
    case "PatientDisconnected": return t("Patient disconnected");
    case "TherapistMessage": return t("Message sent: \"{text}\"", { text: e.text });
    case "ClientProblem": return t("Patient's page: {message}", { message: words(e.message, said.message) });
    case "SessionEnded": return t("Session ended");
    case "SetCompleted":
      return e.rest_s ? t("Set {set} of {sets} done; rest {seconds} s", { set: e.set, sets: e.sets, seconds: Math.round(e.rest_s) })
        : t("Set {set} of {sets} done", { set: e.set, sets: e.sets });
    case "RestEnded":
      return e.early ? t("Set {set} started (before the rest was over)", { set: e.set })
        : t("Set {set} started", { set: e.set });
    case "AllSetsDone": return t("All sets done");
    case "HoldReached": return t("Hold reached its target ({seconds} s)", { seconds: Math.round(e.target_s) });
    default: return null;
  }
}
