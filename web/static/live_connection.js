// The live page's connection to the coach server (/ws/live, docs/LIVE-PROTOCOL.md): opens it,
// hands the server's JSON messages on, and decides what a close means, in the patient's words.
// How the server ends a connection (close codes: web/live_ws.py): a refusal or an ending stays
// on screen with a way on and is never retried by itself; only "busy" and a lost connection are
// retried, with growing waits that the page counts down. The WebSocket factory and the clock
// are parameters, so tests drive this with fakes (tests/web/js/connection.test.js).
import { pageClock, wsUrl } from "./common.js";
import { t } from "./i18n.js";

const OPEN = 1; // WebSocket.OPEN; a fake socket need not carry the constants
export const CLOSE_BUSY = 4503;
export const CLOSE_RESTART = 1012;
const FIRST_WAIT_MS = 1000;
const LOST_MAX_WAIT_MS = 5000;
const BUSY_FIRST_WAIT_MS = 5000;
const BUSY_MAX_WAIT_MS = 60000;
// Errors the server calls fatal that still end in a close worth retrying.
const NON_FATAL_CODES = new Set(["server_busy", "server_stopping"]);
/** Errors about one message the server could not use (landmarks, a latency report): go on. */
export const ONE_MESSAGE_CODES = new Set(["bad_landmarks", "bad_latency"]);

export const CLOSED_FOR_GOOD = {
  4408: { button: t("Try again"), text: t("The coach stopped waiting for your camera: no picture arrived for a while. Your count is kept. When your camera is ready, press Try again.") },
  4429: { button: t("Try again"), text: t("Too many coaching sessions are open from this internet connection. Close the coach in your other windows or tabs, then press Try again.") },
  4410: { button: t("Start again"), newSession: true,
    text: t("This session has ended. Press Start again to begin a new one.") },
  4409: { button: null, text: t("This session is now open in another window or tab, and it continues there. You can close this one.") },
};

/** The socket's path and query: the exercise, where the pose is found ("device" or "server"),
 * a targets task's level and fixed schedule if asked for, and a session to resume with the
 * page's own copy of its count (a restarted server loses nothing). */
export function livePath({ exercise, pose, level = null, seed = null, session = null, reps = 0, holds = 0 }) {
  let path = `/ws/live?exercise=${encodeURIComponent(exercise)}`;
  path += `&pose=${pose}`;
  // A targets task's level (1-3: smaller targets, further away); the server checks it.
  if (level) path += `&level=${encodeURIComponent(level)}`;
  // A fixed schedule: only a server started for tests takes it (allow_seed); others refuse.
  if (seed) path += `&seed=${encodeURIComponent(seed)}`;
  if (session) path += `&session=${encodeURIComponent(session)}&reps=${reps}&holds=${holds}`;
  return path;
}

export class LiveConnection {
  /**
   * - `path()`: what to open (livePath), asked at every try, or null: do not connect;
   * - `isRunning()`: the patient's session is on (only then is a lost connection retried);
   * - `keptCount()`: the count so far, which the waiting line promises is kept;
   * - `on`: what the page does about it: `message(msg)`, `reset()` (a new socket or the close
   *   of the current one: no reply is on its way any more), `refused(why)` (an entry of
   *   CLOSED_FOR_GOOD), `retrying(alert)` (the words while waiting), `waiting(line)` (the
   *   countdown, each second);
   * - `openSocket(url)`: a WebSocket, or a fake; `clock`: now(), setTimeout, clearTimeout.
   */
  constructor({
    path, isRunning, keptCount, on, openSocket = (url) => new WebSocket(url), clock = pageClock,
  }) {
    this.path = path;
    this.isRunning = isRunning;
    this.keptCount = keptCount;
    this.on = on;
    this.openSocket = openSocket;
    this.clock = clock;
    this.ws = null;
    this.pose = null; // where this connection's pose is found, as its `session` message says
    // The server said this session cannot go on (a fatal error, a refusal): its close is final.
    this.fatal = false;
    this.reconnectDelay = FIRST_WAIT_MS;
    this.reconnectTimer = null;
  }

  get isOpen() {
    return !!this.ws && this.ws.readyState === OPEN;
  }

  /** Opening or open (not closing, not closed). */
  get active() {
    return !!this.ws && this.ws.readyState <= OPEN;
  }

  connect() {
    this.stopRetrying();
    const path = this.path();
    if (path === null) return;
    const ws = this.openSocket(wsUrl(path));
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    this.pose = null;
    this.on.reset();
    ws.onmessage = (ev) => {
      if (ws !== this.ws || typeof ev.data !== "string") return;
      let msg;
      try { msg = JSON.parse(ev.data); } catch { return; }
      this.read(msg);
    };
    ws.onclose = (ev) => this.closed(ws, ev);
  }

  /** What the connection itself learns from a message, before the page hears of it. */
  read(msg) {
    if (msg.type === "session") {
      this.reconnectDelay = FIRST_WAIT_MS;
      this.pose = msg.pose || "server"; // a server without on-device support says nothing
    } else if (msg.type === "error" && msg.fatal && !ONE_MESSAGE_CODES.has(msg.code)) {
      this.fatal = !NON_FATAL_CODES.has(msg.code);
    }
    this.on.message(msg);
  }

  /** Sends when open; false when the message could not go. */
  send(data) {
    if (!this.isOpen) return false;
    this.ws.send(data);
    return true;
  }

  sendJson(msg) {
    return this.send(JSON.stringify(msg));
  }

  /** Closes the current socket; its close arrives as any other (not retried once the session
   * is off). */
  close(code, reason) {
    if (this.ws) this.ws.close(code, reason);
  }

  /** A new connection for the same session (another pose mode): the old one's close must not
   * schedule a reconnect of its own. */
  reopen(reason) {
    if (!this.ws) return;
    const old = this.ws;
    this.ws = null;
    if (old.readyState <= OPEN) old.close(1000, reason);
    this.connect();
  }

  stopRetrying() {
    this.clock.clearTimeout(this.reconnectTimer);
  }

  closed(ws, ev) {
    if (ws !== this.ws) return;
    this.on.reset();
    const refusal = CLOSED_FOR_GOOD[ev.code];
    // After a refusal the server's error message may have stopped the page already (fatal).
    if (refusal && (this.isRunning() || this.fatal)) {
      this.stopRetrying();
      this.fatal = true;
      this.on.refused(refusal);
      return;
    }
    if (!this.isRunning() || this.fatal) return;
    if (ev.code === CLOSE_BUSY) {
      const wait = Math.max(this.reconnectDelay, BUSY_FIRST_WAIT_MS);
      this.reconnectDelay = Math.min(wait * 2, BUSY_MAX_WAIT_MS);
      const why = t("The coach is busy with other patients right now.");
      this.on.retrying(t("{why} The page will try again by itself; please wait.", { why }));
      this.retryIn(wait, why);
      return;
    }
    const why = ev.code === CLOSE_RESTART ? t("The coach server is restarting.") : t("Connection to the coach lost.");
    this.on.retrying(t("{why} Reconnecting…", { why }));
    this.retryIn(this.reconnectDelay, why);
    this.reconnectDelay = Math.min(this.reconnectDelay * 2, LOST_MAX_WAIT_MS);
  }

  /** Waits `ms`, counting down on screen, then connects again. */
  retryIn(ms, why) {
    const until = this.clock.now() + ms;
    const tick = () => {
      if (!this.isRunning()) return;
      const left = Math.ceil((until - this.clock.now()) / 1000);
      if (left <= 0) {
        this.connect();
        return;
      }
      this.on.waiting(t("{why} Trying again in {seconds} s… Your count so far ({count}) is kept.",
        { why, seconds: left, count: this.keptCount() }));
      this.reconnectTimer = this.clock.setTimeout(tick, Math.min(1000, until - this.clock.now()));
    };
    tick();
  }
}
