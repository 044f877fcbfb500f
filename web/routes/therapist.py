"""The therapist's pages: their patients (and the patients' accounts), each patient's
programme, personal links and references."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from coach.i18n import reader
from coach.live import LiveSession, SessionRegistry
from coach.prescription import ProgramError
from coach.review.attention import attention, missed_days_setting
from coach.review.prescription import any_dose_words, clinical_words, definition_of
from coach.review.references import limit_lines
from coach.store import Store
from coach.store.accounts import AccountError
from coach.store.ratings import patient_ratings
from web.audit import audited, note_patient, note_session
from web.i18n import for_patient, reader_of
from web.public_url import base_url as public_base
from web.public_url import local_warning
from web.qr import qr_svg
from web.reminders import SmtpSettings
from web.routes.between import feed_url
from web.routes.checkins import checkin_review
from web.routes.dashboard import live_rows
from web.routes.deps import RegistryDep, StoreDep, TherapistDep, TherapistsPatientDep
from web.routes.pages import exercise_names, load_exercise, patient_context, render
from web.routes.program_form import exercise_kinds

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


@router.get("/therapist", include_in_schema=False)
@audited("patients.list")
def therapist_home(
    request: Request, who: TherapistDep, store: StoreDep, registry: RegistryDep
) -> HTMLResponse:
    patients = store.patients_of(who.user_id or -1)
    names = exercise_names()
    today = datetime.now(timezone.utc).date()
    threshold = missed_days_setting()
    rows, needs_look = [], []
    for p in patients:
        sessions = store.sessions_of(p.id, limit=50)
        last = sessions[0].started_at if sessions else None
        rows.append({"patient": p, "sessions": len(sessions), "last": last})
        ratings = patient_ratings(store, p.id)
        flagged = attention(p, sessions, p.program_items, ratings, names, today, threshold)
        if flagged.reasons:
            needs_look.append(flagged)
    live = live_rows(registry, {p.id: p.name for p in patients})
    return render(
        request,
        "therapist.html",
        who,
        rows=rows,
        live=live,
        error=None,
        attention=needs_look,
        missed_days=threshold,
    )


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
@audited("live.patient")
def followed_patient(
    request: Request, session_id: str, who: TherapistDep, store: StoreDep, registry: RegistryDep
) -> dict[str, Any]:
    """For the follow page: whose session this is and what was prescribed for it."""
    note_session(request, session_id)
    session = _followed(registry, store, who, session_id)
    patient = store.patient(session.patient_id or -1)
    assert patient is not None
    note_patient(request, patient.audit_ref)
    item = next((i for i in store.program(patient.id) if i.exercise_id == session.info["id"]), None)
    return {
        "patient": {"id": patient.id, "name": patient.name, "page": f"/patients/{patient.id}"},
        "exercise": session.info["name"],
        "prescription": clinical_words(item) if item is not None else None,
    }


@router.post("/therapist/patients", include_in_schema=False)
@audited("patient.create")
def add_patient(
    request: Request,
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
    note_patient(request, patient.audit_ref)
    return RedirectResponse(f"/patients/{patient.id}", status_code=303)


@router.get("/patients/{patient_id}", include_in_schema=False)
@audited("patient.view")
def patient_page(
    request: Request,
    who: TherapistDep,
    patient: TherapistsPatientDep,
    store: StoreDep,
    new_link: str = "",
    new_feed: str = "",
) -> HTMLResponse:
    words = reader_of(request, who)
    ctx = patient_context(store, patient, words)
    base_url = public_base(request)
    link_qr = feed_qr = ""
    # Shown (with Copy, QR and handout) only when it is a live link of this patient: a URL
    # someone else made must not pass their token off as this patient's new link.
    if not _own_link(store, patient.id, new_link):
        new_link = ""
    if new_link:
        link_qr = qr_svg(
            f"{base_url}/p/{new_link}",
            words.gettext("QR code of {name}'s personal link", name=patient.name),
        )
    feed = store.resolve_feed(new_feed) if new_feed else None
    if feed is None or feed.patient_id != patient.id:
        new_feed = ""
    else:
        feed_qr = qr_svg(
            feed_url(request, new_feed),
            words.gettext("QR code of {name}'s calendar", name=patient.name),
        )
    return render(
        request,
        "patient.html",
        who,
        **ctx,
        links=store.links_of(patient.id),
        new_link=new_link,
        jobs=store.jobs_of(patient.id),
        references=_references_of(store, patient.id),
        checkins=checkin_review(store, patient.id, words),
        base_url=base_url,
        link_qr=link_qr,
        consent=store.consent(patient.id),
        local_warning=local_warning(base_url),
        feeds=store.feeds_of(patient.id),
        new_feed=new_feed,
        new_feed_url=feed_url(request, new_feed) if new_feed else "",
        feed_qr=feed_qr,
        reminder=store.reminder_of(patient.id),
        smtp=SmtpSettings.from_env() is not None,
        kinds=exercise_kinds(),
    )


def _own_link(store: Store, patient_id: int, token: str) -> bool:
    link = store.resolve_link(token) if 0 < len(token) <= 200 else None
    return link is not None and link.patient_id == patient_id


def _handout_item(item: Any, names: dict[str, str]) -> dict[str, Any]:
    """A program row in the patient's words: an exercise's or a targets task's dose and how."""
    definition = definition_of(item.exercise_id)
    return {
        "name": names.get(item.exercise_id, item.exercise_id),
        "dose": any_dose_words(item, definition),
        "how": getattr(definition, "instructions", "") if definition is not None else "",
        "notes": (item.notes or "").strip(),
    }


@router.get("/patients/{patient_id}/handout", include_in_schema=False)
@audited("patient.handout")
def handout(
    request: Request,
    who: TherapistDep,
    patient: TherapistsPatientDep,
    store: StoreDep,
    link: str = "",
) -> HTMLResponse:
    """A printable page for the patient: their link (and its QR code) and program in plain
    words, large type. Only for a link of this patient that is still valid. The address is
    the public one (web/public_url.py); while it works only here, the page says so."""
    if not _own_link(store, patient.id, link):
        raise HTTPException(404, "No such personal link: create a new one on the patient's page.")
    base = public_base(request)
    url = f"{base}/p/{link}"
    names = exercise_names()
    words = reader(for_patient(request, patient.language).code)  # the patient's language
    return render(
        request,
        "handout.html",
        who,
        patient=patient,
        url=url,
        qr=qr_svg(
            url, words.gettext("QR code of your personal link: scan it with your phone's camera")
        ),
        items=[_handout_item(item, names) for item in store.program(patient.id)],
        local_warning=local_warning(base),
    )


@router.post("/patients/{patient_id}/program", include_in_schema=False)
@audited("program.change")
async def edit_program(
    request: Request, patient: TherapistsPatientDep, store: StoreDep
) -> RedirectResponse:
    patient_id = patient.id
    # A row of 10 fields an exercise, at most 100 rows (the body: COACH_MAX_FORM_KB).
    form = await request.form(max_files=0, max_fields=1100, max_part_size=16 * 1024)
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
@audited("link.create")
def new_link(patient: TherapistsPatientDep, store: StoreDep) -> RedirectResponse:
    _, token = store.create_link(patient.id)
    return RedirectResponse(
        f"/patients/{patient.id}?new_link={quote(token)}#links", status_code=303
    )


@router.post("/patients/{patient_id}/links/{link_id}/revoke", include_in_schema=False)
@audited("link.revoke")
def revoke_link(
    request: Request,
    who: TherapistDep,
    patient: TherapistsPatientDep,
    link_id: int,
    store: StoreDep,
    confirm: str = Form(""),
) -> Response:
    """Revoking asks first (a page saying what follows, with Revoke and Cancel); the
    confirmed form (`confirm=yes`) revokes."""
    link = next((li for li in store.links_of(patient.id) if li.id == link_id), None)
    if link is None or link.revoked_at is not None:
        raise HTTPException(404, "No such link.")
    if confirm != "yes":
        words = reader_of(request, who)
        return render(
            request,
            "confirm.html",
            who,
            title=words.gettext("Revoke link #{id}?", id=str(link_id)),
            words=words.gettext(
                "{name} will no longer open their exercises with this link or its QR code, and "
                "a phone or computer signed in with it is signed out. Their sessions are kept. "
                "You can give them a new link afterwards.",
                name=patient.name,
            ),
            action=f"/patients/{patient.id}/links/{link_id}/revoke",
            button=words.gettext("Revoke link #{id}", id=str(link_id)),
            back=f"/patients/{patient.id}#links",
        )
    store.revoke_link(patient.id, link_id)
    return RedirectResponse(f"/patients/{patient.id}#links", status_code=303)


@router.post("/patients/{patient_id}/references/{exercise_id}/remove", include_in_schema=False)
@audited("reference.remove")
def remove_reference(
    patient: TherapistsPatientDep, exercise_id: str, store: StoreDep
) -> RedirectResponse:
    if not store.remove_reference(patient.id, exercise_id):
        raise HTTPException(404, "No such reference.")
    return RedirectResponse(f"/patients/{patient.id}#references", status_code=303)
