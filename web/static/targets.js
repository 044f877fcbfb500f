// A hand-eye targets task on the live page: the server decides where each target goes and
// whether it was touched (TargetShown / TargetResult events, docs/LIVE-PROTOCOL.md); this
// module draws the target over the camera picture and says what happened, in plain words.
//
// The target is drawn on its own canvas, not mirrored by CSS (its labels must read the right
// way round): the picture is shown as a mirror, so a target at x in the camera image is drawn
// at 1 - x. Told apart without colour: each target carries its hand's letter, a solid (left)
// or dashed (right) ring, and the words "Left hand" / "Right hand" beside it in large type.
// Time runs from the capture of the frame that showed it (the server's clock for the target),
// so a moving target and the countdown ring match what the server checks.
import { $, setText, show } from "./common.js";
import { t, tn, tp, words as serverWords } from "./i18n.js";

// Each hand's words and letter are messages: read in the page's language when drawn.
const HANDS = {
  left: { words: () => t("Left hand"), letter: () => tp("letter of the left hand", "L"), colour: "#ffd60a", dash: [] },
  right: { words: () => t("Right hand"), letter: () => tp("letter of the right hand", "R"), colour: "#5ad1ff", dash: [14, 9] },
};
// A target stays until its result (the server judges on frame times, which a slow device
// delivers seconds late); one whose result never came (a lost connection) goes this long
// after its time.
const GRACE_MS = 30000;
const FLASH_MS = 1200; // a touched target's tick stays this long
const MAX_PATH = 2000; // points of a moving target's path kept (0.1 s each: over 3 minutes)

const finite = (v) => typeof v === "number" && Number.isFinite(v);
const clamp01 = (v) => Math.min(1, Math.max(0, v));

/** A TargetShown event checked (hostile input like any other): the target, or null. */
export function checkShown(e) {
  if (!e || !HANDS[e.hand] || !finite(e.x) || !finite(e.y) || !finite(e.radius)) return null;
  if (!(e.radius > 0 && e.radius < 2) || !Number.isInteger(e.index)) return null;
  const path = Array.isArray(e.path) ? e.path.slice(0, MAX_PATH)
    .filter((p) => Array.isArray(p) && p.length >= 3 && p.every(finite))
    .map(([dt, x, y]) => [dt, x, y]) : [];
  return {
    index: e.index,
    hand: e.hand,
    x: e.x,
    y: e.y,
    radius: e.radius,
    timeoutS: finite(e.timeout_s) && e.timeout_s > 0 ? Math.min(e.timeout_s, 600) : 10,
    path,
  };
}

/** Where a target is `elapsedS` after it was shown: its path's point by then (linear between
 * the 0.1 s points), or its place for a still one. */
export function positionAt(target, elapsedS) {
  const path = target.path;
  if (!path.length || elapsedS <= path[0][0]) {
    return path.length ? [path[0][1], path[0][2]] : [target.x, target.y];
  }
  for (let i = 1; i < path.length; i += 1) {
    const [t1, x1, y1] = path[i];
    if (elapsedS <= t1) {
      const [t0, x0, y0] = path[i - 1];
      const f = t1 > t0 ? (elapsedS - t0) / (t1 - t0) : 1;
      return [x0 + f * (x1 - x0), y0 + f * (y1 - y0)];
    }
  }
  const last = path[path.length - 1];
  return [last[1], last[2]];
}

/** The end screen's words for a summary's `targets` block (counts overall and per hand;
 * the stored form's results are counted when the counts are not given). */
export function summaryWords(block) {
  const b = block && typeof block === "object" ? block : {};
  const results = Array.isArray(b.results) ? b.results : [];
  const hands = b.hands && typeof b.hands === "object" ? b.hands : {};
  const num = (...vs) => vs.find((v) => Number.isInteger(v) && v >= 0);
  const perHand = (hand) => {
    const h = hands[hand] || {};
    const mine = results.filter((r) => r.hand === hand);
    return [num(h.touched, h.hits, mine.filter((r) => r.hit).length),
      num(h.targets, mine.length)];
  };
  const touched = num(b.touched, results.filter((r) => r.hit).length);
  const total = num(b.count, results.length);
  if (!total) return [t("Session finished before the first target.")];
  const done = num(b.done, results.length);
  const complete = done >= total;
  const lines = [complete
    ? tn("All done: you touched {touched} of {n} target.", "All done: you touched {touched} of {n} targets.", total, { touched })
    : tn("Session finished: you touched {touched} of {n} target.", "Session finished: you touched {touched} of {n} targets.", total, { touched })];
  for (const hand of ["left", "right"]) {
    const [h, n] = perHand(hand);
    if (n) lines.push(t("{hand}: {touched} of {n}.", { hand: HANDS[hand].words(), touched: h, n }));
  }
  if (complete && touched) lines.push(t("Well done!"));
  else if (!touched && done) lines.push(t("Next time, reach until your hand is inside the circle."));
  return lines;
}

export class TargetsView {
  /**
   * `canvas`: the targets' own canvas over the camera picture; `media`: the picture's box
   * (its "mirrored" class says the picture is shown as a mirror). What to say is returned
   * to the page, which says one frame's words in one go.
   */
  constructor({ canvas, media }) {
    this.canvas = canvas;
    this.media = media;
    this.reset(null);
    this.frame = null;
  }

  reset(info, sessionId = null) {
    this.info = info;
    this.sessionId = sessionId;
    this.total = info && Number.isInteger(info.count) && info.count > 0 ? info.count : 0;
    this.active = null;
    this.flash = null;
    this.results = new Map(); // index -> hit
    this.saidFirst = { left: false, right: false };
    this.drawn = null;
  }

  /** A targets session began, or its connection came back (the `session` message's
   * `targets` block and session id): a new session starts from nothing. */
  begin(info, sessionId) {
    show($("targets-box"), true);
    if (this.info && sessionId === this.sessionId) return;
    this.reset(info || {}, sessionId);
    const box = $("target-now");
    box.classList.remove("hit", "miss");
    setText(box, t("Sit still and watch for the first target."));
    this.progress();
  }

  /** One frame's events; `shownAt` is when the frame carrying them was captured
   * (performance.now() ms): a target's time starts there. Returns the words to say. */
  onEvents(events, shownAt) {
    const words = [];
    for (const e of events) {
      const said = e.kind === "TargetShown" ? this.shown(e, shownAt)
        : e.kind === "TargetResult" ? this.result(e) : "";
      if (said) words.push(said);
    }
    return words;
  }

  shown(e, shownAt) {
    const target = checkShown(e);
    if (!target) return "";
    target.shownAt = finite(shownAt) ? Math.min(shownAt, performance.now()) : performance.now();
    this.active = target;
    if (target.index > this.total) this.total = target.index;
    const words = target.hand === "left" ? t("Touch the target with your left hand.")
      : t("Touch the target with your right hand.");
    const box = $("target-now");
    box.classList.remove("hit", "miss");
    setText(box, words);
    // Spoken in full the first time for each hand, then only the hand (less to listen to).
    const said = this.saidFirst[target.hand];
    this.saidFirst[target.hand] = true;
    this.canvas.dataset.target = String(target.index);
    this.canvas.dataset.hand = target.hand;
    this.loop();
    return said ? t("{hand}.", { hand: HANDS[target.hand].words() }) : words;
  }

  result(e) {
    if (!Number.isInteger(e.index) || !HANDS[e.hand]) return "";
    const hit = e.hit === true;
    this.results.set(e.index, hit);
    if (e.index > this.total) this.total = e.index;
    const active = this.active;
    if (active && active.index === e.index) {
      if (hit) {
        const [x, y] = positionAt(active, (performance.now() - active.shownAt) / 1000);
        this.flash = { x, y, radius: active.radius, until: performance.now() + FLASH_MS };
      }
      this.active = null;
      delete this.canvas.dataset.target;
    }
    const text = typeof e.message === "string" && e.message
      ? serverWords(e.message, e.say && e.say.message).slice(0, 300)
      : (hit ? t("Touched. Well done!") : t("Not reached in time."));
    const box = $("target-now");
    setText(box, text);
    box.classList.toggle("hit", hit);
    box.classList.toggle("miss", !hit);
    $("targets-box").dataset.results = String(this.results.size);
    this.progress();
    this.loop();
    return text;
  }

  progress() {
    const hits = [...this.results.values()].filter(Boolean).length;
    const total = Math.max(this.total, this.results.size);
    setText($("targets-progress"), total ? t("{hits} of {total} touched", { hits, total })
      : t("{hits} touched", { hits }));
  }

  /** The session ended: nothing more to touch (the end screen says how it went). */
  end() {
    this.active = null;
    this.flash = null;
    delete this.canvas.dataset.target;
    this.clear();
    show($("targets-box"), false);
  }

  // ---- drawing ---------------------------------------------------------------------------
  loop() {
    if (this.frame !== null) return;
    const step = () => {
      this.frame = null;
      const busy = this.draw(performance.now());
      if (busy) this.frame = requestAnimationFrame(step);
    };
    this.frame = requestAnimationFrame(step);
  }

  clear() {
    const ctx = this.canvas.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.drawn = null;
    delete this.canvas.dataset.x;
    delete this.canvas.dataset.y;
  }

  /** Draws the present state; true while there is something left to animate. */
  draw(now) {
    const c = this.canvas;
    const w = c.clientWidth;
    const h = c.clientHeight;
    const dpr = window.devicePixelRatio || 1;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(h * dpr);
    }
    this.clear();
    if (!w || !h) return !!this.active;
    const ctx = c.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const mirrored = this.media.classList.contains("mirrored");
    const screenX = (x) => (mirrored ? 1 - x : x);
    if (this.flash && now < this.flash.until) {
      drawTick(ctx, screenX(this.flash.x) * w, this.flash.y * h, Math.max(24, this.flash.radius * h));
    } else {
      this.flash = null;
    }
    const target = this.active;
    if (!target) return !!this.flash;
    const elapsed = (now - target.shownAt) / 1000;
    if (elapsed > target.timeoutS + GRACE_MS / 1000) { // its result never came: take it down
      this.active = null;
      delete c.dataset.target;
      return !!this.flash;
    }
    const [x, y] = positionAt(target, elapsed);
    const sx = clamp01(screenX(x));
    const sy = clamp01(y);
    if (target.path.length) drawPath(ctx, target, elapsed, screenX, w, h);
    const r = Math.max(18, target.radius * h);
    drawTarget(ctx, sx * w, sy * h, r, HANDS[target.hand]);
    drawCountdown(ctx, sx * w, sy * h, r, 1 - elapsed / target.timeoutS);
    drawLabel(ctx, sx * w, sy * h, r, HANDS[target.hand].words(), w, h);
    // Where the target is on screen (fractions of the picture), for tests and tools.
    c.dataset.x = sx.toFixed(3);
    c.dataset.y = sy.toFixed(3);
    this.drawn = { index: target.index, x: sx, y: sy };
    return true;
  }
}

function drawTarget(ctx, x, y, r, hand) {
  const lw = Math.max(4, r * 0.16);
  ctx.save();
  ctx.beginPath();
  ctx.arc(x, y, r, 0, 2 * Math.PI);
  ctx.fillStyle = "rgba(0, 0, 0, 0.45)"; // the target reads on any background
  ctx.fill();
  ctx.lineWidth = lw + 6;
  ctx.strokeStyle = "#000";
  ctx.stroke();
  ctx.setLineDash(hand.dash);
  ctx.lineWidth = lw;
  ctx.strokeStyle = hand.colour;
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.beginPath(); // an inner ring: a bullseye, where to aim
  ctx.arc(x, y, r * 0.45, 0, 2 * Math.PI);
  ctx.lineWidth = Math.max(3, lw * 0.6);
  ctx.stroke();
  const size = Math.max(16, r * 0.7);
  ctx.font = `800 ${size}px system-ui, sans-serif`;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.lineWidth = Math.max(3, size / 6);
  ctx.strokeStyle = "#000";
  ctx.strokeText(hand.letter(), x, y);
  ctx.fillStyle = "#fff";
  ctx.fillText(hand.letter(), x, y);
  ctx.restore();
}

/** The time left, as a white arc around the target that shrinks clockwise. */
function drawCountdown(ctx, x, y, r, share) {
  const left = clamp01(share);
  if (left <= 0) return;
  const rr = r + Math.max(8, r * 0.22);
  const start = -Math.PI / 2;
  ctx.save();
  ctx.lineCap = "butt";
  ctx.beginPath();
  ctx.arc(x, y, rr, start, start + 2 * Math.PI * left);
  ctx.lineWidth = 9;
  ctx.strokeStyle = "#000";
  ctx.stroke();
  ctx.lineWidth = 5;
  ctx.strokeStyle = "#fff";
  ctx.stroke();
  ctx.restore();
}

/** "Left hand" / "Right hand" beside the target, on the side with room, in large type. */
function drawLabel(ctx, x, y, r, words, w, h) {
  const size = Math.round(Math.min(40, Math.max(20, h * 0.075)));
  ctx.save();
  ctx.font = `700 ${size}px system-ui, sans-serif`;
  const tw = ctx.measureText(words).width;
  const pad = size * 0.3;
  const bw = tw + 2 * pad;
  const bh = size * 1.35;
  const gap = r + Math.max(12, r * 0.3);
  let bx = x + gap <= w - bw ? x + gap : x - gap - bw; // right of the target, else left
  let by = y - bh / 2;
  if (bx < 0) { // no room on either side: above or below it
    bx = Math.min(Math.max(0, x - bw / 2), w - bw);
    by = y - gap - bh >= 0 ? y - gap - bh : y + gap;
  }
  by = Math.min(Math.max(0, by), h - bh);
  ctx.fillStyle = "rgba(0, 0, 0, 0.85)";
  ctx.fillRect(bx, by, bw, bh);
  ctx.fillStyle = "#fff";
  ctx.textBaseline = "middle";
  ctx.fillText(words, bx + pad, by + bh / 2);
  ctx.restore();
}

/** A moving target's way ahead, dotted: where it is going next. */
function drawPath(ctx, t, elapsed, screenX, w, h) {
  ctx.save();
  ctx.setLineDash([4, 10]);
  ctx.lineWidth = 4;
  ctx.strokeStyle = "rgba(255, 255, 255, 0.8)";
  ctx.beginPath();
  let started = false;
  for (const [dt, x, y] of t.path) {
    if (dt < elapsed) continue;
    const px = screenX(x) * w;
    const py = y * h;
    if (started) ctx.lineTo(px, py);
    else ctx.moveTo(px, py);
    started = true;
  }
  ctx.stroke();
  ctx.restore();
}

/** A touched target: a large tick where it was. */
function drawTick(ctx, x, y, r) {
  ctx.save();
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.beginPath();
  ctx.moveTo(x - r * 0.5, y);
  ctx.lineTo(x - r * 0.12, y + r * 0.4);
  ctx.lineTo(x + r * 0.55, y - r * 0.45);
  ctx.lineWidth = Math.max(10, r * 0.3);
  ctx.strokeStyle = "#000";
  ctx.stroke();
  ctx.lineWidth = Math.max(6, r * 0.18);
  ctx.strokeStyle = "#2fd36b";
  ctx.stroke();
  ctx.restore();
}
