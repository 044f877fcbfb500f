"""Storage of patients, programs, sessions, reps and per-frame measures (SQLAlchemy 2).

`Store` is the one object the CLI and the web app hold; see db.py for where the data lives.
"""

from coach.store.db import StoreError, data_dir, database_url
from coach.store.store import Store, open_store

__all__ = ["Store", "StoreError", "data_dir", "database_url", "open_store"]
