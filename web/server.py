"""`coach serve`: run the live coaching web app with uvicorn.

Also `BackgroundServer`, the same server on a thread, for tests, benchmarks and embedding:
the real uvicorn stack (HTTP, WebSockets, message size limits), not a test client.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from coach.live import LiveLimits, Recorder
from pose.native_logs import quiet_native_logs
from web.server_config import WS_MAX_BYTES, trusted_proxies, uvicorn_config
from web.stop_request import StopRequest, stop_on_signals

__all__ = ["WS_MAX_BYTES", "BackgroundServer", "serve", "trusted_proxies", "uvicorn_config"]


def _bind(host: str, port: int) -> socket.socket:
    """Bind the listening socket ourselves: a busy port becomes one clear sentence."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc} "
            "(is another Coach already running? try --port with another number)"
        ) from None
    sock.set_inheritable(True)
    return sock


class _CannotStart(Exception):
    """`coach serve` cannot start: one sentence for stderr, and the exit status."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    recorder: Recorder | None = None,
    max_active: int = 4,
    retain_s: float = 1800.0,
    log_level: str = "warning",
    database_url: str | None = None,
    certfile: str | Path | None = None,
    keyfile: str | Path | None = None,
    self_signed: bool = False,
    live_limits: LiveLimits | None = None,
    pose_model: str = "full",
    redis_url: str | None = None,
    public_url: str | None = None,
    workers: int = 1,
) -> int:
    """Serve the app until Ctrl+C; returns the exit status.

    Over https with `certfile` (and `keyfile`, unless the key is in the certificate file), or
    with `self_signed`, a certificate made once and kept in the data folder (web/tls.py).

    Sessions are recorded in the store at `database_url` (default: `COACH_DATABASE_URL`, else
    the SQLite file in the data directory), migrated to the current schema at start-up.
    `max_active` caps concurrent server-mode live sessions (each runs a pose model on about one
    CPU core); `live_limits` bounds the rest of the live sockets (coach.live.LiveLimits).
    `pose_model` (lite, full, heavy) is the model of uploads and server-mode live sessions.
    With `redis_url` (default: `COACH_REDIS_URL`) this server is one instance of a cluster
    (docs/DEPLOY.md): uploads go to `coach worker` processes through the task queue.
    `public_url` (default: `COACH_PUBLIC_URL`) is the address patients reach (web/public_url.py).
    `workers` > 1 runs that many server processes behind the port (web/workers.py)."""
    quiet_native_logs()
    from coach.store.cluster import redis_url as configured_redis
    from web.app import create_app

    with stop_on_signals() as stop:  # Ctrl+C while starting stops cleanly too
        try:
            public = _public_url(public_url)
            certfile, keyfile = _certificate(certfile, keyfile, self_signed, workers)
            store, url = _open_store(database_url)
            sock = _listen(host, port, store)
        except _CannotStart as exc:
            print(f"coach serve: {exc}", file=sys.stderr)
            return exc.status
        settings: dict[str, Any] = {
            "max_active": max_active,
            "retain_s": retain_s,
            "live_limits": live_limits,
            "pose_model": pose_model,
            "redis_url": configured_redis(redis_url),
            "public_url": public,
        }
        if workers > 1:
            return _serve_workers(host, port, url, store, sock, settings, workers, log_level, stop)
        app = create_app(recorder=recorder, store=store, **settings)
        config = uvicorn_config(app, host, port, log_level, certfile, keyfile)
        _announce(host, port, certfile is not None, url, store)
        print(app.state.connections.capacity.words(app.state.registry.limits))
        return _run(config, sock, store, stop)


def _serve_workers(
    host: str,
    port: int,
    url: str,
    store: Any,
    sock: socket.socket,
    settings: dict[str, Any],
    workers: int,
    log_level: str,
    stop: StopRequest,
) -> int:
    """`workers` server processes behind the port, each `create_app(**settings)`."""
    from web.workers import serve_workers

    _announce(host, port, False, url, store)
    return serve_workers(url, settings, sock, workers, store, log_level, stopping=stop.event)


def _public_url(public_url: str | None) -> str | None:
    """The public base URL (the argument, else COACH_PUBLIC_URL), checked (web/public_url.py)."""
    from web.public_url import PublicUrlError, check_public_url

    url = public_url or os.environ.get("COACH_PUBLIC_URL", "")
    try:
        return check_public_url(url) if url else None
    except PublicUrlError as exc:
        raise _CannotStart(str(exc), status=2) from None


def _certificate(
    certfile: str | Path | None, keyfile: str | Path | None, self_signed: bool, workers: int
) -> tuple[str | Path | None, str | Path | None]:
    """The certificate and key to serve https with (None, None: plain http), checked; a
    self-signed pair is made once in the data folder. Several workers hand connections to
    each other (web/routing.py): plain http only."""
    from coach.store.db import data_dir
    from web.tls import CertificateError, check_cert_files, make_self_signed

    if workers > 1 and (certfile is not None or self_signed):
        raise _CannotStart(
            "--workers runs over plain http (a connection moves between the workers); "
            "serve https with one worker, or put a TLS proxy in front (docs/DEPLOY.md)"
        )

    if self_signed and certfile is None:
        try:
            certfile, keyfile = make_self_signed(data_dir() / "tls")
        except OSError as exc:
            raise _CannotStart(f"cannot make a certificate: {exc}") from None
        print(f"https: self-signed certificate {certfile} (browsers warn until it is trusted)")
    if certfile is not None:
        try:
            check_cert_files(certfile, keyfile)
        except CertificateError as exc:
            raise _CannotStart(str(exc)) from None
    return certfile, keyfile


def _open_store(database_url: str | None) -> tuple[Any, str]:
    """The store at `database_url` (else COACH_DATABASE_URL or the data folder's), migrated,
    and its URL."""
    from coach.store import StoreError, open_store
    from coach.store.db import database_url as default_url

    url = database_url or default_url()
    try:
        return open_store(url), url
    except StoreError as exc:
        raise _CannotStart(str(exc)) from None


def _listen(host: str, port: int, store: Any) -> socket.socket:
    try:
        return _bind(host, port)
    except OSError as exc:
        store.close()
        raise _CannotStart(str(exc), status=1) from None


def _announce(host: str, port: int, https: bool, url: str, store: Any) -> None:
    """Say where to open the app and where its data is (and why a patient may need https)."""
    from coach.store import accounts
    from coach.store.db import shown_url

    scheme = "https" if https else "http"
    shown = f"[{host}]" if ":" in host else host
    if host in ("0.0.0.0", "::"):
        shown = socket.gethostname() or shown
    print(f"Coach is running: open {scheme}://{shown}:{port}/ in your browser. Ctrl+C stops it.")
    print(
        f"Data: {shown_url(url)}"
        + ("" if store.users() else " (no accounts yet: coach admin create-therapist)")
    )
    if accounts.weak_hashes():
        print(
            f"WARNING: {accounts.FAST_HASHES_FOR_TESTS}=1 hashes passwords at argon2's minimum "
            "cost. It is for the test suite only: unset it before anyone uses this server.",
            file=sys.stderr,
        )
    if host not in ("127.0.0.1", "localhost", "::1") and not https:
        print(
            "Note: browsers allow the camera only on http://127.0.0.1/localhost or over https; "
            "other machines can follow sessions but a patient needs https (e.g. a reverse proxy).",
            file=sys.stderr,
        )


def _run(config: Any, sock: socket.socket, store: Any, stop: StopRequest) -> int:
    """Serve until Ctrl+C (unless one came while starting), then close the socket and the
    store. uvicorn raises the signal again once it has shut down: `stop` records it."""
    import uvicorn

    server = uvicorn.Server(config)
    stop.attach(server)
    try:
        if not stop.requested:
            server.run(sockets=[sock])
    finally:
        sock.close()
        store.close()
    print("Coach stopped.")
    return 0


class BackgroundServer:
    """The app under a real uvicorn server on a background thread, on a free loopback port.

    Use as a context manager; `url` is the base URL. `stop()` shuts down gracefully (open
    sockets get close code 1012, like a real restart).
    """

    def __init__(
        self,
        app: Any,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        certfile: str | Path | None = None,
        keyfile: str | Path | None = None,
    ) -> None:
        import uvicorn

        quiet_native_logs()
        self._sock = _bind(host, port)
        self.host = host
        self.port = int(self._sock.getsockname()[1])
        self.scheme = "https" if certfile is not None else "http"
        self.server = uvicorn.Server(
            uvicorn_config(app, host, self.port, "warning", certfile, keyfile)
        )
        # No signal handlers to turn off: uvicorn (>= 0.29) installs none off the main thread.
        self._thread = threading.Thread(target=self._run, name="coach-server", daemon=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def _run(self) -> None:
        self.server.run(sockets=[self._sock])

    def start(self, timeout: float = 120.0) -> BackgroundServer:
        """Until the server has started. A server whose thread ends (an error at start-up)
        fails at once; `timeout` only bounds a start that hangs, so it is generous: a loaded
        machine takes many times the second or so a start takes on a quiet one."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the coach server did not start: its thread ended")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the coach server did not start within {timeout:.0f} s")
            time.sleep(0.02)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
        with contextlib.suppress(OSError):
            self._sock.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
