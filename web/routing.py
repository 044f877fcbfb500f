"""Which worker process serves a request about a live session, and handing a connection to it.

`coach serve --workers N` runs N server processes that accept on one listening socket: the
kernel gives each new connection to one of them. A live session lives in the memory of one
process (its registry: the patient's page, the pipeline, the followers), so every request
that names a session must reach the process that has it: the patient's socket resuming it
(`/ws/live?...&session=ID`), a therapist's follow socket (`/ws/follow/ID`) and its JSON
(`/api/sessions/ID`, `.../events`). The session id says which process that is,
`owner(id, n)`, and each process makes new ids that are its own (`Handoff.mine`). A request
opening a new session goes to the least busy worker (`Handoff.lighter`: the kernel can give
one worker most new connections), so the sessions stay spread.

A process that reads the head of a request (the first on a connection, or the next one on a
kept-alive connection, between requests) naming another process's session hands the whole
connection over: the socket's file descriptor and the bytes read so far go to the owner in
one datagram on a Unix socket (SCM_RIGHTS), and the owner carries on as if it had accepted
the connection itself (web/connections.py). Nothing is relayed afterwards: the kernel
delivers the client's frames straight to the owner. When the owner cannot take it (it is
restarting), the connection stays where it landed: a resumed session is restored there from
the page's count, as after a restart.

The Unix sockets live in a folder only this user can enter, made by the supervisor
(web/workers.py).
"""

from __future__ import annotations

import array
import contextlib
import logging
import os
import socket
import zlib
from collections.abc import Callable, MutableSequence
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from coach.live import SESSION_ID_RE

log = logging.getLogger(__name__)

MAX_HEAD_BYTES = 64 * 1024  # a request head is refused beyond this anyway (web/connections.py)
_ROUTED_PREFIXES = ("/ws/follow/", "/api/sessions/")


def owner(session_id: str, workers: int) -> int:
    """The worker process (0 .. workers-1) that has the live session `session_id`."""
    return zlib.crc32(session_id.encode("ascii", "replace")) % workers


def requested_session(head: bytes) -> str | None:
    """The live session a request head (request line and headers) is about, if any: the
    session a patient's socket resumes, a follow socket's, a live session's JSON."""
    line = head.split(b"\r\n", 1)[0]
    parts = line.split(b" ")
    if len(parts) != 3 or parts[0] != b"GET":
        return None
    target = urlsplit(parts[1].decode("latin-1"))
    path = unquote(target.path)
    found: str | None = None
    if path == "/ws/live":
        found = next(iter(parse_qs(target.query).get("session", [])), None)
    else:
        for prefix in _ROUTED_PREFIXES:
            if path.startswith(prefix):
                found = path[len(prefix) :].split("/", 1)[0]
    return found if found and SESSION_ID_RE.match(found) else None


def opens_session(head: bytes) -> bool:
    """Whether a request head opens a new live session (a patient's socket, not resuming)."""
    parts = head.split(b"\r\n", 1)[0].split(b" ")
    if len(parts) != 3 or parts[0] != b"GET":
        return False
    target = urlsplit(parts[1].decode("latin-1"))
    return unquote(target.path) == "/ws/live" and "session" not in parse_qs(target.query)


Adopt = Callable[[socket.socket, bytes], None]


class Handoff:
    """One worker's end of the hand-over: `send` a connection to another worker, `listen` for
    connections handed to this one (each given to `adopt(sock, bytes read so far)`)."""

    def __init__(
        self, folder: Path, index: int, workers: int, loads: MutableSequence[int] | None = None
    ) -> None:
        self.folder = Path(folder)
        self.index = index
        self.workers = workers
        # Each worker's live sessions, in memory the workers share (web/workers.py): a new
        # session goes to the least busy worker. `count` gives this worker's own.
        self.loads = loads
        self.count: Callable[[], int] | None = None
        self._out = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._out.setblocking(False)  # a full queue: the connection stays here
        self._in: socket.socket | None = None
        self.handed = 0  # connections handed to other workers (for /healthz and tests)
        self.adopted = 0

    def path(self, index: int) -> str:
        return str(self.folder / f"worker-{index}.sock")

    def owner(self, session_id: str) -> int:
        return owner(session_id, self.workers)

    def mine(self, session_id: str) -> bool:
        """Whether a session id belongs to this worker (new ids are made until it does)."""
        return self.owner(session_id) == self.index

    def publish(self) -> None:
        """Tell the other workers how many live sessions this one has now."""
        if self.loads is not None and self.count is not None:
            self.loads[self.index] = self.count()

    def lighter(self) -> int | None:
        """The worker a new session should go to when another has at least two fewer live
        sessions than this one (counted for it at once, until it publishes), else None."""
        if self.loads is None:
            return None
        self.publish()
        loads = list(self.loads)
        least = min(range(self.workers), key=loads.__getitem__)
        if loads[self.index] - loads[least] < 2:
            self.loads[self.index] += 1  # this one, until it publishes its own count
            return None
        self.loads[least] += 1
        return least

    def send(self, to: int, sock: socket.socket, data: bytes) -> bool:
        """Hand the connection `sock` (with the `data` read from it so far) to worker `to`;
        False when that worker cannot take it now. The caller then closes its own copy."""
        fds = array.array("i", [sock.fileno()])
        try:
            self._out.sendmsg(
                [data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)], 0, self.path(to)
            )
        except OSError as exc:  # gone or restarting (ENOENT, ECONNREFUSED), or busy (EAGAIN)
            log.warning(
                "worker %d: could not hand a connection to worker %d: %s", self.index, to, exc
            )
            return False
        self.handed += 1
        return True

    def listen(self, loop: object, adopt: Adopt) -> None:
        """Start taking connections handed to this worker, on `loop` (an asyncio loop)."""
        path = self.path(self.index)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)  # a previous life of this worker's
        self._in = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._in.bind(path)
        self._in.setblocking(False)
        loop.add_reader(self._in.fileno(), self._receive, adopt)  # type: ignore[attr-defined]

    def _receive(self, adopt: Adopt) -> None:
        assert self._in is not None
        space = socket.CMSG_SPACE(array.array("i").itemsize)
        while True:
            try:
                data, ancillary, flags, _ = self._in.recvmsg(MAX_HEAD_BYTES + 4096, space)
            except (BlockingIOError, InterruptedError):
                return
            fds = _fds(ancillary)
            if flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC) or len(fds) != 1:
                for fd in fds:
                    os.close(fd)
                log.warning("worker %d: a handed connection came incomplete; dropped", self.index)
                continue
            self.adopted += 1
            adopt(socket.socket(fileno=fds[0]), data)

    def close(self, loop: object | None = None) -> None:
        if self._in is not None:
            if loop is not None:
                with contextlib.suppress(Exception):
                    loop.remove_reader(self._in.fileno())  # type: ignore[attr-defined]
            self._in.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path(self.index))
        self._out.close()


def _fds(ancillary: list[tuple[int, int, bytes]]) -> list[int]:
    fds: list[int] = []
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            arr = array.array("i")
            arr.frombytes(data[: len(data) - len(data) % arr.itemsize])
            fds.extend(arr)
    return fds
