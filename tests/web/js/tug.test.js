// web/static/tug.js driven with the server's messages by hand: what to set up before Start,
// "Go" once seated (shown and said, after how to do the test), a clock from the frames' own
// times once the patient has stood up, and the total in words with the fall-risk cut-off and
// its source; the follower's log lines.
import { TugView, followLine, resultWords } from "/static/tug.js";
import { FakeSpeaker, assert, equal, shown, test, text } from "./harness.js";

const HELLO = { type: "session", tug: { test: "timed_up_and_go", fall_risk_s: 12, walk_m: 3, source: "CDC STEADI (2017)" } };
const frame = (t, events = []) => ({ type: "frame", t, events });
const done = (total, risk = false, reason = "seated") => ({ kind: "TugDone", t: 20, total_s: total, fall_risk_s: 12, fall_risk: risk, reason });

function view() {
  const speaker = new FakeSpeaker();
  const v = new TugView({ speaker });
  v.showCoach({ id: "timed_up_and_go", name: "Timed Up and Go" });
  v.handle(HELLO);
  return { v, speaker };
}

test("before Start: how to set up", () => {
  const { v } = view();
  assert(text("exercise-instructions").startsWith("Put a mark on the floor 3 metres from a chair."), text("exercise-instructions"));
  assert(document.getElementById("coach").classList.contains("tug-test"), "the page is the test's");
  assert(shown("tug-box"), "its box shows once the session begins");
  equal(text("tug-how"), "Sit in the chair. I say \"Go\" once I see you seated.", "seated line");
  equal(text("tug-clock"), "0.0 s", "clock");
  assert(v.active, "active");
});

test("seated: how to do it, then Go, said in that order", () => {
  const { v, speaker } = view();
  v.handle(frame(2, [{ kind: "TugReady", t: 2 }]));
  equal(text("tug-clock"), "Go!", "Go shown");
  equal(speaker.words, ["Stand up, walk to the mark 3 metres away, turn, come back and sit down. Go when you hear \"Go\".", "Go!"], "said");
});

test("the clock runs from the rise on the frames' times", () => {
  const { v } = view();
  v.handle(frame(2, [{ kind: "TugReady", t: 2 }]));
  v.handle(frame(5.0, [{ kind: "TugStarted", t: 5.0 }]));
  equal(text("tug-clock"), "0.0 s", "at the rise");
  v.handle(frame(8.46));
  equal(text("tug-clock"), "3.4 s", "3.46 s later");
  equal(text("tug-how"), "Walk to the mark, turn, come back and sit down.", "while walking");
});

test("the total in words, with the cut-off and the source", () => {
  const { v, speaker } = view();
  v.handle(frame(5.0, [{ kind: "TugStarted", t: 5.0 }]));
  v.handle(frame(16.6, [done(10.96)]));
  equal(text("tug-clock"), "11.0 s", "the total on the clock");
  equal(text("tug-result"), "You took 11.0 seconds to stand up, walk, turn, come back and sit down."
    + " That is under 12 seconds, the time linked to a higher risk of falling.", "result");
  equal(text("tug-source"), "Source: CDC STEADI (2017)", "source");
  assert(speaker.words.at(-1).startsWith("You took 11.0 seconds"), "said");
  v.handle(frame(17.0));
  equal(text("tug-clock"), "11.0 s", "the clock stops");
});

test("at or past the cut-off: the fall risk", () => {
  equal(resultWords(done(13.04, true), HELLO.tug),
    ["You took 13.0 seconds to stand up, walk, turn, come back and sit down.",
      "12 seconds or more is linked to a higher risk of falling."], "at risk");
});

test("no total: why, and no number", () => {
  equal(resultWords(done(null, false, "not_found"), HELLO.tug),
    ["I could not time that attempt: I did not see you stand up and sit down again.",
      "Your therapist may ask you to do the test again."], "not found");
  equal(resultWords(done(null, false, "too_long"), HELLO.tug)[0],
    "I stopped timing: you had not sat down again after two minutes.", "too long");
});

test("the summary says the result, or that the test ended early", () => {
  const { v } = view();
  v.handle({ type: "summary", summary: { tug: { done: true, result: done(9.5) } } });
  assert(text("summary").startsWith("You took 9.5 seconds"), text("summary"));
  const other = view();
  other.v.handle({ type: "summary", summary: { tug: { done: false, result: null } } });
  equal(text("summary"), "The test ended before you sat down again.", "ended early");
});

test("another exercise leaves the page as it was", () => {
  const v = new TugView({ speaker: new FakeSpeaker() });
  v.showCoach({ id: "squat", name: "Squat" });
  v.handle(HELLO);
  assert(!shown("tug-box"), "no box");
  assert(!document.getElementById("coach").classList.contains("tug-test"));
});

test("the following therapist's log", () => {
  equal(followLine({ kind: "TugReady" }), "Timed Up and Go: seated, \"Go\" said", "ready");
  equal(followLine({ kind: "TugStarted" }), "Timed Up and Go: stood up, timing", "started");
  equal(followLine(done(10.96)), "Timed Up and Go over: 11.0 s", "timed");
  equal(followLine(done(12.4, true)), "Timed Up and Go over: 12.4 s; at risk of falling (CDC STEADI)", "risk");
  equal(followLine(done(null, false, "ended")), "Timed Up and Go over: not timed", "not timed");
  equal(followLine({ kind: "StageShown" }), null, "not the test's");
});

test("a reconnect after the result keeps it on the page", () => {
  const { v } = view();
  v.handle(frame(16.6, [done(10.96)]));
  const result = text("tug-result");
  v.handle(HELLO); // the socket came back: a new hello
  equal(text("tug-result"), result, "result kept");
  equal(text("tug-clock"), "11.0 s", "clock kept");
});
