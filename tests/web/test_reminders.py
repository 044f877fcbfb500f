"""E-mail reminders against a real SMTP server (aiosmtpd on 127.0.0.1, started by the test):
the therapist sets the address on the patient's page, the server's reminder loop sends the
day's exercises once, and not to a patient who already exercised today."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.servers import free_port
from tests.web.therapist_week import squat_session, week_app
from web.reminders import SmtpSettings, local_now, send_due

pytestmark = [pytest.mark.server, pytest.mark.subprocess, pytest.mark.model]


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Inbox]:
    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("COACH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("COACH_SMTP_PORT", str(port))
    monkeypatch.setenv("COACH_SMTP_TLS", "none")
    monkeypatch.setenv("COACH_SMTP_FROM", "coach@clinic.example")
    monkeypatch.setenv("COACH_PUBLIC_URL", "https://coach.example-clinic.org")
    try:
        yield inbox
    finally:
        controller.stop()


def _wait(inbox: _Inbox, n: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while len(inbox.messages) < n and time.monotonic() < deadline:
        time.sleep(0.05)


def test_the_servers_loop_sends_the_days_reminder_once(smtp: _Inbox, tmp_path: Path) -> None:
    with week_app(tmp_path) as review:
        pid = review.pat_a.id
        review.store.set_program(
            pid, [{"exercise_id": "squat", "sets": 2, "reps": 8, "days_per_week": 7}]
        )
        with review.client("ther.a") as c:
            page = c.get(f"/patients/{pid}").text
            assert 'data-testid="reminder-form"' in page and "no-smtp" not in page
            r = c.post(
                f"/patients/{pid}/reminder", data={"address": "alice@x.example", "hour": "0"}
            )
            assert r.status_code == 303
            assert c.post(f"/patients/{pid}/reminder", data={"address": "nope"}).status_code == 400
            assert "alice@x.example" in c.get(f"/patients/{pid}").text
        # The loop started with the app looks once a minute: call it as it does, now.
        settings = SmtpSettings.from_env()
        assert settings is not None
        assert send_due(review.store, settings, local_now(), "https://c.example/me") == [pid]
        _wait(smtp, 1)
        assert len(smtp.messages) == 1
        mail = smtp.messages[0]
        assert mail["To"] == "alice@x.example" and mail["From"] == "coach@clinic.example"
        body = mail.get_payload()
        assert "Squat: 2 sets of 8 reps" in body and "Hello Alice Patient" in body
        assert "https://c.example/me" in body
        assert send_due(review.store, settings, local_now()) == []  # today's is sent
        assert review.store.reminder_of(pid).last_sent_on == local_now().date()


def test_no_reminder_after_exercising_or_before_the_hour(smtp: _Inbox, tmp_path: Path) -> None:
    with week_app(tmp_path) as review:
        store = review.store
        pid = review.pat_a.id
        store.set_program(pid, [{"exercise_id": "squat", "reps": 5, "days_per_week": 7}])
        store.set_reminder(pid, "alice@x.example", hour=23)
        settings = SmtpSettings.from_env()
        assert settings is not None
        early = local_now().replace(hour=8)
        assert send_due(store, settings, early) == []  # not yet 23:00
        squat_session(review, pid)  # she exercised today
        late = datetime.now().astimezone().replace(hour=23)
        assert send_due(store, settings, late) == []
        assert smtp.messages == []
        store.stop_reminder(pid)
        assert store.reminder_of(pid) is None


def test_a_reminder_is_sent_by_the_running_server(smtp: _Inbox, tmp_path: Path) -> None:
    """create_app starts the loop when COACH_SMTP_HOST is set: a reminder due before the
    server started goes out at its first look, without anyone calling it."""
    from coach.store import open_store

    (tmp_path / "db").mkdir()
    store = open_store(f"sqlite:///{tmp_path / 'db' / 'coach.db'}")
    ther = store.create_user("ther.c", "Dr C", "correct horse battery")
    patient = store.create_patient(ther.id, "Carla")
    store.set_program(patient.id, [{"exercise_id": "squat", "reps": 5, "days_per_week": 7}])
    store.set_reminder(patient.id, "carla@x.example", hour=0)
    store.close()
    with week_app(tmp_path / "db"):
        _wait(smtp, 1)
    assert [m["To"] for m in smtp.messages] == ["carla@x.example"]
    assert "https://coach.example-clinic.org/me" in smtp.messages[0].get_payload()


def _text(mail: Message) -> str:
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode("utf-8").replace("\r\n", "\n")  # SMTP's line ends


def test_a_reminder_is_in_the_patients_language_english_by_default(
    smtp: _Inbox, tmp_path: Path
) -> None:
    """Issue 23: a Spanish patient's mail is in Spanish (subject, body, the exercise's name and
    dose); a patient with no language set gets the English words, as before, to the byte."""
    from email.header import decode_header, make_header

    from coach.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 'coach.db'}")
    ther = store.create_user("ther.l", "Dr L", "correct horse battery")
    for name, lang in (("Ana", "es"), ("Bob", None)):
        patient = store.create_patient(ther.id, name)
        store.set_language(patient.id, lang)
        row = {"exercise_id": "squat", "sets": 2, "reps": 8, "days_per_week": 7}
        store.set_program(patient.id, [row])
        store.set_reminder(patient.id, f"{name.lower()}@x.example", hour=0)
    settings = SmtpSettings.from_env()
    assert settings is not None
    assert len(send_due(store, settings, local_now(), "https://c.example/me")) == 2
    store.close()
    _wait(smtp, 2)
    mails = {m["To"]: m for m in smtp.messages}
    ana, bob = mails["ana@x.example"], mails["bob@x.example"]
    assert str(make_header(decode_header(ana["Subject"]))) == "Sus ejercicios de hoy"
    spanish = _text(ana)
    assert "Hola, Ana:" in spanish and "Los ejercicios de hoy de su terapeuta:" in spanish
    assert "Sentadilla: 2 series de 8 repeticiones" in spanish
    assert "Abra sus ejercicios: https://c.example/me" in spanish
    assert "Pare y descanse si algo le duele" in spanish and "exercises" not in spanish
    assert bob["Subject"] == "Your exercises today"
    assert _text(bob) == (
        "Hello Bob,\n\nToday's exercises from your therapist:\n\n"
        "  - Squat: 2 sets of 8 reps, 7 days a week\n\n"
        "Open your exercises: https://c.example/me\n\n"
        "Stop and rest if anything hurts, and tell your therapist.\n\nCoach\n"
    )
