"""The patient's own pages: the personal link that signs them in, /me, and their program for
the picker (/api/me/program).

/me is for an older patient on a phone or a laptop: large type, a big Start per exercise, the
prescription in words (coach.review.plain, never degrees), "done today" against the prescribed
volume (coach.review.volume), and a plain week-by-week view instead of the therapist's charts.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from coach.review.plain import amount_words, days_words, limit_words
from coach.review.targets_progress import touched_this_week
from coach.review.volume import DailyPlan, day_volume, weekly_done
from coach.store.store import LINK_LOGIN_TTL, aware
from web import access
from web.routes.checkins import checkin_context
from web.routes.deps import IdentityDep, StoreDep
from web.routes.pages import exercise_names, load_exercise, render
from web.routes.ratings import pain_context

router = APIRouter()


@router.get("/p/{token}", include_in_schema=False, response_model=None)
def personal_link(request: Request, token: str, store: StoreDep) -> Response:
    link = store.resolve_link(token)
    if link is None:
        return HTMLResponse(
            "<h1>This link no longer works</h1><p>Ask your therapist for a new one.</p>",
            status_code=404,
        )
    login_token = store.start_login(patient_id=link.patient_id, link_id=link.id)
    resp = RedirectResponse("/me", status_code=303)
    access.set_login_cookie(resp, request, login_token, int(LINK_LOGIN_TTL.total_seconds()))
    return resp


def _program_rows(
    program: list[Any], sessions: list[Any], names: dict[str, str]
) -> list[dict[str, Any]]:
    """One card per program row: what to do, in words, and how much of it is done today."""
    today = datetime.now(timezone.utc).date()
    rows = []
    for item in program:
        ex = load_exercise(item.exercise_id)
        plan = DailyPlan.of(item, ex)
        vol = day_volume(sessions, plan, today)
        rows.append(
            {
                "item": item,
                "name": names.get(item.exercise_id, item.exercise_id),
                "instructions": ex.instructions if ex is not None else "",
                "amount": amount_words(plan.sets, plan.reps, plan.hold_s),
                "days": days_words(item.days_per_week),
                "limit": limit_words(ex, item.max_rom_deg),
                "today": vol,
                "start": f"/?exercise={quote(item.exercise_id)}&autostart=1",
                "known": ex is not None,
            }
        )
    return rows


@router.get("/me", include_in_schema=False)
def me(request: Request, who: IdentityDep, store: StoreDep) -> Response:
    if who.patient_id is None:
        return RedirectResponse("/therapist", status_code=303)
    patient = access.patient_for(store, who, who.patient_id)
    sessions = store.sessions_of(patient.id)
    program = store.program(patient.id)
    names = exercise_names()
    plans = [DailyPlan.of(item, load_exercise(item.exercise_id)) for item in program]
    weeks = weekly_done(sessions, plans)
    this_week = weeks[-1].start
    week_sessions = [s for s in sessions if aware(s.started_at).date() >= this_week]
    # The patient should know when their reps are compared with their own good ones.
    referenced = {row.exercise_id: row for row in store.references_of(patient.id)}
    return render(
        request,
        "me.html",
        who,
        patient=patient,
        rows=_program_rows(program, sessions, names),
        weeks=weeks,
        week_reps=sum(len(s.reps) for s in week_sessions),
        week_holds=sum(len(s.holds) for s in week_sessions),
        recent=sessions[:5],
        names=names,
        referenced=referenced,
        pain=pain_context(store, patient.id),
        targets_week=touched_this_week(sessions),
        checkin=checkin_context(store, patient.id, request),
    )


@router.get("/api/me/program")
def my_program(request: Request, store: StoreDep) -> list[dict[str, Any]]:
    """The signed-in patient's program (exercise ids in order, with the prescription) for the
    picker; an empty list for anyone else, so the anonymous picker needs no special case."""
    who = access.identity_of(store, request)
    if who is None or who.patient_id is None:
        return []
    plans = [
        DailyPlan.of(it, load_exercise(it.exercise_id)) for it in store.program(who.patient_id)
    ]
    return [
        {
            "exercise_id": it.exercise_id,
            "sets": it.sets,
            "reps": it.reps,
            "hold_s": it.hold_s,
            "amount": amount_words(it.sets, it.reps, it.hold_s),
        }
        for it in plans
    ]
