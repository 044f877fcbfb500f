"""What every part of the `Store` stands on: a factory of short transactions."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker


class StorePart:
    """The base of the Store's parts (users, patients, sessions, ...). Each method opens its
    own short transaction from `factory`, so a part is safe to share between threads."""

    factory: sessionmaker[Session]
