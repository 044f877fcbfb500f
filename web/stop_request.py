"""Ctrl+C or SIGTERM stops `coach serve` cleanly at any moment, start-up included.

uvicorn takes the signals only once it runs. Before that (the store opening, the app being
built, the banner), Python's default Ctrl+C raised KeyboardInterrupt wherever the main thread
happened to be: half-built state, tracebacks from uvicorn's lifespan, a worker pipe closed
under a thread, and once a process on PostgreSQL that did not end. Here the signal only
records that a stop was asked, and hands it to the uvicorn server once there is one; a second
Ctrl+C before the server runs still interrupts at once, for a user who insists.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    """Whether a stop was asked for, and the uvicorn servers to tell when it is."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._servers: list[Any] = []

    @property
    def requested(self) -> bool:
        return self.event.is_set()

    def attach(self, server: Any) -> None:
        """Tell this uvicorn server to exit on a stop (at once if one was already asked)."""
        self._servers.append(server)
        if self.requested:
            server.should_exit = True

    def on_signal(self, sig: int, frame: FrameType | None) -> None:
        if self.requested and sig == signal.SIGINT and not self._servers:
            raise KeyboardInterrupt  # Ctrl+C twice while starting: stop now
        self.event.set()
        for server in self._servers:
            server.should_exit = True


@contextlib.contextmanager
def stop_on_signals() -> Iterator[StopRequest]:
    """Record SIGINT and SIGTERM in a StopRequest while the block runs (main thread only:
    elsewhere Python delivers no signals, and the request is only set by hand)."""
    stop = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = {sig: signal.signal(sig, stop.on_signal) for sig in SIGNALS}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
