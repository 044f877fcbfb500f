// Replays a stored session's skeleton on a canvas (data from /sessions/{id}/replay.json).
import { num, t } from "./i18n.js";
const EDGES = [[11,12],[11,13],[13,15],[12,14],[14,16],[11,23],[12,24],[23,24],[23,25],[25,27],
  [27,29],[29,31],[27,31],[24,26],[26,28],[28,30],[30,32],[28,32],[0,11],[0,12]];
const canvas = document.getElementById("replay");
const ctx = canvas.getContext("2d");
const pos = document.getElementById("replay-pos");
const play = document.getElementById("replay-play");
const label = document.getElementById("replay-time");
let data = null, timer = null;

function draw(i) {
  const f = data.frames[i];
  const w = canvas.width, h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  label.textContent = t("{seconds} s", { seconds: num(data.t[i], 1) });
  const rep = data.reps.find(([a, b]) => data.t[i] >= a && data.t[i] <= b);
  ctx.fillStyle = "#fff";
  ctx.font = "16px system-ui";
  ctx.fillText(rep ? t("rep {n}", { n: rep[2] }) : "", 10, 22);
  if (!f) { ctx.fillText(t("no person"), 10, 44); return; }
  ctx.strokeStyle = "#2fd36b"; ctx.lineWidth = 3;
  for (const [a, b] of EDGES) {
    if (f[a][2] < 0.5 || f[b][2] < 0.5) continue;
    ctx.beginPath(); ctx.moveTo(f[a][0] * w, f[a][1] * h); ctx.lineTo(f[b][0] * w, f[b][1] * h); ctx.stroke();
  }
  ctx.fillStyle = "#fff";
  for (const p of f) if (p[2] >= 0.5) { ctx.beginPath(); ctx.arc(p[0] * w, p[1] * h, 3, 0, 7); ctx.fill(); }
}

function stop() { clearInterval(timer); timer = null; play.textContent = t("Play"); }

async function load() {
  const r = await fetch(`/sessions/${canvas.dataset.session}/replay.json`);
  if (!r.ok) { label.textContent = t("replay unavailable"); return; }
  data = await r.json();
  canvas.height = Math.round(canvas.width / (data.aspect || 4 / 3));
  pos.max = Math.max(0, data.frames.length - 1);
  canvas.dataset.loaded = String(data.frames.length);
  if (data.frames.length) draw(0);
}

pos.addEventListener("input", () => { if (data) draw(+pos.value); });
// The kept video's time (web/static/session_video.js): show the stored frame nearest to it.
canvas.addEventListener("replay:seek", (ev) => {
  if (!data || !data.t.length || timer) return;
  const t = ev.detail.t;
  let i = 0;
  while (i + 1 < data.t.length && Math.abs(data.t[i + 1] - t) <= Math.abs(data.t[i] - t)) i += 1;
  if (+pos.value !== i || canvas.dataset.shown === undefined) { pos.value = i; draw(i); }
  canvas.dataset.shown = String(i);
});
play.addEventListener("click", () => {
  if (!data || !data.frames.length) return;
  if (timer) { stop(); return; }
  play.textContent = t("Pause");
  const step = data.t.length > 1 ? (data.t[data.t.length - 1] - data.t[0]) / (data.t.length - 1) : 0.1;
  timer = setInterval(() => {
    const i = +pos.value + 1;
    if (i >= data.frames.length) { stop(); return; }
    pos.value = i; draw(i);
  }, Math.max(20, step * 1000));
});
load();
