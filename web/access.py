"""Who is asking, and may they: sign-in cookies, the login rate limit, per-patient checks.

- The cookie holds a random token (the database keeps its SHA-256): HttpOnly (no script can
  read it), SameSite=Lax (other sites can't post forms with it: our CSRF defence), Secure when
  `COACH_SECURE_COOKIES=1` or the request came over https.
- Refusals for another user's data are 404, the same as for missing data, so ids can't be
  probed.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from typing import Any

from fastapi import HTTPException, Request, WebSocket

from coach.store import Store
from coach.store.accounts import Identity
from coach.store.models import Patient

COOKIE = "coach_session"


def secure_cookies(request: Request) -> bool:
    env = os.environ.get("COACH_SECURE_COOKIES", "").strip().lower()
    if env in ("1", "true", "yes"):
        return True
    return request.url.scheme == "https"


def set_login_cookie(response: Any, request: Request, token: str, max_age_s: int) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=max_age_s,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
    )


def identity_of(store: Store | None, conn: Request | WebSocket) -> Identity | None:
    if store is None:
        return None
    return store.identity(conn.cookies.get(COOKIE))


class NotSignedIn(Exception):
    """Raised by page routes: the app turns it into a redirect to /login."""


def require_identity(store: Store, request: Request) -> Identity:
    who = identity_of(store, request)
    if who is None:
        raise NotSignedIn()
    return who


def therapist_only(who: Identity) -> Identity:
    """A signed-in patient on a therapist's page is refused (403), not sent to sign in."""
    if not who.is_therapist:
        raise HTTPException(403, "This page is for therapists.")
    return who


def patient_for(store: Store, who: Identity, patient_id: int) -> Patient:
    patient = store.patient_visible_to(who, patient_id)
    if patient is None:
        raise HTTPException(404, "No such patient.")
    return patient


class LoginLimiter:
    """At most `attempts` failed sign-ins per `window_s`, per client address and per username.

    In memory: one server process (uvicorn, as `coach serve` runs it). Successful sign-ins
    don't count. Refused attempts are not checked against the password at all.
    """

    def __init__(self, attempts: int = 5, window_s: float = 300.0) -> None:
        self.attempts = attempts
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and now - q[0] > self.window_s:
            q.popleft()
        return q

    def retry_after(self, *keys: str) -> float:
        """Seconds until another attempt is allowed (0: allowed now)."""
        now = time.monotonic()
        with self._lock:
            wait = 0.0
            for key in keys:
                q = self._recent(key, now)
                if len(q) >= self.attempts:
                    wait = max(wait, self.window_s - (now - q[0]))
            return wait

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)
