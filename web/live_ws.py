"""The two live WebSockets: the patient's page (/ws/live) and a therapist's (/ws/follow/{id}).

Transport only: each handler reads messages and hands them to the `LiveSession`, and a pump
task writes the session's outbox back to the socket, so sends never interleave and a slow
socket never blocks the session. The protocol is documented in docs/LIVE-PROTOCOL.md.

The sockets face the internet (docs/SECURITY.md, "Live WebSocket"): upgrades from another
site's pages are refused; every message is parsed strictly (no NaN/Infinity, bounded size
and nesting) and handled on its own, so a bad one gets an error and never ends the session;
each socket's message rate is bounded and a flood closes it; a patient socket that sends no
frame in time is closed; the session's pipeline is freed in a `finally`, whatever happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

import orjson
from fastapi import WebSocket
from starlette.types import Message
from starlette.websockets import WebSocketDisconnect

from coach.live import (
    DEVICE,
    MAX_LANDMARK_CHARS,
    SERVER,
    BadLandmarks,
    Closing,
    LiveLimits,
    LiveSession,
    Outbox,
    SessionError,
    SessionRegistry,
    TokenBucket,
    check_landmarks,
    echo_number,
    parse_message,
)
from coach.live.landmarks import (
    LandmarkMessage,
    binary_seq,
    check_landmark_bytes,
    is_binary_landmarks,
    seq_hint,
)
from scoring.words import nsay, said, say
from web.frames import MAX_FRAME_BYTES, MAX_SIDE_PX
from web.security import origin_key

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 4096  # control messages; landmark messages may take MAX_LANDMARK_CHARS
MESSAGE_INTERVAL_S = 1.0  # a therapist's messages, at most one a second

# Close codes (4000-4999 are the application's own).
CLOSE_BAD_REQUEST = 4400
CLOSE_UNKNOWN_SESSION = 4404
CLOSE_IDLE = 4408
CLOSE_TAKEN = 4409
CLOSE_ENDED = 4410
CLOSE_TOO_MANY = 4429
CLOSE_BUSY = 4503
CLOSE_POLICY = 1008
_CLOSE_FOR = {
    "unknown_exercise": CLOSE_BAD_REQUEST,
    "bad_session_id": CLOSE_BAD_REQUEST,
    "bad_request": CLOSE_BAD_REQUEST,
    "exercise_mismatch": CLOSE_BAD_REQUEST,
    "unknown_session": CLOSE_UNKNOWN_SESSION,
    "session_ended": CLOSE_ENDED,
    "session_starting": CLOSE_TAKEN,
    "server_busy": CLOSE_BUSY,
    "too_many": CLOSE_TOO_MANY,
    "idle_timeout": CLOSE_IDLE,
}


def _error(code: str, message: str, *, fatal: bool = False) -> dict[str, Any]:
    """An error for the page, its message's id and parameters as `say` (scoring.words)."""
    return {
        "type": "error",
        "code": code,
        "message": message,
        "fatal": fatal,
        **said(message=message),
    }


async def _refuse(ws: WebSocket, code: str, message: str) -> None:
    """Say why on the socket (pages show it), then close with a matching code."""
    with contextlib.suppress(Exception):
        await ws.send_text(json.dumps(_error(code, message, fatal=True)))
        await ws.close(_CLOSE_FOR.get(code, 1011), code)


# ---- origin ------------------------------------------------------------------------------
def origin_allowed(ws: WebSocket, allowed: tuple[str, ...] = ()) -> bool:
    """A browser's upgrade from a page of this server (same scheme, host and port), or from
    one of `allowed`. No Origin header (not a browser: scripts, tests) is allowed: the check
    stops other sites' pages from using a visitor's browser, cookies and address."""
    origin = ws.headers.get("origin")
    if origin is None:
        return True
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https"):
        return False
    theirs = origin_key(parts.scheme, parts.netloc)
    scheme = "https" if ws.url.scheme in ("wss", "https") else "http"
    ours = origin_key(scheme, ws.headers.get("host", ""))
    if theirs is not None and theirs == ours:
        return True
    for other in allowed:
        p = urlsplit(other)
        if theirs is not None and theirs == origin_key(p.scheme, p.netloc):
            return True
    return False


async def refuse_cross_origin(ws: WebSocket, limits: LiveLimits) -> bool:
    """Close an upgrade from another site before accepting it (the client sees HTTP 403);
    True when it was refused."""
    if origin_allowed(ws, limits.allowed_origins):
        return False
    log.warning("refused a WebSocket upgrade from origin %r", ws.headers.get("origin"))
    with contextlib.suppress(Exception):
        await ws.close(CLOSE_POLICY)
    return True


# ---- sending -----------------------------------------------------------------------------
def encode(message: Mapping[str, Any]) -> str:
    """A message as compact JSON text, with orjson (several times faster than `json`, and a
    frame message goes out 30 times a second per socket): a number that is not finite becomes
    null, numpy numbers and arrays plain JSON; anything else not JSON raises TypeError."""
    return orjson.dumps(message, option=orjson.OPT_SERIALIZE_NUMPY).decode()


async def _pump(ws: WebSocket, outbox: Outbox) -> None:
    """Write the outbox to the socket until it is closed or the socket fails. Never raises:
    a message that cannot be sent is logged and skipped."""
    try:
        while True:
            item = await outbox.get()
            if isinstance(item, Closing):
                await ws.close(item.code, item.reason)
                return
            if isinstance(item, bytes):
                await ws.send_bytes(item)
                continue
            try:
                text = encode(item)
            except (TypeError, ValueError):
                log.error("live socket: a %r message is not JSON; not sent", item.get("type"))
                continue
            await ws.send_text(text)
    except (WebSocketDisconnect, RuntimeError, OSError):
        return  # the client is gone; the receive loop notices too
    except Exception:
        log.exception("live socket: sending failed")


async def _stop_pump(pump: asyncio.Task[None], outbox: Outbox) -> None:
    """Let a closing outbox finish sending (a summary, a reason); otherwise stop at once.
    Never raises (the caller frees the session's pipeline next)."""
    if outbox.closed is not None and not pump.done():
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(pump), timeout=2.0)
    pump.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await pump


# ---- receiving ---------------------------------------------------------------------------
class _Throttle:
    """One socket's message budgets (coach.live.limits.LiveLimits)."""

    def __init__(self, limits: LiveLimits) -> None:
        self.limits = limits
        self.all = TokenBucket(limits.max_messages_per_s, limits.message_burst)
        self.control = TokenBucket(limits.max_control_per_s, limits.control_burst)
        self.landmarks = TokenBucket(limits.max_landmarks_per_s, limits.landmark_burst)
        self.discarded = 0
        self._told_at = -1e9

    def flooded(self, outbox: Outbox) -> bool:
        """Count one message; True when the socket must close for sending too many."""
        if self.all.allow():
            return False
        self.discarded += 1
        if self.discarded <= self.limits.flood_close_after:
            return False
        outbox.put(_error("too_many_messages", FLOODED, fatal=True))
        outbox.close(CLOSE_POLICY, "too many messages")
        return True

    def over(self, outbox: Outbox) -> bool:
        """A control message over its budget: True (it is ignored; told once a second)."""
        if self.control.allow():
            return False
        now = time.monotonic()
        if now - self._told_at >= 1.0:
            self._told_at = now
            outbox.put(_error("too_fast", TOO_FAST))
        return True


FLOODED = say("Too many messages; the connection is closed.")
TOO_FAST = say("Too many messages; some were ignored.")
_PATIENT_IDLE = (
    ("no_frames", say("No camera frames arrived; the connection is closed. Your count is kept.")),
    ("idle_timeout", say("No camera frames for a while; the set is paused. Your count is kept.")),
)
FOLLOWER_IDLE_WORDS = say("This page sent nothing for a while; the connection is closed.")
_FOLLOWER_IDLE = (("idle_timeout", FOLLOWER_IDLE_WORDS),) * 2


class _IdleWatch:
    """Closes a socket that sends nothing that counts in time: a patient's without a frame
    (`first_s` after connecting, then `idle_s`), a follower's without any message (the follow
    page pings). One timer a socket that moves itself along when it comes due early, not a
    timer a message (a message only stamps `last_frame`). When it fires, the socket is told
    why (`words`: code and text, before and after the first stamp) and closed, and a receive
    that is waiting is cancelled, as a timeout would."""

    def __init__(
        self,
        outbox: Outbox,
        first_s: float,
        idle_s: float,
        words: tuple[tuple[str, str], ...] = _PATIENT_IDLE,
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.task = asyncio.current_task()
        self.outbox = outbox
        self.first_s = first_s
        self.idle_s = idle_s
        self.words = words
        self.opened = self.loop.time()
        self.last_frame: float | None = None
        self.receiving = False
        self.fired = False
        self._timer = self.loop.call_at(self._due(), self._check)

    def frame(self) -> None:
        self.last_frame = self.loop.time()

    def _due(self) -> float:
        if self.last_frame is None:
            return self.opened + self.first_s
        return self.last_frame + self.idle_s

    def _check(self) -> None:
        due = self._due()
        if self.loop.time() < due:
            self._timer = self.loop.call_at(due, self._check)
            return
        code, text = self.words[self.last_frame is not None]
        self.fired = True
        self.outbox.put(_error(code, text, fatal=True))
        self.outbox.close(CLOSE_IDLE, code)
        if self.receiving and self.task is not None:
            self.task.cancel()

    def stop(self) -> None:
        self._timer.cancel()


async def _receive(ws: WebSocket, watch: _IdleWatch | None = None) -> Message | None:
    """The next message; None when the socket is gone, or when `watch` closed it."""
    if watch is not None:
        watch.receiving = True
    try:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return None
        # Yield between messages: a client's backlog must not keep the loop from everyone else.
        await asyncio.sleep(0)
        return message
    except (WebSocketDisconnect, RuntimeError):
        return None
    except asyncio.CancelledError:
        if watch is None or not watch.fired:
            raise
        uncancel = getattr(watch.task, "uncancel", None)  # Python 3.11+
        if uncancel is not None and uncancel() > 0:
            raise  # cancelled by someone else as well
        return None
    finally:
        if watch is not None:
            watch.receiving = False


def _int_param(ws: WebSocket, name: str) -> int:
    raw = ws.query_params.get(name, "0") or "0"
    try:
        return max(0, min(int(raw[:12]), 10_000))
    except ValueError:
        raise SessionError(
            "bad_request", say("Query parameter {name} must be a number.", name=name)
        ) from None


def _optional_int(ws: WebSocket, name: str, words: str) -> int | None:
    """An optional whole-number query parameter (`level`, `seed`); None when absent."""
    raw = ws.query_params.get(name)
    if raw is None or raw == "":
        return None
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10):
        raise SessionError(
            "bad_request", say("Query parameter {name} must be {what}.", name=name, what=words)
        )
    return int(raw)


def _address(ws: WebSocket) -> str | None:
    return ws.client.host if ws.client is not None else None


async def _serve(
    ws: WebSocket,
    session: LiveSession,
    outbox: Outbox,
    hello: dict[str, Any],
    receive_loop: Callable[[], Awaitable[None]],
    leave: Callable[[], Awaitable[None] | None],
    what: str,
) -> None:
    """A socket's life once it is attached to its session (a patient's or a follower's): the
    hello, then a pump writing the outbox while `receive_loop` reads. Whatever ends it, the
    pump is stopped and `leave()` detaches the socket from the session, in a `finally`."""
    pump: asyncio.Task[None] | None = None
    try:
        await ws.send_text(json.dumps(hello))
        pump = asyncio.create_task(_pump(ws, outbox))
        await receive_loop()
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass  # gone (while the model was loading, or mid-set)
    except Exception:
        log.exception("session %s: %s failed", session.id, what)
    finally:
        try:
            if pump is not None:
                await _stop_pump(pump, outbox)
        finally:
            left = leave()
            if left is not None:
                await left


async def patient_socket(
    ws: WebSocket, registry: SessionRegistry, patient_id: int | None = None
) -> None:
    """/ws/live?exercise=ID[&pose=device|server&session=ID&reps=N&holds=N&level=N]: one
    patient's set (or, for a targets task, its targets at `level`).

    `patient_id` is the signed-in patient (None: an anonymous try-out session)."""
    limits = registry.limits
    if await refuse_cross_origin(ws, limits):
        return
    await ws.accept()
    pose = ws.query_params.get("pose") or SERVER
    address = _address(ws)
    opened = await _open_session(ws, registry, patient_id, pose, address)
    if opened is None:
        return
    session, how = opened
    try:
        outbox = await session.attach_patient(
            pose, address=address, max_backlog=limits.outbox_backlog
        )
    except SessionError as exc:
        if how != "resumed":
            registry.discard(session.id)
        registry.changed()
        await _refuse(ws, exc.code, exc.message)
        return
    registry.changed()  # other worker processes count this address's sessions now
    try:
        await _serve(
            ws,
            session,
            outbox,
            _patient_hello(session, how, limits),
            lambda: _patient_loop(ws, session, outbox, limits),
            lambda: session.detach_patient(outbox),  # the worker (a few hundred MB) is freed
            "the patient socket",
        )
    finally:
        registry.changed()


async def _open_session(
    ws: WebSocket,
    registry: SessionRegistry,
    patient_id: int | None,
    pose: str,
    address: str | None,
) -> tuple[LiveSession, str] | None:
    """The session the query asks for (new, resumed or restored) and how it was opened; None
    when it was refused (the socket is told why and closed)."""
    exercise_id = ws.query_params.get("exercise", "").strip()
    if not exercise_id:
        await _refuse(ws, "bad_request", say("Choose an exercise first (?exercise=ID)."))
        return None
    try:
        return registry.open(
            exercise_id,
            session_id=ws.query_params.get("session") or None,
            carry_reps=_int_param(ws, "reps"),
            carry_holds=_int_param(ws, "holds"),
            patient_id=patient_id,
            pose=pose,
            address=address,
            level=_optional_int(ws, "level", say("a level number (1, 2, 3)")),
            seed=_optional_int(ws, "seed", say("a whole number")),
        )
    except SessionError as exc:
        await _refuse(ws, exc.code, exc.message)
        return None


def _patient_hello(session: LiveSession, how: str, limits: LiveLimits) -> dict[str, Any]:
    """The first message to the patient's page: the session, how it was opened, the limits."""
    hello = {
        "type": "session",
        **session.hello(),
        "how": how,
        "limits": {
            "max_frame_bytes": MAX_FRAME_BYTES,
            "max_side_px": MAX_SIDE_PX,
            "max_landmark_chars": MAX_LANDMARK_CHARS,
            "max_landmarks_per_s": limits.max_landmarks_per_s,
            "first_frame_timeout_s": limits.first_frame_timeout_s,
            "idle_timeout_s": limits.idle_timeout_s,
        },
    }
    if how == "restored":
        hello["notice"] = (
            f"The coach server restarted; your count continues from {session.rep_count}."
        )
    return hello


# What one of the patient's messages came to: landmarks taken ("frame": the idle watch is fed),
# the session ended ("end"), or nothing more for the loop to do ("").
Outcome = Literal["frame", "end", ""]


async def _patient_loop(
    ws: WebSocket, session: LiveSession, outbox: Outbox, limits: LiveLimits
) -> None:
    throttle = _Throttle(limits)
    watch = _IdleWatch(outbox, limits.first_frame_timeout_s, limits.idle_timeout_s)
    try:
        await _patient_messages(ws, session, outbox, throttle, watch)
    finally:
        watch.stop()


async def _patient_messages(
    ws: WebSocket, session: LiveSession, outbox: Outbox, throttle: _Throttle, watch: _IdleWatch
) -> None:
    while outbox.closed is None:
        message = await _receive(ws, watch)
        if message is None:
            return
        if throttle.flooded(outbox):
            return
        data, text = message.get("bytes"), message.get("text")
        if data is not None and session.pose != DEVICE and not is_binary_landmarks(data):
            watch.frame()
            session.offer_frame(data)
            session.forward_video(data)
            continue
        try:
            if data is not None:
                outcome = _patient_bytes(data, session, outbox, throttle)
            elif text is not None:
                outcome = _patient_text(text, session, outbox, throttle)
            else:
                continue
        except Exception:  # one message's failure, never the session's
            log.exception("session %s: a message failed", session.id)
            outbox.put(_error("server_error", "The server could not handle that message."))
            continue
        if outcome == "frame":
            watch.frame()
        elif outcome == "end":
            watch.stop()  # the summary must not be overtaken by an idle close
            await session.detach_patient(outbox)
            session.end()
            outbox.put({"type": "summary", "summary": session.summary()})
            outbox.close(1000, "session ended")
            return


def _patient_text(text: str, session: LiveSession, outbox: Outbox, throttle: _Throttle) -> Outcome:
    """Handle one text message; "frame" (landmarks taken), "end", or "" (anything else)."""
    control = parse_message(text, MAX_LANDMARK_CHARS)
    if isinstance(control, str):
        if '"landmarks"' in text[:400] and session.pose == DEVICE:
            if not throttle.landmarks.allow():
                return ""
            session.refuse_landmarks(seq_hint(text), control)
        elif not throttle.over(outbox):
            outbox.put(_error("bad_message", control))
        return ""
    kind = control["type"]
    if kind == "landmarks":
        seq = control.get("seq")
        seq = seq if type(seq) is int else None
        return _landmarks(seq, control, check_landmarks, session, outbox, throttle)
    if kind != "end" and throttle.over(outbox):  # `end` comes once: always answered
        return ""
    if len(text) > MAX_TEXT_CHARS:
        outbox.put(_error("bad_message", f"Message too long (limit {MAX_TEXT_CHARS})."))
        return ""
    handle = _PATIENT_CONTROLS.get(kind)
    if handle is None:
        outbox.put(_error("bad_message", f"Unknown message type {kind[:40]!r}."))
        return ""
    return handle(control, session, outbox)


# ---- the patient's control messages: one handler a type, each returning "end" or "" ----------
def _ping(control: dict[str, Any], session: LiveSession, outbox: Outbox) -> Outcome:
    outbox.put({"type": "pong", "t": echo_number(control.get("t"))})
    return ""


def _share_video(control: dict[str, Any], session: LiveSession, outbox: Outbox) -> Outcome:
    session.share_video(control.get("enabled") is True)
    return ""


def _client_error(control: dict[str, Any], session: LiveSession, outbox: Outbox) -> Outcome:
    session.client_problem(
        str(control.get("code", ""))[:200], str(control.get("message", ""))[:1000]
    )
    return ""


def _next_set(control: dict[str, Any], session: LiveSession, outbox: Outbox) -> Outcome:
    session.next_set()  # ready before the rest is over
    return ""


def _support(control: dict[str, Any], session: LiveSession, outbox: Outbox) -> Outcome:
    session.plan.support()  # the balance test: a hand went to a support
    return ""


def _latency(control: dict[str, Any], session: LiveSession, outbox: Outbox) -> Outcome:
    refused = session.offer_latency(control.get("ms"))
    if refused is not None:
        outbox.put(_error("bad_latency", refused))
    return ""


def _end(control: dict[str, Any], session: LiveSession, outbox: Outbox) -> Outcome:
    return "end"


_PATIENT_CONTROLS: dict[str, Callable[[dict[str, Any], LiveSession, Outbox], Outcome]] = {
    "ping": _ping,
    "share_video": _share_video,
    "client_error": _client_error,
    "next_set": _next_set,
    "support": _support,
    "latency": _latency,
    "end": _end,
}


def _patient_bytes(
    data: bytes, session: LiveSession, outbox: Outbox, throttle: _Throttle
) -> Outcome:
    """A binary message that is not a camera frame: a landmark message, or a refusal."""
    if not is_binary_landmarks(data):  # a JPEG to a pose=device session
        if not throttle.over(outbox):
            outbox.put(_error("bad_message", "This session sends landmarks, not images."))
        return ""
    return _landmarks(binary_seq(data), data, check_landmark_bytes, session, outbox, throttle)


def _landmarks(
    seq: int | None,
    message: Any,
    check: Callable[[Any, float | None], LandmarkMessage],
    session: LiveSession,
    outbox: Outbox,
    throttle: _Throttle,
) -> Outcome:
    """A landmark message (JSON or binary) to the session, within its rate; "frame" when
    it was taken, "" when refused or dropped (the session says so on the socket)."""
    if session.pose != DEVICE:
        if not throttle.over(outbox):
            outbox.put({**_error("bad_message", "Landmarks need ?pose=device."), "seq": seq})
        return ""
    if not throttle.landmarks.allow():
        if seq is not None:
            session.drop_landmarks(seq, "rate")
        return ""
    try:
        checked = check(message, session.last_landmark_t)
    except BadLandmarks as exc:
        session.refuse_landmarks(exc.seq, str(exc))
        return ""
    session.offer_landmarks(checked)
    return "frame"


FOLLOWER_REFUSALS = {
    "too_many": lambda n: nsay(
        "This address already follows {n} session; close one first.",
        "This address already follows {n} sessions; close one first.",
        n,
    ),
    "server_busy": lambda n: say(
        "The coach is following as many sessions as it can; try again shortly."
    ),
}


async def take_follower_slot(ws: WebSocket, registry: SessionRegistry) -> str | None:
    """Count a follower socket against its address's cap and the server's; the address to
    give back (`registry.follower_slots.give_back`) when it ends, or None when it was
    refused (accepted, told why and closed). An anonymous try-out session stays followable
    by whoever holds its link: the caps count sockets, not people."""
    limits = registry.limits
    address = _address(ws)
    refusal = registry.follower_slots.take(
        address, limits.max_followers_per_address, limits.max_follower_sockets
    )
    if refusal is None:
        return address or "?"
    await ws.accept()
    await _refuse(ws, refusal, FOLLOWER_REFUSALS[refusal](limits.max_followers_per_address))
    return None


async def follower_socket(
    ws: WebSocket,
    registry: SessionRegistry,
    session_id: str,
    may_follow: Callable[[LiveSession], bool] | None = None,
) -> None:
    """/ws/follow/{id}: a therapist watching a session (landmarks, counts, cues, faults).

    `may_follow` decides access to a patient's session; refusals look like unknown ids."""
    limits = registry.limits
    if await refuse_cross_origin(ws, limits):
        return
    await ws.accept()
    session = registry.get(session_id)
    if session is None or (may_follow is not None and not may_follow(session)):
        await _refuse(
            ws,
            "unknown_session",
            say("No live session with this id. It may not have started yet, or it has expired."),
        )
        return
    try:
        outbox = session.add_follower(max_backlog=limits.outbox_backlog)
    except SessionError as exc:
        await _refuse(ws, exc.code, exc.message)
        return
    await _serve(
        ws,
        session,
        outbox,
        _follower_hello(session),
        lambda: _follower_loop(ws, session, outbox, limits),
        lambda: session.remove_follower(outbox),
        "a follower socket",
    )


def _follower_hello(session: LiveSession) -> dict[str, Any]:
    """The first message to a follower: the session, its summary and recent events."""
    return {
        "type": "follow",
        **session.hello(),
        "summary": session.summary(),
        "last_frame": session.last_message,
        "recent_events": session.events[-50:],
        # Fault ids in words, so the therapist's log says "Keep your knees over your toes",
        # not "knee_valgus".
        "fault_words": {f.id: f.message for f in getattr(session.exercise, "faults", [])},
    }


async def _follower_loop(
    ws: WebSocket, session: LiveSession, outbox: Outbox, limits: LiveLimits
) -> None:
    idle_s = limits.follower_idle_timeout_s
    watch = _IdleWatch(outbox, idle_s, idle_s, _FOLLOWER_IDLE)
    try:
        await _follower_messages(ws, session, outbox, _Throttle(limits), watch)
    finally:
        watch.stop()


async def _follower_messages(
    ws: WebSocket, session: LiveSession, outbox: Outbox, throttle: _Throttle, watch: _IdleWatch
) -> None:
    last_sent = [0.0]
    while outbox.closed is None:
        message = await _receive(ws, watch)
        if message is None:
            return
        watch.frame()  # any message (the page's pings) shows the follower is there
        if throttle.flooded(outbox):
            return
        if throttle.over(outbox):
            continue
        if message.get("bytes") is not None:
            outbox.put(_error("bad_message", "A follower sends no frames, only JSON messages."))
            continue
        try:
            _follower_text(message.get("text") or "", session, outbox, last_sent)
        except Exception:
            log.exception("session %s: a follower message failed", session.id)
            outbox.put(_error("server_error", "The server could not handle that message."))


def _follower_text(text: str, session: LiveSession, outbox: Outbox, last_sent: list[float]) -> None:
    control = parse_message(text, MAX_TEXT_CHARS)
    if isinstance(control, str):
        outbox.put(_error("bad_message", control))
        return
    kind = control["type"]
    if kind == "ping":
        _ping(control, session, outbox)
    elif kind == "message":
        now = time.monotonic()
        if now - last_sent[0] < MESSAGE_INTERVAL_S:
            outbox.put(_error("too_fast", "Wait a moment before sending another message."))
            return
        try:
            session.therapist_message(str(control.get("text", ""))[:1000])
        except ValueError as exc:
            outbox.put(_error("bad_message", str(exc)))
            return
        last_sent[0] = now
    else:
        outbox.put(_error("bad_message", f"Unknown message type {kind[:40]!r}."))
