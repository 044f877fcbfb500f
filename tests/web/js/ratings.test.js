// web/static/ratings.js with a fake server (fetch), clock and storage: pain is asked before
// the camera starts and after the day's last exercise, once a day; effort in the rest after a
// set, put away when counting starts again; nothing is ever asked while the coach counts; an
// answer goes to the session once it has seen the patient (and so is stored).
import { PRIORITY } from "/static/speech.js";
import { RatingPrompts } from "/static/ratings.js";
import { FakeClock, FakeSpeaker, assert, equal, settle, test, until } from "./harness.js";

const SQUAT = { id: "squat", name: "Squat", kind: "reps", body: "full" };
const KNEE = { ...SQUAT, id: "seated_knee_extension_left", body: "lower" };
const PATIENT_DAY = { patient: true, ask_pain_before: true, ask_pain_after: false, program: [], day_done: false };

/** The server's side: the day, and which sessions are stored (a POST to another is a 404). */
function fakeServer(day = PATIENT_DAY) {
  const server = { day, stored: new Set(), posts: [], refused: 0 };
  server.fetch = async (url, opts = {}) => {
    if (url === "/api/me/today") return { ok: true, status: 200, json: async () => server.day };
    const m = /^\/sessions\/([^/]+)\/ratings$/.exec(url);
    if (m && opts.method === "POST") {
      const sid = decodeURIComponent(m[1]);
      if (!server.stored.has(sid)) {
        server.refused += 1;
        return { ok: false, status: 404 };
      }
      server.posts.push({ sid, ...JSON.parse(opts.body) });
      return { ok: true, status: 201 };
    }
    return { ok: false, status: 404 };
  };
  return server;
}

class MemoryStorage {
  constructor() { this.items = new Map(); }
  getItem(k) { return this.items.has(k) ? this.items.get(k) : null; }
  setItem(k, v) { this.items.set(k, String(v)); }
}

function prompts(day = PATIENT_DAY) {
  const server = fakeServer(day);
  const clock = new FakeClock();
  const speaker = new FakeSpeaker();
  const storage = new MemoryStorage();
  const r = new RatingPrompts(speaker, document.body, { fetchImpl: server.fetch, clock, storage });
  return { server, clock, speaker, storage, r };
}

const prompt = () => document.querySelector("[data-testid=rating-prompt]");
const kind = () => prompt() && prompt().dataset.kind;
const choose = (v) => prompt().querySelector(`button[data-value='${v}']`).click();
const skip = () => prompt().querySelector(".rating-skip").click();
const session = (sid, extra = {}) => ({ type: "session", session_id: sid, how: "new", stage: "setup", set: null, exercise: SQUAT, ...extra });
const frame = (stage, set = null) => ({ type: "frame", stage, set, events: [] });
const set = (n, done, complete = false) => ({ set: n, sets: 2, done, per_set: 3, unit: "rep", complete });

test("pain before: asked before the camera starts, kept until the session has seen the patient", async () => {
  const { server, speaker, r } = prompts();
  let started = false;
  const before = r.beforeStart(KNEE).then(() => { started = true; });
  await until(() => kind() === "pain_before", "the pain question");
  equal(document.getElementById("rating-title").textContent, "How much pain do you feel in your legs now?", "title");
  equal(speaker.said.at(-1).priority, PRIORITY.help, "spoken, kept");
  assert(!started, "the camera waits for the answer");
  equal(document.activeElement, prompt().querySelector("button[data-value='0']"), "focus on 0");
  equal(prompt().querySelectorAll("button").length, 12, "0-10 and Skip");
  choose(3);
  await before;
  assert(started && !prompt(), "then the camera");
  r.onMessage(session("s1"));
  server.stored.add("s1");
  r.onMessage(frame("setup"));
  await settle();
  equal(server.posts, [], "not while the patient has not been seen");
  r.onMessage(frame("active"));
  await until(() => server.posts.length === 1, "posted");
  equal(server.posts, [{ sid: "s1", kind: "pain_before", value: 3, area: "legs" }], "to the session");
});

test("pain before is asked once a day: not again once given, nor once skipped", async () => {
  const given = prompts({ ...PATIENT_DAY, ask_pain_before: false });
  await given.r.beforeStart(SQUAT);
  assert(!prompt(), "already given today");
  const p = prompts();
  const first = p.r.beforeStart(SQUAT);
  await until(() => kind() === "pain_before", "asked");
  skip();
  await first;
  await p.r.beforeStart(SQUAT);
  assert(!prompt(), "skipped today: not asked again");
});

test("a try-out (nobody signed in): nothing is ever asked", async () => {
  const { r } = prompts({ patient: false });
  await r.beforeStart(SQUAT);
  r.onMessage(session("s1"));
  r.onMessage(frame("active", set(1, 2)));
  r.onMessage(frame("rest", set(2, 0)));
  r.afterSession({ patient: false });
  assert(!prompt(), "nothing asked");
});

test("effort: asked in the rest after a set, put away unanswered when counting starts again", async () => {
  const { server, r } = prompts({ ...PATIENT_DAY, ask_pain_before: false });
  await r.beforeStart(SQUAT);
  server.stored.add("s1");
  r.onMessage(session("s1"));
  r.onMessage(frame("active", set(1, 2)));
  assert(!prompt(), "nothing while counting");
  r.onMessage(frame("rest", set(2, 0)));
  equal(kind(), "effort", "asked in the rest");
  equal(document.getElementById("rating-title").textContent, "How hard was set 1?", "title");
  r.onMessage(frame("rest", set(2, 0)));
  equal(document.querySelectorAll("[data-testid=rating-prompt]").length, 1, "asked once");
  r.onMessage(frame("active", set(2, 0)));
  assert(!prompt(), "gone when the next set starts: nothing covers the count");
  await settle();
  equal(server.posts, [], "nothing stored for it");
});

test("sets with no rest between them: no question while counting", async () => {
  const { r } = prompts({ ...PATIENT_DAY, ask_pain_before: false });
  await r.beforeStart(SQUAT);
  r.onMessage(session("s1"));
  r.onMessage(frame("active", set(1, 2)));
  r.onMessage(frame("active", set(2, 0))); // set 1 done, set 2 counting at once
  r.onMessage(frame("active", set(2, 1)));
  assert(!prompt(), "not asked");
});

test("effort of the last set: asked once all is done, and stored with its set", async () => {
  const { server, r } = prompts({ ...PATIENT_DAY, ask_pain_before: false });
  await r.beforeStart(SQUAT);
  server.stored.add("s1");
  r.onMessage(session("s1"));
  r.onMessage(frame("active", set(2, 2)));
  r.onMessage(frame("done", set(2, 3, true)));
  equal(kind(), "effort", "asked");
  choose(6);
  await until(() => !prompt(), "closed once saved");
  equal(server.posts, [{ sid: "s1", kind: "effort", value: 6, set: 2 }], "stored");
});

test("pain after: once the day's program is done, for the session just over", async () => {
  const { server, r } = prompts({ ...PATIENT_DAY, ask_pain_before: false });
  await r.beforeStart(SQUAT);
  server.stored.add("s1");
  r.onMessage(session("s1"));
  r.onMessage(frame("active", set(1, 0)));
  r.afterSession({ ...PATIENT_DAY, ask_pain_after: false, day_done: false });
  assert(!prompt(), "not while the day's program is not done");
  r.afterSession({ ...PATIENT_DAY, ask_pain_after: true, day_done: true });
  equal(kind(), "pain_after", "asked");
  choose(2);
  await until(() => server.posts.length === 1, "stored");
  equal(server.posts[0], { sid: "s1", kind: "pain_after", value: 2 }, "for the session");
});

test("a session that never saw the patient: pain after is not asked, pain before waits for the next", async () => {
  const { server, r } = prompts();
  const before = r.beforeStart(SQUAT);
  await until(() => kind() === "pain_before", "asked");
  choose(4);
  await before;
  r.onMessage(session("blocked"));
  r.onMessage(frame("setup"));
  r.afterSession({ ...PATIENT_DAY, ask_pain_after: true, day_done: true });
  assert(!prompt(), "nothing to rate");
  await r.beforeStart(SQUAT); // started again: the answer is still kept, not asked again
  assert(!prompt(), "not asked twice");
  server.stored.add("s2");
  r.onMessage(session("s2"));
  r.onMessage(frame("active"));
  await until(() => server.posts.length === 1, "posted");
  equal(server.posts[0].sid, "s2", "to the session that saw the patient");
  equal(server.refused, 0, "never to the one that did not");
});

test("the session may be stored a moment after the patient is seen: the answer is retried", async () => {
  const { server, clock, r } = prompts();
  const before = r.beforeStart(SQUAT);
  await until(() => kind() === "pain_before", "asked");
  choose(5);
  await before;
  r.onMessage(session("s1"));
  r.onMessage(frame("active"));
  await until(() => server.refused === 1, "first try refused");
  server.stored.add("s1");
  clock.advance(1500);
  await until(() => server.posts.length === 1, "stored on the retry");
});

test("an unanswered question goes away by itself after a minute", async () => {
  const { clock, r } = prompts({ ...PATIENT_DAY, ask_pain_before: false });
  await r.beforeStart(SQUAT);
  r.onMessage(session("s1"));
  r.onMessage(frame("active", set(1, 2)));
  r.onMessage(frame("rest", set(2, 0)));
  assert(prompt(), "asked");
  clock.advance(60000);
  assert(!prompt(), "gone");
});

test("Escape skips the question", async () => {
  const { r } = prompts();
  const before = r.beforeStart(SQUAT);
  await until(() => kind() === "pain_before", "asked");
  prompt().dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
  await before;
  assert(!prompt(), "skipped");
});

test("a hand-eye targets task is not an effort: no question after it", async () => {
  const { r } = prompts({ ...PATIENT_DAY, ask_pain_before: false });
  await r.beforeStart({ ...SQUAT, kind: "targets" });
  r.onMessage(session("s1"));
  const run = (done, complete = false) => ({ set: 1, sets: 1, done, per_set: 12, unit: "target", complete });
  r.onMessage(frame("active", run(11)));
  r.onMessage(frame("done", run(12, true)));
  assert(!prompt(), "not asked");
});

test("the day asked as the page opens: Start does not wait for it; a later start asks again", async () => {
  const { server, r } = prompts({ ...PATIENT_DAY, ask_pain_before: false });
  let asked = 0;
  const fetchDay = server.fetch;
  r.fetch = async (url, opts) => { if (url === "/api/me/today") asked += 1; return fetchDay(url, opts); };
  r.prefetch();
  await r.beforeStart(SQUAT);
  equal(asked, 1, "once, as the page opened");
  await r.beforeStart(SQUAT);
  equal(asked, 2, "again for the next start");
});
