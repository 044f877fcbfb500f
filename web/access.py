"""Who is asking, and may they: sign-in cookies, the login rate limit, per-patient checks.

- The cookie holds a random token (the database keeps its SHA-256): HttpOnly (no script can
  read it), SameSite=Lax, Secure when `COACH_SECURE_COOKIES=1` or the request came over
  https. SameSite alone is no CSRF defence (another port of the same host is the same site):
  web/security.py refuses state-changing requests from any other origin.
- Refusals for another user's data are 404, the same as for missing data, so ids can't be
  probed.
"""

from __future__ import annotations

import math
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Request, WebSocket

from coach.store import Store
from coach.store.accounts import Identity, login_key
from coach.store.models import Patient
from scoring.words import say

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


def client_address(conn: Request | WebSocket) -> str:
    """The client's address as uvicorn reports it: the peer, or what a *trusted* proxy says
    (X-Forwarded-For is honoured only from `COACH_TRUSTED_PROXIES`, see web/server.py)."""
    return conn.client.host if conn.client else "?"


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0


def wait_in_words(wait: float) -> str:
    """How long a refused sign-in must wait, for people: "40 s", "3 min" (a message the page
    renders in the reader's language)."""
    if wait < 60:
        return say("{seconds} s", seconds=math.ceil(wait))
    return say("{minutes} min", minutes=math.ceil(wait / 60))


class LoginLimiter:
    """Growing delays after failed sign-ins, instead of a lockout.

    Two counts: one per (username, address) pair, where the username is normalised like
    `Store.authenticate` looks it up (stripped, and case-folded: `accounts.login_key`), and
    one per address over all usernames (password spraying). Each allows `free` failures, then
    every further attempt waits `base_s`, 2x, 4x, ... (at most `max_s`) after the last failure;
    refused attempts are not checked against the password at all and don't add to the count.

    The sign-in route calls `reserve` before it checks a password: the check of the counts and
    the counting of this attempt (as a failure, in advance) are one atomic step, so attempts
    sent at the same moment cannot all pass a check that none of them has counted yet: a burst
    of 30 wrong passwords gets at most `free` password checks (argon2 work), the rest 429. A
    success takes its attempt back (`succeeded`: the pair is cleared, the address's count
    given one back).

    Nothing is keyed on the username alone: an attacker's guesses slow down their address,
    never the real user signing in from theirs. The one exception is the second factor
    (`reserve_code`): whoever types codes already knows the password, so the user's codes
    are also counted from every address together (`free_codes`), and a botnet cannot share
    out a million guesses; the real user may then wait too (docs/SECURITY.md). In memory:
    one server process (uvicorn, as `coach serve` runs it); counts are forgotten after
    `forget_s` without failures. A cluster keeps the counts in Redis instead
    (web/shared_limits.py overrides `_entry`, `_reserve`, `_add_failure`, `_take_back` and
    `_clear`, atomically there too), so every instance sees them.
    """

    def clock(self) -> float:
        return time.monotonic()

    def __init__(
        self,
        free: int = 5,
        base_s: float = 15.0,
        max_s: float = 3600.0,
        *,
        free_per_address: int = 20,
        free_codes: int = 10,
        forget_s: float = 86400.0,
        max_entries: int = 100_000,
    ) -> None:
        self.free = free
        self.free_per_address = free_per_address
        self.free_codes = free_codes
        self.base_s = base_s
        self.max_s = max_s
        self.forget_s = forget_s
        self.max_entries = max_entries
        self._failures: dict[tuple[str, ...], _Failures] = {}
        self._lock = threading.RLock()

    @staticmethod
    def _keys(username: str, address: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return ("pair", login_key(username), address), ("address", address)

    def _entry(self, key: tuple[str, ...]) -> _Failures | None:
        with self._lock:
            return self._failures.get(key)

    def _add_failure(self, key: tuple[str, ...], now: float) -> None:
        with self._lock:
            if len(self._failures) >= self.max_entries:
                self._forget(now)
            entry = self._failures.setdefault(key, _Failures())
            entry.count += 1
            entry.last = now

    def _clear(self, key: tuple[str, ...]) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def _take_back(self, key: tuple[str, ...]) -> None:
        """One failure counted in advance was a success after all."""
        with self._lock:
            entry = self._failures.get(key)
            if entry is not None and entry.count > 0:
                entry.count -= 1

    def _reserve(self, keys: list[tuple[tuple[str, ...], int]], now: float) -> float:
        """Atomically: the longest wait of `keys` (each with its free failures), or, when
        there is none, 0.0 with a failure counted for each key."""
        with self._lock:
            wait = max(self._wait(key, free, now) for key, free in keys)
            if wait > 0:
                return wait
            for key, _free in keys:
                self._add_failure(key, now)
            return 0.0

    def delay(self, entry: _Failures | None, free: int, now: float) -> float:
        """The wait `entry`'s failures impose from `now` (0: none)."""
        if entry is None or entry.count < free:
            return 0.0
        delay = min(self.max_s, self.base_s * 2 ** min(entry.count - free, 64))
        return max(0.0, entry.last + delay - now)

    def _wait(self, key: tuple[str, ...], free: int, now: float) -> float:
        return self.delay(self._entry(key), free, now)

    def retry_after(self, username: str, address: str) -> float:
        """Seconds until this username may be tried from this address (0: now)."""
        pair, addr = self._keys(username, address)
        now = self.clock()
        return max(self._wait(pair, self.free, now), self._wait(addr, self.free_per_address, now))

    def reserve(self, username: str, address: str) -> float:
        """Before a password is checked: seconds to wait (> 0: refused, not counted), or 0.0
        with this attempt counted as a failure already (`succeeded` takes it back)."""
        pair, addr = self._keys(username, address)
        return self._reserve([(pair, self.free), (addr, self.free_per_address)], self.clock())

    def reserve_code(self, username: str, address: str) -> float:
        """Before a second-factor code is checked: as `reserve`, with the user's codes from
        every address counted too. The password's attempt is still counted (a sign-in with a
        second factor succeeds only with its code), so the password and the codes share the
        pair's free failures."""
        pair, addr = self._keys(username, address)
        codes = ("code", login_key(username))
        keys = [(pair, self.free), (addr, self.free_per_address), (codes, self.free_codes)]
        return self._reserve(keys, self.clock())

    def code_succeeded(self, username: str, address: str, *, after_password: bool) -> None:
        """A reserved code was right: the pair and the user's codes are cleared, the address
        given back this attempt and, `after_password`, the password's."""
        pair, addr = self._keys(username, address)
        self._clear(pair)
        self._clear(("code", login_key(username)))
        self._take_back(addr)
        if after_password:
            self._take_back(addr)

    def failed(self, username: str, address: str) -> None:
        """Count a failure (for a caller that checked `retry_after` rather than `reserve`)."""
        now = self.clock()
        for key in self._keys(username, address):
            self._add_failure(key, now)

    def succeeded(self, username: str, address: str) -> None:
        """A reserved attempt succeeded: its pair is cleared, its address given one back."""
        pair, addr = self._keys(username, address)
        self._clear(pair)
        self._take_back(addr)

    def _forget(self, now: float) -> None:
        old = [k for k, e in self._failures.items() if now - e.last > self.forget_s]
        for key in old:
            del self._failures[key]
        excess = len(self._failures) - int(self.max_entries * 0.9)
        if excess > 0:  # still full: drop the oldest
            for key in sorted(self._failures, key=lambda k: self._failures[k].last)[:excess]:
                del self._failures[key]

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()
