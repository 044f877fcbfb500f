// web/static/live_connection.js with a fake WebSocket and a fake clock: what each close code
// means to the patient, which closes are retried and with what waits, and which never are.
import { CLOSED_FOR_GOOD, LiveConnection, livePath } from "/static/live_connection.js";
import { FakeClock, assert, equal, socketFactory, test } from "./harness.js";

/** A connection as the page makes it, with every hook recorded. */
function make({ running = true, count = 7 } = {}) {
  const clock = new FakeClock();
  const factory = socketFactory();
  const seen = { messages: [], resets: 0, refused: [], retrying: [], waiting: [] };
  const page = { running, count };
  const conn = new LiveConnection({
    path: () => livePath({ exercise: "squat", pose: "server", session: page.session, reps: page.count }),
    isRunning: () => page.running,
    keptCount: () => page.count,
    on: {
      message: (msg) => seen.messages.push(msg),
      reset: () => { seen.resets += 1; },
      refused: (why) => seen.refused.push(why),
      retrying: (alert) => seen.retrying.push(alert),
      waiting: (line) => seen.waiting.push(line),
    },
    openSocket: factory.open,
    clock,
  });
  return { clock, factory, seen, page, conn };
}

/** Ms until the page opens its next socket (null: none within `limitMs`). */
function waitForSocket({ clock, factory }, limitMs = 120000) {
  const before = factory.sockets.length;
  for (let waited = 0; waited <= limitMs; waited += 100) {
    if (factory.sockets.length > before) return waited;
    clock.advance(100);
  }
  return null;
}

function connected(t) {
  t.conn.connect();
  t.factory.latest.open();
  t.factory.latest.receive({ type: "session", session_id: "abc123", pose: "server" });
}

test("the socket's address carries the exercise, the pose, and a resumed session's count", () => {
  const t = make();
  t.page.session = "s 1";
  t.conn.connect();
  const url = new URL(t.factory.latest.url);
  equal(url.protocol, "ws:", "protocol");
  equal(url.host, location.host, "host");
  equal(url.pathname + url.search, "/ws/live?exercise=squat&pose=server&session=s%201&reps=7&holds=0", "path");
  equal(t.factory.latest.binaryType, "arraybuffer", "binaryType");
  equal(livePath({ exercise: "reach out", pose: "device", level: "3", seed: "42" }),
    "/ws/live?exercise=reach%20out&pose=device&level=3&seed=42", "a targets task's path");
});

test("no socket when the page says not to connect", () => {
  const t = make();
  t.conn.path = () => null;
  t.conn.connect();
  equal(t.factory.sockets.length, 0, "sockets");
});

test("JSON messages are handed on; binary, broken and old sockets' messages are not", () => {
  const t = make();
  connected(t);
  const first = t.factory.latest;
  first.onmessage({ data: new ArrayBuffer(4) });
  first.onmessage({ data: "{not json" });
  first.receive({ type: "frame", rep_count: 1 });
  t.conn.reopen("changing pose mode");
  first.receive({ type: "frame", rep_count: 2 }); // the old socket, replaced
  equal(t.seen.messages.map((m) => m.type), ["session", "frame"], "messages handed on");
  equal(t.conn.pose, null, "the new socket's pose is not known before its session message");
});

test("the session message says where the pose is found (server when it says nothing)", () => {
  const t = make();
  t.conn.connect();
  t.factory.latest.open();
  t.factory.latest.receive({ type: "session", session_id: "a", pose: "device" });
  equal(t.conn.pose, "device", "pose");
  t.conn.connect();
  t.factory.latest.open();
  t.factory.latest.receive({ type: "session", session_id: "a" });
  equal(t.conn.pose, "server", "pose of a server without on-device support");
});

test("sends only on an open socket", () => {
  const t = make();
  equal(t.conn.sendJson({ type: "end" }), false, "before any socket");
  t.conn.connect();
  equal(t.conn.sendJson({ type: "end" }), false, "while connecting");
  assert(t.conn.active && !t.conn.isOpen, "connecting counts as active, not open");
  t.factory.latest.open();
  equal(t.conn.sendJson({ type: "end" }), true, "once open");
  equal(t.factory.latest.json(), [{ type: "end" }], "sent");
});

for (const [code, button, words] of [
  [4408, "Try again", "The coach stopped waiting for your camera"],
  [4429, "Try again", "Too many coaching sessions are open from this internet connection"],
  [4410, "Start again", "This session has ended. Press Start again to begin a new one."],
  [4409, null, "This session is now open in another window or tab"],
]) {
  test(`close ${code}: plain words, the way on, and no reconnect`, () => {
    const t = make();
    connected(t);
    t.factory.latest.end(code);
    equal(t.seen.refused.length, 1, "refusals");
    const why = t.seen.refused[0];
    equal(why, CLOSED_FOR_GOOD[code], "the words for the code");
    equal(why.button, button, "button");
    assert(why.text.includes(words), `words: ${why.text}`);
    equal(!!why.newSession, code === 4410, "a new session needed");
    assert(t.conn.fatal, "a refusal is final");
    equal(waitForSocket(t, 600000), null, "a new socket within 10 minutes");
    equal(t.seen.retrying, [], "retry words");
    equal(t.seen.waiting, [], "countdown");
  });
}

test("a refusal after the server's fatal error (the page already stopped) still says why", () => {
  const t = make();
  connected(t);
  t.factory.latest.receive({ type: "error", code: "taken_over", fatal: true, message: "x" });
  t.page.running = false; // the page stopped on the error message
  t.factory.latest.end(4409);
  equal(t.seen.refused.length, 1, "refusals");
  equal(waitForSocket(t), null, "a new socket");
});

test("a close after the patient ended the session is not retried, nor said", () => {
  const t = make();
  connected(t);
  t.page.running = false;
  t.factory.latest.end(1000);
  t.factory.latest.end(4408);
  equal(waitForSocket(t), null, "a new socket");
  equal([...t.seen.refused, ...t.seen.retrying], [], "words");
});

test("a fatal error ends it: the close that follows is not retried", () => {
  const t = make();
  connected(t);
  t.factory.latest.receive({ type: "error", code: "pipeline_failed", fatal: true, message: "x" });
  assert(t.conn.fatal, "fatal");
  t.factory.latest.end(1011);
  equal(waitForSocket(t), null, "a new socket");
  equal(t.seen.retrying, [], "retry words");
});

test("errors about one message, and 'busy' or 'stopping', do not end it", () => {
  const t = make();
  connected(t);
  for (const code of ["bad_landmarks", "bad_latency", "server_busy", "server_stopping"]) {
    t.factory.latest.receive({ type: "error", code, fatal: code.startsWith("server"), message: "x" });
    assert(!t.conn.fatal, `${code} is not final`);
  }
  t.factory.latest.end(1012);
  assert(waitForSocket(t) !== null, "reconnected after a restart");
});

test("a lost connection is retried after 1, 2, 4, then every 5 s, counted down with the count kept", () => {
  const t = make({ count: 7 });
  connected(t);
  const waits = [];
  for (let i = 0; i < 5; i += 1) {
    t.factory.latest.end(1006);
    waits.push(waitForSocket(t));
  }
  equal(waits, [1000, 2000, 4000, 5000, 5000], "waits (ms)");
  equal(t.seen.retrying[0], "Connection to the coach lost. Reconnecting…", "alert");
  assert(t.seen.waiting.includes(
    "Connection to the coach lost. Trying again in 4 s… Your count so far (7) is kept."),
  `countdown: ${t.seen.waiting.join(" | ")}`);
  assert(t.seen.waiting.includes(
    "Connection to the coach lost. Trying again in 1 s… Your count so far (7) is kept."), "last second");
  equal(t.seen.refused, [], "refusals");
});

test("a session message starts the waits from 1 s again", () => {
  const t = make();
  connected(t);
  t.factory.latest.end(1006);
  waitForSocket(t);
  t.factory.latest.end(1006);
  equal(waitForSocket(t), 2000, "second wait");
  t.factory.latest.open();
  t.factory.latest.receive({ type: "session", session_id: "abc123" });
  t.factory.latest.end(1006);
  equal(waitForSocket(t), 1000, "after a session");
});

test("a server restart (1012) says so, and is retried", () => {
  const t = make({ count: 3 });
  connected(t);
  t.factory.latest.end(1012);
  equal(t.seen.retrying, ["The coach server is restarting. Reconnecting…"], "alert");
  equal(t.seen.waiting, ["The coach server is restarting. Trying again in 1 s… Your count so far (3) is kept."],
    "countdown");
  equal(waitForSocket(t), 1000, "wait");
});

test("busy (4503) is retried after 5, 10, 20, 40 s, then every 60 s", () => {
  const t = make();
  connected(t);
  const waits = [];
  for (let i = 0; i < 6; i += 1) {
    t.factory.latest.end(4503);
    waits.push(waitForSocket(t));
  }
  equal(waits, [5000, 10000, 20000, 40000, 60000, 60000], "waits (ms)");
  equal(t.seen.retrying[0],
    "The coach is busy with other patients right now. The page will try again by itself; please wait.", "alert");
  assert(t.seen.waiting.includes(
    "The coach is busy with other patients right now. Trying again in 60 s… Your count so far (7) is kept."),
  "the countdown from 60 s");
});

test("ending the session during a countdown stops the retry", () => {
  const t = make();
  connected(t);
  t.factory.latest.end(4503);
  t.clock.advance(2000);
  t.page.running = false;
  equal(waitForSocket(t), null, "a new socket");
});

test("stopRetrying cancels a waiting retry", () => {
  const t = make();
  connected(t);
  t.factory.latest.end(1006);
  t.conn.stopRetrying();
  equal(waitForSocket(t), null, "a new socket");
});

test("reopen: the old socket is closed, its close not retried; a new one opens", () => {
  const t = make();
  connected(t);
  const old = t.factory.latest;
  t.conn.reopen("changing pose mode");
  equal(old.closedBy, { code: 1000, reason: "changing pose mode" }, "old socket closed");
  equal(t.factory.sockets.length, 2, "sockets");
  old.end(1000);
  equal(waitForSocket(t), null, "another socket after the old one's close");
  equal(t.seen.retrying, [], "retry words");
});

test("the page's own close (no camera) ends it without a retry once the session is off", () => {
  const t = make();
  connected(t);
  t.page.running = false;
  t.conn.close(1000, "no camera");
  equal(t.factory.latest.closedBy, { code: 1000, reason: "no camera" }, "closed");
  t.factory.latest.end(1000);
  equal(waitForSocket(t), null, "a new socket");
});

test("a new socket and each close tell the page nothing is on its way any more", () => {
  const t = make();
  connected(t);
  equal(t.seen.resets, 1, "after connect");
  t.factory.latest.end(1006);
  equal(t.seen.resets, 2, "after the close");
});
