"""A bundle back into the store (`coach import fhir`): a new patient of the given therapist
with the bundle's program, sessions (their reps, holds, faults and targets), ratings,
clinical test results and weekly check-ins, all in one transaction: a bundle that can't be
read whole changes nothing.

Only what a Coach bundle holds is read (docs/FHIR.md); the bundle is first checked against
the FHIR models, then against Coach's own rules (the program's, the ratings').
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from coach.prescription import ProgramError, check_program
from coach.review.fhir.bundle import BundleInvalid, validate
from coach.review.fhir.checkins import is_checkin, read_checkin
from coach.review.fhir.patient import read_patient
from coach.review.fhir.program import read_program
from coach.review.fhir.protocols import is_test, read_test
from coach.review.fhir.ratings import is_rating, read_rating
from coach.review.fhir.sessions import (
    SessionRows,
    read_fault,
    read_hold,
    read_procedure,
    read_rep,
)
from coach.review.fhir.targets import read_run
from coach.review.fhir.terms import our_code
from coach.store.checkins import CheckInError, check_answers
from coach.store.models import (
    ExerciseSession,
    Fault,
    Hold,
    Patient,
    ProgramItem,
    ProtocolResult,
    PsfsRating,
    Rating,
    Rep,
    WeeklyCheckIn,
)
from coach.store.ratings import RatingError, check_rating
from coach.store.sessions import new_session_id
from coach.store.store import PROGRAM_FIELDS, Store


class FhirImportError(ValueError):
    """A bundle that can't become a patient; the message says why, in one line."""


def _by_type(bundle: dict[str, Any]) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    out: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for entry in bundle.get("entry") or []:
        resource = entry.get("resource") or {}
        out[resource.get("resourceType", "")].append((entry.get("fullUrl", ""), resource))
    return out


def _sessions(procedures: list, observations: list) -> dict[str, SessionRows]:
    """Procedure fullUrl -> its session's rows, from the Observations part of it."""
    parts: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for _, obs in observations:
        for part in obs.get("partOf") or []:
            parts[part.get("reference", "")][our_code(obs.get("code")) or ""].append(obs)
    out = {}
    for url, proc in procedures:
        mine = parts[url]
        columns = read_procedure(proc)
        if columns["exercise_id"] is None or columns["started_at"] is None:
            raise FhirImportError("a session (Procedure) names no Coach exercise or no start")
        rows = SessionRows(
            columns,
            reps=sorted((read_rep(o) for o in mine["exercise-rep"]), key=lambda r: r["index"]),
            holds=[read_hold(o) for o in mine["hold"]],
            faults=[read_fault(o) for o in mine["fault-flagged"]],
        )
        view = _filmed_from([o for code in mine for o in mine[code]])
        if view:  # no poses travel: the view they showed does (bundle.py reads it back)
            columns["summary"]["filmed_from"] = view
        if mine["targets-run"]:
            columns["summary"]["targets"] = read_run(
                mine["targets-run"][0], mine["target-result"], columns["exercise_id"]
            )
        out[url] = rows
    return out


def _filmed_from(observations: list[dict[str, Any]]) -> str | None:
    """The camera view a session's Observations say it was filmed from (None: not known)."""
    for obs in observations:
        code = our_code(obs.get("method")) or ""
        if code.startswith("camera-") and code != "camera-unknown":
            return code[len("camera-") :]
    return None


def _program(careplans: list) -> list[dict[str, Any]]:
    items = read_program(careplans[0][1] if careplans else None)
    try:
        check_program(items)
    except ProgramError as exc:
        raise FhirImportError(f"the program can't be used: {exc}") from None
    return items


def _patient_row(resources: dict[str, list], therapist_id: int) -> Patient:
    patients = resources.get("Patient") or []
    if len(patients) != 1:
        raise FhirImportError(f"a Coach bundle holds one Patient, not {len(patients)}")
    fields = read_patient(patients[0][1])
    if not fields.name:
        raise FhirImportError("the Patient has no name")
    row = Patient(
        therapist_id=therapist_id,
        name=fields.name,
        sex=fields.sex,
        birth_year=fields.birth_year,
        notes=fields.notes,
    )
    if fields.created_at is not None:
        row.created_at = fields.created_at
    return row


def import_bundle(store: Store, bundle: dict[str, Any], therapist_id: int) -> int:
    """Make the bundle's patient a new patient of `therapist_id`; returns the patient's id.
    Raises FhirImportError (nothing written) for a bundle that is not valid FHIR or not one
    Coach can read."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise FhirImportError("not a FHIR Bundle")
    try:
        validate(bundle)
    except BundleInvalid as exc:
        raise FhirImportError(str(exc)) from None
    resources = _by_type(bundle)
    try:
        patient = _patient_row(resources, therapist_id)
        program = _program(resources.get("CarePlan") or [])
        observations = resources.get("Observation") or []
        sessions = _sessions(resources.get("Procedure") or [], observations)
        ratings = [read_rating(o) for _, o in observations if is_rating(o)]
        tests = [read_test(o) for _, o in observations if is_test(o)]
        checkins = _checkins(observations)
        for r in ratings:
            check_rating(r["kind"], r["value"], r["area"], r["set_number"] or None)
    except FhirImportError:
        raise
    except RatingError as exc:
        raise FhirImportError(f"a rating can't be stored: {exc}") from None
    except CheckInError as exc:
        raise FhirImportError(f"a weekly check-in can't be stored: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise FhirImportError(f"not a bundle Coach can read: {type(exc).__name__}: {exc}") from None
    try:
        return _write(store, patient, program, sessions, ratings, tests, checkins)
    except SQLAlchemyError as exc:
        raise FhirImportError(
            f"the bundle's records can't be stored: {type(exc).__name__}"
        ) from None


def _checkins(observations: list) -> list[WeeklyCheckIn]:
    """The bundle's weekly check-ins as rows (checked as the /me form checks them)."""
    by_url = {url: obs for url, obs in observations}
    rows = []
    for _, obs in observations:
        if not is_checkin(obs):
            continue
        c = read_checkin(obs, by_url)
        answers, rated = check_answers(c["answers"], c["activities"])
        row = WeeklyCheckIn(week_start=c["week_start"], skipped=c["skipped"], **answers)
        if c["created_at"] is not None:
            row.created_at = c["created_at"]
        row.psfs = [PsfsRating(position=a.position, activity=a.activity, score=a.score)
                    for a in rated]  # fmt: skip
        rows.append(row)
    return rows


def _write(
    store: Store,
    patient: Patient,
    program: list,
    sessions: dict[str, SessionRows],
    ratings: list,
    tests: list,
    checkins: list[WeeklyCheckIn],
) -> int:
    with store.factory.begin() as db:
        db.add(patient)
        db.flush()
        for pos, item in enumerate(program):
            db.add(
                ProgramItem(
                    patient_id=patient.id,
                    position=pos,
                    **{k: item[k] for k in PROGRAM_FIELDS if k in item},
                )
            )
        session_ids: dict[str, str] = {}  # Procedure fullUrl -> the stored session's id
        taken = set(
            db.scalars(
                select(ExerciseSession.id).where(
                    ExerciseSession.id.in_([s.columns["id"] for s in sessions.values()])
                )
            )
        )
        for url, rows in sessions.items():
            sid = rows.columns["id"]
            if sid in taken or sid in session_ids.values():
                sid = new_session_id()  # the id is another session's here
            session_ids[url] = sid
            db.add(ExerciseSession(**(rows.columns | {"id": sid, "patient_id": patient.id})))
            db.flush()
            for rep in rows.reps:  # columns this store has (a newer bundle may say more)
                db.add(Rep(session_id=sid, **{k: v for k, v in rep.items() if hasattr(Rep, k)}))
            db.add_all(Hold(session_id=sid, **h) for h in rows.holds)
            db.add_all(Fault(session_id=sid, **f) for f in rows.faults)
        for r in ratings:
            sid = session_ids.get(r.pop("procedure") or "")
            if sid is None:
                raise FhirImportError("a rating is not part of any session in the bundle")
            known = {k: v for k, v in r.items() if v is not None}  # no time: now
            db.add(Rating(session_id=sid, patient_id=patient.id, **known))
        for c in checkins:
            c.patient_id = patient.id
            db.add(c)
        for t in tests:
            db.add(
                ProtocolResult(
                    patient_id=patient.id,
                    protocol=t["protocol"],
                    result=t["result"],
                    session_id=session_ids.get(t["procedure"] or ""),
                    **({"created_at": t["created_at"]} if t["created_at"] else {}),
                )
            )
        return patient.id
