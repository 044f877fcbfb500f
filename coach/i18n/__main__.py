"""Maintaining the catalogs with Babel (docs/I18N.md):

python -m coach.i18n extract      # the sources' message ids -> coach/i18n/messages.pot
python -m coach.i18n update       # the template merged into every catalog (new ids empty)
python -m coach.i18n init LANG    # a new language's catalog from the template
python -m coach.i18n check        # every catalog complete, same placeholders (exit 1 if not)
python -m coach.i18n status       # each language: its review status and how complete
"""

from __future__ import annotations

import argparse
import sys

from babel import Locale
from babel.messages.pofile import write_po

from coach.i18n.catalogs import TEMPLATE, po_path, read_catalog
from coach.i18n.check import check_all, check_language
from coach.i18n.extract import template, template_text
from coach.i18n.locales import ENGLISH, LANGUAGES, language


def extract() -> None:
    TEMPLATE.write_bytes(template_text(template()))
    print(f"wrote {TEMPLATE}")


def _write(code: str, catalog: object) -> None:
    path = po_path(code)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog, width=100, sort_output=True, include_lineno=False)  # type: ignore[arg-type]


def init(code: str) -> None:
    """A catalog for `code` from the template; English's translations are its ids."""
    catalog = read_catalog(TEMPLATE, code.replace("-", "_"))
    catalog.locale = Locale.parse(code.replace("-", "_"))
    catalog.fuzzy = False
    if code == ENGLISH.code:
        for m in catalog:
            if m.id:
                m.string = m.id if isinstance(m.id, str) else tuple(m.id)
    _write(code, catalog)
    print(f"wrote {po_path(code)}")


def update() -> None:
    """Every catalog brought to the template: new ids added untranslated (English: as they
    are), ids gone removed, translations kept."""
    for lang in LANGUAGES:
        # A template of its own per catalog: Babel's update may share the template's new
        # messages with the catalog, and English's (its ids as its words) must not leak.
        fresh = read_catalog(TEMPLATE, "en")
        path = po_path(lang.code)
        if not path.exists():
            init(lang.code)
            continue
        catalog = read_catalog(path, lang.formats)
        catalog.update(fresh, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        if lang is ENGLISH:
            for m in catalog:
                if m.id and not any(m.string if isinstance(m.string, tuple) else [m.string]):
                    m.string = m.id if isinstance(m.id, str) else tuple(m.id)
        _write(lang.code, catalog)
        print(f"updated {path}")


def check() -> int:
    bad = 0
    for report in check_all():
        if report.complete:
            continue
        bad += 1
        print(f"{report.language.code}: incomplete")
        for key in report.missing[:20]:
            print(f"  missing: {key[1]!r}" + (f" (context {key[0]!r})" if key[0] else ""))
        for key in report.untranslated[:20]:
            print(f"  untranslated: {key[1]!r}")
        for line in report.placeholders[:20] + report.problems:
            print(f"  {line}")
    return 1 if bad else 0


def status() -> None:
    for lang in LANGUAGES:
        report = check_language(lang)
        total = len(read_catalog(TEMPLATE, "en")) - 1
        todo = len(report.missing) + len(report.untranslated)
        print(f"{lang.code:6} {lang.english:10} {total - todo}/{total} translated; {lang.review}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coach.i18n", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("extract")
    sub.add_parser("update")
    new = sub.add_parser("init")
    new.add_argument("lang")
    sub.add_parser("check")
    sub.add_parser("status")
    args = parser.parse_args(argv)
    if args.command == "extract":
        extract()
    elif args.command == "update":
        update()
    elif args.command == "init":
        if language(args.lang) is None:
            print(f"add {args.lang!r} to LANGUAGES in coach/i18n/locales.py first", file=sys.stderr)
            return 2
        init(args.lang)
    elif args.command == "check":
        return check()
    else:
        status()
    return 0


if __name__ == "__main__":
    sys.exit(main())
