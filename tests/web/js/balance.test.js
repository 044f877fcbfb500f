// web/static/balance.js driven with the server's messages by hand: each stance in words, the
// countdown from the frames' own times, the control a support button sends, and the result in
// plain words (no ids, no degrees) with the fall risk only when a stance was really lost.
import { BalanceView, followLine, resultWords } from "/static/balance.js";
import { FakeSpeaker, assert, equal, shown, test, text } from "./harness.js";

const HELLO = {
  type: "session",
  balance: {
    test: "four_stage_balance",
    hold_s: 10,
    fall_risk_below_stage: 3,
    stages: [
      { stage: 1, id: "feet_together", demo: "feet_together_stance" },
      { stage: 2, id: "semi_tandem", demo: "semi_tandem_stance" },
      { stage: 3, id: "tandem", demo: "tandem_stance" },
      { stage: 4, id: "single_leg", demo: "single_leg_stance" },
    ],
    source: "CDC STEADI (2017)",
  },
};
const TEST = HELLO.balance;

function view() {
  const speaker = new FakeSpeaker();
  const sent = [];
  const v = new BalanceView({ speaker, send: (m) => sent.push(m) });
  v.showCoach({ id: "four_stage_balance", name: "Four-stage balance test" });
  v.handle(HELLO);
  return { v, speaker, sent };
}

const frame = (t, events = []) => ({ type: "frame", t, events });
const ended = (stage, id, held, passed, reason) => ({ kind: "StageEnded", t: 0, stage, id, held_s: held, hold_s: 10, passed, reason });

test("each stance is shown in words", () => {
  const { v, speaker } = view();
  assert(shown("balance-box"), "the test's box shows");
  assert(document.getElementById("coach").classList.contains("balance-test"));
  v.handle(frame(0, [{ kind: "StageShown", t: 0, stage: 3, id: "tandem", hold_s: 10 }]));
  equal(text("balance-stage"), "Stance 3 of 4: tandem stance", "stage line");
  assert(text("balance-how").startsWith("Put one foot right in front of the other"), text("balance-how"));
  assert(speaker.words[0].startsWith("Stance 3 of 4: tandem stance."), speaker.words[0]);
});

test("the first stance shows before the setup check has passed", () => {
  const { speaker } = view();
  equal(text("balance-stage"), "Stance 1 of 4: side by side stance", "stage line");
  equal(text("balance-count"), "10", "count");
  equal(speaker.words, [], "nothing said yet");
});

test("the countdown runs from the frames' times once the stance is seen", () => {
  const { v } = view();
  v.handle(frame(0, [{ kind: "StageShown", t: 0, stage: 1, id: "feet_together", hold_s: 10 }]));
  equal(text("balance-count"), "10", "before the stance is seen");
  v.handle(frame(3.0, [{ kind: "StageStarted", t: 3.0, stage: 1, id: "feet_together", start_s: 2.0, hold_s: 10 }]));
  equal(text("balance-count"), "9", "the clock runs from when the stance was taken");
  v.handle(frame(7.4));
  equal(text("balance-count"), "5", "counting down");
  v.handle(frame(13.0));
  equal(text("balance-count"), "0", "never below 0");
});

test("holding is said once the stance is seen", () => {
  const { v, speaker } = view();
  v.handle(frame(3.0, [{ kind: "StageStarted", t: 3.0, stage: 1, id: "feet_together", start_s: 2.0, hold_s: 10 }]));
  equal(speaker.words.at(-1), "Hold it for 10 seconds.", "said");
  assert(text("balance-how").endsWith("Hold it for 10 seconds."), text("balance-how"));
});

test("the support button tells the server", () => {
  const { sent } = view();
  assert(shown("balance-support"), "the button shows once the test runs");
  document.getElementById("balance-support").click();
  equal(sent, [{ type: "support" }], "sent");
});

test("the result names the stance and the risk, with its source", () => {
  const { v, speaker } = view();
  v.handle(frame(30, [
    ended(1, "feet_together", 10, true, "held"),
    ended(2, "semi_tandem", 10, true, "held"),
    ended(3, "tandem", 5.92, false, "stepped"),
    { kind: "BalanceDone", t: 30, last_stage_passed: 2, stages: 4, fall_risk: true },
  ]));
  equal(
    text("balance-result"),
    "You moved a foot. You held the first 2 stances for 10 seconds each. You held the tandem stance for 6 seconds: under 10 seconds is linked to a higher risk of falling.",
    "result",
  );
  equal(text("balance-source"), "Source: CDC STEADI (2017)", "source");
  assert(!shown("balance-support"), "no support button once over");
  assert(speaker.words.at(-1).includes("higher risk of falling"), "the result is said");
});

test("all four held", () => {
  equal(resultWords([1, 2, 3, 4].map((i) => ended(i, "x", 10, true, "held")), TEST),
    ["You held all 4 stances for 10 seconds each. Well done!"], "all held");
});

test("the one-leg stance lost: no fall risk claimed", () => {
  equal(resultWords([ended(1, "feet_together", 10, true, "held"), ended(2, "semi_tandem", 10, true, "held"),
    ended(3, "tandem", 10, true, "held"), ended(4, "single_leg", 4.4, false, "support")], TEST),
  ["You held on to something.", "You held the first 3 stances for 10 seconds each.", "You held the one-leg stance for 4 seconds."],
  "stage 4 lost");
});

test("the first stance lost: one second, and the risk", () => {
  equal(resultWords([ended(1, "feet_together", 1.2, false, "stance_lost")], TEST),
    ["The stance changed.", "You held the side by side stance for 1 second: under 10 seconds is linked to a higher risk of falling."],
    "stage 1 lost");
});

test("a stance not taken or not seen claims no risk", () => {
  equal(resultWords([ended(1, "feet_together", 10, true, "held"), ended(2, "semi_tandem", 0, false, "not_taken")], TEST),
    ["I did not see the stance.", "The test stopped at the semi-tandem stance.", "Your therapist may ask you to do the test again."],
    "not taken");
  equal(resultWords([ended(1, "feet_together", 3, false, "feet_unseen")], TEST)[0], "I could not see your feet.", "unseen");
});

test("the summary after a reconnect says the result too", () => {
  const { v } = view();
  v.handle({ type: "summary", summary: { balance: { done: true, source: "CDC STEADI (2017)", stages: [ended(1, "feet_together", 2, false, "stepped")] } } });
  assert(text("balance-result").startsWith("You moved a foot. You held the side by side stance for 2 seconds"), text("balance-result"));
  equal(text("balance-source"), "Source: CDC STEADI (2017)", "source");
  equal(text("summary"), text("balance-result"), "the summary says the result, not a count of holds");
});

test("a test ended early says so in the summary", () => {
  const { v } = view();
  v.handle({ type: "summary", summary: { balance: { done: false, stages: [ended(1, "feet_together", 10, true, "held")] } } });
  equal(text("summary"), "The test ended before all the stances were done. You held the first stance for 10 seconds.", "summary");
  equal(text("balance-result"), "", "no result");
});

test("another exercise leaves the page as it was", () => {
  const speaker = new FakeSpeaker();
  const v = new BalanceView({ speaker, send: () => {} });
  v.showCoach({ id: "squat", name: "Squat" });
  v.handle(HELLO);
  assert(!shown("balance-box"), "no balance box");
  assert(!document.getElementById("coach").classList.contains("balance-test"));
});

test("the following therapist's log says each stage", () => {
  equal(followLine({ kind: "StageShown", stage: 3, id: "tandem", hold_s: 10 }), "Balance test: stance 3 (tandem stance) shown", "shown");
  equal(followLine({ kind: "StageStarted", stage: 3, id: "tandem", start_s: 1, hold_s: 10 }), "Stance 3 taken: timing", "started");
  equal(followLine(ended(3, "tandem", 5.92, false, "stepped")), "Stance 3 held 5.9 s: not passed (moved a foot)", "failed");
  equal(followLine(ended(1, "feet_together", 10, true, "held")), "Stance 1 held 10.0 s: passed", "passed");
  equal(followLine({ kind: "BalanceDone", last_stage_passed: 2, stages: 4, fall_risk: true }),
    "Balance test over: last stance held 2 of 4; increased risk of falling (CDC STEADI)", "done");
  equal(followLine({ kind: "RepCompleted" }), null, "not the test's");
});
