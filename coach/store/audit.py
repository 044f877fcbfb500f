"""The audit trail: who read or changed which patient's data, when, from which address, and
with what outcome; append-only, each entry chained to the one before it by a hash.

- **No health data and no name.** The patient is their `audit_ref` (random, unique, never
  reused; once they are erased no other table holds it), a session a hash of its id
  (`session_ref`: session ids are random, so the hash is opaque, and whoever holds an id
  finds its entries), a signed-in user `user:<id>` (a patient `patient:<ref>`), the command
  line `cli:<login>`, the server's own jobs `system`, an upload's analysis `worker:<host>`.
  So the trail outlives an erasure.
- **The chain.** Entry N's hash is SHA-256 of entry N-1's hash and N's fields
  (`entry_hash`); the head (`audit_head`: the last number and hash) moves in the same
  transaction. `verify_audit` walks the trail and names each entry that does not fit: one
  changed (its hash no longer matches), one missing (a gap in the numbers; at the end, the
  head says more), one added by hand (beyond the head). The database also refuses UPDATE and
  DELETE on the trail (triggers, revision 0010); whoever owns the database can drop them, and
  the chain then shows what they changed. It cannot show a trail rewritten whole from some
  entry on, hashes and head included: keep `coach admin audit verify`'s last hash, or an
  export, elsewhere to compare with (docs/SECURITY.md).
- **One chain, many writers.** An append first updates the head row, which takes its row
  lock (PostgreSQL) or the database's write lock (SQLite) before anything is read; a
  concurrent append waits until this one commits, then reads the head it left. Servers of a
  cluster on one PostgreSQL so keep one chain.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import select, update

from coach.store.accounts import Identity
from coach.store.models import AuditEntry, AuditHead, Patient, aware, utcnow
from coach.store.part import StorePart

GENESIS = "0" * 64
OUTCOMES = ("ok", "refused", "failed")
MAX_PROBLEMS = 50  # a verification names at most this many entries


def session_ref(session_id: str) -> str:
    """How the trail names a session: a hash of its (random) id, never the id itself."""
    return hashlib.sha256(f"coach-session:{session_id}".encode()).hexdigest()[:32]


def actor_of(who: Identity) -> str:
    """A signed-in user as the trail names them: `user:<id>`, a patient `patient:<ref>`."""
    if who.role == "patient":
        return f"patient:{who.audit_ref or '?'}"
    return f"user:{who.user_id}"


def cli_actor() -> str:
    """The person at the command line: their login on this machine."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this uid (a container)
        return "cli:?"


def worker_actor() -> str:
    """The analysis of an upload as the trail names it: `worker:<host>` (a `coach worker` of a
    cluster, or the web server's own analysis thread)."""
    return f"worker:{socket.gethostname() or '?'}"


def outcome_of(status: int) -> str:
    """An HTTP status as an outcome: ok (< 400), refused (4xx), failed (5xx)."""
    return "ok" if status < 400 else "refused" if status < 500 else "failed"


@dataclass(frozen=True)
class AuditEvent:
    """What to append (the store adds the number, the time and the hash)."""

    action: str
    actor: str
    outcome: str = "ok"
    address: str = ""
    patient_ref: str | None = None
    session_ref: str | None = None
    subject: str = ""
    status: int | None = None


def utc_text(at: datetime) -> str:
    """An entry's time as the chain hashes it (and the exports write it): UTC, to the µs."""
    return aware(at).astimezone(timezone.utc).isoformat(timespec="microseconds")


def entry_hash(previous: str, row: AuditEntry) -> str:
    """SHA-256 of the previous entry's hash and this entry's fields, in a fixed form."""
    fields = [
        previous,
        row.seq,
        utc_text(row.at),
        row.actor,
        row.address,
        row.action,
        row.patient_ref or "",
        row.session_ref or "",
        row.subject,
        row.outcome,
        row.status,
    ]
    payload = json.dumps(fields, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(payload.encode("ascii")).hexdigest()


@dataclass
class AuditCheck:
    """What `verify_audit` found: the entries read, the head, and what does not fit."""

    entries: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, words: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(words)


class _Walk:
    """The checks of one pass over the trail, entry by entry in number order."""

    def __init__(self, check: AuditCheck) -> None:
        self.check = check
        self.expected = 1
        self.previous = GENESIS

    def entry(self, row: AuditEntry) -> None:
        check = self.check
        check.entries += 1
        if row.seq > check.head_seq:
            check.problem(
                f"entry {row.seq} is beyond the trail's head ({check.head_seq}): added by hand"
            )
        gap = row.seq > self.expected
        if gap:
            missing = _span(self.expected, row.seq - 1)
            check.problem(f"{missing} missing: deleted")
        elif entry_hash(self.previous, row) != row.hash:
            check.problem(
                f"entry {row.seq} was changed: its hash does not match its fields and the "
                f"entry before it"
            )
        self.previous, self.expected = row.hash, row.seq + 1

    def end(self) -> None:
        check = self.check
        last = self.expected - 1
        if last < check.head_seq:
            check.problem(
                f"{_span(last + 1, check.head_seq)} missing: deleted "
                f"(the head says {check.head_seq})"
            )
        elif last == check.head_seq and self.previous != check.head_hash:
            check.problem(f"entry {last} was changed: its hash is not the one the head recorded")


def _span(first: int, last: int) -> str:
    return f"entry {first} is" if first == last else f"entries {first} to {last} are"


class AuditStore(StorePart):
    def audit(self, event: AuditEvent) -> int:
        """Append one entry; its number. Appends take turns on the head row (module doc)."""
        if event.outcome not in OUTCOMES:
            raise ValueError(f"outcome is one of {', '.join(OUTCOMES)}; got {event.outcome!r}")
        with self.factory.begin() as db:
            moved = db.execute(
                update(AuditHead)
                .where(AuditHead.id == 1)
                .values(seq=AuditHead.seq + 1)
                .execution_options(synchronize_session=False)
            )
            if not getattr(moved, "rowcount", 0):
                raise RuntimeError("the audit trail has no head row: run `coach admin migrate`")
            seq, previous = db.execute(
                select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)
            ).one()
            row = AuditEntry(
                seq=seq,
                at=utcnow(),
                actor=event.actor[:80],
                address=event.address[:64],
                action=event.action[:60],
                patient_ref=event.patient_ref,
                session_ref=event.session_ref,
                subject=event.subject[:80],
                outcome=event.outcome,
                status=event.status,
            )
            row.hash = entry_hash(previous, row)
            db.add(row)
            db.flush()
            db.execute(
                update(AuditHead)
                .where(AuditHead.id == 1)
                .values(hash=row.hash)
                .execution_options(synchronize_session=False)
            )
        return seq

    def audit_ref(self, patient_id: int | None) -> str | None:
        """The patient's reference in the trail (None: no such patient)."""
        if patient_id is None:
            return None
        with self.factory() as db:
            return db.scalar(select(Patient.audit_ref).where(Patient.id == patient_id))

    def patients_by_ref(self, refs: set[str]) -> dict[str, int]:
        """The patients still stored among these references: reference -> patient id."""
        if not refs:
            return {}
        with self.factory() as db:
            rows = db.execute(
                select(Patient.audit_ref, Patient.id).where(Patient.audit_ref.in_(refs))
            )
            return {ref: pid for ref, pid in rows if ref is not None}

    def audit_entries(
        self,
        *,
        before: int | None = None,
        limit: int = 100,
        patient_ref: str | None = None,
    ) -> list[AuditEntry]:
        """The newest entries (before entry `before`), newest first: the admin page."""
        with self.factory() as db:
            q = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
            if before is not None:
                q = q.where(AuditEntry.seq < before)
            if patient_ref:
                q = q.where(AuditEntry.patient_ref == patient_ref)
            return list(db.scalars(q))

    def iter_audit(self, since: datetime | None = None) -> Iterator[AuditEntry]:
        """Every entry (from `since` on), oldest first, read in batches: the exports."""
        with self.factory() as db:
            q = select(AuditEntry).order_by(AuditEntry.seq)
            if since is not None:
                q = q.where(AuditEntry.at >= since)
            yield from db.scalars(q.execution_options(yield_per=1000))

    def verify_audit(self) -> AuditCheck:
        """Walk the whole trail against its hashes and its head (module docstring)."""
        check = AuditCheck()
        with self.factory() as db:
            check.head_seq, check.head_hash = db.execute(
                select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)
            ).one()
            walk = _Walk(check)
            q = select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=1000)
            for row in db.scalars(q):
                walk.entry(row)
            walk.end()
        return check
