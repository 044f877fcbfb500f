"""`coach admin audit export|verify` and `coach admin reset-2fa`: the audit trail read and checked
(coach/store/audit.py), and a therapist's second factor removed (coach/store/second_factor.py).

    coach admin audit export [--since DATE] [--format csv|fhir] [-o FILE]
    coach admin audit verify                                       the hash chain, entry by entry
    coach admin reset-2fa USERNAME                                 they set it up again

`verify` exits 1 and names every entry that was changed or deleted; it prints the last entry's
number and hash, to be kept elsewhere and compared later (a trail rewritten whole, hashes and
all, from some entry on, is found only so).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from coach.cli.common import audit_cli
from coach.errors import EXIT_ERROR, EXIT_OK, UsageError
from coach.review.fhir.audit import audit_bundle
from coach.review.fhir.bundle import validate
from coach.store import Store
from coach.store.audit import utc_text
from coach.store.models import AuditEntry

ACTIONS = ("audit", "reset-2fa")
COLUMNS = [
    "seq",
    "at",
    "actor",
    "actor_username",
    "address",
    "action",
    "patient_ref",
    "session_ref",
    "subject",
    "outcome",
    "status",
    "hash",
]


def run(action: str, args: argparse.Namespace, store: Store) -> int:
    if action == "reset-2fa":
        return _reset(args, store)
    if args.audit_action == "export":
        return _export(args, store)
    if args.audit_action == "verify":
        return _verify(store)
    raise UsageError("say what to do: coach admin audit export or coach admin audit verify")


def parse_since(text: str | None) -> datetime | None:
    """A date (2024-05-01, midnight UTC) or a time (2024-05-01T12:00, UTC unless it says)."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--since takes a date like 2024-05-01, not {text!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def usernames(store: Store) -> dict[str, str]:
    """Therapists' usernames by the trail's actor id (`user:3`)."""
    return {f"user:{u.id}": u.username for u in store.users() if u.role == "therapist"}


@contextmanager
def _output(path: str) -> Iterator[IO[str]]:
    if path == "-":
        yield sys.stdout
        return
    try:
        with Path(path).open("w", encoding="utf-8", newline="") as out:
            yield out
    except OSError as exc:
        raise UsageError(f"can't write {path}: {exc.strerror or exc}") from None


def _csv_row(row: AuditEntry, names: dict[str, str]) -> list[Any]:
    return [
        row.seq,
        utc_text(row.at),
        row.actor,
        names.get(row.actor, ""),
        row.address,
        row.action,
        row.patient_ref or "",
        row.session_ref or "",
        row.subject,
        row.outcome,
        "" if row.status is None else row.status,
        row.hash,
    ]


def _export(args: argparse.Namespace, store: Store) -> int:
    since = parse_since(args.since)
    names = usernames(store)
    count = 0
    with _output(args.output) as out:
        if args.format == "fhir":
            bundle = audit_bundle(store.iter_audit(since), names)
            validate(bundle)  # ours must be valid FHIR: a failure here is a bug
            out.write(json.dumps(bundle, ensure_ascii=False, indent=1) + "\n")
            count = len(bundle["entry"])
        else:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(COLUMNS)
            for row in store.iter_audit(since):
                writer.writerow(_csv_row(row, names))
                count += 1
    audit_cli(store, "audit.export", subject=f"{count} entries")
    if args.output != "-":
        kind = "FHIR AuditEvents" if args.format == "fhir" else "CSV rows"
        print(f"{count} audit entries written to {args.output} ({kind})")
    return EXIT_OK


def _verify(store: Store) -> int:
    check = store.verify_audit()
    if check.ok:
        print(
            f"the audit trail verifies: {check.entries} entries, none changed or deleted; "
            f"last entry {check.head_seq}, hash {check.head_hash}"
        )
        return EXIT_OK
    print(f"the audit trail does NOT verify ({check.entries} entries read):", file=sys.stderr)
    for problem in check.problems:
        print(f"  {problem}", file=sys.stderr)
    return EXIT_ERROR


def _reset(args: argparse.Namespace, store: Store) -> int:
    user = store.user_named(args.username)
    if user is None or user.role != "therapist":
        raise UsageError(f"no therapist {args.username!r}")
    had = store.reset_second_factor(user.id)
    audit_cli(store, "account.second_factor.reset", subject=f"user:{user.id}")
    then = "an admin sets a new one up at their next sign-in" if user.is_admin else "optional"
    if had:
        print(f"second factor of {user.username} removed, their sign-ins ended ({then})")
    else:
        print(f"{user.username} had no second factor; their sign-ins were ended")
    return EXIT_OK


def add_parsers(asub: Any) -> None:
    a = asub.add_parser(
        "audit",
        help="the audit trail: export it (CSV, or FHIR AuditEvents) or verify its hash chain",
        description="Who read or changed which patient's data: every entry of the audit trail.",
    )
    aud = a.add_subparsers(dest="audit_action", metavar="ACTION")
    e = aud.add_parser("export", help="every entry as CSV (or FHIR), oldest first")
    e.add_argument("--since", metavar="DATE", help="from this date (2024-05-01) or time on")
    e.add_argument(
        "--format",
        choices=("csv", "fhir"),
        default="csv",
        help="csv (default) or fhir: a FHIR R4 Bundle of AuditEvents",
    )
    e.add_argument("-o", "--output", default="-", metavar="FILE", help="default: stdout")
    aud.add_parser(
        "verify",
        help="check the hash chain: exit 1 naming every entry changed or deleted",
    )
    r = asub.add_parser(
        "reset-2fa",
        help="remove a therapist's second factor (lost phone and codes); ends their sign-ins",
    )
    r.add_argument("username")
