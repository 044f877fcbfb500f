"""Why a SQLite erasure ends with VACUUM (coach/store/erasure.py, docs/STORAGE.md "Erasure").

With `PRAGMA secure_delete=ON` SQLite zeroes a deleted cell, but when it compacts or splits a
page it rewrites the cells still there and leaves their old copies in the page's unallocated
gap. A later delete zeroes only the current copy. This writes sessions (a text id, an indexed
frame table) of 20 owners in random order with some owners deleted in between, then deletes
every row of one owner, empties the write-ahead log and searches the file's bytes for that
owner's ids: before and after VACUUM, for several seeds.

    python benchmarks/secure_delete.py [--seeds 10]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import string
import tempfile
from pathlib import Path


def _left_after_erasure(seed: int, folder: Path) -> tuple[int, int, int]:
    """(ids of the erased owner, ids found in the file, ids found after VACUUM)."""
    rng = random.Random(seed)
    path = folder / f"seed{seed}.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA secure_delete=ON")
    db.execute("CREATE TABLE sessions(id TEXT PRIMARY KEY, owner INT, notes TEXT)")
    db.execute("CREATE TABLE frames(id INTEGER PRIMARY KEY, session_id TEXT, x REAL)")
    db.execute("CREATE INDEX frames_session ON frames(session_id)")
    erased: list[str] = []
    for _ in range(200):
        sid = "".join(rng.choice(string.ascii_letters) for _ in range(12))
        owner = rng.randint(1, 20)
        if owner == 7:
            erased.append(sid)
        db.execute("BEGIN")
        db.execute(
            "INSERT INTO sessions VALUES (?, ?, ?)", (sid, owner, "x" * rng.randint(10, 300))
        )
        for _ in range(rng.randint(1, 40)):
            db.execute("INSERT INTO frames(session_id, x) VALUES (?, ?)", (sid, rng.random()))
        db.execute("COMMIT")
        other = rng.randint(1, 19)
        if rng.random() < 0.1 and other != 7:
            _delete_owner(db, other)
    _delete_owner(db, 7)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = sum(s.encode() in path.read_bytes() for s in erased)
    db.execute("VACUUM")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    after = sum(s.encode() in path.read_bytes() for s in erased)
    db.close()
    return len(erased), before, after


def _delete_owner(db: sqlite3.Connection, owner: int) -> None:
    db.execute("BEGIN")
    db.execute(
        "DELETE FROM frames WHERE session_id IN (SELECT id FROM sessions WHERE owner = ?)",
        (owner,),
    )
    db.execute("DELETE FROM sessions WHERE owner = ?", (owner,))
    db.execute("COMMIT")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    print(f"SQLite {sqlite3.sqlite_version}, secure_delete=ON, log emptied after the delete")
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(1, args.seeds + 1):
            runs.append(_left_after_erasure(seed, Path(folder)))
            ids, before, after = runs[-1]
            print(
                f"seed {seed:2d}: {ids:2d} erased ids, {before} left in the file, "
                f"{after} after VACUUM"
            )
    print(
        f"{sum(b > 0 for _, b, _ in runs)} of {len(runs)} erasures left ids in the file; "
        f"after VACUUM {sum(a > 0 for _, _, a in runs)}"
    )


if __name__ == "__main__":
    main()
