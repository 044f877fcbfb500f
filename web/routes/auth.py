"""Sign-in and sign-out with a password, behind growing delays per (username, address) and per
address (web/access.py `LoginLimiter`: an attempt is counted before its password is checked,
so simultaneous attempts cannot slip past the count). The form is small and bounded before it
is read (web/body_limits.py). A therapist with a second factor (and every admin) goes on to
its step (web/routes/second_factor.py) before the sign-in counts."""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from coach.store import Store
from coach.store.models import User
from coach.store.store import LOGIN_TTL
from scoring.words import say
from web import access
from web.audit import audited, note_identity, note_of
from web.body_limits import LOGIN_BYTES, body_limit
from web.routes.deps import LimiterDep, StoreDep
from web.routes.pages import render
from web.routes.second_factor import begin_second_step, safe_next

router = APIRouter()


def too_many(request: Request, template: str, wait: float, **ctx: Any) -> HTMLResponse:
    """A form answered 429: how long to wait, in words, and `Retry-After`."""
    words = say("Too many failed attempts. Try again in {when}.", when=access.wait_in_words(wait))
    resp = render(request, template, None, error=words, **ctx)
    resp.status_code = 429
    resp.headers["Retry-After"] = str(math.ceil(wait))
    return resp


def second_step(store: Store, user: User) -> str:
    """What a right password leads to: "" (signed in), "code" (a second factor is set up),
    "enrol" (an admin without one must set it up first). Patients have none."""
    if user.role != "therapist":
        return ""
    if store.factor_status(user.id).on:
        return "code"
    return "enrol" if user.is_admin else ""


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str = "") -> HTMLResponse:
    return render(request, "login.html", None, error=None, next=next, username="")


@router.post(
    "/login",
    include_in_schema=False,
    response_model=None,
    form_limits={"max_fields": 8, "max_part_size": 4096},
)
@body_limit(LOGIN_BYTES)
@audited("sign_in")
def login(
    request: Request,
    store: StoreDep,
    limiter: LimiterDep,
    username: str = Form(""),
    password: str = Form(""),
    next: str = Form(""),
) -> Response:
    address = access.client_address(request)
    wait = limiter.reserve(username, address)  # counted as a failure until it succeeds
    if wait > 0:  # not in the audit trail: nobody to name, and free to send
        return too_many(request, "login.html", wait, next=next, username=username.strip())
    user = store.authenticate(username, password)
    if user is None:
        note_of(request).actor = "anonymous"  # never the typed name: it may be anything
        resp: Response = render(
            request,
            "login.html",
            None,
            error=say("Wrong username or password."),
            next=next,
            username=username.strip(),
        )
        resp.status_code = 401
        return resp
    step = second_step(store, user)
    if step:  # the attempt stays counted until the second factor is right
        note_of(request).actor = f"user:{user.id}"
        note_of(request).subject = f"second factor: {step}"
        return begin_second_step(request, store, user.id, step, next)
    limiter.succeeded(username, address)
    token = store.start_login(user_id=user.id)
    note_identity(request, store.identity(token))
    home = "/therapist" if user.role == "therapist" else "/me"
    resp = RedirectResponse(safe_next(next) or home, status_code=303)
    access.set_login_cookie(resp, request, token, int(LOGIN_TTL.total_seconds()))
    return resp


@router.post("/logout", include_in_schema=False)
def logout(request: Request, store: StoreDep) -> RedirectResponse:
    token = request.cookies.get(access.COOKIE)
    if token:
        store.end_login(token)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(access.COOKIE, path="/")
    return resp
