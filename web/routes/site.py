"""Pages of the site itself: /favicon.ico (browsers ask for it on every page) and the page a
patient sees when their personal link no longer works (revoked, or never valid)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from web.i18n import VARY_BY_READER, reader_of, words_for

router = APIRouter()

FAVICON = Path(__file__).resolve().parent.parent / "static" / "favicon.ico"
TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "review"


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> FileResponse:
    return FileResponse(
        FAVICON, media_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"}
    )


def link_ended_page(request: Request, status_code: int = 404) -> HTMLResponse:
    """The styled page for a personal link that no longer works: what happened, what to do.
    Rendered without a store's templates too (the live side has none)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape())
    words = words_for(reader_of(request))  # the browser's language (web/i18n.py)
    html = env.get_template("link_ended.html").render(who=None, request=request, **words)
    headers = {"Cache-Control": "no-store", "Vary": VARY_BY_READER}
    return HTMLResponse(html, status_code=status_code, headers=headers)


@router.get("/link-ended", include_in_schema=False)
def link_ended(request: Request) -> HTMLResponse:
    """Where a browser signed in by a since-revoked link is sent (web/app.py)."""
    return link_ended_page(request, status_code=200)
