"""The catalogs and their reader (coach.i18n, docs/I18N.md): every message id of the sources in
every language's catalog with the same placeholders (the step that makes adding a language
test-checked), the template current, the reader's language chosen from Accept-Language, and
the engine's messages rendered in the reader's language with its plural forms, numbers and
dates."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from coach.i18n import ENGLISH, LANGUAGES, PSEUDO, language, negotiate, reader
from coach.i18n.catalogs import TEMPLATE, messages, po_path, read_catalog
from coach.i18n.check import catalog_languages, check_all, ids_of
from coach.i18n.extract import template, template_text
from coach.i18n.page import page_catalog
from coach.i18n.pseudo import pseudo
from coach.review.plain import amount_words, days_words
from scoring.setup import parts_words
from scoring.words import Say, nsay, placeholders, say


def test_every_language_has_a_complete_catalog_with_the_same_placeholders() -> None:
    reports = check_all()
    assert [r.language.code for r in reports] == [lang.code for lang in LANGUAGES]
    for report in reports:
        assert report.complete, (
            report.language.code,
            report.missing[:5],
            report.untranslated[:5],
            report.placeholders[:5],
            report.problems,
        )
        assert not report.obsolete, (report.language.code, report.obsolete[:5])


def test_every_catalog_has_a_language_row_and_at_least_five_one_right_to_left() -> None:
    assert catalog_languages() == sorted(lang.code for lang in LANGUAGES)
    assert len(LANGUAGES) >= 5 and any(lang.rtl for lang in LANGUAGES)
    assert all(lang.review for lang in LANGUAGES)  # shown in docs/I18N.md


def test_the_committed_template_is_what_the_sources_give() -> None:
    """A message added to the sources without `python -m coach.i18n extract` fails here."""
    assert template_text(template()) == TEMPLATE.read_bytes()


def test_update_leaves_a_new_message_untranslated_in_every_other_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -m coach.i18n update` adds a new id empty (so `check` and the test above name
    it), not in English words: English's copy is filled with its id, the others' are not."""
    from coach.i18n import __main__ as tool

    fresh = template()
    fresh.add("A message no catalog has yet")
    pot = tmp_path / "messages.pot"
    pot.write_bytes(template_text(fresh))
    for lang in LANGUAGES:
        (tmp_path / lang.code).mkdir()
        shutil.copy(po_path(lang.code), tmp_path / lang.code / "messages.po")
    monkeypatch.setattr(tool, "TEMPLATE", pot)
    monkeypatch.setattr(tool, "po_path", lambda code: tmp_path / code / "messages.po")
    tool.update()
    for lang in LANGUAGES:
        new = read_catalog(tmp_path / lang.code / "messages.po", lang.formats)[
            "A message no catalog has yet"
        ]
        assert new is not None and new.string == (
            "A message no catalog has yet" if lang is ENGLISH else ""
        ), lang.code


def test_english_renders_every_message_as_its_id() -> None:
    """The source language is the identity: English pages read as they did before."""
    en = reader("en")
    for m in read_catalog(TEMPLATE, "en"):
        if m.id and not m.pluralizable:
            assert en.pgettext(m.context or "", str(m.id)) == m.id
    assert en.say(amount_words(2, 5, 0)) == "2 sets of 5" == amount_words(2, 5, 0)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("es-MX,es;q=0.9,en;q=0.8", "es"),
        ("de;q=0, fr-CA;q=0.5, xx", "fr"),
        ("ar-EG", "ar"),
        ("pt-BR, *", "en"),
        ("", "en"),
        ("en-XA", "en"),  # the pseudo-locale only where asked for
        ("garbage;;q=x, DE", "de"),
    ],
)
def test_the_browsers_accept_language_chooses(header: str, expected: str) -> None:
    assert negotiate(header).code == expected


def test_the_pseudo_locale_is_offered_only_for_tests() -> None:
    assert negotiate("en-XA", pseudo=True) is PSEUDO
    assert language("en-XA") is ENGLISH  # a kind of English, without the pseudo-locale
    text = pseudo("Start set {set} now")
    assert text.startswith("[") and text.endswith("]") and "{set}" in text
    assert len(text) >= 1.4 * len("Start set {set} now")
    assert not set("Start now") & set(text.replace("{set}", "")) - set(" [].")


def test_an_engine_message_is_rendered_in_the_readers_language() -> None:
    message = say("I can't see your {parts}. Step back a little.", parts=parts_words(("knees",)))
    assert message == "I can't see your knees. Step back a little."  # the source text
    assert reader("es").say(message) == "No veo sus rodillas. Dé un paso atrás."
    assert reader("de").say(message) == "Ich sehe Ihre Knie nicht. Gehen Sie ein wenig zurück."
    again = Say.from_json(message.to_json())  # as the page receives it
    assert reader("fr").say(again) == "Je ne vois pas vos genoux. Reculez un peu."


def test_plural_forms_follow_each_language() -> None:
    reps = [nsay("{n} rep", "{n} reps", n) for n in (0, 1, 2, 3, 11, 100)]
    assert [reader("en").say(r) for r in reps] == [
        "0 reps",
        "1 rep",
        "2 reps",
        "3 reps",
        "11 reps",
        "100 reps",
    ]
    assert reader("fr").say(reps[0]) == "0 répétition"  # French: zero is singular
    assert reader("es").say(reps[0]) == "0 repeticiones"
    arabic = [reader("ar").say(r) for r in reps]
    assert arabic[1] == "تكرار واحد" and arabic[2] == "تكراران"  # one and two: no digit
    assert arabic[3] == "3 تكرارات" and arabic[4] == "11 تكرارًا" and arabic[5] == "100 تكرار"
    assert len(messages("ar").plural) == len(messages("es").plural)


def test_numbers_dates_and_prescriptions_follow_the_locale() -> None:
    day = date(2026, 3, 5)
    assert reader("en").date(day, "MMMMd") == "5 March"
    assert reader("es").date(day, "MMMMd") == "5 de marzo"
    assert reader("de").date(day, "yMMMMd") == "5. März 2026"
    assert reader("fr").number(1234.5) == "1\u202f234,5"
    assert reader("de").number(0.25, 2) == "0,25"
    assert reader("es").say(amount_words(3, 0, 30)) == "Mantenga 30 segundos, 3 veces"
    assert reader("es").say(days_words(7)) == "todos los días"
    assert reader("ar").say(days_words(2)) == "يومان في الأسبوع"
    # Weekdays from CLDR (Monday = 0), as inside a sentence: the calendar feed's.
    assert [reader(c).weekday(0) for c in ("en", "es", "de")] == ["Monday", "lunes", "Montag"]
    assert reader("fr").weekday(6) == "dimanche" and reader("ar").weekday(2) == "الأربعاء"


def test_the_pages_catalog_has_every_message_but_english_needs_none() -> None:
    import orjson

    es = orjson.loads(page_catalog("es"))
    assert es["lang"] == "es" and es["dir"] == "ltr"
    assert es["messages"]["Start now"] == "Empezar ahora"
    assert es["messages"]["{n} rep"] == {
        "one": "{n} repetición",
        "many": "{n} repeticiones",
        "other": "{n} repeticiones",
    }
    ar = orjson.loads(page_catalog("ar"))
    assert ar["dir"] == "rtl" and set(ar["messages"]["{n} rep"]) == {
        "zero",
        "one",
        "two",
        "few",
        "many",
        "other",
    }
    assert orjson.loads(page_catalog("en"))["messages"] == {}
    assert ENGLISH.dir == "ltr"


def test_a_translation_keeps_the_placeholders_of_its_id() -> None:
    for code in ("es", "fr", "de", "ar"):
        found = messages(code)
        for m in read_catalog(TEMPLATE, "en"):
            if m.id and not m.pluralizable:
                text = found.singular[(m.context or "", str(m.id))]
                assert placeholders(text) == set().union(*map(placeholders, ids_of(m))), text
