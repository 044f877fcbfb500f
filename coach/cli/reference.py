"""`coach reference set|show|clear|export`: a patient's personal reference.

    coach reference set --patient N --session S          the session's reps become the reference
    coach reference show --patient N [--exercise X]      each feature's mean, SD and limit
    coach reference clear --patient N --exercise X
    coach reference export --patient N --exercise X -o FILE.json

A reference (scoring.reference.PersonalReference) holds, per fault rule of the exercise, the
mean of the patient's good reps and the limit beyond which a later rep gets that rule's cue.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from coach.cli.common import audit_cli, store_or_usage_error
from coach.errors import EXIT_OK, ReferenceRefused, UsageError
from coach.review.references import limit_lines, set_reference_from_session
from coach.store.models import PersonalReferenceRow
from coach.store.store import aware
from exercises import load_exercise
from scoring.definition import Exercise
from scoring.reference import PersonalReference

# The audit trail's action of each (coach/store/audit.py), written once it is done or refused.
REFERENCE_ACTIONS = {
    "set": "reference.set",
    "show": "reference.show",
    "clear": "reference.remove",
    "export": "reference.export",
}


def _exercise(exercise_id: str) -> Exercise | None:
    try:
        return load_exercise(exercise_id)
    except KeyError:
        return None


def run(args: argparse.Namespace) -> int:
    action = args.reference_action
    if action is None:
        raise UsageError("say what to do: set, show, clear or export")
    store = store_or_usage_error()
    audited, outcome = None, "refused"  # the trail's entry: once the patient is known
    try:
        patient = store.patient(args.patient)
        if patient is None:
            raise UsageError(f"no patient with id {args.patient}")
        audited = patient.id
        if action == "set":
            try:
                row = set_reference_from_session(
                    store, args.patient, args.session, exercise_id=args.exercise
                )
            except ReferenceRefused as exc:
                raise UsageError(str(exc)) from None
            print(
                f"reference for {row.exercise_id} of patient {args.patient} ({patient.name}) set "
                f"from session {row.session_id}: {row.reps} reps"
            )
        elif action == "show":
            rows = store.references_of(args.patient)
            if args.exercise is not None:
                rows = [r for r in rows if r.exercise_id == args.exercise]
                if not rows:
                    raise UsageError(f"patient {args.patient} has no reference for {args.exercise}")
            if not rows:
                print(f"patient {args.patient} ({patient.name}) has no references")
            for row in rows:
                _print_reference(row)
        elif action == "clear":
            if not store.remove_reference(args.patient, args.exercise):
                raise UsageError(f"patient {args.patient} has no reference for {args.exercise}")
            print(f"reference for {args.exercise} of patient {args.patient} removed")
        elif action == "export":
            saved = store.reference_row(args.patient, args.exercise)
            if saved is None:
                raise UsageError(f"patient {args.patient} has no reference for {args.exercise}")
            out = Path(args.output)
            try:
                out.write_text(json.dumps(saved.reference, indent=2) + "\n", encoding="utf-8")
            except OSError as exc:
                raise UsageError(f"can't write {out}: {exc.strerror or exc}") from None
            print(f"reference for {args.exercise} of patient {args.patient} written to {out}")
        outcome = "ok"
    finally:
        if audited is not None:
            audit_cli(store, REFERENCE_ACTIONS[action], patient_id=audited, outcome=outcome)
        store.close()
    return EXIT_OK


def _print_reference(row: PersonalReferenceRow) -> None:
    ref = PersonalReference.from_json(row.reference)
    when = aware(row.created_at).strftime("%Y-%m-%d %H:%M")
    print(f"{row.exercise_id}: {ref.reps} reps from session {row.session_id}, set {when} UTC")
    print(f"  {'feature':24s} {'mean':>9s} {'SD':>9s}  limit")
    for line in limit_lines(ref, _exercise(row.exercise_id)):
        side = "above" if line.limit.worse == "above" else "below"
        print(f"  {line.id:24s} {line.mean:>9s} {line.sd:>9s}  {side} {line.bound}")


def add_parser(sub: Any) -> None:
    r = sub.add_parser(
        "reference",
        help="a patient's personal reference: set from a session, show, clear, export",
        description="A patient's good reps of an exercise, kept as their reference: from then "
        "on their sessions of that exercise compare every rep with it.",
    )
    rsub = r.add_subparsers(dest="reference_action", metavar="ACTION")
    s = rsub.add_parser("set", help="make a stored session's reps the patient's reference")
    s.add_argument("--patient", type=int, required=True)
    s.add_argument("--session", required=True, help="the session id (coach analyze --save)")
    s.add_argument("--exercise", help="refuse unless the session is of this exercise")
    sh = rsub.add_parser("show", help="print the limits: feature, mean, SD, limit")
    sh.add_argument("--patient", type=int, required=True)
    sh.add_argument("--exercise")
    c = rsub.add_parser("clear", help="remove the patient's reference for an exercise")
    c.add_argument("--patient", type=int, required=True)
    c.add_argument("--exercise", required=True)
    e = rsub.add_parser("export", help="write the reference as JSON (for analyze --reference)")
    e.add_argument("--patient", type=int, required=True)
    e.add_argument("--exercise", required=True)
    e.add_argument("-o", "--output", required=True, metavar="FILE.json")
    r.set_defaults(func=run)
