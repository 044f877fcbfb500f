"""What the attack tests (tests/web/test_attacks_*.py) hold sockets with: a bare-bones
WebSocket client on one plain socket (no thread a connection, unlike websockets' sync client,
so a test can hold hundreds), bound to a chosen loopback address (127.0.0.2 is "another
client"), and raw TCP connections. Only for servers the tests start on 127.0.0.1."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import socket
import struct
import time
from dataclasses import dataclass, field
from typing import Any


def connect_from(source: str, host: str, port: int, timeout: float = 10.0) -> socket.socket:
    """A TCP connection to host:port from the loopback address `source`."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.bind((source, 0))
    sock.connect((host, port))
    return sock


@dataclass
class RawWs:
    """One WebSocket (client side) on a plain socket."""

    sock: socket.socket
    status: int
    buffer: bytes = field(default=b"")

    def _read(self, n: int, deadline: float) -> bytes:
        while len(self.buffer) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no message in time")
            self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buffer += chunk
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def recv(self, timeout: float = 10.0) -> Any:
        """The next message: a dict (JSON text), bytes, or ("close", code) for a close frame."""
        deadline = time.monotonic() + timeout
        while True:
            head = self._read(2, deadline)
            opcode, length = head[0] & 0x0F, head[1] & 0x7F
            if length == 126:
                length = struct.unpack("!H", self._read(2, deadline))[0]
            elif length == 127:
                length = struct.unpack("!Q", self._read(8, deadline))[0]
            payload = self._read(length, deadline)
            if opcode == 1:
                return json.loads(payload)
            if opcode == 2:
                return payload
            if opcode == 8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                return ("close", code)
            # ping/pong: skipped

    def recv_type(self, kind: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            message = self.recv(max(0.01, deadline - time.monotonic()))
            if isinstance(message, dict) and message.get("type") == kind:
                return message
            if isinstance(message, tuple):
                raise ConnectionError(f"closed with {message[1]} before a {kind!r} message")

    def close_code(self, timeout: float = 10.0) -> int | None:
        """Read until the server's close frame; its code (None: the socket just ended)."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                message = self.recv(max(0.01, deadline - time.monotonic()))
                if isinstance(message, tuple):
                    return message[1]
        except ConnectionError:
            return None

    def send_text(self, text: str) -> None:
        data = text.encode("utf-8")
        mask = os.urandom(4)
        n = len(data)
        head = bytes([0x81])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.sock.sendall(head + mask + masked)

    def send_json(self, message: dict[str, Any]) -> None:
        self.send_text(json.dumps(message))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def open_ws(
    host: str,
    port: int,
    path: str,
    *,
    source: str = "127.0.0.1",
    cookie: str | None = None,
    timeout: float = 10.0,
) -> RawWs:
    """A WebSocket to `path` from `source`; `status` is 101 when the upgrade was accepted."""
    sock = connect_from(source, host, port, timeout)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
    ]
    if cookie:
        lines.append(f"Cookie: coach_session={cookie}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    data = b""
    deadline = time.monotonic() + timeout
    while b"\r\n\r\n" not in data:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            sock.close()
            raise ConnectionError(f"closed during the upgrade: {data[:200]!r}")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    status = int(head.split(b" ", 2)[1])
    return RawWs(sock, status, rest)


def closed_by_peer(socks: list[socket.socket], wait_s: float) -> set[socket.socket]:
    """Those of `socks` the server has closed (readable with end-of-file) within `wait_s`
    (poll, not select: the test may hold more than 1,024 descriptors)."""
    closed: set[socket.socket] = set()
    by_fd = {s.fileno(): s for s in socks}
    poller = select.poll()
    for fd in by_fd:
        poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    deadline = time.monotonic() + wait_s
    while len(closed) < len(socks) and (left := deadline - time.monotonic()) > 0:
        for fd, _event in poller.poll(min(50, int(left * 1000) + 1)):
            sock = by_fd[fd]
            try:
                sock.setblocking(False)
                ended = sock.recv(1) == b""
            except (BlockingIOError, InterruptedError):
                ended = False
            except OSError:
                ended = True
            if ended:
                closed.add(sock)
                poller.unregister(fd)
    return closed


def send_head(
    host: str, port: int, method: str, path: str, headers: dict[str, str], source: str = "127.0.0.1"
) -> socket.socket:
    """A request's line and headers on a new connection; the body is the caller's to send."""
    sock = connect_from(source, host, port)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return sock


def read_response(sock: socket.socket, timeout: float) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and (Content-Length) body of the answer, within `timeout` seconds;
    TimeoutError when none comes."""
    deadline = time.monotonic() + timeout
    data = b""
    while b"\r\n\r\n" not in data:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            raise TimeoutError(f"no answer in {timeout} s") from None
        if not chunk:
            raise ConnectionError(f"closed without an answer: {data[:200]!r}")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(status_line.split()[1]), headers, body
