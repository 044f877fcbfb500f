// On-device pose: MediaPipe Pose (the @mediapipe/pose web build that `coach assets fetch`
// puts on the server, served at /vendor/mediapipe-pose/) runs in this browser, so no camera
// image has to leave the device: the page sends only the 33 landmarks.
//
// Interface (used by capture.js):
//   const pose = await loadDevicePose({ timeoutMs, onProgress });  // or throws DevicePoseError
//   const r = await pose.detect(videoOrCanvas);  // {landmarks: [[x, y, z, visibility] x33] | null, ms}
//   pose.close();
// A DevicePoseError's message is a plain sentence for the patient ("this browser has no WebGL").
// No inline code and no eval: pose.js is loaded as a classic <script> from our own server, and
// it loads its WebAssembly and model files through `locateFile`, from the same folder.
import { t } from "./i18n.js";

export const VENDOR_PATH = "/vendor/mediapipe-pose/";
export const INIT_TIMEOUT_MS = 60000;

export class DevicePoseError extends Error {
  constructor(reason, code) {
    super(reason);
    this.name = "DevicePoseError";
    this.code = code; // no_webgl, not_installed, load_failed, init_failed, timeout
  }
}

const NO_WEBGL = () => t("this browser or device has no WebGL, which the on-device model needs");
const SOFTWARE_GL = /swiftshader|llvmpipe|softpipe|software|basic render driver/i;

/** {problem: a sentence or null, software: true when WebGL is drawn by the CPU, renderer}. */
export function webglInfo() {
  try {
    const canvas = document.createElement("canvas");
    const gl = canvas.getContext("webgl2") || canvas.getContext("webgl");
    if (!gl) return { problem: NO_WEBGL(), software: false, renderer: "" };
    const debug = gl.getExtension("WEBGL_debug_renderer_info");
    const renderer = String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    const lose = gl.getExtension("WEBGL_lose_context");
    if (lose) lose.loseContext(); // give the context back; MediaPipe makes its own
    return { problem: null, software: SOFTWARE_GL.test(renderer), renderer };
  } catch {
    return { problem: NO_WEBGL(), software: false, renderer: "" };
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new DevicePoseError(
      t("{what} took too long on this device", { what }), "timeout")), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

let scriptLoading = null;

function loadScript(src) {
  if (window.Pose) return Promise.resolve();
  if (!scriptLoading) {
    scriptLoading = new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = src;
      s.async = true;
      s.crossOrigin = "anonymous";
      s.onload = () => (window.Pose ? resolve() : reject(new DevicePoseError(
        t("the pose model's script loaded but did not define the model"), "load_failed")));
      s.onerror = () => reject(new DevicePoseError(
        t("the pose model's script could not be loaded from the server"), "load_failed"));
      document.head.append(s);
    });
    scriptLoading.catch(() => { scriptLoading = null; });
  }
  return scriptLoading;
}

async function assetsStatus() {
  let res;
  try {
    res = await fetch(`${VENDOR_PATH}status`, { cache: "no-store" });
  } catch {
    throw new DevicePoseError(t("the server could not be asked for the on-device model"), "not_installed");
  }
  if (!res.ok) throw new DevicePoseError(t("the server does not offer the on-device model"), "not_installed");
  const status = await res.json();
  if (!status.available) {
    throw new DevicePoseError(t("the on-device model is not installed on the server"), "not_installed");
  }
  return status;
}

const BINARY_MAGIC = [0x43, 0x4c, 0x4d, 0x31]; // "CLM1"
const BINARY_HEADER_BYTES = 20;
const BINARY_BYTES = BINARY_HEADER_BYTES + 33 * 4 * 4;

/** One frame's landmarks as the protocol wants them: [[x, y, z, visibility] x33] or null. */
export function toProtocol(poseLandmarks) {
  if (!poseLandmarks || poseLandmarks.length !== 33) return null;
  return poseLandmarks.map((p) => [p.x, p.y, p.z, p.visibility ?? 0]);
}

/**
 * One frame's landmark message in the binary form (docs/LIVE-PROTOCOL.md), which the server
 * reads for a third of what the same JSON costs it: a 20-byte little-endian header ("CLM1",
 * seq uint32, t float64 seconds, width and height uint16), then the 33 rows of x, y, z,
 * visibility as float32, or nothing when no person was found (`landmarks` null).
 */
export function landmarkMessage(seq, t, size, landmarks) {
  const view = new DataView(new ArrayBuffer(landmarks ? BINARY_BYTES : BINARY_HEADER_BYTES));
  BINARY_MAGIC.forEach((c, i) => view.setUint8(i, c));
  view.setUint32(4, seq, true);
  view.setFloat64(8, t, true);
  view.setUint16(16, size[0], true);
  view.setUint16(18, size[1], true);
  if (landmarks) {
    landmarks.forEach((row, i) => row.forEach((v, j) => view.setFloat32(20 + (i * 4 + j) * 4, v, true)));
  }
  return view.buffer;
}

/** The same landmarks as drawSkeleton (and the server's frame message) reads them: [x, y, visibility]. */
export function forDrawing(landmarks) {
  return landmarks ? landmarks.map(([x, y, , v]) => [x, y, v]) : null;
}

class DevicePose {
  constructor(pose) {
    this.pose = pose;
    this.latest = null;
    this.busy = false;
    pose.onResults((results) => { this.latest = results; });
  }

  /** Run the model on one image (a video, canvas or image); one call at a time. */
  async detect(image) {
    if (this.busy) throw new Error("detect() is already running");
    this.busy = true;
    const started = performance.now();
    try {
      this.latest = null;
      await this.pose.send({ image });
      const lm = this.latest ? toProtocol(this.latest.poseLandmarks) : null;
      return { landmarks: lm, ms: performance.now() - started };
    } finally {
      this.busy = false;
    }
  }

  close() {
    try { this.pose.close(); } catch { /* already closed */ }
  }
}

/**
 * Check the server's assets and WebGL, load pose.js and start the model: the "full" model
 * (as the server's), smoothing off (the server filters), tracking from frame to frame.
 * Resolves once the model has processed one blank frame, so a model that cannot start
 * (WebGL too weak, wasm refused) is found here, not during the exercise. WebGL drawn by the
 * CPU (SwiftShader, llvmpipe: no usable graphics chip) runs the model at a frame or two a
 * second, too slow to coach: refused unless `allowSoftware`.
 */
export async function loadDevicePose({
  timeoutMs = INIT_TIMEOUT_MS, onProgress = () => {}, options = {}, allowSoftware = false,
} = {}) {
  onProgress(t("Checking for the on-device model…"));
  await assetsStatus();
  const gl = webglInfo();
  if (gl.problem) throw new DevicePoseError(gl.problem, "no_webgl");
  if (gl.software && !allowSoftware) {
    throw new DevicePoseError(t("this device has no graphics acceleration for the on-device model (it would see you only a frame or two a second)"), "software_webgl");
  }
  const deadline = performance.now() + timeoutMs;
  const left = () => Math.max(0, deadline - performance.now());
  onProgress(t("Loading the pose model onto this device…"));
  await withTimeout(loadScript(`${VENDOR_PATH}pose.js`), left(), t("loading the pose model"));
  let pose;
  try {
    pose = new window.Pose({ locateFile: (file) => `${VENDOR_PATH}${file}` });
    pose.setOptions({
      modelComplexity: 1,
      smoothLandmarks: false,
      enableSegmentation: false,
      smoothSegmentation: false,
      minDetectionConfidence: 0.5,
      minTrackingConfidence: 0.5,
      ...options,
    });
  } catch (err) {
    throw new DevicePoseError(t("the pose model could not start ({error})", { error: String(err.message || err) }), "init_failed");
  }
  const device = new DevicePose(pose);
  const blank = document.createElement("canvas");
  blank.width = 64;
  blank.height = 64;
  blank.getContext("2d").fillRect(0, 0, 64, 64);
  onProgress(t("Starting the pose model on this device…"));
  const starting = (async () => {
    await pose.initialize();
    await device.detect(blank);
  })();
  try {
    await withTimeout(starting, left(), t("starting the pose model"));
  } catch (err) {
    // A model that starts after we gave up must not keep the GPU busy for nothing.
    starting.then(() => device.close(), () => device.close());
    if (err instanceof DevicePoseError) throw err;
    throw new DevicePoseError(t("the pose model could not start ({error})", { error: String(err.message || err) }), "init_failed");
  }
  pose.reset(); // forget the blank frame: tracking starts on the camera
  return device;
}
