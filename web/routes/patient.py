"""The patient's own pages: the personal link that signs them in, /me, their program for the
picker (/api/me/program) and their day for the live page (/api/me/today).

/me is for an older patient on a phone or a laptop: large type, a big Start per exercise, the
prescription in words (coach.review.plain, never degrees), "done today" against the prescribed
volume (coach.review.volume, the same definition as the therapist's adherence), and a plain
week-by-week view instead of the therapist's charts. Every kind the therapist can prescribe
(exercises, holds, hand-eye targets tasks) starts from here.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from coach.review.plain import amount_words, days_words, limit_words
from coach.review.progress import record_start
from coach.review.targets_progress import touched_this_week
from coach.review.volume import DailyPlan, day_volume, definition, weekly_done
from coach.store.accounts import Identity
from coach.store.ratings import patient_ratings
from coach.store.store import LINK_LOGIN_TTL, Store, aware
from scoring.words import said
from web import access
from web.audit import audited, note_identity, note_patient
from web.routes.checkin_form import Refused, checkin_context
from web.routes.deps import IdentityDep, StoreDep
from web.routes.pages import exercise_names, render
from web.routes.ratings import pain_context
from web.routes.rights import after_sign_in, needs_consent
from web.routes.site import link_ended_page

router = APIRouter()
WEEKS_SHOWN = 4  # /me's weeks, from the patient's first day at the earliest


@router.get("/p/{token}", include_in_schema=False, response_model=None)
@audited("sign_in.link")
def personal_link(request: Request, token: str, store: StoreDep) -> Response:
    link = store.resolve_link(token)
    if link is None:
        return link_ended_page(request)  # a styled page: what happened, what to do
    login_token = store.start_login(patient_id=link.patient_id, link_id=link.id)
    note_identity(request, store.identity(login_token))
    note_patient(request, store.audit_ref(link.patient_id))
    # The first time (and after the consent text changed): the consent screen first.
    resp = RedirectResponse(after_sign_in(store, link.patient_id), status_code=303)
    access.set_login_cookie(resp, request, login_token, int(LINK_LOGIN_TTL.total_seconds()))
    return resp


def start_url(exercise_id: str) -> str:
    """The live page, opened on the exercise and started at once."""
    return f"/?exercise={quote(exercise_id)}&autostart=1"


def _amount(plan: DailyPlan) -> str:
    return amount_words(plan.sets, plan.reps, plan.hold_s, plan.targets)


def _program_rows(
    program: list[Any], sessions: list[Any], names: dict[str, str]
) -> list[dict[str, Any]]:
    """One card per program row: what to do, in words, and how much of it is done today."""
    today = datetime.now(timezone.utc).date()
    rows = []
    for item in program:
        ex = definition(item.exercise_id)
        plan = DailyPlan.of(item, ex)
        rows.append(
            {
                "item": item,
                "name": names.get(item.exercise_id, item.exercise_id),
                "instructions": ex.instructions if ex is not None else "",
                "amount": _amount(plan),
                "days": days_words(item.days_per_week),
                "limit": limit_words(ex, item.max_rom_deg) if plan.targets == 0 else "",
                "today": day_volume(sessions, plan, today),
                "start": start_url(item.exercise_id),
                "known": ex is not None,
                # Exercises have a stick-figure demonstration; a targets task is drawn live.
                "demo": ex is not None and getattr(ex, "kind", "") != "targets",
            }
        )
    return rows


@router.get("/me", include_in_schema=False)
@audited("me.view")
def me(request: Request, who: IdentityDep, store: StoreDep) -> Response:
    if who.patient_id is None:
        return RedirectResponse("/therapist", status_code=303)
    return me_page(request, who, store)


def me_page(
    request: Request, who: Identity, store: Store, refused: Refused | None = None
) -> Response:
    """/me for a signed-in patient; with `refused`, their check-in shown again as they sent it
    and why it was not saved (400)."""
    assert who.patient_id is not None
    patient = access.patient_for(store, who, who.patient_id)
    note_patient(request, patient.audit_ref)
    consent = store.consent(patient.id)  # not answered yet: /me asks first (_consent_notice)
    sessions = store.sessions_of(patient.id)
    program = store.program(patient.id)
    names = exercise_names()
    rows = _program_rows(program, sessions, names)
    plans = [DailyPlan.of(r["item"], definition(r["item"].exercise_id)) for r in rows]
    weeks = weekly_done(sessions, plans, weeks=WEEKS_SHOWN, since=record_start(patient, sessions))
    this_week = weeks[-1].start
    week_sessions = [s for s in sessions if aware(s.started_at).date() >= this_week]
    # The patient should know when their reps are compared with their own good ones.
    referenced = {row.exercise_id: row for row in store.references_of(patient.id)}
    page = render(
        request,
        "me.html",
        who,
        patient=patient,
        rows=rows,
        first_open=next((r for r in rows if r["known"] and not r["today"].complete), None),
        weeks=weeks,
        week_reps=sum(len(s.reps) for s in week_sessions),
        week_holds=sum(len(s.holds) for s in week_sessions),
        recent=sessions[:5],
        names=names,
        referenced=referenced,
        pain=pain_context(store, patient.id),
        targets_week=touched_this_week(sessions),
        consent=consent,
        ask_consent=needs_consent(consent),
        checkin=checkin_context(store, patient.id, request, refused),
    )
    if refused is not None:
        page.status_code = 400
    return page


@router.get("/api/me/program")
@audited("me.program")
def my_program(request: Request, store: StoreDep) -> list[dict[str, Any]]:
    """The signed-in patient's program (exercise ids in order, with the prescription) for the
    picker; an empty list for anyone else, so the anonymous picker needs no special case."""
    who = access.identity_of(store, request)
    if who is None or who.patient_id is None:
        return []
    note_identity(request, who)
    note_patient(request, who.audit_ref)
    plans = [DailyPlan.of(it, definition(it.exercise_id)) for it in store.program(who.patient_id)]
    return [
        {
            "exercise_id": it.exercise_id,
            "sets": it.sets,
            "reps": it.reps,
            "hold_s": it.hold_s,
            "targets": it.targets,
            "amount": _amount(it),
            **said(amount=_amount(it)),  # its id and parameters, for the page's language
        }
        for it in plans
    ]


def _rated_today(store: Store, patient_id: int) -> set[str]:
    """The kinds of rating ("pain_before", "pain_after", ...) the patient gave today (UTC)."""
    today = datetime.now(timezone.utc).date()
    return {
        r.kind
        for r in patient_ratings(store, patient_id)
        if aware(r.created_at).astimezone(timezone.utc).date() == today
    }


@router.get("/api/me/today")
@audited("me.today")
def my_day(request: Request, store: StoreDep) -> dict[str, Any]:
    """The signed-in patient's day, for the live page: what of the program is done, the next
    exercise to start, and whether pain is still to be asked (once before the day's first
    exercise, once after its last). Anyone else: {"patient": false}."""
    who = access.identity_of(store, request)
    if who is None or who.patient_id is None:
        return {"patient": False}
    note_identity(request, who)
    note_patient(request, who.audit_ref)
    sessions = store.sessions_of(who.patient_id)
    names = exercise_names()
    today = datetime.now(timezone.utc).date()
    rows = []
    for item in store.program(who.patient_id):
        ex = definition(item.exercise_id)
        plan = DailyPlan.of(item, ex)
        vol = day_volume(sessions, plan, today)
        rows.append(
            {
                "exercise_id": item.exercise_id,
                "name": names.get(item.exercise_id, item.exercise_id),
                "amount": _amount(plan),
                **said(amount=_amount(plan)),
                "done": vol.complete,
                "known": ex is not None,
                "start": start_url(item.exercise_id),
            }
        )
    todo = [r for r in rows if r["known"] and not r["done"]]
    day_done = bool(rows) and not todo
    rated = _rated_today(store, who.patient_id)
    keeps = store.may_record(who.patient_id)  # a patient who said no is asked nothing to keep
    return {
        "patient": True,
        "program": rows,
        "next": todo[0] if todo else None,
        "day_done": day_done,
        "ask_pain_before": keeps and "pain_before" not in rated,
        # After the day's last exercise (or every session, without a program), once.
        "ask_pain_after": keeps and "pain_after" not in rated and (day_done or not rows),
    }
