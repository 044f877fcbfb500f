// web/static/coach_view.js wired as the page wires it (live_connection.js and capture.js
// around it; tests/web/js/live_page.js), the server played through a fake WebSocket, time moved
// by a fake clock: what the patient sees and hears for each reply, event, error, close and the
// summary.
import { CoachView } from "/static/coach_view.js";
import { assert, equal, shown, test, text } from "./harness.js";
import { HOLD, LANDMARKS, SQUAT, frame, livePage, rep, session } from "./live_page.js";

function painted() {
  const c = document.getElementById("overlay");
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n += 1;
  return n;
}

test("before a session: the exercise, how to stand, and a count kept from before", () => {
  sessionStorage.setItem("coach.count.s0", JSON.stringify({ reps: 4, holds: 0 }));
  const view = new CoachView({ sessionId: "s0", page: {} });
  view.showCoach(SQUAT);
  equal(text("exercise-name"), "Squat", "name");
  equal(document.title, "Squat – Coach", "title");
  equal(text("view-advice"), "Stand side-on to the camera (turn a quarter turn). The camera must see your whole body, head to feet.", "advice");
  equal(text("rep-count"), "4", "count kept");
  assert(shown("coach") && !shown("picker"), "the coach shown");
});

test("a session message: the session, the therapist's link, the count so far", () => {
  const p = livePage();
  p.ws.receive(session({ rep_count: 2 }));
  equal(text("session-id"), "s1", "session id");
  equal(document.getElementById("follow-link").href, `${location.origin}/follow/s1`, "link");
  assert(shown("session-box"), "session box");
  equal(new URL(location.href).searchParams.get("session"), "s1", "address");
  equal(text("rep-count"), "2", "count");
  equal(text("connection"), "Connected to the coach.", "connection line");
  equal(JSON.parse(sessionStorage.getItem("coach.count.s1")), { reps: 2, holds: 0 }, "kept");
  equal(p.page.connected, 1, "the page told");
  equal(text("pose-mode"), "", "no pose line without a decision");
  p.ws.receive(session({ how: "resumed", followers: 1 }));
  equal(text("connection"), "Reconnected. Your session continues.", "resumed");
  equal(text("followers"), "Your therapist is watching.", "followers");
});

test("a frame reply updates the count and says the rep", () => {
  const p = livePage();
  p.ws.receive(session());
  p.ws.receive(frame({ rep_count: 3, events: [rep(3)] }));
  equal(text("rep-count"), "3", "count");
  equal(p.speaker.words, ["3"], "said");
  equal(text("last-rep"), "Rep 3: range 85°, score 91", "last rep");
  equal(JSON.parse(sessionStorage.getItem("coach.count.s1")), { reps: 3, holds: 0 }, "kept");
  equal(p.view.count, 3, "the count a reconnect sends");
});

test("server mode: the reply's skeleton is drawn over the picture", () => {
  const p = livePage();
  p.ws.receive(session());
  p.ws.receive(frame());
  const c = document.getElementById("overlay");
  equal([c.width, c.height], [640, 480], "overlay size");
  assert(painted() > 100, "skeleton painted");
});

test("device mode: the page's own pose is drawn; the reply only says which joints are faulty", () => {
  const p = livePage();
  p.ws.receive(session({ pose: "device" }));
  p.ws.receive(frame({ landmarks: null, fault_joints: [23], image: [320, 240] }));
  equal(p.view.faultJoints, [23], "fault joints");
  const c = document.getElementById("overlay");
  assert(c.width !== 320, "the reply's image size is not used");
  p.view.drawPose(LANDMARKS.map(([x, y, v]) => [x, y, 0, v]), [640, 480]);
  equal([c.width, c.height], [640, 480], "overlay size");
  assert(painted() > 100, "skeleton painted");
});

test("a set's end is said in one go, and the rest counts down", () => {
  const p = livePage({ ...SQUAT, reps: 5, sets: 2 });
  p.ws.receive(session());
  const set = { set: 2, sets: 2, per_set: 5, done: 0, complete: false };
  p.ws.receive(frame({
    stage: "rest", rep_count: 5, set, rest: { left_s: 59.2, next_set: 2 },
    events: [rep(5), { kind: "SetCompleted", set: 1, sets: 2, rest_s: 60 }],
  }));
  equal(p.speaker.words, ["5. Set 1 done. Rest for 60 seconds."], "said");
  equal(text("rep-count"), "5", "count of the set just done");
  equal(text("set-progress"), "Set 1 of 2 done", "progress");
  assert(shown("rest-panel"), "rest shown");
  equal(text("rest-left"), "60 s", "rest left");
  equal(text("next-set"), "Start set 2 now", "button");
  p.ws.receive(frame({ stage: "active", rep_count: 5, set, events: [{ kind: "RestEnded", set: 2 }] }));
  assert(!shown("rest-panel"), "rest over");
  equal(p.speaker.words[1], "Set 2. Start when you are ready.", "said");
});

test("every set done: the last words, then the session ends after 2.5 s", () => {
  const p = livePage();
  p.ws.receive(session());
  const set = { set: 2, sets: 2, per_set: 5, done: 5, complete: true };
  p.ws.receive(frame({ rep_count: 10, set, events: [rep(10), { kind: "AllSetsDone" }] }));
  equal(p.speaker.words, ["5. All sets done. Well done!"], "said");
  p.clock.advance(2400);
  equal(p.page.ended, 0, "not yet");
  p.clock.advance(100);
  equal(p.page.ended, 1, "ended");
});

test("a summary shows what was done, and a new session is offered", () => {
  const p = livePage();
  history.replaceState(null, "", "?suite=coach_view&session=s1&autostart=1");
  p.ws.receive(session());
  document.getElementById("stop").focus();
  document.getElementById("stop").hidden = true; // as halt() hides it
  p.ws.receive({
    type: "summary",
    summary: {
      rep_count: 10, holds_completed: 0, set: { complete: true, sets: 2 },
      reps: [{ over_limit: true }, { over_limit: false }],
      faults: [{ id: "knees_in", message: "Knees in" }, { id: "knees_in", message: "Knees in" },
        { id: "range_limit", message: "Past the limit" }],
    },
  });
  equal(text("summary"), "All done: 2 sets, 10 reps. Well done! 1 rep went past your limit: next time, not"
    + " so far. To work on: Knees in.", "summary");
  assert(shown("summary"), "summary shown");
  equal(p.page.halted, 1, "the page stopped");
  equal(text("connection"), "Session ended.", "connection line");
  equal(text("start"), "Start a new session", "button");
  assert(shown("start-panel"), "start panel");
  const url = new URL(location.href);
  assert(!url.searchParams.has("session") && !url.searchParams.has("autostart"), `address: ${url}`);
  equal(p.view.sessionId, null, "session forgotten");
  equal(document.activeElement.id, "summary", "focus");
});

test("a summary with nothing counted says why, and how to stand next time", () => {
  const p = livePage();
  p.ws.receive(session());
  p.ws.receive({ type: "summary", summary: { rep_count: 0, no_count_reason: "Counting never started: I can't see your feet." } });
  equal(text("summary"), "Nothing was counted. Counting never started: I can't see your feet. Next time: Stand"
    + " side-on to the camera (turn a quarter turn). The camera must see your whole body, head to feet.", "summary");
  assert(document.getElementById("summary").classList.contains("nothing"), "marked");
});

test("a hold's summary counts holds", () => {
  const p = livePage(HOLD);
  p.page.running = false; // the patient ended it: the page stopped already
  p.ws.receive({ type: "summary", summary: { rep_count: 0, holds_completed: 1 } });
  equal(text("summary"), "Session finished: 1 hold.", "summary");
  equal(p.page.halted, 0, "not stopped twice");
});

test("still in the setup after 10 s: why, and how to stand, said once", () => {
  const p = livePage();
  p.ws.receive(session());
  const setup = { stage: "setup", setup: { message: "Step back: I can't see your feet." } };
  p.ws.receive(frame(setup));
  p.clock.advance(9900);
  p.ws.receive(frame(setup));
  assert(!shown("stand-help"), "not before 10 s");
  p.clock.advance(100);
  p.ws.receive(frame(setup));
  p.clock.advance(1000);
  p.ws.receive(frame(setup));
  assert(shown("stand-help"), "shown");
  equal(text("stand-why"), "I can't count yet: Step back: I can't see your feet.", "why");
  assert(text("stand-how").startsWith("How to stand: Stand side-on"), text("stand-how"));
  equal(p.speaker.words.filter((w) => w.startsWith("I can't count yet")).length, 1, "said once");
  p.ws.receive(frame());
  assert(!shown("stand-help"), "gone once counting");
});

test("in position: a notice for 4 s, not in the red alert box", () => {
  const p = livePage();
  p.ws.receive(session());
  p.ws.receive(frame({ stage: "setup" }));
  p.ws.receive(frame({ stage: "active" }));
  equal(text("notice"), "You are in position. Start the exercise!", "notice");
  assert(shown("notice") && !shown("alert"), "shown as good news");
  p.clock.advance(4000);
  assert(!shown("notice"), "gone after 4 s");
});

test("the prescription: no default count before the session, the patient's with it", () => {
  const p = livePage({ ...SQUAT, reps: 10, sets: 3 });
  equal(text("rep-target"), "", "nothing before the session (not the definition's 10)");
  const box = document.getElementById("reps-box");
  equal(getComputedStyle(box).display, "none", "the count waits for Start");
  document.getElementById("coach").classList.add("started");
  assert(getComputedStyle(box).display !== "none", "shown once started");
  p.ws.receive(session({ exercise: { ...SQUAT, reps: 3, sets: 1 } }));
  equal(text("rep-target"), "of 3", "the patient's prescription");
});

test("the depth gauge past the limit shows the limit, not success", () => {
  const p = livePage({ ...SQUAT, measure: "hip_height", target: 0.6, rest: 1.0 });
  p.ws.receive(session());
  const gauge = document.getElementById("rom-gauge");
  const at = (value, events = []) => p.ws.receive(frame({ measure: { name: "hip_height", value, target: 0.6 }, events }));
  at(0.6); // the target reached, no limit crossed: success
  assert(gauge.classList.contains("reached") && !gauge.classList.contains("past"), "reached");
  equal(text("rom-value"), "100% of the target range", "words");
  const crossed = { kind: "FaultDetected", id: "range_limit", message: "Past the limit", t: 1 };
  at(0.5, [crossed]); // 125%: the range limit is crossed on this frame
  assert(gauge.classList.contains("past") && !gauge.classList.contains("reached"), "past, not green");
  equal(text("rom-value"), "Past your limit: not so far", "words");
  equal(gauge.getAttribute("aria-valuetext"), "Past your limit", "read out");
  const mark = gauge.querySelector(".limit");
  assert(mark && mark.style.insetInlineStart.includes("100%"), `the limit marked: ${mark && mark.style.insetInlineStart}`);
  at(0.5); // still that deep on the next frames
  assert(gauge.classList.contains("past"), "still past");
  at(0.64); // back within the limit: 90% of the target
  assert(!gauge.classList.contains("past") && !gauge.classList.contains("reached"), "within");
  equal(text("rom-value"), "90% of the target range", "words again");
});

test("technical words are in the details, out of the patient's view", () => {
  const p = livePage();
  p.ws.receive(session());
  const details = document.getElementById("details");
  assert(!details.open, "folded away");
  for (const id of ["session-box", "pose-mode", "speed", "latency"]) {
    assert(details.contains(document.getElementById(id)), `${id} in the details`);
  }
  equal(text("connection"), "Connected to the coach.", "plain words for the patient");
  p.view.showSpeed({ frames: 12, p50: 80 });
  equal(text("connection"), "Connected to the coach.", "no numbers for the patient");
});

test("past the range limit: said above everything, shown for 5 s", () => {
  const p = livePage();
  p.ws.receive(session());
  p.ws.receive(frame({ events: [{ kind: "Cue", source: "range_limit", text: "Not so far", priority: 2 }] }));
  equal(p.speaker.said, [{ words: "Not so far", priority: 6 }], "said");
  assert(shown("limit-warning"), "shown");
  p.clock.advance(5000);
  assert(!shown("limit-warning"), "gone");
});

test("a fatal error stops the page, offers Start again and forgets a session that is gone", () => {
  const p = livePage();
  p.ws.receive(session());
  p.ws.receive({ type: "error", code: "unknown_session", fatal: true, message: "That session is not on this server." });
  equal(text("alert"), "That session is not on this server.", "alert");
  equal(p.page.halted, 1, "stopped");
  equal(text("start"), "Start again", "button");
  assert(shown("start-panel"), "start panel");
  assert(!new URL(location.href).searchParams.has("session"), "address");
  equal(text("connection"), "Not connected.", "connection line");
  p.ws.end(1011);
  p.clock.advance(120000);
  equal(p.factory.sockets.length, 1, "sockets");
});

test("taken over by another tab: no Start button", () => {
  const p = livePage();
  p.ws.receive(session());
  p.ws.receive({ type: "error", code: "taken_over", fatal: true, message: "Opened elsewhere." });
  assert(!shown("start-panel"), "start panel");
});

test("busy: the error is shown, the page keeps going and retries after the close", () => {
  const p = livePage();
  p.ws.receive(session());
  p.ws.receive({ type: "error", code: "server_busy", fatal: true, message: "Busy." });
  equal(p.page.halted, 0, "not stopped");
  p.ws.end(4503);
  equal(text("alert"), "The coach is busy with other patients right now. The page will try again by itself; please wait.", "alert");
  equal(text("connection"), "The coach is busy with other patients right now. Trying again in 5 s… Your count so far (0) is kept.", "countdown");
  p.clock.advance(1000);
  equal(text("connection"), "The coach is busy with other patients right now. Trying again in 4 s… Your count so far (0) is kept.", "a second later");
  p.clock.advance(4000);
  equal(p.factory.sockets.length, 2, "sockets");
});

test("an error that is not fatal is a notice for 5 s; a bad landmark message is not shown", () => {
  const p = livePage();
  p.ws.receive(session());
  p.ws.receive({ type: "error", code: "bad_landmarks", fatal: false, message: "x", seq: 3 });
  assert(!shown("alert"), "bad landmarks not shown");
  p.ws.receive({ type: "error", code: "bad_frame", fatal: false, message: "That picture could not be read." });
  equal(text("alert"), "That picture could not be read.", "notice");
  p.clock.advance(5000);
  assert(!shown("alert"), "gone after 5 s");
});

for (const [code, button] of [[4410, "Start again"], [4408, "Try again"], [4429, "Try again"], [4409, null]]) {
  test(`close ${code}: the words on screen and spoken, ${button || "no button"}, no reconnect`, () => {
    const p = livePage();
    p.ws.receive(session({ rep_count: 3 }));
    p.view.showNotice("Link copied. Send it to your therapist.", 3000);
    p.ws.end(code);
    const words = text("alert");
    assert(words.length > 20 && shown("alert"), `alert: ${words}`);
    equal(p.speaker.said.at(-1), { words, priority: 3 }, "spoken");
    equal(p.page.halted, 1, "stopped");
    equal(shown("start-panel"), !!button, "start panel");
    if (button) equal(text("start"), button, "button");
    equal(text("connection"), "Not connected.", "connection line");
    equal(new URL(location.href).searchParams.has("session"), code !== 4410, "session kept in the address");
    p.clock.advance(600000);
    equal(text("alert"), words, "still on screen (an earlier notice does not wipe it)");
    equal(p.factory.sockets.length, 1, "sockets");
  });
}

test("a lost connection: the words while waiting, then the same session with its count", () => {
  const p = livePage();
  p.ws.receive(session());
  p.ws.receive(frame({ rep_count: 3, events: [rep(3)] }));
  p.ws.end(1006);
  equal(text("alert"), "Connection to the coach lost. Reconnecting…", "alert");
  equal(text("connection"), "Connection to the coach lost. Trying again in 1 s… Your count so far (3) is kept.", "countdown");
  p.clock.advance(1000);
  equal(p.factory.sockets.length, 2, "sockets");
  assert(p.ws.url.endsWith("/ws/live?exercise=squat&pose=server&session=s1&reps=3&holds=0"), p.ws.url);
});

test("the therapist's message: shown, spoken, gone by itself after 30 s", () => {
  const p = livePage();
  p.ws.receive(session());
  p.ws.receive({ type: "therapist_message", text: "Nice depth" });
  equal(text("therapist-text"), "Message from your therapist: Nice depth", "shown");
  assert(shown("therapist-message"), "visible");
  equal(p.speaker.said, [{ words: "Message from your therapist: Nice depth", priority: 4 }], "said");
  p.clock.advance(30000);
  assert(document.getElementById("therapist-message").classList.contains("fading"), "fading");
  p.clock.advance(600);
  assert(!shown("therapist-message"), "gone");
});

test("a camera problem stays on screen until it is solved", () => {
  const p = livePage();
  p.view.cameraProblem = "No camera was found. Connect a camera, then press Start again.";
  p.ws.receive(session());
  equal(text("alert"), "No camera was found. Connect a camera, then press Start again.", "kept");
  p.view.cameraProblem = "";
  p.view.showAlert("");
  assert(!shown("alert"), "gone once solved");
});

test("the speed once a second in the details, in each mode", () => {
  const p = livePage();
  p.ws.receive(session());
  p.view.showSpeed({ frames: 12, p50: 80 });
  equal(text("speed"), "Connected · 12 frames/s · 80 ms", "server mode");
  p.ws.receive(session({ pose: "device" }));
  p.view.showSpeed({ frames: 28, p50: 31 });
  equal(text("speed"), "Connected · pose on this device · 28 frames/s · 31 ms a frame", "device mode");
});

test("sharing video: said to the server on every new connection", () => {
  const p = livePage();
  document.getElementById("share-video").checked = true;
  p.ws.receive(session());
  equal(p.ws.json(), [{ type: "share_video", enabled: true }], "sent");
});

test("a targets task: targets instead of a count, its own end words", () => {
  const p = livePage({ ...SQUAT, id: "targets_reach_seated", kind: "targets" });
  assert(!shown("reps-box"), "no rep count");
  p.ws.receive(session({ kind: "targets", targets: { task: "targets_reach_seated", count: 2 } }));
  assert(shown("targets-box"), "targets box");
  equal(text("target-now"), "Sit still and watch for the first target.", "first words");
  p.ws.receive({ type: "summary", summary: { rep_count: 0, targets: { count: 2, done: 2, touched: 2 } } });
  equal(text("summary"), "All done: you touched 2 of 2 targets. Well done!", "summary");
  assert(!shown("targets-box"), "targets put away");
});
