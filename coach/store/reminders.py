"""The Store's e-mail reminders: one address per patient, the local hour to send at, and the
day of the last reminder, claimed atomically so that one server of a cluster sends it."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import or_, select, update

from coach.store.models import EmailReminder
from coach.store.part import StorePart

# An address with one @, a dot in its domain and no spaces: what a form can check; whether it
# is read is for the mail server to find out.
ADDRESS_RE = re.compile(r"^[^@\s<>,;]{1,64}@[^@\s<>,;]+\.[^@\s<>,;]{2,}$")


class ReminderError(ValueError):
    """An address or hour that cannot be used."""


class ReminderStore(StorePart):
    def set_reminder(self, patient_id: int, address: str, hour: int = 9) -> EmailReminder:
        """Remind this patient at `address` at `hour` (local, 0-23); replaces their earlier
        reminder."""
        address = address.strip()
        if len(address) > 254 or not ADDRESS_RE.match(address):
            raise ReminderError(f"not an e-mail address: {address!r}")
        if not 0 <= int(hour) <= 23:
            raise ReminderError("the hour is 0 to 23")
        with self.factory.begin() as db:
            row = db.scalar(select(EmailReminder).where(EmailReminder.patient_id == patient_id))
            if row is None:
                row = EmailReminder(patient_id=patient_id, address=address, hour=int(hour))
                db.add(row)
            else:
                row.address, row.hour, row.active = address, int(hour), True
        return row

    def reminder_of(self, patient_id: int) -> EmailReminder | None:
        with self.factory() as db:
            q = select(EmailReminder).where(
                EmailReminder.patient_id == patient_id, EmailReminder.active.is_(True)
            )
            return db.scalar(q)

    def stop_reminder(self, patient_id: int) -> bool:
        with self.factory.begin() as db:
            result = db.execute(
                update(EmailReminder)
                .where(EmailReminder.patient_id == patient_id, EmailReminder.active.is_(True))
                .values(active=False)
            )
            return bool(getattr(result, "rowcount", 0))

    def active_reminders(self) -> list[EmailReminder]:
        with self.factory() as db:
            q = select(EmailReminder).where(EmailReminder.active.is_(True))
            return list(db.scalars(q.order_by(EmailReminder.id)))

    def claim_reminder(self, reminder_id: int, day: date) -> bool:
        """Mark `day`'s reminder as sent; False when it already was (by this server or
        another): whoever claims it, sends it."""
        with self.factory.begin() as db:
            result = db.execute(
                update(EmailReminder)
                .where(
                    EmailReminder.id == reminder_id,
                    EmailReminder.active.is_(True),
                    or_(EmailReminder.last_sent_on.is_(None), EmailReminder.last_sent_on < day),
                )
                .values(last_sent_on=day)
            )
            return getattr(result, "rowcount", 0) == 1

    def unclaim_reminder(self, reminder_id: int, day: date) -> None:
        """The mail server refused `day`'s reminder: it may be tried again."""
        with self.factory.begin() as db:
            db.execute(
                update(EmailReminder)
                .where(EmailReminder.id == reminder_id, EmailReminder.last_sent_on == day)
                .values(last_sent_on=None)
            )
