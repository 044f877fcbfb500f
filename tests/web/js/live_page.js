// The live page's three parts (coach_view.js, live_connection.js, capture.js) wired as
// web/static/patient.js wires them, around the harness's fakes, and the server's messages a
// test plays: shared by coach_view.test.js and languages.test.js.
import { Capture } from "/static/capture.js";
import { CoachView } from "/static/coach_view.js";
import { LatencyMeter } from "/static/latency.js";
import { LiveConnection, livePath } from "/static/live_connection.js";
import { TargetsView } from "/static/targets.js";
import { FakeClock, FakeSpeaker, socketFactory } from "./harness.js";

export const SQUAT = {
  id: "squat", name: "Squat", kind: "reps", body: "full", view: "side", views: ["side"],
  instructions: "Sit back as if into a chair.", measure: "knee_flexion", reps: null,
};
export const HOLD = { ...SQUAT, id: "wall_sit", name: "Wall sit", kind: "hold", hold_s: 20, reps: 3 };
export const EDGES = [[11, 12], [11, 23], [12, 24], [23, 24]];
export const LANDMARKS = Array.from({ length: 33 }, () => [0.5, 0.5, 0.9]);
LANDMARKS[11] = [0.4, 0.3, 0.9];
LANDMARKS[12] = [0.6, 0.3, 0.9];
LANDMARKS[23] = [0.4, 0.6, 0.9];
LANDMARKS[24] = [0.6, 0.6, 0.9];

/** The page's three parts, wired as web/static/patient.js wires them, around fakes. */
export function livePage(exercise = SQUAT) {
  const clock = new FakeClock();
  const factory = socketFactory();
  const speaker = new FakeSpeaker();
  const latency = new LatencyMeter();
  const page = { running: true, halted: 0, ended: 0, connected: 0 };
  const connection = new LiveConnection({
    path: () => livePath({
      exercise: view.exercise.id, pose: "server", session: view.sessionId, reps: view.count, holds: view.holds,
    }),
    isRunning: () => page.running,
    keptCount: () => view.count,
    on: {
      message: (msg) => view.handle(msg),
      reset: () => capture.reset(),
      refused: (why) => view.refused(why),
      retrying: (alert) => view.showAlert(alert),
      waiting: (line) => view.setConnection(line),
    },
    openSocket: factory.open,
    clock,
  });
  const capture = new Capture({
    video: { videoWidth: 0, videoHeight: 0 },
    connection,
    latency,
    isRunning: () => page.running,
    on: { drawPose: (lm, size) => view.drawPose(lm, size), notice: () => {}, forcedFailed: () => {} },
    clock,
  });
  const view = new CoachView({
    speaker,
    targets: new TargetsView({ canvas: document.getElementById("targets-canvas"), media: document.getElementById("media") }),
    latency,
    capture,
    connection,
    clock,
    page: {
      isRunning: () => page.running,
      halt: () => { page.halted += 1; page.running = false; capture.stopCamera(); },
      endSession: () => { page.ended += 1; },
      connected: () => { page.connected += 1; },
    },
  });
  view.showCoach(exercise);
  connection.connect();
  factory.latest.open();
  return {
    clock, factory, speaker, page, connection, capture, view,
    get ws() { return factory.latest; },
  };
}

export function session(extra = {}) {
  return {
    type: "session", session_id: "s1", follow_path: "/follow/s1", skeleton_edges: EDGES,
    stage: "setup", rep_count: 0, holds_completed: 0, set: null, followers: 0, how: "new",
    pose: "server", ...extra,
  };
}

export function frame(extra = {}) {
  return {
    type: "frame", stage: "active", rep_count: 0, holds_completed: 0, set: null, events: [],
    image: [640, 480], landmarks: LANDMARKS, fault_joints: [], cue: "", setup: null, ...extra,
  };
}

export const rep = (index) => ({ kind: "RepCompleted", index, rom_deg: 84.6, score: 91.2, faults: [] });
