"""A refused form, in a page: a browser that posts a form (a therapist's program, a new
patient) and is refused gets the reason on a Coach page with a way back, not the API's JSON.
Scripts and the JSON API (no `text/html` in Accept) keep `{"detail": ...}` as before."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from web import access


def _from_a_form(request: Request) -> bool:
    return (
        request.method == "POST"
        and not request.url.path.startswith("/api/")
        and "text/html" in request.headers.get("accept", "")
    )


def _back_to(request: Request) -> str:
    """Where the form was: the Referer's path on this site, else the start page."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc and referer.netloc != request.url.netloc:
        return "/"
    path = referer.path if referer.path.startswith("/") else "/"
    return path + (f"?{referer.query}" if referer.query else "")


async def refused_form(request: Request, exc: Exception) -> Response:
    from web.routes.pages import render

    assert isinstance(exc, HTTPException)
    if not _from_a_form(request) or exc.status_code >= 500:
        return await http_exception_handler(request, exc)
    who = access.identity_of(request.app.state.store, request)
    page = render(request, "form_error.html", who, reason=str(exc.detail), back=_back_to(request))
    page.status_code = exc.status_code
    return page


def show_refused_forms(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, refused_form)
