"""The two live WebSockets: the patient's page (/ws/live) and a therapist's (/ws/follow/{id}).

Transport only: each handler reads messages and hands them to the `LiveSession`, and a pump
task writes the session's outbox back to the socket, so sends never interleave and a slow
socket never blocks the session. The protocol is documented in docs/LIVE-PROTOCOL.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect

from coach.live import Closing, LiveSession, Outbox, SessionError, SessionRegistry
from web.frames import MAX_FRAME_BYTES, MAX_SIDE_PX

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 4096
MESSAGE_INTERVAL_S = 1.0  # a therapist's messages, at most one a second

# Close codes (4000-4999 are the application's own).
CLOSE_BAD_REQUEST = 4400
CLOSE_UNKNOWN_SESSION = 4404
CLOSE_TAKEN = 4409
CLOSE_ENDED = 4410
CLOSE_BUSY = 4503
_CLOSE_FOR = {
    "unknown_exercise": CLOSE_BAD_REQUEST,
    "bad_session_id": CLOSE_BAD_REQUEST,
    "bad_request": CLOSE_BAD_REQUEST,
    "exercise_mismatch": CLOSE_BAD_REQUEST,
    "unknown_session": CLOSE_UNKNOWN_SESSION,
    "session_ended": CLOSE_ENDED,
    "session_starting": CLOSE_TAKEN,
    "server_busy": CLOSE_BUSY,
}


def _error(code: str, message: str, *, fatal: bool = False) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message, "fatal": fatal}


async def _refuse(ws: WebSocket, code: str, message: str) -> None:
    """Say why on the socket (pages show it), then close with a matching code."""
    with contextlib.suppress(Exception):
        await ws.send_text(json.dumps(_error(code, message, fatal=True)))
        await ws.close(_CLOSE_FOR.get(code, 1011), code)


async def _pump(ws: WebSocket, outbox: Outbox) -> None:
    """Write the outbox to the socket until it is closed or the socket fails."""
    try:
        while True:
            item = await outbox.get()
            if isinstance(item, Closing):
                await ws.close(item.code, item.reason)
                return
            if isinstance(item, bytes):
                await ws.send_bytes(item)
            else:
                await ws.send_text(json.dumps(item, separators=(",", ":"), allow_nan=False))
    except (WebSocketDisconnect, RuntimeError, OSError):
        return  # the client is gone; the receive loop notices too


async def _stop_pump(pump: asyncio.Task[None], outbox: Outbox) -> None:
    """Let a closing outbox finish sending (a summary, a reason); otherwise stop at once."""
    if outbox.closed is not None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(pump), timeout=2.0)
    pump.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await pump


def _parse_json(text: str) -> dict[str, Any] | str:
    """The control message as a dict, or the reason it is not one."""
    if len(text) > MAX_TEXT_CHARS:
        return f"Control message too long ({len(text)} characters; limit {MAX_TEXT_CHARS})."
    try:
        data = json.loads(text)
    except ValueError:
        return 'Text messages must be JSON objects like {"type": "ping"}; frames go as binary.'
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        return 'A control message needs a string "type" field.'
    return data


def _int_param(ws: WebSocket, name: str) -> int:
    raw = ws.query_params.get(name, "0") or "0"
    try:
        return max(0, min(int(raw), 10_000))
    except ValueError:
        raise SessionError("bad_request", f"Query parameter {name} must be a number.") from None


async def patient_socket(
    ws: WebSocket, registry: SessionRegistry, patient_id: int | None = None
) -> None:
    """/ws/live?exercise=ID[&session=ID&reps=N&holds=N]: one patient's live set.

    `patient_id` is the signed-in patient (None: an anonymous try-out session)."""
    await ws.accept()
    exercise_id = ws.query_params.get("exercise", "").strip()
    session_id = ws.query_params.get("session") or None
    if not exercise_id:
        await _refuse(ws, "bad_request", "Choose an exercise first (?exercise=ID).")
        return
    try:
        reps, holds = _int_param(ws, "reps"), _int_param(ws, "holds")
        session, how = registry.open(
            exercise_id,
            session_id=session_id,
            carry_reps=reps,
            carry_holds=holds,
            patient_id=patient_id,
        )
    except SessionError as exc:
        await _refuse(ws, exc.code, exc.message)
        return
    try:
        outbox = await session.attach_patient()
    except SessionError as exc:
        if how != "resumed":
            registry.discard(session.id)
        await _refuse(ws, exc.code, exc.message)
        return
    hello = {
        "type": "session",
        **session.hello(),
        "how": how,
        "limits": {"max_frame_bytes": MAX_FRAME_BYTES, "max_side_px": MAX_SIDE_PX},
    }
    if how == "restored":
        hello["notice"] = (
            f"The coach server restarted; your count continues from {session.rep_count}."
        )
    try:
        await ws.send_text(json.dumps(hello))
    except (WebSocketDisconnect, RuntimeError, OSError):  # gone while the model was loading
        await session.detach_patient(outbox)
        return
    pump = asyncio.create_task(_pump(ws, outbox))
    try:
        await _patient_loop(ws, session, outbox)
    finally:
        await _stop_pump(pump, outbox)
        await session.detach_patient(outbox)


async def _patient_loop(ws: WebSocket, session: LiveSession, outbox: Outbox) -> None:
    while outbox.closed is None:
        try:
            message = await ws.receive()
        except (WebSocketDisconnect, RuntimeError):
            return
        if message["type"] == "websocket.disconnect":
            return
        data, text = message.get("bytes"), message.get("text")
        if data is not None:
            session.offer_frame(data)
            session.forward_video(data)
            continue
        if text is None:
            continue
        control = _parse_json(text)
        if isinstance(control, str):
            outbox.put(_error("bad_message", control))
            continue
        kind = control["type"]
        if kind == "ping":
            outbox.put({"type": "pong", "t": control.get("t")})
        elif kind == "share_video":
            session.share_video(bool(control.get("enabled")))
        elif kind == "client_error":
            session.client_problem(str(control.get("code", "")), str(control.get("message", "")))
        elif kind == "end":
            await session.detach_patient(outbox)
            session.end()
            outbox.put({"type": "summary", "summary": session.summary()})
            outbox.close(1000, "session ended")
            return
        else:
            outbox.put(_error("bad_message", f"Unknown message type {kind!r}."))


async def follower_socket(
    ws: WebSocket,
    registry: SessionRegistry,
    session_id: str,
    may_follow: Callable[[LiveSession], bool] | None = None,
) -> None:
    """/ws/follow/{id}: a therapist watching a session (landmarks, counts, cues, faults).

    `may_follow` decides access to a patient's session; refusals look like unknown ids."""
    await ws.accept()
    session = registry.get(session_id)
    if session is None or (may_follow is not None and not may_follow(session)):
        await _refuse(
            ws,
            "unknown_session",
            "No live session with this id. It may not have started yet, or it has expired.",
        )
        return
    outbox = session.add_follower()
    hello = {
        "type": "follow",
        **session.hello(),
        "summary": session.summary(),
        "last_frame": session.last_message,
        "recent_events": session.events[-50:],
    }
    try:
        await ws.send_text(json.dumps(hello))
    except (WebSocketDisconnect, RuntimeError, OSError):
        session.remove_follower(outbox)
        return
    pump = asyncio.create_task(_pump(ws, outbox))
    try:
        await _follower_loop(ws, session, outbox)
    finally:
        await _stop_pump(pump, outbox)
        session.remove_follower(outbox)


async def _follower_loop(ws: WebSocket, session: LiveSession, outbox: Outbox) -> None:
    last_sent = 0.0
    while outbox.closed is None:
        try:
            message = await ws.receive()
        except (WebSocketDisconnect, RuntimeError):
            return
        if message["type"] == "websocket.disconnect":
            return
        if message.get("bytes") is not None:
            outbox.put(_error("bad_message", "A follower sends no frames, only JSON messages."))
            continue
        control = _parse_json(message.get("text") or "")
        if isinstance(control, str):
            outbox.put(_error("bad_message", control))
            continue
        kind = control["type"]
        if kind == "ping":
            outbox.put({"type": "pong", "t": control.get("t")})
        elif kind == "message":
            now = time.monotonic()
            if now - last_sent < MESSAGE_INTERVAL_S:
                outbox.put(_error("too_fast", "Wait a moment before sending another message."))
                continue
            try:
                session.therapist_message(str(control.get("text", "")))
            except ValueError as exc:
                outbox.put(_error("bad_message", str(exc)))
                continue
            last_sent = now
        else:
            outbox.put(_error("bad_message", f"Unknown message type {kind!r}."))
