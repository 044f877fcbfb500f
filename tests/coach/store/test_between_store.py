"""The store's calendar feeds and e-mail reminders, on SQLite and PostgreSQL: a feed's token
is kept hashed and stops at revocation; a day's reminder is claimed once, whoever asks, and
given back when the mail server refused it; revoking a personal link leaves its sign-ins
expired so the browser can be told why."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from coach.store import Store
from coach.store.reminders import ReminderError


def test_a_calendar_feed_is_resolved_until_revoked(any_store: Store) -> None:
    ther = any_store.create_user("ther1", "T One", "a long secret pw")
    patient = any_store.create_patient(ther.id, "Pat")
    other = any_store.create_patient(ther.id, "Other")
    feed, token = any_store.create_feed(patient.id)
    assert token not in feed.token_hash
    assert any_store.resolve_feed(token).patient_id == patient.id
    assert any_store.resolve_feed("x" * 500) is None and any_store.resolve_feed("") is None
    assert not any_store.revoke_feed(other.id, feed.id)  # not hers
    assert any_store.revoke_feed(patient.id, feed.id)
    assert any_store.resolve_feed(token) is None
    assert not any_store.revoke_feed(patient.id, feed.id)  # once


def test_a_days_reminder_is_claimed_once(any_store: Store) -> None:
    ther = any_store.create_user("ther1", "T One", "a long secret pw")
    patient = any_store.create_patient(ther.id, "Pat")
    with pytest.raises(ReminderError):
        any_store.set_reminder(patient.id, "not an address")
    with pytest.raises(ReminderError):
        any_store.set_reminder(patient.id, "pat@x.example", hour=24)
    row = any_store.set_reminder(patient.id, "pat@x.example", hour=8)
    today = date(2026, 3, 2)
    assert any_store.claim_reminder(row.id, today)
    assert not any_store.claim_reminder(row.id, today)  # a second server: already sent
    any_store.unclaim_reminder(row.id, today)  # the mail server refused it
    assert any_store.claim_reminder(row.id, today)
    assert any_store.claim_reminder(row.id, today + timedelta(days=1))
    again = any_store.set_reminder(patient.id, "new@x.example", hour=9)
    assert again.id == row.id and any_store.reminder_of(patient.id).address == "new@x.example"
    assert any_store.stop_reminder(patient.id) and any_store.reminder_of(patient.id) is None
    assert not any_store.claim_reminder(row.id, today + timedelta(days=2))  # stopped


def test_a_revoked_links_sign_ins_end_and_say_why(any_store: Store) -> None:
    ther = any_store.create_user("ther1", "T One", "a long secret pw")
    patient = any_store.create_patient(ther.id, "Pat")
    link, _ = any_store.create_link(patient.id)
    cookie = any_store.start_login(patient_id=patient.id, link_id=link.id)
    other = any_store.start_login(user_id=ther.id)
    assert not any_store.ended_by_revocation(cookie)
    assert any_store.revoke_link(patient.id, link.id)
    assert any_store.identity(cookie) is None and any_store.ended_by_revocation(cookie)
    assert not any_store.ended_by_revocation(other) and not any_store.ended_by_revocation(None)
