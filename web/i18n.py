"""Each page in its reader's language (docs/I18N.md): which language a request gets, what the
templates get to render in it, and the catalogs compiled for the page.

A signed-in patient reads the language their therapist chose for them; anyone else (a
therapist, an anonymous try-out, a patient with none chosen) the browser's Accept-Language.
A page made for a patient but read by the therapist (the printed handout) passes the
patient's language explicitly. Every template gets `lang` and `dir` for its `<html>`, the
reader's `_`, `ngettext`, `pgettext`, `_html` (a message with markup) and `say` (a
scoring.words message, or a stored English sentence), and `i18n`, the `Reader` itself
(numbers, dates).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from markupsafe import escape

from coach.i18n import LANGUAGES, Language, Reader, language, negotiate, reader
from coach.i18n.locales import PSEUDO, pseudo_enabled
from coach.i18n.page import page_catalog
from coach.store.accounts import Identity

router = APIRouter()
# A page's words depend on these request headers: a cache keeps one copy per language and
# per signed-in reader.
VARY_BY_READER = "Accept-Language, Cookie"


def language_of(request: Request, who: Identity | None = None) -> Language:
    """The request's language, decided once per request (`who`: the signed-in identity, when
    the caller has it; a patient's own choice comes first)."""
    chosen: Language | None = getattr(request.state, "language", None)
    if chosen is not None:
        return chosen
    found = None
    if who is not None and who.role == "patient" and who.language:
        found = language(who.language)
    if found is None:
        found = negotiate(request.headers.get("accept-language"), pseudo_enabled())
    request.state.language = found
    return found


def for_patient(request: Request, code: str | None) -> Language:
    """The request renders a page for a patient in their language (their therapist's choice,
    else the reader's browser), whoever reads it."""
    found = language(code) if code else None
    chosen = found or negotiate(request.headers.get("accept-language"), pseudo_enabled())
    request.state.language = chosen
    return chosen


def reader_of(request: Request, who: Identity | None = None) -> Reader:
    return reader(language_of(request, who).code)


def template_context(request: Request) -> dict[str, Any]:
    """The Jinja context processor of every template: the request's language and its words."""
    return words_for(reader_of(request))


class Words(str):
    """A message rendered for a template: escaped when the page shows it (as any text), but
    its apostrophes kept as they are, as the template's own words were written before they
    came from the catalogs ("the patient's", never "the patient&#39;s"). Safe: the templates
    quote their attributes with double quotes. Passed on as a parameter, it is plain text."""

    def __html__(self) -> str:
        return str(escape(str(self))).replace("&#39;", "'")


def _words(render: Callable[..., str]) -> Callable[..., Words]:
    return lambda *args, **params: Words(render(*args, **params))


def words_for(r: Reader) -> dict[str, Any]:
    """What a template renders a language with (`template_context`)."""
    gettext = _words(r.gettext)
    return {
        "lang": r.lang,
        "dir": r.dir,
        "i18n": r,
        "_": gettext,
        "gettext": gettext,
        "ngettext": _words(r.ngettext),
        "pgettext": _words(r.pgettext),
        "_html": r.markup,
        "say": _words(r.say),
        "in_sentence": r.in_sentence,
        "languages": LANGUAGES,
    }


def page_html(templates: Jinja2Templates, name: str, code: str = "en") -> str:
    """A page rendered outside a request, in `code` (a static copy: the JavaScript unit
    tests' live page)."""
    return templates.get_template(name).render(words_for(reader(code)))


def templates_at(*folders: str) -> Jinja2Templates:
    """Templates rendered in the request's language (`template_context`)."""
    return Jinja2Templates(directory=list(folders), context_processors=[template_context])


@router.get("/i18n/{code}.json", include_in_schema=False)
def catalog_for_page(code: str) -> Response:
    """A language's catalog compiled for the page (web/static/i18n.js)."""
    found = PSEUDO if code == PSEUDO.code and pseudo_enabled() else language(code)
    if found is None or found.code != code:
        raise HTTPException(404, "No catalog for this language.")
    return Response(
        page_catalog(found.code),
        media_type="application/json",
        headers={"Cache-Control": "no-cache"},
    )
