"""Whether the catalogs are complete: every message id of the template in every language's
catalog, translated, with the same placeholders, and a row of coach.i18n.locales for each.

Run by `python -m coach.i18n check` and by tests/coach/test_i18n.py (the step that makes adding
a language test-checked: docs/I18N.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog, Message

from coach.i18n.catalogs import LOCALE_DIR, TEMPLATE, plural_categories, po_path, read_catalog
from coach.i18n.locales import LANGUAGES, Language
from scoring.words import placeholders

Key = tuple[str, str]


def key_of(m: Message) -> Key:
    ident = m.id if isinstance(m.id, str) else m.id[0]
    return (m.context or "", ident)


def forms_of(m: Message) -> list[str]:
    """A message's translations: one, or one per plural form."""
    if isinstance(m.string, tuple | list):
        return [str(s) for s in m.string]
    return [str(m.string or "")]


def ids_of(m: Message) -> list[str]:
    return [m.id] if isinstance(m.id, str) else [str(i) for i in m.id]


@dataclass
class Report:
    """What is wrong with one language's catalog (empty lists: complete)."""

    language: Language
    missing: list[Key] = field(default_factory=list)  # in the template, not in the catalog
    untranslated: list[Key] = field(default_factory=list)  # empty or fuzzy
    placeholders: list[str] = field(default_factory=list)  # "msgid: expected {a}, got {b}"
    obsolete: list[Key] = field(default_factory=list)  # in the catalog, not in the template
    problems: list[str] = field(default_factory=list)  # plural forms, headers

    @property
    def complete(self) -> bool:
        return not (self.missing or self.untranslated or self.placeholders or self.problems)


def check_language(lang: Language, template: Catalog | None = None) -> Report:
    template = template if template is not None else read_catalog(TEMPLATE, "en")
    report = Report(lang)
    path = po_path(lang.code)
    if not path.exists():
        report.problems.append(f"no catalog at {path}")
        return report
    catalog = read_catalog(path, lang.formats)
    try:
        plural_categories(catalog, lang.formats)
    except ValueError as exc:
        report.problems.append(str(exc))
    wanted = {key_of(m): m for m in template if m.id}
    have = {key_of(m): m for m in catalog if m.id}
    report.missing = sorted(k for k in wanted if k not in have)
    report.obsolete = sorted(k for k in have if k not in wanted)
    for key, source in wanted.items():
        m = have.get(key)
        if m is None:
            continue
        forms = forms_of(m)
        if m.fuzzy or not all(forms):
            report.untranslated.append(key)
            continue
        expected = set().union(*(placeholders(i) for i in ids_of(source)))
        for form in forms:
            got = placeholders(form)
            # A plural form may leave out the count ("one" as a word: "una vez"), no more.
            if got != expected and not (source.pluralizable and got == expected - {"n"}):
                report.placeholders.append(
                    f"{key[1]!r}: expected {sorted(expected)}, got {sorted(got)} in {form!r}"
                )
    return report


def catalog_languages() -> list[str]:
    """The language folders that hold a catalog."""
    return sorted(p.parent.parent.name for p in Path(LOCALE_DIR).glob("*/LC_MESSAGES/*.po"))


def check_all() -> list[Report]:
    template = read_catalog(TEMPLATE, "en")
    return [check_language(lang, template) for lang in LANGUAGES]
