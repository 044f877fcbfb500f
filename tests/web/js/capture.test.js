// web/static/capture.js with a fake clock, a fake model and a fake connection: where the pose
// is found and the words for it, the speed check, the fall back to the server, and the flow
// control of landmark messages and JPEG frames (never more on their way than allowed).
import { Capture, cameraProblem } from "/static/capture.js";
import { DevicePoseError } from "/static/device_pose.js";
import { LatencyMeter } from "/static/latency.js";
import { FakeClock, assert, equal, settle, shown, test, text, until } from "./harness.js";

const LANDMARKS = Array.from({ length: 33 }, (_, i) => [0.5, i / 40, 0, 0.9]);

/** A connection as capture.js uses it: open, in `pose` mode, recording what is sent. */
function fakeConnection(pose) {
  return {
    pose,
    ws: {},
    isOpen: true,
    sent: [],
    reopened: [],
    send(data) {
      if (!this.isOpen) return false;
      this.sent.push(data);
      return true;
    },
    reopen(reason) { this.reopened.push(reason); },
  };
}

/** A model whose every detection takes `ms` (or fails with `error`). */
function fakeModel({ ms = 20, error = null } = {}) {
  return {
    calls: 0,
    closed: false,
    ms,
    error,
    async detect() {
      this.calls += 1;
      if (this.error) throw new Error(this.error);
      return { landmarks: LANDMARKS, ms: this.ms };
    },
    close() { this.closed = true; },
  };
}

function make({ pose = "device", wanted = null, video = { videoWidth: 640, videoHeight: 480 }, model = null } = {}) {
  const clock = new FakeClock();
  const connection = fakeConnection(pose);
  const seen = { drawn: 0, notices: [], forced: [] };
  const page = { running: true };
  const capture = new Capture({
    video,
    connection,
    latency: new LatencyMeter(),
    wanted,
    isRunning: () => page.running,
    on: {
      drawPose: () => { seen.drawn += 1; },
      notice: (words, ms) => seen.notices.push({ words, ms }),
      forcedFailed: (words) => seen.forced.push(words),
    },
    clock,
    loadModel: async () => model || fakeModel(),
  });
  capture.stream = { getTracks: () => [] };
  capture.device = model;
  if (model) capture.poseMode = "device";
  return { clock, connection, seen, page, capture };
}

/** One camera frame `gapMs` after the last, run through the (awaited) model. */
async function frame(t, gapMs = 40) {
  t.clock.advance(gapMs);
  await t.capture.detectOnDevice(t.clock.now());
}

const magic = (buffer) => String.fromCharCode(...new Uint8Array(buffer.slice(0, 4)));
const seqOf = (buffer) => new DataView(buffer).getUint32(4, true);

test("camera problems: the patient's words and the server's code", () => {
  equal(cameraProblem({ name: "NotAllowedError" }).code, "camera_denied", "blocked");
  assert(cameraProblem({ name: "NotAllowedError" }).text.startsWith("Camera access is blocked."), "blocked words");
  const none = "No camera was found. Connect a camera, then press Start again.";
  equal(cameraProblem({ name: "NotFoundError" }),
    { text: none, code: "camera_unavailable", source: none }, "none (the server gets the message id's own words)");
  equal(cameraProblem({ name: "Weird", message: "boom" }).text,
    "The camera could not start (Weird: boom).", "an unknown error");
});

test("?pose=server: the server sees the patient, said under the video", async () => {
  const t = make({ pose: null, wanted: "server" });
  await t.capture.choosePoseMode();
  equal(t.capture.poseMode, "server", "mode");
  equal(t.capture.wantedPose(), "server", "asked for");
  equal(text("pose-mode"), "Using the server to see you: your camera picture is sent to the coach server.", "line");
  assert(shown("pose-mode"), "line shown");
});

test("an on-device model that starts: device mode, unless the patient shares their video", async () => {
  const t = make({ pose: null });
  await t.capture.choosePoseMode();
  equal(t.capture.poseMode, "device", "mode");
  equal(t.capture.wantedPose(), "device", "asked for");
  equal(text("pose-mode"), "Your pose is found on this device: your camera picture stays here.", "line");
  equal(text("setup-text"), "Checking your position…", "setup line");
  document.getElementById("share-video").checked = true;
  equal(t.capture.wantedPose(), "server", "asked for while sharing video");
  assert(t.capture.choosePoseMode() === t.capture.choosePoseMode(), "decided once");
});

test("a model that cannot start: the server sees the patient, and the page says why", async () => {
  const t = make({ pose: null });
  t.capture.loadModel = async () => { throw new DevicePoseError("this browser or device has no WebGL", "no_webgl"); };
  await t.capture.choosePoseMode();
  equal(t.capture.poseMode, "server", "mode");
  equal(text("pose-mode"), "Using the server to see you: this browser or device has no WebGL.", "line");
  equal(t.seen.forced, [], "no stop");
});

test("?pose=device and the model cannot start: no fallback, the page stops and says why", async () => {
  const t = make({ pose: null, wanted: "device" });
  t.capture.loadModel = async () => { throw new DevicePoseError("starting the pose model took too long on this device", "timeout"); };
  await t.capture.choosePoseMode();
  equal(t.capture.poseMode, "device-failed", "mode");
  equal(t.seen.forced, ["The on-device model could not start: starting the pose model took too long on this"
    + " device. Open the page without pose=device to let the server see you."], "words");
});

test("a device-mode page on a server-mode connection (video shared): the line says the server sees", () => {
  const t = make({ pose: "server", model: fakeModel() });
  document.getElementById("share-video").checked = true;
  t.capture.describeConnectionPose();
  equal(t.capture.poseMode, "device", "mode kept for when sharing ends");
  equal(text("pose-mode"), "While you share your video, the server sees you: your camera picture is sent"
    + " to the coach server.", "line");
});

test("a device-mode page on a server-mode connection, video not shared: the server does not take poses", () => {
  const t = make({ pose: "server", model: fakeModel() });
  document.getElementById("share-video").checked = false;
  t.capture.describeConnectionPose();
  equal(t.capture.poseMode, "server", "mode");
  equal(text("pose-mode"), "Using the server to see you: this coach server does not take poses found on the"
    + " device.", "line");
});

test("the speed check: a device too slow to coach hands over to the server, once", async () => {
  const model = fakeModel({ ms: 300 });
  const t = make({ model });
  for (let i = 0; i < 10; i += 1) await frame(t, 400);
  equal(t.seen.notices, [], "no verdict before 3 warm-up and 8 timed frames");
  await frame(t, 400);
  equal(t.seen.notices, [{ words: "Using the server to see you from now on: this device finds your pose too slowly"
    + " (about 3 frames a second).", ms: 8000 }], "notice");
  assert(model.closed, "the model is closed");
  equal(t.capture.device, null, "no model");
  equal(t.capture.poseMode, "server", "mode");
  equal(t.connection.reopened, ["changing pose mode"], "a new connection in server mode");
  equal(text("pose-mode"), "Using the server to see you: this device finds your pose too slowly (about 3 frames a second).", "line");
});

test("the speed check: a frame a second or slower is said so", async () => {
  const t = make({ model: fakeModel({ ms: 1500 }) });
  for (let i = 0; i < 11; i += 1) await frame(t, 2000);
  assert(t.seen.notices[0].words.includes("too slowly (about a frame a second or less)"), t.seen.notices[0].words);
});

test("the speed check: a fast device keeps its model; the check is done once", async () => {
  const model = fakeModel({ ms: 25 });
  const t = make({ model });
  for (let i = 0; i < 11; i += 1) await frame(t);
  model.ms = 900; // slow later: not checked again
  for (let i = 0; i < 20; i += 1) await frame(t, 1000);
  equal(t.seen.notices, [], "notices");
  equal(t.capture.poseMode, "device", "mode");
  assert(!model.closed, "model open");
});

test("the speed check: ?pose=device skips it", async () => {
  const t = make({ model: fakeModel({ ms: 900 }), wanted: "device" });
  for (let i = 0; i < 15; i += 1) await frame(t, 1000);
  equal(t.seen.notices, [], "notices");
});

test("a model that fails 5 times in a row hands over to the server; fewer do not", async () => {
  const model = fakeModel({ error: "context lost" });
  const t = make({ model });
  for (let i = 0; i < 4; i += 1) await frame(t);
  model.error = null;
  await frame(t); // a success resets the run of failures
  model.error = "context lost";
  for (let i = 0; i < 4; i += 1) await frame(t);
  equal(t.seen.notices, [], "after 4 in a row");
  await frame(t);
  equal(t.seen.notices.map((n) => n.words),
    ["Using the server to see you from now on: the on-device model stopped working (context lost)."], "notice");
});

test("device mode: drawn at once, sent as binary landmark messages, never more than 3 unanswered", async () => {
  const t = make({ model: fakeModel() });
  for (let i = 0; i < 5; i += 1) await frame(t);
  equal(t.seen.drawn, 5, "drawn");
  equal(t.connection.sent.length, 3, "sent");
  equal(t.connection.sent.map(magic), ["CLM1", "CLM1", "CLM1"], "binary landmark messages");
  equal(t.connection.sent.map(seqOf), [1, 2, 3], "seq");
  equal(t.capture.skipped, 2, "skipped");
  t.capture.answered();
  await frame(t);
  equal(t.connection.sent.map(seqOf), [1, 2, 3, 4], "one more after a reply");
  t.clock.advance(5000); // replies lost: after 5 s it goes on
  await frame(t);
  equal(t.connection.sent.length, 5, "after 5 s without replies");
});

test("device mode: at most 30 detections a second, one at a time", async () => {
  const model = fakeModel();
  const t = make({ model });
  await frame(t, 40);
  await frame(t, 10); // 10 ms later: too soon
  equal(model.calls, 1, "calls");
  let release;
  model.detect = () => { model.calls += 1; return new Promise((done) => { release = done; }); };
  t.clock.advance(40);
  const busy = t.capture.detectOnDevice(t.clock.now());
  t.clock.advance(40);
  await t.capture.detectOnDevice(t.clock.now()); // the last is still running
  equal(model.calls, 2, "calls while one runs");
  release({ landmarks: null, ms: 5 });
  await busy;
  equal(t.connection.sent.length, 2, "a frame with no person is sent too");
});

test("device mode: nothing is sent when the connection is not open or the session is off", async () => {
  const t = make({ model: fakeModel() });
  t.connection.isOpen = false;
  await frame(t);
  equal(t.seen.drawn, 1, "still drawn");
  t.connection.isOpen = true;
  t.page.running = false;
  await frame(t);
  equal(t.connection.sent.length, 0, "sent");
});

test("server mode: each picture once, at most 2 JPEGs unanswered, the next after a reply (or 5 s without one)", async () => {
  const video = document.createElement("canvas"); // stands in for the <video>: drawable
  video.width = 640;
  video.height = 480;
  Object.assign(video, { videoWidth: 640, videoHeight: 480 });
  const t = make({ pose: "server", video });
  const sent = () => t.connection.sent.length;
  t.capture.onPicture();
  await until(() => sent() === 1, "the first JPEG");
  const jpeg = t.connection.sent[0];
  equal(jpeg.type, "image/jpeg", "type");
  equal([t.capture.canvas.width, t.capture.canvas.height], [480, 360], "scaled to 480 px wide");
  t.capture.trySend(); // as after a reply: the camera has nothing new
  await settle();
  equal(sent(), 1, "a picture is sent once");
  t.clock.advance(33);
  t.capture.onPicture();
  await until(() => sent() === 2, "the next picture while the first is awaited");
  t.clock.advance(33);
  t.capture.onPicture();
  await settle();
  equal(sent(), 2, "no third while two are awaited");
  equal(t.capture.skipped, 1, "skipped");
  t.clock.advance(40);
  equal(t.capture.replied({ type: "frame" }), 10000, "the first reply is about the first JPEG");
  equal(t.capture.takeSpeed(), { frames: 1, p50: 106 }, "speed");
  t.capture.trySend(); // the page's call on each reply: the picture that waited goes
  await until(() => sent() === 3, "the newest picture after the reply");
  equal(t.capture.replied({ type: "frame" }), 10033, "the next reply is about the second JPEG");
  t.capture.trySend(true); // the page's call once a second
  await settle();
  equal(sent(), 3, "no picture twice while the camera runs");
  t.clock.advance(1000);
  t.capture.trySend(true);
  await until(() => sent() === 4, "the last picture again once the camera stalled");
  t.clock.advance(5000);
  t.capture.onPicture();
  await until(() => sent() === 5, "the JPEG after lost replies");
});

test("server mode: nothing is sent on a device-mode connection, a closed one, or without a camera", async () => {
  const t = make({ pose: "device" });
  t.capture.trySend(true);
  t.connection.pose = "server";
  t.connection.isOpen = false;
  t.capture.trySend(true);
  t.connection.isOpen = true;
  t.capture.stream = null;
  t.capture.trySend(true);
  await settle();
  equal(t.connection.sent.length, 0, "sent");
  equal(t.capture.jpegsOut, [], "on their way");
});

test("device mode's replies: the capture time of the message it answers", () => {
  const t = make({ model: fakeModel() });
  t.capture.latency.sent(4, 9000);
  t.capture.unanswered = 2;
  equal(t.capture.replied({ type: "frame", seq: 4 }), 9000, "captured at");
  equal(t.capture.unanswered, 1, "unanswered");
  t.capture.reset();
  equal(t.capture.unanswered, 0, "after a new connection");
});

test("stopping the camera stops its tracks and hides the picture", () => {
  const t = make();
  let stopped = 0;
  t.capture.stream = { getTracks: () => [{ stop: () => { stopped += 1; } }] };
  document.getElementById("media").hidden = false;
  t.capture.stopCamera();
  equal(stopped, 1, "tracks stopped");
  equal(t.capture.stream, null, "stream");
  assert(!shown("media") && !shown("setup-panel") && !shown("pause-banner"), "hidden");
});
