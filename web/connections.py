"""The server's connections: how many it holds, from whom, for how long, sized from the
process's open-file limit.

Every socket is an open file. With the usual limit of 1,024, one anonymous address holding
about 1,000 sockets (follower WebSockets, or plain connections that send nothing) left the
server unable to accept anything: /healthz, sign-in and new live sessions went unanswered
while asyncio's accept loop failed with EMFILE. So, at start (`Capacity.of_this_process`):

- a **reserve** of the limit is kept for the server's own files (the database, workers'
  pipes, uploads being received, static files being sent, logs, Redis): a quarter of the
  limit, at least 64;
- the rest is the most **connections** held at once (HTTP and WebSocket together); one more
  is closed as soon as it is accepted;
- one client address may hold at most `COACH_MAX_CONNECTIONS_PER_ADDRESS` (100) of them, and
  never more than a quarter of all (the addresses in `COACH_TRUSTED_PROXIES` are exempt: a
  reverse proxy carries everyone's connections; its clients are counted by address where it
  matters, live sessions and followers);
- the live sockets' caps are lowered to fit (`live_limits`): follower sockets at most half of
  the connections, on-device live sessions at most a quarter.

A connection must send a request's headers within `COACH_HEADER_TIMEOUT_S` (10 s) of opening
or of its previous response, in at most 64 KB, or it is answered 408 (431) and closed:
uvicorn alone waits for ever for a connection that sends nothing or dribbles its headers.
Bodies have limits of their own (web/body_limits.py, web/uploads/receiving.py).

These are uvicorn protocol classes (`http=`, `ws=` of its Config, web/server.py): the checks
happen as the connection is accepted, before any request exists. The responses uvicorn makes
itself (400 for a malformed request, the WebSocket handshake's refusals) carry the same
security headers as the app's (web/security.py).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import resource
import sys
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from coach.live import LiveLimits
from coach.live.limits import Slots
from web.routing import Handoff, opens_session, requested_session
from web.security import HEADERS, env_number

log = logging.getLogger(__name__)

MIN_RESERVE = 64
MAX_HEADER_BYTES = 64 * 1024
_STATUS = {400: "Bad Request", 408: "Request Timeout", 431: "Request Header Fields Too Large"}


def open_file_limit() -> int:
    """This process's soft limit of open files (RLIMIT_NOFILE)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


@dataclass(frozen=True)
class Capacity:
    """What the server may hold at once, from its open-file limit (see the module docstring)."""

    open_files: int
    reserve: int
    connections: int
    per_address: int
    header_timeout_s: float

    @classmethod
    def of_this_process(cls) -> Capacity:
        return cls.for_limit(open_file_limit())

    @classmethod
    def for_limit(cls, open_files: int) -> Capacity:
        reserve = max(MIN_RESERVE, open_files // 4)
        connections = max(16, open_files - reserve)
        wanted = int(env_number("COACH_MAX_CONNECTIONS_PER_ADDRESS", 100))
        return cls(
            open_files=open_files,
            reserve=reserve,
            connections=connections,
            per_address=max(1, min(wanted, connections // 4)),
            header_timeout_s=env_number("COACH_HEADER_TIMEOUT_S", 10.0),
        )

    def live_limits(self, limits: LiveLimits) -> LiveLimits:
        """`limits` with the live sockets' caps lowered to fit the connections."""
        return replace(
            limits,
            max_follower_sockets=min(limits.max_follower_sockets, self.connections // 2),
            max_device=min(limits.max_device, self.connections // 4),
        )

    def words(self, limits: LiveLimits) -> str:
        return (
            f"Open files: limit {self.open_files}, {self.reserve} kept in reserve; at most "
            f"{self.connections} connections ({self.per_address} from one address), "
            f"{limits.max_follower_sockets} follower sockets, {limits.max_device} on-device "
            "live sessions"
        )


class ConnectionGuard:
    """The connections held, per client address and in all; `admit` as each is accepted,
    `release` when it is lost (counted once, through an upgrade to WebSocket too)."""

    def __init__(self, capacity: Capacity, trusted: list[str], shared: Slots | None = None) -> None:
        self.capacity = capacity
        self._trusted = _networks(trusted)
        self._held: dict[Any, str] = {}
        self._by_address: Counter[str] = Counter()
        self.refused = 0
        # The worker processes of one machine count an address's connections together
        # (web.machine.SharedSlots); the connections in all stay per process (its open files).
        self._shared = shared

    def __len__(self) -> int:
        return len(self._held)

    def held_by(self, address: str) -> int:
        return self._by_address.get(address, 0)

    def admit(self, transport: Any) -> bool:
        if transport in self._held:
            return True  # counted already
        address = _peer(transport)
        per_address = not self._exempt(address)
        if (
            len(self._held) >= self.capacity.connections
            or (per_address and self._by_address[address] >= self.capacity.per_address)
            or (per_address and not self._take_shared(address))
        ):
            self.refused += 1
            if self.refused in (1, 10, 100) or self.refused % 1000 == 0:
                log.warning(
                    "connections: refused %d so far (this one from %s; %d held, %d from it)",
                    self.refused,
                    address,
                    len(self._held),
                    self._by_address[address],
                )
            return False
        self._held[transport] = address
        self._by_address[address] += 1
        return True

    def _take_shared(self, address: str) -> bool:
        """One more connection of `address` over every worker process (always, alone)."""
        if self._shared is None:
            return True
        return self._shared.take(address, self.capacity.per_address, sys.maxsize) is None

    def release(self, transport: Any) -> None:
        address = self._held.pop(transport, None)
        if address is None:
            return
        if self._shared is not None and not self._exempt(address):
            self._shared.give_back(address)
        self._by_address[address] -= 1
        if self._by_address[address] <= 0:
            del self._by_address[address]

    def _exempt(self, address: str) -> bool:
        if self._trusted is None:
            return True  # "*": every address is a trusted proxy
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self._trusted)


def _networks(trusted: list[str]) -> list[Any] | None:
    if "*" in trusted:
        return None
    out = []
    for item in trusted:
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            log.warning("COACH_TRUSTED_PROXIES: %r is not an address or a network", item)
    return out


def _peer(transport: Any) -> str:
    peer = transport.get_extra_info("peername")
    if isinstance(peer, (tuple, list)) and peer:
        return str(peer[0])
    return "?"


def plain_response(status: int, text: str) -> bytes:
    """A whole HTTP/1.1 response that closes the connection, with the app's security headers:
    for the answers uvicorn's protocol gives before (or without) the app."""
    body = text.encode("utf-8")
    lines = [f"HTTP/1.1 {status} {_STATUS.get(status, 'Error')}"]
    lines += [f"{name}: {value}" for name, value in HEADERS.items()]
    lines += [
        "cache-control: no-store",
        "content-type: text/plain; charset=utf-8",
        f"content-length: {len(body)}",
        "connection: close",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class _HeadersTooLarge(Exception):
    pass


class GuardedHttp(HttpToolsProtocol):
    """uvicorn's HTTP protocol with the guard, the header deadline and size, and the security
    headers on its own 400. `guard` is set on a subclass per server (`protocols`), and with
    several worker processes `handoff` (web/routing.py): a request naming another worker's
    live session, read between requests, hands the connection to that worker."""

    guard: ClassVar[ConnectionGuard]
    handoff: ClassVar[Handoff | None] = None
    pending = b""  # bytes another worker read before handing this connection over

    def connection_made(self, transport: Any) -> None:
        self._refused = not self.guard.admit(transport)
        self._header_timer: asyncio.TimerHandle | None = None
        self._header_bytes = 0  # of the request being parsed (its line and headers)
        self._waiting_bytes = 0  # received while its headers have not ended
        self._between = True  # the next bytes begin a request, and none is in progress
        self._partial = False  # the parser is inside a request
        self._head = b""  # a request's first bytes, held until its head ends (routing)
        if self._refused:
            transport.close()  # the file is given back at once
            return
        super().connection_made(transport)
        self._await_headers()
        if self.pending:
            self.data_received(self.pending)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._refused:
            return
        self._headers_came()
        self.guard.release(self.transport)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused or self.transport.is_closing():
            return
        if self._between and self.handoff is not None and self.scheme == "http":
            routed = self._route(data)
            if routed is None:
                return  # held until the head ends, or handed to another worker
            data = routed
        self._between = False
        waiting = self._header_timer is not None
        super().data_received(data)
        # Still no end of the headers: what came so far is all headers (httptools keeps a
        # header's value in memory until it ends, so a header without end is cut off here).
        if waiting and self._header_timer is not None and not self.transport.is_closing():
            self._waiting_bytes += len(data)
            if self._waiting_bytes > MAX_HEADER_BYTES:
                self._answer(431, "The request's headers are too large.")

    # ---- several workers: a session's requests go to the process that has it ---------------
    def _route(self, data: bytes) -> bytes | None:
        """Between requests: the bytes to parse here, or None when they are held (the head
        has not ended) or the connection went to the worker that has the session."""
        head = self._head + data
        if not head.startswith(b"GET "[: len(head)]):
            self._head = b""
            return head  # not a request about a session
        if b"\r\n\r\n" not in head and len(head) <= MAX_HEADER_BYTES:
            self._head = head
            self._unset_keepalive_if_required()  # the request has begun
            return None
        self._head = b""
        handoff = self.handoff
        if handoff is None:
            return head
        session_id = requested_session(head)
        if session_id is not None:
            to = None if handoff.mine(session_id) else handoff.owner(session_id)
        else:  # a new session goes to the least busy worker
            to = handoff.lighter() if opens_session(head) else None
        if to is None:
            return head
        sock = self.transport.get_extra_info("socket")
        if sock is None or not handoff.send(to, sock, head):
            return head  # the owner cannot take it now: served here
        self._headers_came()
        self.guard.release(self.transport)
        self.transport.close()  # our copy only: the owner has the connection now
        return None

    def on_message_begin(self) -> None:
        self._header_bytes = 0
        self._partial = True
        super().on_message_begin()

    def on_message_complete(self) -> None:
        self._partial = False
        super().on_message_complete()

    def on_url(self, url: bytes) -> None:
        self._count_header_bytes(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_header_bytes(len(name) + len(value) + 4)
        super().on_header(name, value)

    def _count_header_bytes(self, n: int) -> None:
        """Raising here stops the parser; uvicorn then calls `send_400_response`."""
        self._header_bytes += n
        if self._header_bytes > MAX_HEADER_BYTES:
            raise _HeadersTooLarge

    def on_headers_complete(self) -> None:
        self._headers_came()
        super().on_headers_complete()

    def handle_websocket_upgrade(self) -> None:
        """The connection goes on as a WebSocket (whichever protocol class serves it): its
        place is given back when that protocol loses it."""
        super().handle_websocket_upgrade()
        upgraded = self.transport.get_protocol()
        lost = upgraded.connection_lost
        guard, transport = self.guard, self.transport

        def connection_lost(exc: Exception | None) -> None:
            guard.release(transport)
            lost(exc)

        upgraded.connection_lost = connection_lost  # type: ignore[method-assign]

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and not self.pipeline:
            self._await_headers()  # keep-alive: the next request's headers are due in time
            # Nothing parsed since (a pipelined request would be the current cycle).
            self._between = not self._partial and self.cycle.response_complete

    def send_400_response(self, msg: str) -> None:
        if self._header_bytes > MAX_HEADER_BYTES:
            self._answer(431, "The request's headers are too large.")
        else:
            self._answer(400, msg)

    def _await_headers(self) -> None:
        self._headers_came()
        self._waiting_bytes = 0
        self._header_timer = self.loop.call_later(
            self.guard.capacity.header_timeout_s, self._headers_late
        )

    def _headers_came(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self._answer(408, "No request arrived in time.")

    def _answer(self, status: int, text: str) -> None:
        self._headers_came()
        self.transport.write(plain_response(status, text))
        self.transport.close()


class GuardedWebSocket(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol whose handshake refusals (403, 400, 500) carry the
    security headers."""

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        reject = self.conn.reject

        def reject_with_headers(*args: Any, **kwargs: Any) -> Any:
            response = reject(*args, **kwargs)
            for name, value in HEADERS.items():
                response.headers[name] = value
            return response

        self.conn.reject = reject_with_headers  # type: ignore[method-assign]


def protocols(
    guard: ConnectionGuard, handoff: Handoff | None = None
) -> tuple[type[GuardedHttp], type[GuardedWebSocket]]:
    """The HTTP protocol class of one server (with `guard`, and `handoff` when it is one of
    several worker processes), and the WebSocket one."""
    http = type("CoachHttp", (GuardedHttp,), {"guard": guard, "handoff": handoff})
    return http, GuardedWebSocket
