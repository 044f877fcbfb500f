"""E-mail reminders on the program's days, sent by this server through the clinic's own SMTP
server (no outside service), only when one is configured:

    COACH_SMTP_HOST      the SMTP server (required: without it no reminder is sent)
    COACH_SMTP_PORT      its port (default 587)
    COACH_SMTP_TLS       starttls | ssl | none (default: ssl on port 465, none on 25,
                         starttls otherwise)
    COACH_SMTP_USER      sign-in name, if the server asks for one
    COACH_SMTP_PASSWORD  its password
    COACH_SMTP_FROM      the sender (default coach@ the SMTP host)

A patient's reminder (the therapist enters the address and the hour on the patient's page)
goes out once on each day their program has exercises (coach.review.schedule), from the set
hour in the clinic's time zone (`COACH_TIMEZONE`), unless they have already exercised that
day, in the patient's language (English when their therapist set none: a mail has no
browser to ask). The day is claimed in the database before the mail is sent, so in a cluster
one server sends it; a refused mail gives the claim back, to be tried again a minute later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from coach.i18n import Reader, reader
from coach.review.prescription import any_dose_words, definition_of
from coach.review.schedule import due_on
from coach.store import Store
from coach.store.store import aware

log = logging.getLogger(__name__)

CHECK_EVERY_S = 60.0


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    tls: str = "starttls"  # "starttls" | "ssl" | "none"
    user: str = ""
    password: str = ""
    sender: str = ""

    @classmethod
    def from_env(cls) -> SmtpSettings | None:
        """The settings from COACH_SMTP_*; None without COACH_SMTP_HOST."""
        host = os.environ.get("COACH_SMTP_HOST", "").strip()
        if not host:
            return None
        port = int(os.environ.get("COACH_SMTP_PORT", "") or 587)
        default_tls = "ssl" if port == 465 else "none" if port == 25 else "starttls"
        tls = (os.environ.get("COACH_SMTP_TLS", "") or default_tls).strip().lower()
        if tls not in ("starttls", "ssl", "none"):
            raise ValueError(f"COACH_SMTP_TLS is starttls, ssl or none, not {tls!r}")
        return cls(
            host=host,
            port=port,
            tls=tls,
            user=os.environ.get("COACH_SMTP_USER", ""),
            password=os.environ.get("COACH_SMTP_PASSWORD", ""),
            sender=os.environ.get("COACH_SMTP_FROM", "") or f"coach@{host}",
        )

    def send(self, message: EmailMessage) -> None:
        """Hand one message to the SMTP server (raises smtplib.SMTPException or OSError)."""
        context = ssl.create_default_context()
        smtp: smtplib.SMTP = (
            smtplib.SMTP_SSL(self.host, self.port, timeout=30, context=context)
            if self.tls == "ssl"
            else smtplib.SMTP(self.host, self.port, timeout=30)
        )
        with smtp:
            if self.tls == "starttls":
                smtp.starttls(context=context)
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(message)


def local_now() -> datetime:
    """Now in the clinic's time zone (COACH_TIMEZONE, else the server's)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = os.environ.get("COACH_TIMEZONE", "").strip()
    try:
        return datetime.now(ZoneInfo(name)) if name else datetime.now().astimezone()
    except (ZoneInfoNotFoundError, ValueError):
        return datetime.now().astimezone()


def reminder_message(
    settings: SmtpSettings,
    to: str,
    patient_name: str,
    lines: list[str],
    link: str | None,
    words: Reader | None = None,
) -> EmailMessage:
    """The day's reminder in plain words, in `words`'s language (English by default)."""
    words = words or reader("en")
    msg = EmailMessage()
    msg["Subject"] = words.gettext("Your exercises today")
    msg["From"] = settings.sender
    msg["To"] = to
    body = [
        words.gettext("Hello {name},", name=patient_name),
        "",
        words.gettext("Today's exercises from your therapist:"),
        "",
    ]
    body += [f"  - {line}" for line in lines]
    if link:
        body += ["", words.gettext("Open your exercises: {link}", link=link)]
    stop = words.gettext("Stop and rest if anything hurts, and tell your therapist.")
    body += ["", stop, "", "Coach"]
    msg.set_content("\n".join(body))
    return msg


def _exercised_on(store: Store, patient_id: int, now: datetime) -> bool:
    """A session with a rep or a hold on `now`'s local day (as adherence counts a day)."""
    return any(
        aware(s.started_at).astimezone(now.tzinfo).date() == now.date() and (s.reps or s.holds)
        for s in store.sessions_of(patient_id, limit=20)
    )


def _line(item: Any, words: Reader) -> str:
    """'Squat: 2 sets of 8 reps, 7 days a week', in `words`'s language."""
    definition = definition_of(item.exercise_id)
    name = words.say(definition.name) if definition is not None else item.exercise_id
    return f"{name}: {words.say(any_dose_words(item, definition))}"


def send_due(
    store: Store, settings: SmtpSettings, now: datetime, link: str | None = None
) -> list[int]:
    """Send every reminder due at `now` (local); returns the patients reminded."""
    sent = []
    for reminder in store.active_reminders():
        if now.hour < reminder.hour:
            continue
        items = due_on(store.program(reminder.patient_id), now.date())
        patient = store.patient(reminder.patient_id)
        if not items or patient is None or _exercised_on(store, patient.id, now):
            continue
        if not store.claim_reminder(reminder.id, now.date()):
            continue  # sent already (here or by another server)
        words = reader(patient.language or "en")
        lines = [_line(item, words) for item in items]
        mail = reminder_message(settings, reminder.address, patient.name, lines, link, words)
        try:
            settings.send(mail)
        except (smtplib.SMTPException, OSError) as exc:
            log.warning("reminder for patient %s not sent: %s", patient.id, exc)
            store.unclaim_reminder(reminder.id, now.date())
            continue
        sent.append(patient.id)
    return sent


class ReminderLoop:
    """Checks once a minute, on a thread (SMTP and the store block), while the app runs."""

    def __init__(self, store: Store, settings: SmtpSettings, link: str | None) -> None:
        self.store, self.settings, self.link = store, settings, link
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def configured(cls, store: Store | None, public_url: str | None) -> ReminderLoop | None:
        """A loop when there is a store and an SMTP server (COACH_SMTP_HOST), else None."""
        settings = SmtpSettings.from_env()
        if store is None or settings is None:
            return None
        return cls(store, settings, f"{public_url.rstrip('/')}/me" if public_url else None)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.to_thread(send_due, self.store, self.settings, local_now(), self.link)
            except Exception:  # a bad day must not end the reminders of the next ones
                log.exception("reminders: a check failed")
            await asyncio.sleep(CHECK_EVERY_S)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
