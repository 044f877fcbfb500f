"""Sign-in and sign-out with a password, behind growing delays per (username, address) and per
address (web/access.py `LoginLimiter`: an attempt is counted before its password is checked,
so simultaneous attempts cannot slip past the count). The form is small and bounded before it
is read (web/body_limits.py)."""

from __future__ import annotations

import math

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from coach.store.store import LOGIN_TTL
from scoring.words import say
from web import access
from web.body_limits import LOGIN_BYTES, body_limit
from web.routes.deps import LimiterDep, StoreDep
from web.routes.pages import render

router = APIRouter()


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
    if wait > 0:
        when = (
            say("{seconds} s", seconds=math.ceil(wait))
            if wait < 60
            else say("{minutes} min", minutes=math.ceil(wait / 60))
        )
        resp: Response = render(
            request,
            "login.html",
            None,
            error=say("Too many failed attempts. Try again in {when}.", when=when),
            next=next,
            username=username.strip(),
        )
        resp.status_code = 429
        resp.headers["Retry-After"] = str(math.ceil(wait))
        return resp
    user = store.authenticate(username, password)
    if user is None:
        resp = render(
            request,
            "login.html",
            None,
            error=say("Wrong username or password."),
            next=next,
            username=username.strip(),
        )
        resp.status_code = 401
        return resp
    limiter.succeeded(username, address)
    token = store.start_login(user_id=user.id)
    home = "/therapist" if user.role == "therapist" else "/me"
    target = next if next.startswith("/") and not next.startswith("//") else home
    resp = RedirectResponse(target, status_code=303)
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
