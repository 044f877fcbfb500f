"""Words for one reader in their language: messages from the catalogs, numbers, dates and
lists by the locale (Babel). The edge of every output (pages, reports, the terminal) renders
through a `Reader`; nothing below it chooses a language.

Placeholders are `{name}`, in Python, the templates and the page alike (scoring.words.fill:
never `str.format`, so a translation cannot reach attributes). A parameter that is a number is
formatted by the locale, a `Say` is rendered in turn, a tuple of them becomes the locale's
list ("a, b y c").
"""

from __future__ import annotations

import math
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime, format_skeleton
from babel.lists import format_list
from babel.numbers import format_decimal
from markupsafe import Markup, escape

from coach.i18n.catalogs import Messages, messages
from coach.i18n.locales import ENGLISH, PSEUDO, Language
from coach.i18n.pseudo import pseudo
from scoring.words import Say, fill


class Day(str):
    """A day as a message's parameter: its English words ("05 Dec") as the text, rendered
    by each reader as its locale's day and month (`Reader.short_day`)."""

    day: date

    def __new__(cls, day: date) -> Day:
        obj = super().__new__(cls, f"{day:%d %b}")
        obj.day = day
        return obj


class Reader:
    """Renders messages for one language. `gettext`, `ngettext` and `pgettext` are the
    extraction keywords (coach/i18n/extract.py): their literal arguments are message ids."""

    def __init__(self, lang: Language, catalog: Messages) -> None:
        self.language = lang
        self._messages = catalog
        self._locale = Locale.parse(lang.formats)

    @property
    def lang(self) -> str:
        return self.language.code

    @property
    def dir(self) -> str:
        return self.language.dir

    # ---- messages --------------------------------------------------------------------------
    def gettext(self, msgid: str, **params: Any) -> str:
        return self._fill(self._messages.singular.get(("", msgid), msgid), params)

    def pgettext(self, context: str, msgid: str, **params: Any) -> str:
        return self._fill(self._messages.singular.get((context, msgid), msgid), params)

    def ngettext(self, singular: str, plural: str, n: int, **params: Any) -> str:
        return self._plural("", singular, plural, n, params)

    def npgettext(self, context: str, singular: str, plural: str, n: int, **params: Any) -> str:
        return self._plural(context, singular, plural, n, params)

    def say(self, message: str) -> str:
        """A message of scoring.words (a `Say`), or a plain string taken as a message id:
        a stored English sentence is found in the catalog; one that is not (a therapist's own
        definition) is said in its own words."""
        if not isinstance(message, Say):
            return self.gettext(message) if message else ""
        n = message.param("n")
        if message.plural and isinstance(n, int):
            return self._plural(message.context, message.id, message.plural, n, message.params)
        return self.pgettext(message.context, message.id, **dict(message.params))

    def _plural(self, context: str, singular: str, plural: str, n: int, params: Any) -> str:
        forms = self._messages.plural.get((context, singular))
        category = self._locale.plural_form(abs(n))
        if forms:
            text = forms.get(category) or forms.get("other") or singular
        else:
            text = singular if n == 1 else plural
        return self._fill(text, {"n": n, **dict(params)})

    def _fill(self, text: str, params: Any) -> str:
        if not params:
            return text
        return fill(text, {k: self._param(v) for k, v in dict(params).items()})

    def _param(self, value: Any) -> str:
        if isinstance(value, Day):
            return self.short_day(value.day)
        if isinstance(value, Say):
            return self.say(value)
        if isinstance(value, tuple | list):
            return self.list([self._param(v) for v in value])
        if isinstance(value, bool) or not isinstance(value, int | float):
            return str(value)
        return self.number(value)

    def in_sentence(self, name: str) -> str:
        """An exercise's name inside a sentence ("Start squat"): lower-cased where the
        language does so (the translator's switch; web/static/i18n.js `inSentence` alike)."""
        switch = self.pgettext("lower-case exercise names inside a sentence: yes or no", "yes")
        return name if switch == "no" else name.lower()

    # ---- numbers, dates, lists -------------------------------------------------------------
    def number(self, value: float | None, digits: int | None = None) -> str:
        """`value` in the locale's digits and separators: to `digits` decimals, or up to 3
        (none for a whole number); "–" for nothing measured."""
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return "–"
        if digits is None:
            return format_decimal(value, locale=self._locale)
        pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
        return format_decimal(round(value, digits), format=pattern, locale=self._locale)

    def short_day(self, value: date) -> str:
        """A day and month as the charts and lists show it: "05 Dec" in English (as ever), the
        locale's own order and words in the others ("5 dic", "5. Dez.")."""
        if self.language is ENGLISH:
            return f"{value:%d %b}"
        return self.date(value, "MMMd")

    def weekday(self, weekday: int) -> str:
        """A weekday's name (Monday = 0) as the locale says it inside a sentence: "Monday",
        "lunes", "Montag" (Babel's CLDR data, not a hand list)."""
        return self._words(self._locale.days["format"]["wide"][weekday])

    def list(self, items: list[str]) -> str:
        return format_list(items, locale=self._locale) if items else ""

    def date(self, value: date | datetime, format: str = "medium") -> str:  # noqa: A002
        """A day: "medium" (5 Mar 2026), "long", "full", a CLDR skeleton ("MMMMd": the
        locale's own order and words, "5 March", "5 de marzo") or a pattern ("d MMMM")."""
        day = value.date() if isinstance(value, datetime) else value
        if format.isalpha() and format not in ("short", "medium", "long", "full"):
            moment = datetime(day.year, day.month, day.day)
            return self._words(format_skeleton(format, moment, locale=self._locale))
        return self._words(format_date(day, format=format, locale=self._locale))

    def datetime(self, value: datetime, format: str = "medium") -> str:  # noqa: A002
        """A moment in its own time zone: "medium", or a CLDR pattern ("d MMM HH:mm")."""
        return self._words(
            format_datetime(value, format=format, tzinfo=value.tzinfo, locale=self._locale)
        )

    def _words(self, text: str) -> str:
        """A date's words (a month's name) as the catalogs' words: pseudo-localised in the
        pseudo-locale, so a date does not read as a word that escaped the catalogs."""
        return pseudo(text) if self.language is PSEUDO else text

    # ---- for templates ---------------------------------------------------------------------
    def markup(self, msgid: str, **params: Any) -> Markup:
        """A message that carries markup (a template's `<strong>`): the translation is trusted,
        as the template is, and every parameter escaped."""
        text = self._messages.singular.get(("", msgid), msgid)
        values = {
            k: str(v) if isinstance(v, Markup) else str(escape(self._param(v)))
            for k, v in params.items()
        }
        return Markup(fill(text, values))


@lru_cache(maxsize=16)
def reader(code: str = "en") -> Reader:
    """The reader of a language code of coach.i18n.locales (English for one Coach lacks)."""
    from coach.i18n.locales import PSEUDO, language

    lang = PSEUDO if code == PSEUDO.code else (language(code) or ENGLISH)
    return Reader(lang, messages(lang.code))
