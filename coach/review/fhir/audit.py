"""The audit trail (coach/store/audit.py) as FHIR R4 AuditEvents, in a Bundle of type
collection: `coach admin audit export --format fhir`.

Each entry is one AuditEvent: its kind of event in DICOM's audit codes (Patient Record, Export,
User Authentication, Audit Log Used, Security Alert), the action as Create/Read/Update/Delete/
Execute, Coach's own action code as the subtype, when, the outcome (0 success, 4 refused, 8
failed), who asked (their actor id, a therapist's username as its display) and from which
address, and what about: the patient's audit reference, the hashed session id, and the entry
itself (its number and its hash in the chain, to check the export against the trail).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from coach.store.audit import utc_text
from coach.store.models import AuditEntry

DCM = "http://dicom.nema.org/resources/ontology/DCM"
ACTOR_SYSTEM = "urn:coach:audit-actor"
ACTION_SYSTEM = "urn:coach:audit-action"
PATIENT_REF_SYSTEM = "urn:coach:patient-ref"
SESSION_REF_SYSTEM = "urn:coach:session-ref"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"

# Every action Coach writes, as FHIR's Create, Read, Update, Delete or Execute.
ACTIONS = {
    "patients.list": "R",
    "patients.live": "R",
    "patient.create": "C",
    "patient.view": "R",
    "patient.handout": "R",
    "patient.language": "U",
    "patient.erase_page": "R",
    "patient.erase": "D",
    "patient.export.fhir": "E",
    "patient.export.archive": "E",
    "patient.export.ratings": "E",
    "patient.import": "C",
    "program.change": "U",
    "link.create": "C",
    "link.revoke": "U",
    "reference.set": "C",
    "reference.remove": "D",
    "reference.show": "R",
    "reference.export": "E",
    "me.view": "R",
    "me.program": "R",
    "me.today": "R",
    "consent.view": "R",
    "consent.answer": "U",
    "session.view": "R",
    "session.report": "R",
    "session.replay": "R",
    "session.video": "R",
    "session.ratings": "R",
    "session.record": "C",
    "session.export.reps": "E",
    "session.export.frames": "E",
    "session.export.json": "E",
    "session.export.ratings": "E",
    "rating.record": "C",
    "checkin.record": "C",
    "checkins.export.csv": "E",
    "checkins.export.json": "E",
    "upload.create": "C",
    "upload.status": "R",
    "tests.view": "R",
    "test.run": "C",
    "test.record": "C",
    "calendar.read": "R",
    "calendar.create": "C",
    "calendar.revoke": "U",
    "reminder.set": "U",
    "reminder.stop": "U",
    "live.session": "C",
    "live.follow": "R",
    "live.patient": "R",
    "live.summary": "R",
    "live.events": "R",
    "retention.apply": "D",
    "sign_in": "E",
    "sign_in.link": "E",
    "sign_in.second_factor": "E",
    "account.create": "C",
    "account.password": "U",
    "account.second_factor.on": "U",
    "account.second_factor.off": "U",
    "account.second_factor.recovery_codes": "U",
    "account.second_factor.reset": "U",
    "audit.view": "R",
    "audit.export": "E",
}
OUTCOMES = {"ok": "0", "refused": "4", "failed": "8"}


def event_type(action: str) -> dict[str, str]:
    """The kind of event, in DICOM's audit event codes."""
    if action.startswith("sign_in"):
        code, display = "110114", "User Authentication"
    elif action.startswith("audit."):
        code, display = "110101", "Audit Log Used"
    elif action.startswith("account."):
        code, display = "110113", "Security Alert"
    elif ".export" in action:
        code, display = "110106", "Export"
    elif action == "patient.import":
        code, display = "110107", "Import"
    else:
        code, display = "110110", "Patient Record"
    return {"system": DCM, "code": code, "display": display}


def _agent(row: AuditEntry, usernames: dict[str, str]) -> dict[str, Any]:
    who: dict[str, Any] = {"identifier": {"system": ACTOR_SYSTEM, "value": row.actor}}
    if row.actor in usernames:
        who["display"] = usernames[row.actor]
    agent: dict[str, Any] = {"who": who, "requestor": True}
    if row.address:
        # Network access point type: 1 machine name, 2 IP address.
        kind = "1" if row.address in ("local", "?") else "2"
        agent["network"] = {"address": row.address, "type": kind}
    return agent


def _entities(row: AuditEntry) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if row.patient_ref:
        out.append(
            {
                "what": {"identifier": {"system": PATIENT_REF_SYSTEM, "value": row.patient_ref}},
                "type": {"system": ENTITY_TYPE, "code": "1", "display": "Person"},
                "role": {"system": OBJECT_ROLE, "code": "1", "display": "Patient"},
            }
        )
    if row.session_ref:
        out.append(
            {
                "what": {"identifier": {"system": SESSION_REF_SYSTEM, "value": row.session_ref}},
                "type": {"system": ENTITY_TYPE, "code": "2", "display": "System Object"},
            }
        )
    details = [
        {"type": "seq", "valueString": str(row.seq)},
        {"type": "hash", "valueString": row.hash},
    ]
    if row.subject:
        details.append({"type": "subject", "valueString": row.subject})
    out.append(
        {
            "type": {"system": ENTITY_TYPE, "code": "2", "display": "System Object"},
            "name": "Coach audit trail entry",
            "detail": details,
        }
    )
    return out


def audit_event(row: AuditEntry, usernames: dict[str, str] | None = None) -> dict[str, Any]:
    """One entry as an AuditEvent (plain JSON-ready dict)."""
    event: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": f"coach-audit-{row.seq}",
        "type": event_type(row.action),
        "subtype": [{"system": ACTION_SYSTEM, "code": row.action}],
        "action": ACTIONS.get(row.action, "E"),
        "recorded": utc_text(row.at),
        "outcome": OUTCOMES.get(row.outcome, "8"),
        "agent": [_agent(row, usernames or {})],
        "source": {
            "observer": {"display": "Coach"},
            "type": [{"system": SOURCE_TYPE, "code": "4", "display": "Application Server"}],
        },
        "entity": _entities(row),
    }
    if row.status is not None:
        event["outcomeDesc"] = f"HTTP {row.status}"
    return event


def _url(row: AuditEntry) -> str:
    """A urn:uuid: of the entry (its hash in the chain: one per entry, of every Coach)."""
    return f"urn:uuid:{uuid.UUID(row.hash[:32])}"


def audit_bundle(
    rows: Iterable[AuditEntry], usernames: dict[str, str] | None = None
) -> dict[str, Any]:
    """The entries as a FHIR Bundle (collection) of AuditEvents."""
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "entry": [{"fullUrl": _url(row), "resource": audit_event(row, usernames)} for row in rows],
    }
