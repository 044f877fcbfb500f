// The session page's kept video, in step with the angle chart: a line on the chart follows the
// video's time, and a click on the chart moves the video there. The replay's stick figure
// follows too. The chart carries its time axis (web/charts.py time_plot: data-t0, data-t1 at
// x data-x0, data-x1 of its viewBox); the video's time is the session's (an upload's frames
// are timed from the start of its video).
const SVG = "http://www.w3.org/2000/svg";
const video = document.getElementById("session-video");
const chart = document.querySelector("[data-testid=angle-plot] svg[data-t0]");
const replay = document.getElementById("replay");

function axis(svg) {
  const n = (k) => Number(svg.dataset[k]);
  return { t0: n("t0"), t1: n("t1"), x0: n("x0"), x1: n("x1"), top: n("top"), bottom: n("bottom") };
}

/** The chart's x of time `t` (clamped to the plot). */
function xOf(a, t) {
  const share = Math.min(1, Math.max(0, (t - a.t0) / (a.t1 - a.t0)));
  return a.x0 + share * (a.x1 - a.x0);
}

function cursorLine(svg, a) {
  const line = document.createElementNS(SVG, "line");
  line.setAttribute("class", "time-cursor");
  line.setAttribute("y1", String(a.top));
  line.setAttribute("y2", String(a.bottom));
  line.setAttribute("aria-hidden", "true");
  svg.append(line);
  return line;
}

function follow(svg) {
  const a = axis(svg);
  const line = cursorLine(svg, a);
  let playing = false;
  const move = () => {
    const t = video.currentTime;
    const x = xOf(a, t).toFixed(1);
    line.setAttribute("x1", x);
    line.setAttribute("x2", x);
    svg.dataset.cursorT = t.toFixed(3);
    replay?.dispatchEvent(new CustomEvent("replay:seek", { detail: { t } }));
  };
  const loop = () => {
    move();
    if (playing) requestAnimationFrame(loop);
  };
  video.addEventListener("play", () => { playing = true; requestAnimationFrame(loop); });
  video.addEventListener("pause", () => { playing = false; move(); });
  for (const ev of ["loadedmetadata", "seeked", "timeupdate", "ended"]) video.addEventListener(ev, move);
  svg.classList.add("seekable");
  svg.addEventListener("click", (ev) => {
    const point = new DOMPoint(ev.clientX, ev.clientY).matrixTransform(svg.getScreenCTM().inverse());
    if (point.x < a.x0 || point.x > a.x1) return;
    const t = a.t0 + ((point.x - a.x0) / (a.x1 - a.x0)) * (a.t1 - a.t0);
    video.currentTime = Math.max(0, Math.min(t, Number.isFinite(video.duration) ? video.duration : t));
    move();
  });
  move();
}

if (video && chart) follow(chart);
