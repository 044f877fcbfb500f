"""The message catalogs: gettext PO files managed with Babel, read once per process.

One catalog per language, `coach/i18n/locale/<code>/LC_MESSAGES/messages.po`, made from the
template `coach/i18n/messages.pot` that `python -m coach.i18n extract` writes from the sources
(coach/i18n/extract.py). The PO files are read as they are (Babel's `read_po`), not compiled
to `.mo`: nothing to rebuild or to forget to rebuild, and a few milliseconds per language at
the first page in that language.

Plural forms are kept by CLDR category ("one", "few", "other"...), the names the page's
`Intl.PluralRules` gives: each of the catalog's gettext forms (`Plural-Forms`) is matched to
the category CLDR gives the same numbers (`plural_categories`), so the server and the page
pick the same form.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from coach.i18n.locales import ENGLISH, PSEUDO, Language
from coach.i18n.pseudo import pseudo

HERE = Path(__file__).resolve().parent
LOCALE_DIR = HERE / "locale"
TEMPLATE = HERE / "messages.pot"
DOMAIN = "messages"
Key = tuple[str, str]  # (context, msgid); "" without a context


def po_path(code: str) -> Path:
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale, domain=DOMAIN)


@dataclass(frozen=True)
class Messages:
    """One language's translations: a message's text, or its plural forms by category.
    A message missing here is said in its source words (its id)."""

    language: Language
    singular: dict[Key, str]
    plural: dict[Key, dict[str, str]]


def plural_categories(catalog: Catalog, formats: str) -> dict[str, int]:
    """CLDR category -> the catalog's plural form index, from the numbers 0-1000 and a few
    large ones (where "many" differs): the two rules must agree on every one of them."""
    rule = gettext.c2py(catalog.plural_expr)
    cldr = Locale.parse(formats).plural_form
    out: dict[str, int] = {}
    for n in [*range(0, 1001), 1_000_000, 2_000_000]:
        category, index = cldr(n), rule(n)
        if out.setdefault(category, index) != index:
            raise ValueError(
                f"{formats}: the catalog's plural forms disagree with CLDR at n={n}"
                f" ({category}: form {out[category]} or {index})"
            )
    return out


def _key(msg_id: str | tuple[str, ...] | list[str], context: str | None) -> Key:
    return (context or "", msg_id if isinstance(msg_id, str) else msg_id[0])


@lru_cache(maxsize=16)
def messages(code: str) -> Messages:
    """The translations of `code` (a code of coach.i18n.locales), cached for the process."""
    if code == PSEUDO.code:
        return _pseudo_messages()
    from coach.i18n.locales import language

    lang = language(code) or ENGLISH
    path = po_path(lang.code)
    if not path.exists():
        return Messages(lang, {}, {})
    catalog = read_catalog(path, lang.formats)
    categories = plural_categories(catalog, lang.formats)
    singular: dict[Key, str] = {}
    plural: dict[Key, dict[str, str]] = {}
    for m in catalog:
        if not m.id or m.fuzzy:
            continue
        if m.pluralizable:
            forms = [str(f) for f in m.string] if isinstance(m.string, tuple | list) else []
            if forms and all(forms):
                plural[_key(m.id, m.context)] = {
                    c: forms[min(i, len(forms) - 1)] for c, i in categories.items()
                }
        elif isinstance(m.string, str) and m.string:
            singular[_key(m.id, m.context)] = m.string
    return Messages(lang, singular, plural)


def _pseudo_messages() -> Messages:
    """Every message of the template, pseudo-localised (coach.i18n.pseudo)."""
    singular: dict[Key, str] = {}
    plural: dict[Key, dict[str, str]] = {}
    for m in read_catalog(TEMPLATE, "en"):
        if not m.id:
            continue
        if m.pluralizable:
            one, other = (str(i) for i in list(m.id)[:2])
            plural[_key(m.id, m.context)] = {"one": pseudo(one), "other": pseudo(other)}
        else:
            singular[_key(m.id, m.context)] = pseudo(str(m.id))
    return Messages(PSEUDO, singular, plural)
