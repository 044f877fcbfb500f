"""Coach in the reader's language (issue 23, docs/I18N.md): the languages, their gettext
catalogs (managed with Babel), and the `Reader` that renders messages, numbers and dates for
one of them. The engine's messages are ids and parameters (scoring.words); the edges (pages,
reports, the terminal) render them here."""

from coach.i18n.locales import ENGLISH, LANGUAGES, PSEUDO, Language, language, negotiate
from coach.i18n.reader import Day, Reader, reader

__all__ = [
    "ENGLISH",
    "Day",
    "LANGUAGES",
    "PSEUDO",
    "Language",
    "Reader",
    "language",
    "negotiate",
    "reader",
]
