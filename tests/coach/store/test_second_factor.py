"""A therapist's second factor in the store, with real TOTP codes (pyotp, as an authenticator
app computes them): set up by a first code, each code taken once, one step of clock drift
either way, recovery codes single use and kept only hashed, reset."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from sqlalchemy import select

from coach.store.models import RecoveryCode
from coach.store.second_factor import RECOVERY_CODES
from coach.store.store import Store


@pytest.fixture
def ther(store: Store) -> int:
    return store.create_user("ther.totp", "Dr Totp", "correct horse battery").id


def _enrolled(store: Store, user_id: int) -> tuple[pyotp.TOTP, list[str], float]:
    """Set up with the code of the step of `t` (returned: later codes are timed from it)."""
    enrolment = store.start_enrolment(user_id)
    totp = pyotp.TOTP(enrolment.secret)
    t = time.time()
    codes = store.confirm_enrolment(user_id, totp.at(t))
    assert codes is not None
    return totp, codes, t


def test_setting_up_takes_a_first_code_from_the_app(store: Store, ther: int) -> None:
    assert not store.factor_status(ther).on
    enrolment = store.start_enrolment(ther)
    uri = urlsplit(enrolment.uri)
    assert uri.scheme == "otpauth" and uri.netloc == "totp" and "ther.totp" in uri.path
    assert parse_qs(uri.query)["secret"] == [enrolment.secret]
    assert parse_qs(uri.query)["issuer"] == ["Coach"]
    assert store.start_enrolment(ther) == enrolment  # a reloaded page shows the same code
    wrong = f"{(int(pyotp.TOTP(enrolment.secret).now()) + 1) % 1_000_000:06d}"
    assert store.confirm_enrolment(ther, wrong) is None
    assert not store.factor_status(ther).on
    codes = store.confirm_enrolment(ther, pyotp.TOTP(enrolment.secret).now())
    assert codes is not None and len(set(codes)) == RECOVERY_CODES
    assert store.factor_status(ther).on and store.factor_status(ther).recovery_left == 10
    with pytest.raises(ValueError, match="already"):
        store.start_enrolment(ther)


def test_a_code_is_taken_once_and_drift_of_one_step_is_allowed(store: Store, ther: int) -> None:
    totp, _, t = _enrolled(store, ther)  # the step of `t`'s code was just used to enrol
    assert store.check_second_factor(ther, totp.at(t)) is None  # replayed
    later = totp.at(t + 30)  # the app's clock a step ahead
    assert store.check_second_factor(ther, later) == "totp"
    assert store.check_second_factor(ther, later) is None
    assert store.check_second_factor(ther, totp.at(t + 90)) is None  # 3 steps: too far
    assert store.check_second_factor(ther, "12345") is None
    assert store.check_second_factor(ther, "") is None


def test_recovery_codes_work_once_and_only_their_hashes_are_kept(store: Store, ther: int) -> None:
    _, codes, _ = _enrolled(store, ther)
    with store.factory() as db:
        kept = {r.code_hash for r in db.scalars(select(RecoveryCode))}
    assert not kept & set(codes) and len(kept) == RECOVERY_CODES
    typed = " " + codes[3].upper().replace("-", " ") + " "  # as someone may type it
    assert store.check_second_factor(ther, typed) == "recovery"
    assert store.check_second_factor(ther, codes[3]) is None
    assert store.factor_status(ther).recovery_left == RECOVERY_CODES - 1
    fresh = store.new_recovery_codes(ther)
    assert store.check_second_factor(ther, codes[4]) is None  # the old set stopped working
    assert store.check_second_factor(ther, fresh[0]) == "recovery"


def test_a_reset_removes_it_and_ends_the_sign_ins(store: Store, ther: int) -> None:
    totp, _, t = _enrolled(store, ther)
    token = store.start_login(user_id=ther)
    assert store.identity(token) is not None
    assert store.reset_second_factor(ther) is True
    assert store.identity(token) is None
    assert not store.factor_status(ther).on
    assert store.check_second_factor(ther, totp.at(t + 30)) is None
    assert store.reset_second_factor(ther) is False


def test_a_waiting_sign_in_signs_in_as_no_one(store: Store, ther: int) -> None:
    token = store.start_login(user_id=ther, stage="code")
    assert store.identity(token) is None
    user = store.pending_login(token, "code")
    assert user is not None and user.id == ther
    assert store.pending_login(token, "enrol") is None
    full = store.finish_login(token, ther)
    assert store.pending_login(token, "code") is None
    who = store.identity(full)
    assert who is not None and who.user_id == ther
