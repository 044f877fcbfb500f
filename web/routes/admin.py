"""The administrators' page of the audit trail (coach/store/audit.py): the newest entries,
page by page, for one patient reference if asked, and the chain checked on request.

Admins only: a therapist who is not one gets 403, someone not signed in the sign-in page.
The page names users by their username (therapists' accounts are never deleted) and a
patient by their id while they are still stored ("erased" afterwards): the trail itself
holds neither names nor ids.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from coach.store import Store
from coach.store.accounts import Identity
from coach.store.models import AuditEntry
from web.audit import audited
from web.routes.deps import StoreDep, TherapistDep
from web.routes.pages import render

router = APIRouter()
PAGE = 100


def current_admin(who: TherapistDep) -> Identity:
    if not who.is_admin:
        raise HTTPException(403, "This page is for administrators.")
    return who


AdminDep = Annotated[Identity, Depends(current_admin)]


def _rows(store: Store, entries: list[AuditEntry]) -> list[dict[str, Any]]:
    """The entries for the page: who by username, the patient by id while they are stored."""
    names = {f"user:{u.id}": u.username for u in store.users() if u.role == "therapist"}
    patients = store.patients_by_ref({e.patient_ref for e in entries if e.patient_ref})
    return [
        {
            "e": e,
            "who": names.get(
                e.actor, e.actor.split(":")[0] if e.actor.startswith("patient:") else e.actor
            ),
            "patient": patients.get(e.patient_ref or ""),  # None: erased (the page says so)
        }
        for e in entries
    ]


@router.get("/admin/audit", include_in_schema=False)
@audited("audit.view")
def audit_page(
    request: Request,
    who: AdminDep,
    store: StoreDep,
    before: int | None = None,
    patient: str = "",
    verify: bool = False,
) -> HTMLResponse:
    entries = store.audit_entries(before=before, limit=PAGE, patient_ref=patient[:32] or None)
    return render(
        request,
        "audit.html",
        who,
        rows=_rows(store, entries),
        check=store.verify_audit() if verify else None,
        older=entries[-1].seq if len(entries) == PAGE else None,
        patient=patient[:32],
    )
