// A small test runner for the live page's modules in real Chromium (no test framework to
// vendor, no build step), and the fakes they are driven with: a clock whose time moves only
// when a test says so, a WebSocket the test plays the server for, a speaker that only listens.
// unit.html?suite=NAME imports NAME.test.js, runs its tests in order, each on a fresh copy of
// the live page's markup, and leaves the results in window.__results for
// tests/web/test_patient_modules.py to read.

const tests = [];

/** Registers a test: `fn` may be async; it fails by throwing. */
export function test(name, fn) {
  tests.push({ name, fn });
}

export function assert(condition, message = "assertion failed") {
  if (!condition) throw new Error(message);
}

export function equal(actual, expected, what = "value") {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

export const text = (id) => document.getElementById(id).textContent;
export const shown = (id) => !document.getElementById(id).hidden;

/** Waits for a promise-driven condition (a Blob from the canvas, an awaited fake model). */
export async function until(condition, what, tries = 200) {
  for (let i = 0; i < tries; i += 1) {
    if (condition()) return;
    await new Promise((done) => setTimeout(done, 5));
  }
  throw new Error(`never happened: ${what}`);
}

/** Lets awaited promises (a fake model's answer) settle. */
export const settle = () => new Promise((done) => setTimeout(done, 0));

/** performance.now() and its timers, moved on by hand. */
export class FakeClock {
  constructor(t = 10000) {
    this.t = t;
    this.timers = new Map();
    this.nextId = 1;
  }

  now() {
    return this.t;
  }

  setTimeout(fn, ms = 0) {
    const id = this.nextId;
    this.nextId += 1;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(id) {
    this.timers.delete(id);
  }

  /** Moves time on by `ms`, running each timer due on the way at its own time. */
  advance(ms) {
    const end = this.t + ms;
    for (;;) {
      let next = null;
      for (const [id, timer] of this.timers) {
        if (timer.at <= end && (!next || timer.at < next[1].at)) next = [id, timer];
      }
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }
}

/** A WebSocket the test plays the server for. */
export class FakeSocket {
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    this.closedBy = null; // {code, reason} when the page closed it
    this.binaryType = "blob";
  }

  send(data) {
    if (this.readyState !== 1) throw new Error("send on a socket that is not open");
    this.sent.push(data);
  }

  close(code, reason) {
    this.closedBy = { code, reason };
    this.readyState = 2;
  }

  // ---- the server's side ----
  open() {
    this.readyState = 1;
  }

  receive(msg) {
    this.onmessage({ data: typeof msg === "string" ? msg : JSON.stringify(msg) });
  }

  /** The connection ends with `code` (the server's close code, 1006 when it was lost). */
  end(code) {
    this.readyState = 3;
    this.onclose({ code });
  }

  json() {
    return this.sent.filter((d) => typeof d === "string").map((d) => JSON.parse(d));
  }
}

/** `open(url)` for a LiveConnection; `sockets` are all it opened, the last is `latest`. */
export function socketFactory() {
  const sockets = [];
  return {
    sockets,
    open: (url) => {
      const ws = new FakeSocket(url);
      sockets.push(ws);
      return ws;
    },
    get latest() {
      return sockets[sockets.length - 1];
    },
  };
}

/** A Speaker that records what it was asked to say. */
export class FakeSpeaker {
  constructor() {
    this.said = [];
    this.stopped = 0;
  }

  say(words, priority = 1) {
    this.said.push({ words, priority });
  }

  stop() {
    this.stopped += 1;
  }

  get words() {
    return this.said.map((s) => s.words);
  }
}

// ---- the runner ----------------------------------------------------------------------------
const pristine = document.body.innerHTML;
const address = location.href;

async function run() {
  const suite = new URLSearchParams(location.search).get("suite");
  const results = [];
  try {
    await import(`./${suite}.test.js`);
  } catch (err) {
    results.push({ name: `import ${suite}.test.js`, ok: false, error: String(err && err.stack || err) });
  }
  for (const { name, fn } of tests) {
    document.body.innerHTML = pristine;
    sessionStorage.clear();
    history.replaceState(null, "", address);
    try {
      await fn();
      results.push({ name, ok: true });
    } catch (err) {
      results.push({ name, ok: false, error: String(err && err.stack || err) });
    }
  }
  window.__results = results;
}

run();
