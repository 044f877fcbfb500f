"""`coach admin erase-patient` and `coach admin retention`: the patient's right to erasure and
the data kept no longer than needed (coach/store/erasure.py, coach/store/retention.py).

    coach admin erase-patient ID [--yes] [--vacuum]   asks for the patient's name or id first
    coach admin retention [--dry-run]                  COACH_RETENTION_DAYS and per kind
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from coach.cli.common import audit_cli
from coach.errors import EXIT_ERROR, EXIT_OK, UsageError
from coach.store import Store
from coach.store.erasure import ErasureRefused, confirms
from coach.store.retention import (
    ENV_BOTH,
    ENV_FRAMES,
    ENV_VIDEOS,
    RetentionError,
    RetentionPolicy,
)

ACTIONS = ("erase-patient", "retention")


def run(action: str, args: argparse.Namespace, store: Store) -> int:
    if action == "erase-patient":
        return _erase(args, store)
    return _retention(args, store)


def _confirmed(patient_id: int, name: str) -> bool:
    """Whether the person at the keyboard types the patient's name or id (one line of
    standard input, a terminal or not)."""
    print(f"Type the patient's name or id ({patient_id}) to erase them: ", end="", flush=True)
    answer = sys.stdin.readline()
    if not answer:
        print()
        raise UsageError("no confirmation on standard input: nothing erased (--yes in scripts)")
    return confirms(answer, patient_id, name)


def _erase(args: argparse.Namespace, store: Store) -> int:
    plan = store.erasure_plan(args.patient_id)
    if plan is None:
        raise UsageError(f"no patient with id {args.patient_id}")
    print(
        f"Erasing patient {plan.patient_id}, {plan.name}, removes for good: "
        f"{', '.join(plan.summary())}."
    )
    if not args.yes and not _confirmed(plan.patient_id, plan.name):
        raise UsageError("that is not the patient's name or id: nothing erased")
    ref = store.audit_ref(plan.patient_id)  # the trail keeps it; the patient row goes
    try:
        done = store.erase_patient(plan.patient_id, vacuum=args.vacuum)
    except ErasureRefused as exc:
        audit_cli(store, "patient.erase", patient_ref=ref, outcome="refused")
        raise UsageError(str(exc)) from None
    audit_cli(store, "patient.erase", patient_ref=ref, outcome="failed" if done.failed else "ok")
    print(f"erased patient {done.patient_id}: {', '.join(done.summary())}")
    if done.log_emptied is False:
        print(
            "note: the database's write-ahead log was in use; SQLite empties it at its next "
            "checkpoint (restart the server when nobody is exercising to be sure)"
        )
    for why in done.failed:
        print(f"coach: could not delete {why}", file=sys.stderr)
    return EXIT_ERROR if done.failed else EXIT_OK


def _retention(args: argparse.Namespace, store: Store) -> int:
    try:
        policy = RetentionPolicy.from_env()
    except RetentionError as exc:
        raise UsageError(str(exc)) from None
    if not policy.active:
        print(
            f"no retention set: everything is kept (set {ENV_BOTH}, or {ENV_FRAMES} and "
            f"{ENV_VIDEOS}, to a number of days)"
        )
        return EXIT_OK
    print(f"retention: {policy.words()}")
    run = store.retention_due(policy) if args.dry_run else store.apply_retention(policy)
    if not args.dry_run:
        audit_cli(store, "retention.apply", subject=run.short())
    for line in run.lines(dry_run=args.dry_run):
        print(line)
    return EXIT_ERROR if run.failed else EXIT_OK


def add_parsers(asub: Any) -> None:
    e = asub.add_parser(
        "erase-patient",
        help="remove a patient and everything stored about them (asks first)",
        description="Remove the patient and every session, frame, rep, rating, reference, "
        "clinical test, upload, kept video, link, sign-in and account of theirs, for good.",
    )
    e.add_argument("patient_id", type=int, metavar="ID")
    e.add_argument("--yes", action="store_true", help="do not ask (scripts)")
    e.add_argument(
        "--vacuum",
        action="store_true",
        help="PostgreSQL: also VACUUM FULL the tables that held their rows (locks each while "
        "it runs); a SQLite database is always rewritten (VACUUM); see docs/STORAGE.md",
    )
    r = asub.add_parser(
        "retention",
        help="delete per-frame poses and kept videos older than the retention setting",
        epilog=f"settings: {ENV_BOTH}=DAYS (both), or {ENV_FRAMES} / {ENV_VIDEOS} per kind; "
        "the per-rep results are kept. The server (or each coach worker) runs it hourly.",
    )
    r.add_argument("--dry-run", action="store_true", help="say what would go; delete nothing")
