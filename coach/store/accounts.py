"""Passwords and tokens: Argon2id hashes (argon2-cffi) and random tokens stored as SHA-256.

Nothing here is hand-rolled cryptography: passwords go through argon2-cffi's
`PasswordHasher` (memory-hard, salted, self-describing hashes that can be upgraded), and
session cookies / personal links are 256-bit random tokens of which only a hash is stored,
so a copy of the database does not let anyone sign in.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_CHARS = 10
MIN_PASSWORD_SCORE = 3  # zxcvbn: 0 (too guessable) .. 4 (very unguessable)
USERNAME_RE = re.compile(r"^[A-Za-z0-9._@+-]{3,120}$")

# Set by the test suite only (tests/conftest.py), never in a deployment: Argon2id at its
# smallest cost, so the suite's thousands of sign-ins do not spend minutes of CPU hashing
# (the default costs ~0.18 s of CPU a hash or check). `coach serve` warns when it is set.
FAST_HASHES_FOR_TESTS = "COACH_TEST_FAST_PASSWORD_HASHES"


def weak_hashes() -> bool:
    """True when FAST_HASHES_FOR_TESTS is on: passwords are hashed at argon2's minimum cost."""
    return os.environ.get(FAST_HASHES_FOR_TESTS) == "1"


@functools.cache
def _hasher() -> PasswordHasher:
    """argon2-cffi's default profile (RFC 9106 low-memory: 3 passes, 64 MiB, 4 lanes)."""
    if weak_hashes():
        return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    return PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verifying against this when the user does not exist takes as long as a real check, so
    the response time does not tell an attacker which usernames exist. Made on the first
    check, whoever it is for (so that one is no tell either), not at import: an Argon2 hash
    costs 0.6 s of CPU, which every `coach` command would pay."""
    return _hasher().hash("not a real password, only for timing")


class AccountError(ValueError):
    """Bad account input (the message is safe to show)."""


def check_username(username: str) -> str:
    username = username.strip()
    if not USERNAME_RE.match(username):
        raise AccountError(
            "a username is 3-120 characters: letters, digits and . _ @ + - (no spaces)"
        )
    return username


def login_key(username: str) -> str:
    """The username as sign-in limits count it: stripped (as `Store.authenticate` looks it up)
    and case-folded, so " Carol", "carol " and "CAROL" share one bucket."""
    return username.strip().casefold()


def check_password(password: str, user_inputs: Sequence[str] = ()) -> str:
    """Refuse a password that is short or easy to guess, saying why in plain words.

    The strength is zxcvbn's estimate (a maintained library: dictionaries, common passwords,
    names, keyboard patterns, dates, repeats); `user_inputs` (username, name) count as known
    to an attacker."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    from zxcvbn import zxcvbn

    # zxcvbn's cost grows with the length; the first 100 characters decide the estimate.
    result = zxcvbn(password[:100], user_inputs=[u for u in user_inputs if u])
    if result["score"] < MIN_PASSWORD_SCORE:
        feedback = result.get("feedback") or {}
        why = [feedback.get("warning") or "", *(feedback.get("suggestions") or [])]
        words = " ".join(w.strip() for w in why if w and w.strip())
        raise AccountError(
            "this password is too easy to guess"
            + (f": {words}" if words else "; use a few uncommon words or a longer phrase.")
        )
    return password


def hash_password(password: str, user_inputs: Sequence[str] = ()) -> str:
    """The Argon2id hash of a new password, once it passed `check_password`."""
    return _hasher().hash(check_password(password, user_inputs))


def rehash_password(password: str) -> str:
    """A fresh hash of an existing password (parameters upgraded): no strength check, so an
    older weak password still signs in (it is replaced when the user sets a new one)."""
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    dummy = _dummy_hash()
    try:
        return _hasher().verify(stored_hash or dummy, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Identity:
    """Who a request comes from: a therapist (user) or a patient (by account or link)."""

    role: str  # "therapist" | "patient"
    name: str
    user_id: int | None = None
    patient_id: int | None = None
    is_admin: bool = False
    audit_ref: str | None = None  # a patient's reference in the audit trail (coach.store.audit)
    language: str | None = None  # a patient's, as their therapist set it (coach.i18n)

    @property
    def is_therapist(self) -> bool:
        return self.role == "therapist"
