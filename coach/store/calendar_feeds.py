"""The Store's calendar feeds: one secret URL per feed (only its hash is kept), revocable
like a personal link. The feed itself (iCalendar) is written by web/routes/between.py."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from coach.store import accounts
from coach.store.models import CalendarFeed, utcnow
from coach.store.part import StorePart


class CalendarFeedStore(StorePart):
    def create_feed(self, patient_id: int) -> tuple[CalendarFeed, str]:
        """A new feed and its token (shown once: the store keeps only the hash)."""
        token = secrets.token_urlsafe(24)
        with self.factory.begin() as db:
            feed = CalendarFeed(patient_id=patient_id, token_hash=accounts.token_hash(token))
            db.add(feed)
        return feed, token

    def feeds_of(self, patient_id: int) -> list[CalendarFeed]:
        with self.factory() as db:
            q = select(CalendarFeed).where(CalendarFeed.patient_id == patient_id)
            return list(db.scalars(q.order_by(CalendarFeed.id)))

    def revoke_feed(self, patient_id: int, feed_id: int) -> bool:
        with self.factory.begin() as db:
            feed = db.get(CalendarFeed, feed_id)
            if feed is None or feed.patient_id != patient_id or feed.revoked_at is not None:
                return False
            feed.revoked_at = utcnow()
            return True

    def resolve_feed(self, token: str) -> CalendarFeed | None:
        """The feed of a token, if it exists and was not revoked."""
        if not 0 < len(token) <= 200:
            return None
        with self.factory() as db:
            feed = db.scalar(
                select(CalendarFeed).where(CalendarFeed.token_hash == accounts.token_hash(token))
            )
            return feed if feed is not None and feed.revoked_at is None else None
