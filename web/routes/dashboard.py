"""The therapist's dashboard kept live: "Exercising now" pushed to the page as Server-Sent
Events (GET /api/therapist/live-now, `text/event-stream`), and the patients who need a look.

Why Server-Sent Events rather than a third WebSocket: the push is one way (server to page),
so an `EventSource` is enough; it is a plain GET, signed in by the same cookie and checked by
the same rules as every page (no new socket protocol to parse and harden); the browser
reconnects by itself (`retry:`); and it passes any proxy that passes HTTP. The server looks at
its live sessions once a second (a walk over an in-memory dict) and sends the list only when
it changed, with a comment every 15 s so idle proxies keep the stream open.

Bounded like the sockets: at most `MAX_PER_ADDRESS` streams from one client address and
`MAX_STREAMS` in all (HTTP 429 with Retry-After beyond: the page then keeps its "Check again"
link). The sign-in is checked again every `RECHECK_S`: a therapist who signs out (or whose
password was changed) stops receiving within that time. Live sessions are this server's
(`SessionRegistry`), as the dashboard's first render shows them.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse

from coach.live import SessionRegistry
from coach.store import Store
from web import access
from web.audit import audited
from web.routes.deps import RegistryDep, StoreDep, TherapistDep
from web.routes.pages import clinic_time

router = APIRouter()

MAX_PER_ADDRESS = 4  # a therapist's dashboards in a few tabs, from one address
MAX_STREAMS = 200
TICK_S = 1.0  # how often the live sessions are looked at
HEARTBEAT_S = 15.0
RECHECK_S = 15.0  # the sign-in and the therapist's patients, read again


class StreamSlots:
    """Open event streams per client address, bounded (thread-safe; one per app)."""

    def __init__(self, per_address: int = MAX_PER_ADDRESS, total: int = MAX_STREAMS) -> None:
        self.per_address = per_address
        self.total = total
        self._open: dict[str, int] = {}
        self._lock = threading.Lock()

    @contextmanager
    def take(self, address: str) -> Iterator[bool]:
        """Yields whether a slot was free; the slot is given back on leaving."""
        with self._lock:
            ok = (
                self._open.get(address, 0) < self.per_address
                and sum(self._open.values()) < self.total
            )
            if ok:
                self._open[address] = self._open.get(address, 0) + 1
        try:
            yield ok
        finally:
            if ok:
                with self._lock:
                    left = self._open[address] - 1
                    if left:
                        self._open[address] = left
                    else:
                        del self._open[address]

    def count(self, address: str | None = None) -> int:
        with self._lock:
            return self._open.get(address, 0) if address else sum(self._open.values())


def _slots(request: Request) -> StreamSlots:
    slots = getattr(request.app.state, "live_now_slots", None)
    if slots is None:
        slots = request.app.state.live_now_slots = StreamSlots()
    return slots


def live_rows(registry: SessionRegistry, patients: dict[int, str]) -> list[dict[str, Any]]:
    """The live sessions of these patients (id -> name) whose patient is connected now,
    newest first, in words: who, what, since when, and whether they are still getting ready."""
    rows = []
    for s in registry.sessions():
        if s.patient_id in patients and s.connected and not s.ended:
            rows.append(
                {
                    "patient": patients[s.patient_id],
                    "session_id": s.id,
                    "exercise": s.info["name"],
                    "since": clinic_time(s.created_at),
                    "at": s.created_at.isoformat() if hasattr(s.created_at, "isoformat") else "",
                    "getting_ready": s.stage == "setup",
                }
            )
    return sorted(rows, key=lambda r: str(r["at"]), reverse=True)


def _event(rows: list[dict[str, Any]]) -> str:
    return f"event: live\ndata: {json.dumps(rows, ensure_ascii=False)}\n\n"


async def _stream(
    request: Request, store: Store, registry: SessionRegistry, therapist_id: int
) -> AsyncIterator[str]:
    """The list whenever it changes (and once at the start), until the sign-in ends."""
    token = request.cookies.get(access.COOKIE)
    patients: dict[int, str] = {}
    last: list[dict[str, Any]] | None = None
    checked = quiet = -1e9
    loop = asyncio.get_running_loop()
    yield "retry: 3000\n\n"
    while True:
        now = loop.time()
        if now - checked >= RECHECK_S:
            who = await asyncio.to_thread(store.identity, token)
            if who is None or who.user_id != therapist_id:
                yield "event: signed-out\ndata: {}\n\n"
                return
            found = await asyncio.to_thread(store.patients_of, therapist_id)
            patients, checked = {p.id: p.name for p in found}, now
        rows = live_rows(registry, patients)
        if rows != last:
            last, quiet = rows, now
            yield _event(rows)
        elif now - quiet >= HEARTBEAT_S:
            quiet = now
            yield ": still here\n\n"
        await asyncio.sleep(TICK_S)


@router.get("/api/therapist/live-now", include_in_schema=False)
@audited("patients.live")
async def live_now_events(
    request: Request, who: TherapistDep, store: StoreDep, registry: RegistryDep
) -> StreamingResponse:
    slots = _slots(request)
    address = access.client_address(request)
    if slots.count(address) >= slots.per_address or slots.count() >= slots.total:
        raise HTTPException(429, "Too many live dashboards open.", {"Retry-After": "30"})

    async def body() -> AsyncIterator[str]:
        with slots.take(address) as ok:
            if not ok:  # taken meanwhile by another of this address's tabs
                yield "event: busy\ndata: {}\n\n"
                return
            async for chunk in _stream(request, store, registry, who.user_id or -1):
                yield chunk

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
