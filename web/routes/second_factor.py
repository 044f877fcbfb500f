"""Two-factor sign-in for therapists (coach/store/second_factor.py): the code step after the
password, and the page that sets a second factor up, makes new recovery codes or turns it off.

- After a right password, a therapist with a second factor gets a sign-in that signs in as
  no one yet (`stage` "code", 5 minutes) and the code form (/login/code); an admin without
  one gets one at stage "enrol" and the set-up page: admins must have a second factor.
- Every code typed (sign-in, set-up, new recovery codes, turning it off) goes through the
  sign-in limiter first (`LoginLimiter.reserve_code`): per (username, address), per address,
  and per username from every address.
- The set-up page shows the secret as a QR code (segno) and as text, and takes a first code
  from the app; the recovery codes are shown once, then only their hashes are kept.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from coach.store import Store
from coach.store.models import User
from coach.store.store import LOGIN_TTL
from coach.store.users import PENDING_TTL
from scoring.words import Say, say
from web import access
from web.audit import audited, note_of
from web.body_limits import LOGIN_BYTES, body_limit
from web.i18n import reader_of
from web.qr import qr_svg
from web.routes.deps import LimiterDep, StoreDep
from web.routes.pages import render

router = APIRouter()
WRONG_CODE = say(
    "That code is not right (or was used already). Type the 6 digits your app shows now."
)


def safe_next(next: str) -> str:
    """Where to go after signing in: a path of this site only (never `//other.site`)."""
    return next if next.startswith("/") and not next.startswith("//") else ""


def begin_second_step(
    request: Request, store: Store, user_id: int, stage: str, next: str
) -> RedirectResponse:
    """The password was right: a sign-in waiting for the second factor, and its page."""
    token = store.start_login(user_id=user_id, stage=stage)
    page = "/login/code" if stage == "code" else "/account/second-factor"
    query = f"?next={quote(safe_next(next))}" if safe_next(next) else ""
    resp = RedirectResponse(page + query, status_code=303)
    access.set_login_cookie(resp, request, token, int(PENDING_TTL.total_seconds()))
    return resp


def _signed_in(request: Request, store: Store, token: str, user_id: int, next: str) -> Response:
    """The second factor is done: the full sign-in replaces the waiting one."""
    full = store.finish_login(token, user_id)
    resp = RedirectResponse(safe_next(next) or "/therapist", status_code=303)
    access.set_login_cookie(resp, request, full, int(LOGIN_TTL.total_seconds()))
    return resp


def _refused(request: Request, template: str, status: int, error: str, **ctx: Any) -> Response:
    page = render(request, template, None, error=error, **ctx)
    page.status_code = status
    if status == 429:
        page.headers["Retry-After"] = str(ctx.get("retry_after", 60))
    return page


def _wait_words(wait: float) -> Say:
    return say("Too many wrong codes. Try again in {when}.", when=access.wait_in_words(wait))


# ---- the code step ---------------------------------------------------------------------------
@router.get("/login/code", include_in_schema=False, response_model=None)
def code_page(request: Request, store: StoreDep, next: str = "") -> Response:
    if store.pending_login(request.cookies.get(access.COOKIE), "code") is None:
        return RedirectResponse("/login", status_code=303)  # none waiting, or too late
    return render(request, "login_code.html", None, error=None, next=safe_next(next))


@router.post(
    "/login/code",
    include_in_schema=False,
    response_model=None,
    form_limits={"max_fields": 8, "max_part_size": 4096},
)
@body_limit(LOGIN_BYTES)
@audited("sign_in.second_factor")
def code_step(
    request: Request,
    store: StoreDep,
    limiter: LimiterDep,
    code: str = Form(""),
    next: str = Form(""),
) -> Response:
    token = request.cookies.get(access.COOKIE) or ""
    user = store.pending_login(token, "code")
    if user is None:
        return RedirectResponse("/login", status_code=303)
    note = note_of(request)
    note.actor = f"user:{user.id}"
    address = access.client_address(request)
    wait = limiter.reserve_code(user.username, address)
    if wait > 0:
        ctx = {"next": safe_next(next), "retry_after": math.ceil(wait)}
        return _refused(request, "login_code.html", 429, _wait_words(wait), **ctx)
    kind = store.check_second_factor(user.id, code)
    if kind is None:
        return _refused(request, "login_code.html", 401, WRONG_CODE, next=safe_next(next))
    limiter.code_succeeded(user.username, address, after_password=True)
    note.subject = "recovery code" if kind == "recovery" else "app code"
    return _signed_in(request, store, token, user.id, next)


# ---- setting it up, new recovery codes, turning it off ---------------------------------------
def _account(request: Request, store: Store) -> tuple[User, str | None]:
    """The therapist on the set-up page and, for an admin signing in who must set one up
    first, their waiting sign-in's token (None: signed in already)."""
    who = access.identity_of(store, request)
    if who is not None:
        user = store.user(who.user_id) if who.is_therapist and who.user_id else None
        if user is None:
            raise HTTPException(403, "A second factor is for therapists' accounts.")
        note_of(request).actor = f"user:{user.id}"
        return user, None
    token = request.cookies.get(access.COOKIE) or ""
    user = store.pending_login(token, "enrol")
    if user is None:
        raise access.NotSignedIn()
    note_of(request).actor = f"user:{user.id}"
    return user, token


def _factor_page(
    request: Request, store: Store, user: User, pending: str | None, **ctx: Any
) -> HTMLResponse:
    status = store.factor_status(user.id)
    enrol = None if status.on else store.start_enrolment(user.id)
    words = reader_of(request)
    return render(
        request,
        "second_factor.html",
        None if pending else access.identity_of(store, request),
        user=user,
        status=status,
        secret=" ".join(enrol.secret[i : i + 4] for i in range(0, len(enrol.secret), 4))
        if enrol
        else "",
        qr=qr_svg(enrol.uri, words.gettext("QR code to scan with your authenticator app"))
        if enrol
        else "",
        required=user.is_admin,
        pending=pending is not None,
        next=safe_next(str(ctx.pop("next", ""))),
        error=ctx.pop("error", None),
        **ctx,
    )


@router.get("/account/second-factor", include_in_schema=False)
def factor_page(request: Request, store: StoreDep, next: str = "") -> HTMLResponse:
    user, pending = _account(request, store)
    return _factor_page(request, store, user, pending, next=next)


def _code_checked(
    request: Request, store: Store, limiter: Any, user: User, pending: str | None, check: Any
) -> tuple[Any, Response | None]:
    """Run `check()` (a code's check) behind the limiter: its result, or the page refusing."""
    address = access.client_address(request)
    wait = limiter.reserve_code(user.username, address)
    if wait > 0:
        page = _factor_page(request, store, user, pending, error=_wait_words(wait))
        page.status_code = 429
        page.headers["Retry-After"] = str(math.ceil(wait))
        return None, page
    result = check()
    if not result:
        page = _factor_page(request, store, user, pending, error=WRONG_CODE)
        page.status_code = 401
        return None, page
    limiter.code_succeeded(user.username, address, after_password=pending is not None)
    return result, None


@router.post(
    "/account/second-factor",
    include_in_schema=False,
    response_model=None,
    form_limits={"max_fields": 8, "max_part_size": 4096},
)
@body_limit(LOGIN_BYTES)
@audited("account.second_factor.on")
def confirm(
    request: Request,
    store: StoreDep,
    limiter: LimiterDep,
    code: str = Form(""),
    next: str = Form(""),
) -> Response:
    """The first code from the app turns the second factor on: the recovery codes, once."""
    user, pending = _account(request, store)
    codes, refusal = _code_checked(
        request, store, limiter, user, pending, lambda: store.confirm_enrolment(user.id, code)
    )
    if refusal is not None:
        return refusal
    resp = render(request, "recovery_codes.html", None, codes=codes, next=safe_next(next))
    if pending is not None:  # an admin signing in: signed in now
        full = store.finish_login(pending, user.id)
        access.set_login_cookie(resp, request, full, int(LOGIN_TTL.total_seconds()))
    return resp


@router.post(
    "/account/second-factor/recovery-codes",
    include_in_schema=False,
    response_model=None,
    form_limits={"max_fields": 8, "max_part_size": 4096},
)
@body_limit(LOGIN_BYTES)
@audited("account.second_factor.recovery_codes")
def new_codes(
    request: Request, store: StoreDep, limiter: LimiterDep, code: str = Form("")
) -> Response:
    """New recovery codes (the old ones stop working), for a code from the app."""
    user, pending = _account(request, store)
    if pending is not None:
        raise access.NotSignedIn()
    _, refusal = _code_checked(
        request, store, limiter, user, None, lambda: store.check_second_factor(user.id, code)
    )
    if refusal is not None:
        return refusal
    codes = store.new_recovery_codes(user.id)
    return render(request, "recovery_codes.html", None, codes=codes, next="")


@router.post(
    "/account/second-factor/off",
    include_in_schema=False,
    response_model=None,
    form_limits={"max_fields": 8, "max_part_size": 4096},
)
@body_limit(LOGIN_BYTES)
@audited("account.second_factor.off")
def turn_off(
    request: Request, store: StoreDep, limiter: LimiterDep, code: str = Form("")
) -> Response:
    """A therapist turns their second factor off (with a code); an admin may not."""
    user, pending = _account(request, store)
    if pending is not None:
        raise access.NotSignedIn()
    if user.is_admin:
        raise HTTPException(403, "Administrators must keep a second factor.")
    _, refusal = _code_checked(
        request, store, limiter, user, None, lambda: store.check_second_factor(user.id, code)
    )
    if refusal is not None:
        return refusal
    store.reset_second_factor(user.id, end_sign_ins=False)
    return RedirectResponse("/account/second-factor", status_code=303)
