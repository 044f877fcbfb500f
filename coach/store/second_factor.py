"""Two-factor sign-in for therapists: a TOTP secret (RFC 6238, with pyotp: 6 digits every
30 s, as every authenticator app reads them from a QR code), confirmed by a first code, and
ten single-use recovery codes, of which only SHA-256 hashes are kept.

- A code is taken once: the time step it belongs to is stored, and a code of that step or an
  older one is refused, in one conditional UPDATE (two sign-ins racing with one code: one
  wins). A code of the step before or after the server's clock is accepted (clock drift).
- A recovery code (12 letters and digits, about 59 bits) is used by marking it, again in one
  conditional UPDATE: it works once.
- The secret itself must be kept to check codes, so it is in the database in clear, like a
  password's hash is: a copy of the database gives it away (docs/SECURITY.md).
- Guesses are bounded by the sign-in limiter (web/access.py `LoginLimiter.reserve_code`),
  not here.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

import pyotp
from pyotp.exceptions import OTPVerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from coach.store.models import LoginSession, RecoveryCode, SecondFactor, User, utcnow
from coach.store.part import StorePart

ISSUER = "Coach"
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to confuse
RECOVERY_LENGTH = 12
TOTP_RE = re.compile(r"^\d{6}$")


def _recovery_hash(code: str) -> str:
    return hashlib.sha256(f"coach-recovery:{code}".encode()).hexdigest()


def normalise_code(code: str) -> str:
    """A typed code without spaces or dashes, in lower case ("K7FQ-2M9X" is "k7fq2m9x")."""
    return re.sub(r"[\s-]", "", code).lower()[:64]


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, RECOVERY_LENGTH, 4))


@dataclass(frozen=True)
class Enrolment:
    """A secret waiting for its first code: the text to type and the `otpauth:` address the
    QR code carries."""

    secret: str
    uri: str


@dataclass(frozen=True)
class FactorStatus:
    on: bool
    recovery_left: int


class SecondFactorStore(StorePart):
    def factor_status(self, user_id: int) -> FactorStatus:
        with self.factory() as db:
            row = db.get(SecondFactor, user_id)
            on = row is not None and row.confirmed_at is not None
            return FactorStatus(on, _codes_left(db, user_id) if on else 0)

    def start_enrolment(self, user_id: int) -> Enrolment:
        """The secret to set up (the one already waiting, so a reloaded page shows the QR
        code that was scanned); ValueError when a second factor is already on."""
        with self.factory.begin() as db:
            user = db.get(User, user_id)
            if user is None:
                raise ValueError("no such user")
            row = db.get(SecondFactor, user_id)
            if row is not None and row.confirmed_at is not None:
                raise ValueError("a second factor is already set up")
            if row is None:
                row = SecondFactor(user_id=user_id, secret=pyotp.random_base32())
                db.add(row)
            uri = pyotp.TOTP(row.secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
            return Enrolment(row.secret, uri)

    def confirm_enrolment(self, user_id: int, code: str) -> list[str] | None:
        """Turn the waiting secret on with its first code; the new recovery codes (shown
        once), or None for a wrong code."""
        with self.factory.begin() as db:
            row = db.get(SecondFactor, user_id)
            if row is None or row.confirmed_at is not None:
                return None
            step = _step_of(row.secret, code)
            if step is None:
                return None
            row.confirmed_at = utcnow()
            row.last_step = step
            return _replace_recovery_codes(db, user_id)

    def check_second_factor(self, user_id: int, code: str) -> str | None:
        """ "totp" or "recovery" when `code` is a right, unused code of the user's second
        factor (it is then used up), else None."""
        code = normalise_code(code)
        with self.factory.begin() as db:
            row = db.get(SecondFactor, user_id)
            if row is None or row.confirmed_at is None:
                return None
            if TOTP_RE.match(code):
                step = _step_of(row.secret, code)
                if step is None:
                    return None
                taken = db.execute(
                    update(SecondFactor)
                    .where(
                        SecondFactor.user_id == user_id,
                        (SecondFactor.last_step.is_(None)) | (SecondFactor.last_step < step),
                    )
                    .values(last_step=step)
                    .execution_options(synchronize_session=False)
                )
                return "totp" if getattr(taken, "rowcount", 0) == 1 else None
            used = db.execute(
                update(RecoveryCode)
                .where(
                    RecoveryCode.user_id == user_id,
                    RecoveryCode.code_hash == _recovery_hash(code),
                    RecoveryCode.used_at.is_(None),
                )
                .values(used_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            return "recovery" if getattr(used, "rowcount", 0) == 1 else None

    def new_recovery_codes(self, user_id: int) -> list[str]:
        """A new set of recovery codes (the old ones stop working); shown once."""
        with self.factory.begin() as db:
            return _replace_recovery_codes(db, user_id)

    def reset_second_factor(self, user_id: int, *, end_sign_ins: bool = True) -> bool:
        """Remove the user's second factor and recovery codes and (`end_sign_ins`) end their
        sign-ins: `coach admin reset-2fa`, or the therapist turning it off; whether one was
        set up."""
        with self.factory.begin() as db:
            row = db.get(SecondFactor, user_id)
            had = row is not None and row.confirmed_at is not None
            db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
            db.execute(delete(SecondFactor).where(SecondFactor.user_id == user_id))
            if end_sign_ins:
                db.execute(delete(LoginSession).where(LoginSession.user_id == user_id))
            return had


def _step_of(secret: str, code: str) -> int | None:
    """The time step whose code `code` is (now, or one step either side), else None."""
    code = normalise_code(code)
    if not TOTP_RE.match(code):
        return None
    try:
        return pyotp.TOTP(secret).verify_and_get_timecode(code, valid_window=1)
    except OTPVerificationError:
        return None


def _codes_left(db: Session, user_id: int) -> int:
    q = select(func.count()).where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    return int(db.scalar(q) or 0)


def _replace_recovery_codes(db: Session, user_id: int) -> list[str]:
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    for code in codes:
        db.add(RecoveryCode(user_id=user_id, code_hash=_recovery_hash(normalise_code(code))))
    return codes
