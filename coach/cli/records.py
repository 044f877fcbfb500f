"""`coach export fhir` and `coach import fhir`: a patient's whole record as an HL7 FHIR R4
Bundle (docs/FHIR.md), and such a bundle back as a new patient.

    coach export fhir --patient N -o bundle.json      (-o -: to stdout)
    coach import fhir bundle.json --therapist USERNAME

The export is checked with the FHIR models before it is written; the import checks the bundle
the same way, then writes everything in one transaction, or nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from coach.cli.common import audit_cli, store_or_usage_error
from coach.errors import EXIT_OK, UsageError
from coach.review.fhir import FhirImportError, import_bundle, patient_bundle, validate


def export(args: argparse.Namespace) -> int:
    if args.format != "fhir":
        raise UsageError(f"unknown export format {args.format!r}; known: fhir")
    store = store_or_usage_error()
    try:
        patient = store.patient(args.patient)
        if patient is None:
            raise UsageError(f"no patient with id {args.patient}")
        bundle = patient_bundle(store, patient)
        audit_cli(store, "patient.export.fhir", patient_id=patient.id)
    finally:
        store.close()
    validate(bundle)  # ours must be valid FHIR; a failure here is a bug, not bad input
    text = json.dumps(bundle, ensure_ascii=False, indent=1) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
        return EXIT_OK
    out = Path(args.output)
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"can't write {out}: {exc.strerror or exc}") from None
    n = len(bundle["entry"])
    print(f"patient {patient.id} ({patient.name}): {n} FHIR resources written to {out}")
    return EXIT_OK


def _read(path: str) -> Any:
    source = Path(path)
    if not source.is_file():
        raise UsageError(f"no such file: {source}")
    try:
        return json.loads(source.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{source} is not JSON: {exc}") from None


def import_(args: argparse.Namespace) -> int:
    if args.format != "fhir":
        raise UsageError(f"unknown import format {args.format!r}; known: fhir")
    bundle = _read(args.file)
    store = store_or_usage_error()
    try:
        therapist = next(
            (u for u in store.users("therapist") if u.username == args.therapist.strip()), None
        )
        if therapist is None:
            raise UsageError(f"no therapist with username {args.therapist!r}")
        try:
            pid = import_bundle(store, bundle, therapist.id)
        except FhirImportError as exc:
            raise UsageError(f"{args.file}: {exc}") from None
        audit_cli(store, "patient.import", patient_id=pid)
        patient = store.patient(pid)
    finally:
        store.close()
    name = patient.name if patient is not None else "?"
    print(f"imported {args.file} as patient {pid} ({name}) of {therapist.username}")
    return EXIT_OK


def add_parser(sub: Any) -> None:
    e = sub.add_parser(
        "export",
        help="a patient's whole record as an HL7 FHIR R4 bundle",
        description="Write a patient's record (program, sessions, ratings, clinical tests) as "
        "an HL7 FHIR R4 Bundle, JSON (docs/FHIR.md).",
    )
    e.add_argument("format", choices=["fhir"], help="the record format (fhir)")
    e.add_argument("--patient", type=int, required=True, help="the patient's id")
    e.add_argument("-o", "--output", required=True, metavar="FILE.json", help="- for stdout")
    e.set_defaults(func=export)
    i = sub.add_parser(
        "import",
        help="a FHIR bundle written by `coach export fhir`, as a new patient",
        description="Read an HL7 FHIR R4 Bundle written by `coach export fhir` and store it as "
        "a new patient of a therapist: program, sessions, ratings, clinical tests.",
    )
    i.add_argument("format", choices=["fhir"], help="the record format (fhir)")
    i.add_argument("file", help="the bundle (JSON)")
    i.add_argument("--therapist", required=True, help="the username of the patient's therapist")
    i.set_defaults(func=import_)
