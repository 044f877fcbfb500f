"""The therapist's pages: their patients (and the patients' accounts), each patient's
programme, personal links and references."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from coach.live import LiveSession, SessionRegistry
from coach.prescription import ProgramError
from coach.review.prescription import clinical_words, dose_words
from coach.review.references import limit_lines
from coach.store import Store
from coach.store.accounts import AccountError
from web.qr import qr_svg
from web.routes.checkins import checkin_review
from web.routes.deps import RegistryDep, StoreDep, TherapistDep, TherapistsPatientDep
from web.routes.pages import exercise_names, load_exercise, patient_context, render

router = APIRouter()


def _int(value: str, name: str, lo: float, hi: float, *, optional: bool = False) -> Any:
    value = (value or "").strip()
    if not value:
        if optional:
            return None
        raise HTTPException(400, f"{name} is required.")
    try:
        number = float(value)
    except ValueError:
        raise HTTPException(400, f"{name} must be a number, not {value!r}.") from None
    if not lo <= number <= hi:
        raise HTTPException(400, f"{name} must be between {lo:g} and {hi:g}.")
    return number


def _references_of(store: Store, patient_id: int) -> list[dict[str, Any]]:
    """The patient's references with their limits in words, for the patient page."""
    from scoring.reference import PersonalReference

    out = []
    for row in store.references_of(patient_id):
        ref = PersonalReference.from_json(row.reference)
        out.append({"row": row, "lines": limit_lines(ref, load_exercise(row.exercise_id))})
    return out


def live_now(registry: SessionRegistry, patients: dict[int, Any]) -> list[dict[str, Any]]:
    """The live sessions of these patients whose patient is connected now, newest first."""
    out = []
    for s in registry.sessions():
        if s.patient_id in patients and s.connected and not s.ended:
            out.append(
                {
                    "patient": patients[s.patient_id],
                    "session_id": s.id,
                    "exercise": s.info["name"],
                    "since": s.created_at,
                    "getting_ready": s.stage == "setup",
                }
            )
    return sorted(out, key=lambda r: r["since"], reverse=True)


@router.get("/therapist", include_in_schema=False)
def therapist_home(
    request: Request, who: TherapistDep, store: StoreDep, registry: RegistryDep
) -> HTMLResponse:
    patients = store.patients_of(who.user_id or -1)
    rows = []
    for p in patients:
        sessions = store.sessions_of(p.id, limit=50)
        last = sessions[0].started_at if sessions else None
        rows.append({"patient": p, "sessions": len(sessions), "last": last})
    live = live_now(registry, {p.id: p for p in patients})
    return render(request, "therapist.html", who, rows=rows, live=live, error=None)


def _followed(registry: SessionRegistry, store: Store, who: Any, session_id: str) -> LiveSession:
    """A live session of one of this therapist's patients (404 otherwise, same words)."""
    session = registry.get(session_id)
    if (
        session is None
        or session.patient_id is None
        or store.patient_visible_to(who, session.patient_id) is None
    ):
        raise HTTPException(404, "No such live session of your patients.")
    return session


@router.get("/api/live/{session_id}/patient")
def followed_patient(
    session_id: str, who: TherapistDep, store: StoreDep, registry: RegistryDep
) -> dict[str, Any]:
    """For the follow page: whose session this is and what was prescribed for it."""
    session = _followed(registry, store, who, session_id)
    patient = store.patient(session.patient_id or -1)
    assert patient is not None
    item = next((i for i in store.program(patient.id) if i.exercise_id == session.info["id"]), None)
    return {
        "patient": {"id": patient.id, "name": patient.name, "page": f"/patients/{patient.id}"},
        "exercise": session.info["name"],
        "prescription": clinical_words(item) if item is not None else None,
    }


@router.post("/therapist/patients", include_in_schema=False)
def add_patient(
    who: TherapistDep,
    store: StoreDep,
    name: str = Form(""),
    birth_year: str = Form(""),
    sex: str = Form(""),
    notes: str = Form(""),
    username: str = Form(""),
    password: str = Form(""),
) -> RedirectResponse:
    year = _int(birth_year, "Birth year", 1900, datetime.now(timezone.utc).year, optional=True)
    try:
        patient = store.create_patient(
            who.user_id or -1,
            name,
            birth_year=int(year) if year is not None else None,
            sex=sex or None,
            notes=notes,
            username=username.strip() or None,
            password=password,
        )
    except AccountError as exc:
        raise HTTPException(400, str(exc)) from None
    return RedirectResponse(f"/patients/{patient.id}", status_code=303)


@router.get("/patients/{patient_id}", include_in_schema=False)
def patient_page(
    request: Request,
    who: TherapistDep,
    patient: TherapistsPatientDep,
    store: StoreDep,
    new_link: str = "",
) -> HTMLResponse:
    ctx = patient_context(store, patient)
    base_url = str(request.base_url).rstrip("/")
    link_qr = ""
    if new_link and _own_link(store, patient.id, new_link):
        link_qr = qr_svg(f"{base_url}/p/{new_link}", f"QR code of {patient.name}'s personal link")
    return render(
        request,
        "patient.html",
        who,
        **ctx,
        links=store.links_of(patient.id),
        new_link=new_link,
        jobs=store.jobs_of(patient.id),
        references=_references_of(store, patient.id),
        checkins=checkin_review(store, patient.id),
        base_url=base_url,
        link_qr=link_qr,
    )


def _own_link(store: Store, patient_id: int, token: str) -> bool:
    link = store.resolve_link(token) if 0 < len(token) <= 200 else None
    return link is not None and link.patient_id == patient_id


@router.get("/patients/{patient_id}/handout", include_in_schema=False)
def handout(
    request: Request,
    who: TherapistDep,
    patient: TherapistsPatientDep,
    store: StoreDep,
    link: str = "",
) -> HTMLResponse:
    """A printable page for the patient: their link (and its QR code) and program in plain
    words, large type. Only for a link of this patient that is still valid."""
    if not _own_link(store, patient.id, link):
        raise HTTPException(404, "No such personal link: create a new one on the patient's page.")
    url = f"{str(request.base_url).rstrip('/')}/p/{link}"
    names = exercise_names()
    items = []
    for item in store.program(patient.id):
        ex = load_exercise(item.exercise_id)
        items.append(
            {
                "name": names.get(item.exercise_id, item.exercise_id),
                "dose": dose_words(item),
                "how": getattr(ex, "instructions", "") if ex is not None else "",
                "notes": (item.notes or "").strip(),
            }
        )
    return render(
        request,
        "handout.html",
        who,
        patient=patient,
        url=url,
        qr=qr_svg(url, "QR code of your personal link: scan it with your phone's camera"),
        items=items,
    )


@router.post("/patients/{patient_id}/program", include_in_schema=False)
async def edit_program(
    request: Request, patient: TherapistsPatientDep, store: StoreDep
) -> RedirectResponse:
    patient_id = patient.id
    form = await request.form()
    known = exercise_names()
    items = []
    for i in range(int(_int(str(form.get("rows", "0")), "rows", 0, 100))):
        ex = str(form.get(f"exercise_{i}", "")).strip()
        if not ex or form.get(f"delete_{i}"):
            continue
        if ex not in known:
            raise HTTPException(400, f"Unknown exercise {ex!r}.")

        def field(name: str, label: str, lo: float, hi: float, default: str, i: int = i) -> Any:
            raw = str(form.get(f"{name}_{i}", default))
            return _int(raw, f"{label} (row {i + 1})", lo, hi, optional=True)

        target = field("target_rom_deg", "Target range", 0, 360, "")
        limit = field("max_rom_deg", "Range limit", 0, 180, "")
        items.append(
            {
                "exercise_id": ex,
                "sets": int(field("sets", "Sets", 1, 20, "3") or 3),
                "reps": int(field("reps", "Reps", 0, 200, "10") or 0),
                "hold_s": float(field("hold_s", "Hold", 0, 600, "0") or 0),
                "rest_s": field("rest_s", "Rest", 0, 600, ""),  # empty: the definition's
                "days_per_week": int(field("days_per_week", "Days a week", 1, 7, "5") or 5),
                "target_rom_deg": target,
                "max_rom_deg": limit,
                "notes": str(form.get(f"notes_{i}", ""))[:1000],
            }
        )
    try:
        store.set_program(patient_id, items)  # the limit, target and reps checked there
    except ProgramError as exc:
        raise HTTPException(400, str(exc)) from None
    return RedirectResponse(f"/patients/{patient_id}#program", status_code=303)


@router.post("/patients/{patient_id}/links", include_in_schema=False)
def new_link(patient: TherapistsPatientDep, store: StoreDep) -> RedirectResponse:
    _, token = store.create_link(patient.id)
    return RedirectResponse(
        f"/patients/{patient.id}?new_link={quote(token)}#links", status_code=303
    )


@router.post("/patients/{patient_id}/links/{link_id}/revoke", include_in_schema=False)
def revoke_link(patient: TherapistsPatientDep, link_id: int, store: StoreDep) -> RedirectResponse:
    if not store.revoke_link(patient.id, link_id):
        raise HTTPException(404, "No such link.")
    return RedirectResponse(f"/patients/{patient.id}#links", status_code=303)


@router.post("/patients/{patient_id}/references/{exercise_id}/remove", include_in_schema=False)
def remove_reference(
    patient: TherapistsPatientDep, exercise_id: str, store: StoreDep
) -> RedirectResponse:
    if not store.remove_reference(patient.id, exercise_id):
        raise HTTPException(404, "No such reference.")
    return RedirectResponse(f"/patients/{patient.id}#references", status_code=303)
