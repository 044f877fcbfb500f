// The live page's capture: the camera, where the pose is found, and how each camera frame
// reaches the coach (docs/LIVE-PROTOCOL.md, "Where the page finds the pose"). Decided once a
// page, while the camera starts:
// - on this device (the default where the browser can; device_pose.js): the model runs on each
//   camera frame, at most 30 a second; the skeleton is drawn at once (`drawPose`) and only the
//   landmarks are sent, without waiting for replies but never more than 3 unanswered. A device
//   too slow to coach (the speed check) or a model that keeps failing hands over to the server;
// - on the server (the fallback, or ?pose=server): each new camera picture as a JPEG, never
//   more than 2 unanswered (the server's model works on one while the next waits behind it,
//   so it never idles while a reply travels); a busy server makes us skip camera frames, never
//   pile them up, and a picture is never sent twice.
// The connection (live_connection.js), the clock and the model loader are parameters, so tests
// drive this with fakes (tests/web/js/capture.test.js).
import { $, pageClock, setText, show } from "./common.js";
import { DevicePoseError, INIT_TIMEOUT_MS, landmarkMessage, loadDevicePose } from "./device_pose.js";
import { english, num, t } from "./i18n.js";

const MAX_SEND_WIDTH = 480; // the model looks at 256 px; more only costs bandwidth
const JPEG_QUALITY = 0.7;
export const REPLY_TIMEOUT_MS = 5000;
export const MAX_LANDMARK_RATE = 30; // landmark messages a second, at most (the protocol allows 60)
export const MAX_UNANSWERED = 3; // landmark messages on their way before we skip sending
export const MAX_JPEGS_OUT = 2; // server mode: JPEGs on their way before we skip camera frames
export const STALLED_MS = 1000; // server mode: no camera picture for this long: resend the last
export const DEVICE_FAILURES_TO_FALL_BACK = 5; // model errors in a row before the server takes over
const MIN_DEVICE_FPS = 5; // slower than this on this device (after warming up): use the server
export const DEVICE_WARMUP_FRAMES = 3;
export const DEVICE_SPEED_FRAMES = 8;

// A camera that would not start, by the browser's error name (message ids: the page shows them
// in the patient's language, the server gets them as written, for the therapist's own).
const CAMERA_PROBLEMS = {
  NotAllowedError: () => t("Camera access is blocked. Allow the camera for this page (the camera icon in the address bar), then press Start again."),
  SecurityError: () => t("Camera access is blocked by the browser's settings. Allow the camera for this page, then press Start again."),
  NotFoundError: () => t("No camera was found. Connect a camera, then press Start again."),
  OverconstrainedError: () => t("The camera could not provide a usable picture. Try another camera, then press Start again."),
  NotReadableError: () => t("The camera is in use by another program. Close that program, then press Start again."),
  Unsupported: () => t("This browser cannot use the camera on this page. Open it as http://127.0.0.1:8000 or over https."),
};
const CAMERA_FAILED = "The camera could not start ({name}: {message}).";

/** A camera that would not start: the words for the patient, the same in the message ids'
 * own words for the server (`source`, the therapist reads them in theirs), and the
 * `client_error` code. */
export function cameraProblem(err) {
  const known = CAMERA_PROBLEMS[err.name];
  const params = { name: err.name || "error", message: err.message || "" };
  const text = known ? known() : t("The camera could not start ({name}: {message}).", params);
  const source = known ? english(known) : english(() => CAMERA_FAILED, params);
  const code = err.name === "NotAllowedError" || err.name === "SecurityError" ? "camera_denied" : "camera_unavailable";
  return { text, code, source };
}

export class Capture {
  /**
   * - `video`: the page's <video>; `connection`: a LiveConnection (isOpen, send, pose,
   *   reopen); `latency`: the page's LatencyMeter;
   * - `wanted`: the page's ?pose= ("device" forces the device, "server" skips it, else null);
   *   `timeoutS`: its ?pose_timeout= (seconds to start the model);
   * - `isRunning()`: the patient's session is on;
   * - `on`: `drawPose(landmarks, size)` (device mode, at once), `notice(text, ms)`,
   *   `forcedFailed(text)` (?pose=device and the model could not start: the page stops);
   * - `clock`, `loadModel`: performance.now() and its timers, loadDevicePose; fakes in tests.
   */
  constructor({
    video, connection, latency, wanted = null, timeoutS = 0, isRunning, on,
    clock = pageClock, loadModel = loadDevicePose,
  }) {
    this.video = video;
    this.connection = connection;
    this.latency = latency;
    this.wanted = wanted;
    this.timeoutS = timeoutS;
    this.isRunning = isRunning;
    this.on = on;
    this.clock = clock;
    this.loadModel = loadModel;
    this.canvas = document.createElement("canvas"); // server mode: the frame to encode
    this.stream = null;
    // Where the pose is found: "device", "server" or "device-failed" (forced, and failed);
    // decided once per page (choosePoseMode).
    this.poseMode = null;
    this.poseModeReady = null; // the promise of that decision
    this.device = null; // the on-device model (device_pose.js), in device mode
    this.jpegsOut = []; // server mode: when each JPEG on its way was sent, oldest first
    this.newPicture = false; // server mode: the camera has a picture not sent yet
    this.pictureAt = 0; // server mode: when the camera last gave a picture
    this.sentAt = 0;
    this.seq = 0; // device mode: landmark messages sent
    this.unanswered = 0;
    this.detecting = false;
    this.lastDetectAt = 0;
    this.deviceFailures = 0;
    this.deviceTimes = []; // ms a frame of the first detections, to check the device is fast enough
    this.processed = 0; // frames this second, for the connection line
    this.skipped = 0;
    this.latencies = [];
  }

  // ---- the camera ------------------------------------------------------------------------
  /** Asks the browser for the camera (the patient may have to allow it); throws its error. */
  async openCamera() {
    this.stream = await navigator.mediaDevices.getUserMedia({
      // No height: a portrait camera keeps its own shape (a 4:3 request would crop it).
      video: { width: { ideal: 640 }, facingMode: "user" },
      audio: false,
    });
  }

  /** The camera's picture on the page. */
  async showCamera() {
    const video = this.video;
    video.srcObject = this.stream;
    show($("media"), true);
    // The stage keeps the camera's aspect ratio (also when a phone turns), so the skeleton
    // overlay fits it exactly.
    const fitAspect = () => {
      if (video.videoWidth && video.videoHeight) {
        video.parentElement.style.setProperty("--aspect", String(video.videoWidth / video.videoHeight));
      }
    };
    video.addEventListener("loadedmetadata", fitAspect);
    video.addEventListener("resize", fitAspect);
    try {
      await video.play();
    } catch { /* autoplay of a muted stream is allowed; keep going */ }
  }

  stopCamera() {
    if (this.stream) this.stream.getTracks().forEach((t) => t.stop());
    this.stream = null;
    this.video.srcObject = null;
    show($("media"), false);
    show($("setup-panel"), false);
    show($("pause-banner"), false);
  }

  // ---- where the pose is found -----------------------------------------------------------
  poseModeLine(text) {
    setText($("pose-mode"), text);
    show($("pose-mode"), !!text);
  }

  /** The mode to ask the server for. The server takes no video on a device-mode connection,
   * so while the patient shares their video (it goes to the server anyway) the server sees them. */
  wantedPose() {
    return this.poseMode === "device" && this.device && !$("share-video").checked
      ? "device" : "server";
  }

  /** The connection's `session` message said where it finds the pose: say so. */
  describeConnectionPose() {
    const pose = this.connection.pose;
    if (pose === "device") {
      this.poseModeLine(t("Your pose is found on this device: your camera picture stays here."));
    } else if (this.poseMode === "device" && this.device && $("share-video").checked) {
      this.poseModeLine(t("While you share your video, the server sees you: your camera picture is sent to the coach server."));
    } else if (pose === "server" && this.poseMode === "device") {
      this.useServer(t("this coach server does not take poses found on the device"));
    }
  }

  useServer(reason) {
    this.poseMode = "server";
    this.poseModeLine(reason ? t("Using the server to see you: {reason}.", { reason })
      : t("Using the server to see you: your camera picture is sent to the coach server."));
  }

  /** Decide once per page: on this device where it works, else the server (and say why). */
  choosePoseMode() {
    if (this.poseModeReady) return this.poseModeReady;
    const wanted = this.wanted;
    this.poseModeReady = (async () => {
      if (wanted === "server") {
        this.useServer("");
        return;
      }
      const seconds = Number(this.timeoutS);
      const timeoutMs = seconds > 0 ? seconds * 1000 : INIT_TIMEOUT_MS;
      try {
        this.device = await this.loadModel({
          timeoutMs,
          allowSoftware: wanted === "device",
          // Loading the model is technical: said in the details, not in the patient's words.
          onProgress: (text) => this.poseModeLine(text),
        });
        this.poseMode = "device";
        if (this.isRunning()) setText($("setup-text"), t("Checking your position…"));
        this.poseModeLine(t("Your pose is found on this device: your camera picture stays here."));
      } catch (err) {
        const reason = err instanceof DevicePoseError ? err.message
          : t("the on-device model failed ({error})", { error: String(err) });
        if (wanted === "device") {
          // Forced: no quiet fallback, say what went wrong.
          this.poseMode = "device-failed";
          this.poseModeLine(t("The on-device model could not start: {reason}.", { reason }));
          this.on.forcedFailed(t("The on-device model could not start: {reason}. Open the page without pose=device to let the server see you.", { reason }));
          return;
        }
        this.useServer(reason);
      }
    })();
    return this.poseModeReady;
  }

  /** Open a new connection for the same session in the mode now wanted (the server lets a
   * resumed session change mode: `pose` is per connection). */
  reconnectForPose() {
    if (!this.isRunning() || !this.connection.ws) return;
    this.connection.reopen("changing pose mode");
  }

  /** The on-device model failed during the session: let the server see the patient instead. */
  fallBackToServer(reason) {
    if (this.device) this.device.close();
    this.device = null;
    this.useServer(reason);
    this.on.notice(t("Using the server to see you from now on: {reason}.", { reason }), 8000);
    if (this.connection.pose === "device") this.reconnectForPose();
  }

  // ---- frames ----------------------------------------------------------------------------
  schedule() {
    if (!this.stream) return;
    const next = (now, metadata) => this.onVideoFrame(now, metadata);
    if ("requestVideoFrameCallback" in this.video) this.video.requestVideoFrameCallback(next);
    else this.clock.setTimeout(next, 33);
  }

  onVideoFrame(now, metadata) {
    const pose = this.connection.pose;
    if (pose === "device" && this.device) {
      // Capture time on the performance.now() clock: the camera's when the browser knows it.
      const at = metadata && metadata.captureTime ? metadata.captureTime
        : (typeof now === "number" ? now : this.clock.now());
      this.detectOnDevice(at);
    } else if (pose === "server") {
      this.onPicture();
    }
    this.schedule();
  }

  /** A reply (frame, dropped, error) for one of our frames or landmark messages; the server
   * answers JPEGs in the order they were sent. */
  answered() {
    this.jpegsOut.shift();
    this.unanswered = Math.max(0, this.unanswered - 1);
  }

  /** A new connection, or the current one closed: nothing of ours is on its way. */
  reset() {
    this.jpegsOut = [];
    this.unanswered = 0;
  }

  /** A `frame` reply: one less on its way; returns when the picture it is about was captured
   * (a target's time starts there), undefined when not known. */
  replied(msg) {
    const sentAt = this.jpegsOut.length ? this.jpegsOut[0] : this.sentAt;
    this.answered();
    if (this.connection.pose === "device") return this.latency.answered(msg.seq);
    this.processed += 1;
    this.latencies.push(this.clock.now() - sentAt);
    this.latency.add(this.clock.now() - sentAt);
    return sentAt;
  }

  /** Frames this second and their median time (ms); counting starts again. */
  takeSpeed() {
    const lat = this.latencies.sort((a, b) => a - b);
    const speed = { frames: this.processed, p50: lat.length ? Math.round(lat[Math.floor(lat.length / 2)]) : 0 };
    this.processed = 0;
    this.skipped = 0;
    this.latencies = [];
    return speed;
  }

  // ---- on-device frames ------------------------------------------------------------------
  async detectOnDevice(capturedAt) {
    const video = this.video;
    if (this.detecting || !this.isRunning() || !this.stream || !video.videoWidth) return;
    if (this.clock.now() - this.lastDetectAt < 1000 / MAX_LANDMARK_RATE) return;
    this.detecting = true;
    this.lastDetectAt = this.clock.now();
    const size = [video.videoWidth, video.videoHeight];
    let result;
    try {
      result = await this.device.detect(video);
      this.deviceFailures = 0;
    } catch (err) {
      this.detecting = false;
      this.deviceFailures += 1;
      if (this.deviceFailures >= DEVICE_FAILURES_TO_FALL_BACK && this.device) {
        this.fallBackToServer(t("the on-device model stopped working ({error})", { error: String(err.message || err) }));
      }
      return;
    }
    this.detecting = false;
    if (!this.isRunning() || this.connection.pose !== "device") return;
    this.processed += 1;
    this.latencies.push(result.ms);
    this.onDeviceResult(result.landmarks, size, capturedAt / 1000);
    this.checkDeviceSpeed(result.ms);
  }

  /** Once, after a few frames: a device too slow to coach hands over to the server (unless
   * ?pose=device forces it). */
  checkDeviceSpeed(ms) {
    const times = this.deviceTimes;
    if (this.wanted === "device" || times.length >= DEVICE_WARMUP_FRAMES + DEVICE_SPEED_FRAMES) return;
    times.push(ms);
    if (times.length < DEVICE_WARMUP_FRAMES + DEVICE_SPEED_FRAMES) return;
    const steady = times.slice(DEVICE_WARMUP_FRAMES).sort((a, b) => a - b);
    const median = steady[Math.floor(steady.length / 2)];
    if (median > 1000 / MIN_DEVICE_FPS) {
      const fps = Math.round(1000 / median);
      const rate = fps <= 1 ? t("about a frame a second or less")
        : t("about {fps} frames a second", { fps: num(fps) });
      this.fallBackToServer(t("this device finds your pose too slowly ({rate})", { rate }));
    }
  }

  onDeviceResult(landmarks, size, t) {
    // Draw at once, at camera rate: the server's reply is not needed for the skeleton.
    this.on.drawPose(landmarks, size);
    if (!this.connection.isOpen) return;
    if (this.unanswered >= MAX_UNANSWERED) {
      if (this.clock.now() - this.sentAt < REPLY_TIMEOUT_MS) {
        this.skipped += 1;
        return;
      }
      this.unanswered = 0; // replies got lost; do not stall forever
    }
    this.seq += 1;
    this.unanswered += 1;
    this.sentAt = this.clock.now();
    this.latency.sent(this.seq, t * 1000);
    this.connection.send(landmarkMessage(this.seq, t, size, landmarks)); // binary: cheaper for the server
  }

  // ---- server frames ---------------------------------------------------------------------
  encodeFrame(done) {
    const video = this.video;
    const capture = this.canvas;
    const scale = Math.min(1, MAX_SEND_WIDTH / video.videoWidth);
    const w = Math.round(video.videoWidth * scale);
    const h = Math.round(video.videoHeight * scale);
    if (capture.width !== w || capture.height !== h) {
      capture.width = w;
      capture.height = h;
    }
    capture.getContext("2d").drawImage(video, 0, 0, w, h);
    capture.toBlob(done, "image/jpeg", JPEG_QUALITY);
  }

  /** Server mode: the camera gave a new picture; it goes if it may. */
  onPicture() {
    this.newPicture = true;
    this.pictureAt = this.clock.now();
    this.trySend();
  }

  /** Send the camera's picture as a JPEG if it is new and fewer than MAX_JPEGS_OUT are
   * unanswered; `again`: also the last one, if the video callbacks have stalled. */
  trySend(again = false) {
    const conn = this.connection;
    const ws = conn.ws;
    if (conn.pose !== "server") return;
    if (!this.isRunning() || !this.stream || !conn.isOpen) return;
    const stalled = again && this.clock.now() - this.pictureAt >= STALLED_MS;
    if (!this.video.videoWidth || !(this.newPicture || stalled)) return;
    const out = this.jpegsOut;
    if (out.length >= MAX_JPEGS_OUT) {
      if (this.clock.now() - out[0] < REPLY_TIMEOUT_MS) {
        this.skipped += 1;
        return;
      }
      out.length = 0; // the replies got lost; do not stall forever
    }
    const sentAt = this.clock.now();
    out.push(sentAt);
    this.sentAt = sentAt;
    this.newPicture = false;
    this.encodeFrame((blob) => {
      // Only on the connection it was meant for.
      if (blob && ws === conn.ws && conn.send(blob)) return;
      const i = this.jpegsOut.indexOf(sentAt);
      if (i >= 0) this.jpegsOut.splice(i, 1);
    });
  }
}
