// Demonstrations: a stick figure replaying one correct rep of an exercise, drawn on a canvas
// from a small landmark track (/api/exercises/ID/demo, made by samples/make_demos.py from our
// own pipeline's tracks of real clips, or from the definition). No video, nothing third-party.
// Each canvas has a text alternative; one button pauses every demonstration on the page, and
// with prefers-reduced-motion they start paused on the rep's key position.
import { t } from "./i18n.js";
const HOLD_END_MS = 700; // a pause between repetitions, so the rep's end is clear
const MAX_FRAMES = 400;
const cache = new Map(); // exercise id -> Promise of the checked demo, or null
const slots = new Set(); // mounted demos: { canvas, demo, visible }
const reduced = window.matchMedia?.("(prefers-reduced-motion: reduce)");
let paused = !!reduced?.matches;
let controls = []; // the pause/play buttons on this page
let running = false;
let observer = null;

function finite01(v) {
  return typeof v === "number" && Number.isFinite(v) && v >= 0 && v <= 1;
}

// Whatever the server sends is checked before it is drawn.
function check(data) {
  if (!data || !Array.isArray(data.joints) || !Array.isArray(data.frames)) return null;
  const n = data.joints.length;
  if (n < 2 || n > 40 || data.frames.length < 2 || data.frames.length > MAX_FRAMES) return null;
  if (!data.frames.every((f) => Array.isArray(f) && f.length === 2 * n && f.every(finite01))) {
    return null;
  }
  const edges = (Array.isArray(data.edges) ? data.edges : []).filter((e) =>
    Array.isArray(e) && e.length === 2 && e.every((i) => Number.isInteger(i) && i >= 0 && i < n));
  const fps = Number.isFinite(data.fps) && data.fps > 0 && data.fps <= 60 ? data.fps : 15;
  const peak = Number.isInteger(data.peak) && data.peak >= 0 && data.peak < data.frames.length
    ? data.peak : 0;
  const head = data.joints.indexOf("nose");
  const caption = typeof data.caption === "string" ? data.caption.slice(0, 300) : "";
  const ground = finite01(data.ground) ? data.ground : null;
  return { frames: data.frames, edges, fps, peak, head, caption, ground };
}

function load(id) {
  if (!cache.has(id)) {
    cache.set(id, fetch(`/api/exercises/${encodeURIComponent(id)}/demo`)
      .then((res) => (res.ok ? res.json() : null))
      .then(check)
      .catch(() => null));
  }
  return cache.get(id);
}

function draw(slot, index) {
  const { canvas, demo } = slot;
  const ratio = window.devicePixelRatio || 1;
  const size = Math.round(canvas.clientWidth * ratio);
  if (size <= 0) return;
  if (canvas.width !== size) canvas.width = canvas.height = size;
  const ctx = canvas.getContext("2d");
  const f = demo.frames[index];
  const colour = getComputedStyle(canvas).color;
  ctx.clearRect(0, 0, size, size);
  ctx.strokeStyle = colour;
  ctx.fillStyle = colour;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  if (demo.ground !== null) {
    ctx.globalAlpha = 0.45;
    ctx.lineWidth = Math.max(1, size / 90);
    ctx.beginPath();
    ctx.moveTo(size * 0.04, demo.ground * size);
    ctx.lineTo(size * 0.96, demo.ground * size);
    ctx.stroke();
    ctx.globalAlpha = 1;
  }
  ctx.lineWidth = Math.max(2, size / 32);
  ctx.beginPath();
  for (const [a, b] of demo.edges) {
    ctx.moveTo(f[2 * a] * size, f[2 * a + 1] * size);
    ctx.lineTo(f[2 * b] * size, f[2 * b + 1] * size);
  }
  ctx.stroke();
  if (demo.head >= 0) {
    ctx.beginPath();
    ctx.arc(f[2 * demo.head] * size, f[2 * demo.head + 1] * size, size / 18, 0, 2 * Math.PI);
    ctx.fill();
  }
  canvas.dataset.frame = String(index);
}

function frameAt(demo, ms) {
  const repMs = (demo.frames.length / demo.fps) * 1000;
  const t = Math.max(0, ms) % (repMs + HOLD_END_MS); // rAF's time can precede the mount
  return Math.min(demo.frames.length - 1, Math.floor((t / 1000) * demo.fps));
}

function tick(now) {
  for (const slot of slots) {
    if (!slot.canvas.isConnected) slots.delete(slot);
    else if (slot.visible) draw(slot, frameAt(slot.demo, now - slot.started));
  }
  running = !paused && slots.size > 0;
  if (running) requestAnimationFrame(tick);
}

function play() {
  if (!running && !paused && slots.size) {
    running = true;
    requestAnimationFrame(tick);
  }
}

function showStill() {
  for (const slot of slots) draw(slot, slot.demo.peak);
}

function label(button) {
  const many = button.dataset.shared === "1";
  const words = many
    ? (paused ? t("Play the demonstrations") : t("Pause the demonstrations"))
    : (paused ? t("Play the demonstration") : t("Pause the demonstration"));
  // A lone demonstration's button is short (it sits beside the figure); its name is whole.
  button.textContent = many ? words : (paused ? t("Play") : t("Pause"));
  button.setAttribute("aria-label", words);
}

function setPaused(value) {
  paused = value;
  controls = controls.filter((b) => b.isConnected);
  controls.forEach(label);
  if (paused) showStill();
  else play();
}

function makeButton(shared) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "demo-toggle";
  if (shared) button.dataset.shared = "1";
  button.addEventListener("click", () => setPaused(!paused));
  controls.push(button);
  label(button);
  return button;
}

function watch(slot) {
  if (!("IntersectionObserver" in window)) {
    slot.visible = true;
    return;
  }
  observer ??= new IntersectionObserver((entries) => {
    for (const e of entries) {
      const s = [...slots].find((x) => x.canvas === e.target);
      if (!s) continue;
      s.visible = e.isIntersecting;
      if (s.visible && paused) draw(s, s.demo.peak); // shown now (e.g. a disclosure opened)
    }
  });
  observer.observe(slot.canvas);
}

async function mount(el, id, withButton) {
  el.dataset.mounted = id;
  const demo = await load(id);
  if (!demo || el.dataset.mounted !== id) return;
  const canvas = document.createElement("canvas");
  canvas.className = "demo";
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", demo.caption ? t(demo.caption) : t("A moving stick figure showing the exercise."));
  const slot = { canvas, demo, visible: true, started: performance.now() };
  el.replaceChildren(canvas);
  if (withButton) el.append(makeButton(false));
  slots.add(slot);
  watch(slot);
  draw(slot, paused ? demo.peak : 0);
  play();
}

// Every `[data-demo=ID]` inside `root` gets its demonstration; one button in the page's
// `[data-demo-control]` (if any) pauses them all.
export function mountDemos(root) {
  for (const slot of slots) {
    if (!slot.canvas.isConnected) { // re-rendered away
      slots.delete(slot);
      observer?.unobserve(slot.canvas);
    }
  }
  const wanted = root.querySelectorAll("[data-demo]");
  const place = document.querySelector("[data-demo-control]");
  if (wanted.length && place && !place.querySelector("button")) place.append(makeButton(true));
  for (const el of wanted) {
    if (el.dataset.mounted !== el.dataset.demo) mount(el, el.dataset.demo, false);
  }
}

// One demonstration with its own pause button, e.g. in the live page's start panel.
export function showDemo(el, id) {
  if (el && el.dataset.mounted !== id) mount(el, id, true);
}

reduced?.addEventListener?.("change", (e) => setPaused(e.matches));
