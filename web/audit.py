"""The web app's audit trail (kept by coach/store/audit.py): every request to a route marked
`@audited("action")` leaves exactly one entry, written when its answer starts.

- A route says what it does with `@audited("patient.view")` (under `@router.get(...)`, like
  `body_limit`). tests/web/test_audit_routes.py walks every route of the app: each is marked,
  or listed there as holding no patient data.
- What the entry names is noted while the request is handled: who asks (the sign-in
  dependency, `note_identity`), which patient and session (the dependencies that find them,
  `note_patient`, `note_session`; the reference of another therapist's patient too, when the
  answer is a refusal). The middleware adds the address, the status and the outcome (ok,
  refused, failed).
- Written before the answer goes out: if the trail cannot be written, the answer is a 503
  in words instead (no read of a patient's data without its entry). An unexpected error (500)
  is written too.
- A request from nobody (not signed in) about no patient leaves nothing: there is no one to
  name, and anyone could fill the trail so. A sign-in that fails its password is written
  (as `anonymous`), one refused by the limiter (429) is not.
- WebSockets (the live session, a follow) write their entry themselves (`write_socket_entry`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from coach.store import Store
from coach.store.accounts import Identity
from coach.store.audit import AuditEvent, actor_of, outcome_of, session_ref
from web.security import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
KEY = "coach.audit"
NOT_RECORDED = (
    b"Coach could not write this request to its audit trail, so its answer is withheld. "
    b"Try again; if it goes on, tell the people who run Coach."
)


def audited(action: str) -> Callable[[F], F]:
    """Mark an endpoint: each request to it leaves one audit entry of `action`."""

    def mark(endpoint: F) -> F:
        endpoint.__coach_audit__ = action  # type: ignore[attr-defined]
        return endpoint

    return mark


def action_of(endpoint: Any) -> str | None:
    """The audit action an endpoint was marked with (None: not audited)."""
    action = getattr(endpoint, "__coach_audit__", None)
    return str(action) if action is not None else None


@dataclass
class AuditNote:
    """What one request's entry will name, filled in as the request is handled."""

    actor: str | None = None
    patient_ref: str | None = None
    session_ref: str | None = None
    subject: str = ""
    status: int | None = None  # an answer decided apart from the response's own status


def note_of(conn: HTTPConnection) -> AuditNote:
    """This request's note (a throwaway one where no trail is kept: an app without store)."""
    state = conn.scope.get("state")
    note = state.get(KEY) if isinstance(state, dict) else None
    return note if isinstance(note, AuditNote) else AuditNote()


def note_identity(conn: HTTPConnection, who: Identity | None) -> None:
    if who is not None:
        note_of(conn).actor = actor_of(who)


def note_patient(conn: HTTPConnection, ref: str | None) -> None:
    if ref is not None:
        note_of(conn).patient_ref = ref


def note_session(conn: HTTPConnection, session_id: str) -> None:
    note_of(conn).session_ref = session_ref(session_id)


def _address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "?"


def _event(scope: Scope, note: AuditNote, action: str, status: int) -> AuditEvent | None:
    if note.actor is None and note.patient_ref is None:
        return None  # nobody, about no patient (module docstring)
    status = note.status or status
    return AuditEvent(
        action=action,
        actor=note.actor or "anonymous",
        outcome=outcome_of(status),
        address=_address(scope),
        patient_ref=note.patient_ref,
        session_ref=note.session_ref,
        subject=note.subject,
        status=status,
    )


async def _append(store: Store | None, event: AuditEvent) -> bool:
    """Write the entry (on a thread: the database is not the event loop's); False if that
    failed (logged)."""
    if store is None:
        return True
    try:
        await run_in_threadpool(store.audit, event)
    except Exception:
        log.exception("the audit trail could not be written (%s)", event.action)
        return False
    return True


class AuditTrail:
    """The ASGI middleware writing each audited request's entry (module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        note = AuditNote()
        state = scope.setdefault("state", {})
        state[KEY] = note
        answer = _Answer(scope, note, send)
        try:
            await self.app(scope, receive, answer.send)
        except Exception:
            if not answer.started:
                await answer.record(500)
            raise


class _Answer:
    """The response of one request on its way out: its entry is written as it starts."""

    def __init__(self, scope: Scope, note: AuditNote, send: Send) -> None:
        self.scope, self.note, self._send = scope, note, send
        self.started = False
        self.refused = False  # the trail failed: a 503 went out instead

    async def record(self, status: int) -> bool:
        action = action_of(self.scope.get("endpoint"))
        event = _event(self.scope, self.note, action, status) if action else None
        if event is None:
            return True
        app = self.scope.get("app")
        store = getattr(getattr(app, "state", None), "store", None)
        return await _append(store, event)

    async def send(self, message: Message) -> None:
        if self.refused:
            return  # the original answer's body: not sent
        if message["type"] == "http.response.start" and not self.started:
            self.started = True
            if not await self.record(int(message["status"])):
                self.refused = True
                await self._send_503()
                return
        await self._send(message)

    async def _send_503(self) -> None:
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(NOT_RECORDED)).encode()),
            (b"connection", b"close"),
        ]
        await self._send({"type": "http.response.start", "status": 503, "headers": headers})
        await self._send({"type": "http.response.body", "body": NOT_RECORDED})


async def write_socket_entry(
    store: Store | None,
    conn: HTTPConnection,
    action: str,
    *,
    who: Identity | None,
    patient_ref: str | None,
    session_id: str | None,
    allowed: bool,
) -> None:
    """A WebSocket's entry (a live session, a follow): written when it is let in or refused."""
    note = AuditNote(
        actor=actor_of(who) if who is not None else None,
        patient_ref=patient_ref,
        session_ref=session_ref(session_id) if session_id else None,
    )
    event = _event(conn.scope, note, action, 101 if allowed else 404)
    if event is not None:
        await _append(store, event)
