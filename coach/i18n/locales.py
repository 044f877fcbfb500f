"""The languages Coach speaks, and choosing one for a reader.

Adding a language is a row here and a catalog (docs/I18N.md); `tests/coach/test_i18n.py`
checks that every row has a complete catalog and every catalog a row. `review` is what is
known of the translation's quality, shown in docs/I18N.md and `python -m coach.i18n status`.

The pseudo-locale (`en-XA`: every message accented, 40% longer and bracketed, made from the
template, never written by hand) is for tests: it shows any word that does not come from a
catalog and any box too small for a longer language. It is offered only where asked for
(`COACH_PSEUDO_LOCALE=1`, or `pseudo=True`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    """`code`: the BCP 47 tag (the catalog's folder, `<html lang>`); `name`: in the language
    itself, for the therapist's choice; `english`: its English name; `rtl`: written right to
    left; `review`: the translation's review status; `babel`: the locale Babel formats
    numbers and dates with."""

    code: str
    name: str
    english: str
    review: str
    rtl: bool = False
    babel: str = ""

    @property
    def dir(self) -> str:
        return "rtl" if self.rtl else "ltr"

    @property
    def formats(self) -> str:
        """The Babel locale of numbers, dates and plural rules."""
        return self.babel or self.code.replace("-", "_")


SOURCE = "source text (the message ids themselves)"
MACHINE = "machine-quality, needs a native reviewer"

ENGLISH = Language("en", "English", "English", SOURCE, babel="en_GB")  # "5 March"
LANGUAGES: tuple[Language, ...] = (
    ENGLISH,
    Language("es", "Español", "Spanish", MACHINE),
    Language("fr", "Français", "French", MACHINE),
    Language("de", "Deutsch", "German", MACHINE),
    Language("ar", "العربية", "Arabic", MACHINE, rtl=True),
)
PSEUDO = Language("en-XA", "[Ƥšéûđö]", "Pseudo-locale", "generated for tests", babel="en_GB")

_BY_CODE = {lang.code: lang for lang in LANGUAGES}
_TAG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")


def pseudo_enabled() -> bool:
    return os.environ.get("COACH_PSEUDO_LOCALE", "") == "1"


def language(code: str | None, pseudo: bool = False) -> Language | None:
    """The language of a tag ("es", "es-MX" -> Spanish), None when Coach has none."""
    if not code:
        return None
    code = code.strip().replace("_", "-")
    if pseudo and code.lower() == PSEUDO.code.lower():
        return PSEUDO
    return _BY_CODE.get(code.lower()) or _BY_CODE.get(code.split("-")[0].lower())


def accept_language(header: str) -> list[str]:
    """The tags of an Accept-Language header, most wanted first (q=0 left out). Written here:
    neither Babel nor Starlette parses the header."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")[:32]):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*" or not _TAG.match(tag):
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            ranked.append((-q, i, tag))
    return [tag for _, _, tag in sorted(ranked)]


def negotiate(header: str | None, pseudo: bool = False) -> Language:
    """The reader's language from their browser's Accept-Language; English when none fits."""
    for tag in accept_language(header or ""):
        found = language(tag, pseudo)
        if found is not None:
            return found
    return ENGLISH
