// Camera-to-screen latency of the live page, for the honesty of hand-eye timings
// (docs/LIVE-PROTOCOL.md, "Latency"): a reaction time is measured on camera frames, but the
// patient sees a target only once the reply for the frame that showed it has arrived. Each
// sample is one frame: from its capture (device mode: requestVideoFrameCallback's captureTime,
// else the moment the page grabbed it; server mode: the moment the frame was sent) to the
// moment its reply is drawn. The running median of the last samples is what the page shows
// (small, for the therapist) and reports to the server at most once a second.
import { tn } from "./i18n.js";

const WINDOW = 60; // frames in the running median
const REPORT_EVERY_MS = 1000;
const MAX_MS = 60000; // a sample longer than a minute is a clock mix-up, not a latency
const MAX_PENDING = 64; // capture times kept for replies still on their way

export class LatencyMeter {
  constructor() {
    this.samples = [];
    this.pending = new Map(); // seq -> capture time (performance.now() ms)
    this.lastReport = 0;
  }

  /** A frame or landmark message `seq` left, its picture captured at `capturedAt`. */
  sent(seq, capturedAt) {
    if (!Number.isFinite(capturedAt)) return;
    this.pending.set(seq, capturedAt);
    while (this.pending.size > MAX_PENDING) this.pending.delete(this.pending.keys().next().value);
  }

  /** The reply for `seq` is on screen now: one sample, and the frame's capture time
   * (undefined, and no sample, when it is not known). */
  answered(seq, now = performance.now()) {
    const at = this.pending.get(seq);
    if (at === undefined) return undefined;
    this.pending.delete(seq);
    this.add(now - at);
    return at;
  }

  add(ms) {
    if (!Number.isFinite(ms) || ms < 0 || ms > MAX_MS) return;
    this.samples.push(ms);
    if (this.samples.length > WINDOW) this.samples.shift();
  }

  /** The median of the last frames in ms, or null before the first. */
  median() {
    const n = this.samples.length;
    if (!n) return null;
    const s = [...this.samples].sort((a, b) => a - b);
    return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  /** The message to send now ({type: "latency", ms}), or null: not yet a second since the
   * last one, or nothing measured. */
  report(now = performance.now()) {
    const ms = this.median();
    if (ms === null || now - this.lastReport < REPORT_EVERY_MS) return null;
    this.lastReport = now;
    return { type: "latency", ms: Math.max(1, Math.round(ms)) };
  }

  /** The small line under the video for the therapist. */
  describe() {
    const ms = this.median();
    if (ms === null) return "";
    return tn("Camera to screen: {ms} ms (median of the last {n} frame)",
      "Camera to screen: {ms} ms (median of the last {n} frames)", this.samples.length, { ms: Math.round(ms) });
  }

  reset() {
    this.samples = [];
    this.pending.clear();
  }
}
