"""The patient's own pages: the personal link that signs them in, and /me."""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from coach.store.store import LINK_LOGIN_TTL, aware
from web import access
from web.routes.deps import IdentityDep, StoreDep
from web.routes.pages import patient_context, render

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


@router.get("/me", include_in_schema=False)
def me(request: Request, who: IdentityDep, store: StoreDep) -> HTMLResponse:
    if who.patient_id is None:
        return RedirectResponse("/therapist", status_code=303)  # type: ignore[return-value]
    patient = access.patient_for(store, who, who.patient_id)
    ctx = patient_context(store, patient)
    today = datetime.now(timezone.utc).date()
    done_today = {s.exercise_id for s in ctx["sessions"] if aware(s.started_at).date() == today}
    # The patient should know when their reps are compared with their own good ones.
    referenced = {row.exercise_id: row for row in store.references_of(patient.id)}
    return render(request, "me.html", who, **ctx, done_today=done_today, referenced=referenced)
