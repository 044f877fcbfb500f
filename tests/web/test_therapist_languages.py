"""The therapist's pages in the therapist's language (docs/I18N.md), in process (no server):
each translated page follows the browser's Accept-Language, says it in `<html lang dir>`
(right to left for Arabic), and leaves no English sentence behind, read in German (known
English words of the page absent) and in the pseudo-locale (every text on the page comes
from the catalogs, apart from the record's own data). English stays the default.

The record is the FHIR tests' patient with everything a record holds (sessions of every
kind, a targets run, pain that rose, check-ins with a meaningful change, clinical tests)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyotp
import pytest
from markupsafe import escape
from starlette.testclient import TestClient

from coach.review.checkins import ABBOTT_SOURCE
from coach.review.pain import FARRAR_SOURCE
from coach.store import open_store
from coach.store.checkins import PSFS_SOURCE
from exercises.norms import load_norms
from scoring.protocols import range_of_motion
from scoring.protocols.gait import _gait_verdict, someone_else
from scoring.protocols.norms import Band
from scoring.protocols.stance import balance_verdict
from scoring.protocols.stands import _count_verdict
from scoring.protocols.tracking import LEGS, lost_warnings
from scoring.protocols.tug import _tug_verdict
from scoring.words import Say
from tests.coach.review.fhir_record import Record, build_record
from tests.helpers.store import migrated_sqlite
from tests.web.in_process import InProcessApp, in_process, threaded_app

PASSWORD = "correct horse battery"
# page -> English words it shows in English (each must be gone in German)
PAGES: dict[str, tuple[str, ...]] = {
    "/therapist": (
        "Exercising now",
        "None of your patients is exercising right now.",
        "Needs a look",
        "Pain rose",
        "Last session",
        "Add a patient",
        "Sign out",
        "Clinical tests",
    ),
    "/patients/{pid}": (
        "Clinical test results",
        "Save program",
        "Adherence",
        "Progress over weeks",
        "Reps completed",
        "peak range per session",
        "Pain rose by a clinically important amount",
        "before training",
        "How the patient feels",
        "in the week of",
        "Hand–eye targets per week",
        "targets touched per week",
        "Personal references",
        "Analyse a recorded video",
        "Patient access",
        "Create a personal link",
        "Erase this patient",
        "Between sessions",
        "completed",
    ),
    "/sessions/{squat}": (
        "Export:",
        "printable report",
        "Personal reference",
        "Angle over time",
        "Smoothness compares each rep",
        "How accurate:",
        "Counting Squat",
        "Replay",
        "frames stored",
    ),
    "/sessions/{targets}": (
        "Hand–eye targets",
        "targets reached",
        "Reaction (s)",
        "Left and right (medians)",
        "placed targets",
    ),
    "/protocols": (
        "Reference values and their sources",
        "by age group",
        "Group",
        "feet side by side",
        "women 60-64",
    ),
    "/patients/{pid}/protocols": (
        "clinical test results",
        "Run a test on a video",
        "Run and store",
        "Tests over weeks",
        "Compared with",
        "by week",
    ),
    "/patients/{pid}/erase": (
        "What is removed, for good",
        "To confirm, type the patient",
        "Erase everything about",
        "pain and effort ratings",
        "Cancel",
    ),
    "/sessions/{squat}/report": (
        "Exercise session report",
        "Prescribed",
        "mean form score",
        "Print",
    ),
    "/account/second-factor": (
        "Sign-in with a code",
        "Install an authenticator app",
        "Or type this key:",
        "Turn it on",
    ),
    "/follow/{follow}": (
        "Therapist view",
        "Speak cues here too",
        "Stick figure only",
        "Message to the patient",
        "Well done, keep going",
        "What happened",
    ),
}
# German words each page shows instead
GERMAN: dict[str, tuple[str, ...]] = {
    "/therapist": ("Trainiert gerade", "Braucht einen Blick", "Patient hinzufügen", "Abmelden"),
    "/patients/{pid}": (
        "Programm speichern",
        "Therapietreue",
        "Schmerz und Anstrengung",
        "Diesen Patienten löschen",
        "abgeschlossen",
    ),
    "/sessions/{squat}": ("Winkel über die Zeit", "Persönliche Referenz", "Wie genau:"),
    "/sessions/{targets}": ("Hand-Auge-Ziele", "platzierte Ziele"),
    "/protocols": ("Referenzwerte und ihre Quellen", "nach Altersgruppe", "Frauen 60-64"),
    "/patients/{pid}/protocols": ("Ausführen und speichern", "Tests über die Wochen"),
    "/patients/{pid}/erase": (
        "Was endgültig entfernt wird",
        "Schmerz- und Anstrengungsbewertungen",
    ),
    "/sessions/{squat}/report": ("Bericht zur Übungseinheit", "Verordnet", "Drucken"),
    "/account/second-factor": ("Anmeldung mit Code", "Einschalten"),
    "/follow/{follow}": ("Therapeutenansicht", "Gut gemacht, weiter so", "Was passiert ist"),
}
FOLLOWED = "abcdefgh12"  # a live session's id (the follow page waits for it to start)
# The stored results of clinical tests keep the words the scoring wrote (English): their
# table is not read for English words (docs/I18N.md, "Not translated yet").
STORED = re.compile(r'<table class="grid" data-testid="protocol-results">.*?</table>', re.S)
# The record's own words, shown as they were written: never in a catalog.
DATA = (
    "Ada Lovelace-Byron",
    "Dr Admin",  # the signed-in administrator
    "Left knee replaced in March; no kneeling.",
    "hold the chair if needed",
    "left knee",  # where the patient said it hurt
    "Stairs",
    "Kneeling",
    "Range of motion: shoulder abduction",  # a stored test result's name
    ABBOTT_SOURCE,  # citations
    FARRAR_SOURCE,
    PSFS_SOURCE,
    "Coach",
    "JSON",  # names of formats and measures
    "SPARC",
    "Gill 2020, women 20-91",  # the norms' citations (with their cohorts)
    "Gill 2020, men 20-91",
    "Soucie 2011, women 20-44",
    "Soucie 2011, men 20-44",
    "AAOS 1965",
    "AMA (Norkin &amp; White 2016)",
    "English",
    "Español",
    "Français",
    "Deutsch",
)


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[InProcessApp, Record]]:
    root = tmp_path_factory.mktemp("clinic")
    saved = {k: os.environ.get(k) for k in ("COACH_DATA_DIR", "COACH_PSEUDO_LOCALE")}
    os.environ.update(COACH_DATA_DIR=str(root), COACH_PSEUDO_LOCALE="1")
    store = open_store(migrated_sqlite(root / "coach.db"))
    try:
        ther = store.create_user("ther", "Dr T", PASSWORD)
        record = build_record(store, ther.id)
        with in_process(threaded_app(store=store)) as app:
            r = app.http.post(
                "/login",
                data={"username": "ther", "password": PASSWORD},
                follow_redirects=False,
            )
            assert r.status_code == 303
            yield app, record
    finally:
        store.close()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _get(clinic: tuple[InProcessApp, Record], page: str, language: str | None) -> Any:
    app, record = clinic
    headers = {"Accept-Language": language} if language else {}
    url = page.format(pid=record.patient_id, follow=FOLLOWED, **record.sessions)
    r = app.http.get(url, headers=headers)
    assert r.status_code == 200, r.text[:300]
    return r


def _html_tag(html: str) -> str:
    found = re.search(r"<html[^>]*>", html)
    assert found is not None
    return found.group(0)


def _texts(html: str) -> list[str]:
    """What the page shows or says: its text, and its titles and labels (scripts aside)."""
    body = re.sub(r"<script.*?</script>|<style.*?</style>", "", html, flags=re.S)
    texts = [t.strip() for t in re.findall(r">([^<]+)<", body)]
    texts += re.findall(r'(?:title|aria-label|alt|placeholder)="([^"]+)"', body)
    return [t for t in texts if t]


def _english_left(text: str) -> str:
    """`text` without its pseudo-localised parts ([...], nested) and the record's data."""
    for data in DATA:
        text = text.replace(data, "")
    before = None
    while before != text:
        before, text = text, re.sub(r"\[[^\[\]]*\]", "", text)
    return text


@pytest.mark.parametrize("page", list(PAGES))
def test_a_therapist_page_in_german_has_no_english_left(
    clinic: tuple[InProcessApp, Record], page: str
) -> None:
    r = _get(clinic, page, "de-CH,de;q=0.9,en;q=0.5")
    html = r.text
    assert _html_tag(html) == '<html lang="de" dir="ltr">'
    assert "Accept-Language" in r.headers["vary"]  # a cache keeps one copy per language
    for words in PAGES[page]:
        assert words not in html, words
    for words in GERMAN[page]:
        assert words in html, words


@pytest.mark.parametrize("page", list(PAGES))
def test_a_therapist_page_stays_english_by_default(
    clinic: tuple[InProcessApp, Record], page: str
) -> None:
    html = _get(clinic, page, None).text
    assert _html_tag(html) == '<html lang="en" dir="ltr">'
    for words in PAGES[page]:
        assert words in html, words


@pytest.mark.parametrize("page", list(PAGES))
def test_every_word_of_a_therapist_page_comes_from_the_catalogs(
    clinic: tuple[InProcessApp, Record], page: str
) -> None:
    """In the pseudo-locale every catalog message is bracketed and accented: an English
    word (four letters or more) outside the brackets escaped the catalogs."""
    html = _get(clinic, page, "en-XA").text
    assert _html_tag(html) == '<html lang="en-XA" dir="ltr">'
    html = re.sub(r"<code[^>]*>.*?</code>", "", STORED.sub("", html), flags=re.S)  # commands, keys
    left = [t for t in _texts(html) if re.search(r"[A-Za-z]{4,}", _english_left(t))]
    assert left == []


@pytest.mark.parametrize("page", list(PAGES))
def test_a_therapist_page_in_arabic_reads_right_to_left(
    clinic: tuple[InProcessApp, Record], page: str
) -> None:
    html = _get(clinic, page, "ar").text
    assert _html_tag(html) == '<html lang="ar" dir="rtl">'


def test_the_charts_say_their_words_in_the_readers_language(
    clinic: tuple[InProcessApp, Record],
) -> None:
    texts = " | ".join(_texts(_get(clinic, "/patients/{pid}", "es").text))
    assert "Repeticiones hechas" in texts  # a chart's title
    assert "dolor antes" in texts  # a series in the key and its points' titles
    assert "Reps completed" not in texts and "pain before" not in texts


def test_the_page_scripts_are_in_the_catalogs() -> None:
    """The therapist pages' scripts say their words through t() (web/static/i18n.js)."""
    static = Path(__file__).resolve().parents[2] / "web" / "static"
    for name in ("dashboard.js", "uploads.js"):
        source = (static / name).read_text()
        assert 'from "./i18n.js"' in source, name
        strings = re.findall(r'textContent = "([^"]+)"', source)
        assert strings == [], (name, strings)


def test_revoking_a_link_asks_in_the_readers_language(
    clinic: tuple[InProcessApp, Record],
) -> None:
    app, record = clinic
    pid = record.patient_id
    r = app.http.post(f"/patients/{pid}/links", follow_redirects=False)
    assert r.status_code == 303
    page = app.http.get(f"/patients/{pid}", headers={"Accept-Language": "fr"}).text
    found = re.search(r"/links/(\d+)/revoke", page)
    assert found is not None
    asked = app.http.post(
        f"/patients/{pid}/links/{found.group(1)}/revoke", headers={"Accept-Language": "fr"}
    )
    assert _html_tag(asked.text) == '<html lang="fr" dir="ltr">'
    assert f"Révoquer le lien n° {found.group(1)} ?" in asked.text and "Annuler" in asked.text
    assert "Revoke link" not in asked.text and "Cancel" not in asked.text


AUDIT_ENGLISH = ("Audit trail", "Check the chain", "The chain is whole", "entries, none changed")


def _audit_texts(html: str) -> list[str]:
    """The audit page's words: its entries' own data (who, address, the action and subject as
    recorded, references, numbers, times) aside; their outcome and an erased patient kept."""
    html = re.sub(r"<code[^>]*>.*?</code>", "", html, flags=re.S)
    html = re.sub(r'title="[^"]*"', "", html)
    cells = re.findall(r"<tr>\s*<td>.*?</tr>", html, flags=re.S)
    for row in cells:
        tds = re.findall(r"<td>(.*?)</td>", row, flags=re.S)
        html = html.replace(row, " ".join(f"<td>{tds[i]}</td>" for i in (4, 5, 6) if len(tds) > 6))
    return _texts(html)


@pytest.fixture(scope="module")
def admin(clinic: tuple[InProcessApp, Record]) -> Iterator[TestClient]:
    """An administrator signed in (a second factor: admins need one) on the clinic's app."""
    app, _ = clinic
    store = app.app.state.store
    user = store.create_user("adm", "Dr Admin", PASSWORD, is_admin=True)
    enrolment = store.start_enrolment(user.id)
    codes = store.confirm_enrolment(user.id, pyotp.TOTP(enrolment.secret).now())
    assert codes
    client = TestClient(app.app, base_url="http://127.0.0.1")
    r = client.post(
        "/login", data={"username": "adm", "password": PASSWORD}, follow_redirects=False
    )
    assert r.status_code == 303, r.text[:300]
    r = client.post("/login/code", data={"code": codes[0]}, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    yield client
    client.close()


def _audit(admin: TestClient, language: str | None, verify: bool = True) -> Any:
    headers = {"Accept-Language": language} if language else {}
    r = admin.get("/admin/audit" + ("?verify=1" if verify else ""), headers=headers)
    assert r.status_code == 200, r.text[:300]
    return r


def test_the_audit_page_is_in_the_readers_language(admin: TestClient) -> None:
    r = _audit(admin, "de")
    assert _html_tag(r.text) == '<html lang="de" dir="ltr">'
    assert "Accept-Language" in r.headers["vary"]
    for words in AUDIT_ENGLISH:
        assert words not in r.text, words
    assert "Kette prüfen" in r.text and "Die Kette ist vollständig" in r.text
    assert _html_tag(_audit(admin, "ar", verify=False).text) == '<html lang="ar" dir="rtl">'
    english = _audit(admin, None).text
    assert all(words in english for words in AUDIT_ENGLISH)


def test_every_word_of_the_audit_page_comes_from_the_catalogs(admin: TestClient) -> None:
    html = _audit(admin, "en-XA").text
    assert _html_tag(html) == '<html lang="en-XA" dir="ltr">'
    outcomes = re.findall(r"<td>([^<(]*?)(?: \(\d+\))?</td>\s*</tr>", html)
    assert outcomes and all(o.startswith("[") for o in outcomes), outcomes[:5]
    left = [t for t in _audit_texts(html) if re.search(r"[A-Za-z]{4,}", _english_left(t))]
    assert left == [], "\n".join(left)


def _verdicts() -> dict[str, Say]:
    """An interpretation of each test the scoring writes as a message."""
    tug, balance = load_norms("timed_up_and_go"), load_norms("four_stage_balance")
    stages = balance.extra["stages"]
    walk = {
        "cadence_spm": {"value": 90.6, "plus_minus": 3.2},
        "step_time_asymmetry_pct": {"value": 4.4, "plus_minus": 2.0},
        "walking_speed_m_s": {"value": None},
    }
    t = np.arange(0.0, 2.0, 1 / 30)
    return {
        "chair_stand_30s": _count_verdict(8, Band(70, 74, "female", {"low": 10.0, "high": 15.0})),
        "timed_up_and_go": _tug_verdict(13.04, tug, tug.band(85)),
        "four_stage_balance": balance_verdict(
            2, True, [s["id"] for s in stages], {s["id"]: s["name"] for s in stages}, 10.0, 3
        ),
        "gait": _gait_verdict(walk, load_norms("gait").band(20, "female"), load_norms("gait")),
        "rom_knee_flexion": Say.from_json(
            range_of_motion(
                t,
                {"left": np.full_like(t, 120.0), "right": np.full_like(t, 132.0)},
                movement_id="knee_flexion",
                norms=load_norms("range_of_motion"),
            ).to_json()["say"]["interpretation"]
        ),
    }


# test -> (its English words, the same in German on the page)
SAID = {
    "chair_stand_30s": (
        "below average for women 70-74 (< 10): increased fall risk (STEADI)",
        "unter dem Durchschnitt für Frauen 70-74 (&lt; 10): erhöhtes Sturzrisiko",
    ),
    "timed_up_and_go": (
        "13.0 s: 12 s or more, at risk of falling (STEADI); slower than average for adults 80-99",
        "13.0 s: 12 s oder mehr, sturzgefährdet (STEADI); langsamer als der Durchschnitt",
    ),
    "four_stage_balance": (
        "stage 3 (tandem) not held 10 s: increased fall risk",
        "Stufe 3 (tandem) nicht 10 s gehalten: erhöhtes Sturzrisiko",
    ),
    "gait": (
        "cadence 91 steps/min (+-3), below the normal range for women (96-138)",
        "Kadenz 91 Schritte/min (±3), unter dem Normbereich für Frauen (96-138)",
    ),
    "rom_knee_flexion": (
        "left 120 deg; right 132 deg; left-right difference 12 deg",
        "links 120°; rechts 132°; Links-rechts-Unterschied 12°",
    ),
}


@pytest.mark.parametrize("protocol", list(SAID))
def test_a_clinical_test_interpretation_is_in_the_readers_language(
    clinic: tuple[InProcessApp, Record], protocol: str
) -> None:
    """A result the scoring wrote as a message is said in the reader's words; an older one
    (stored English only) keeps its words."""
    english, german = SAID[protocol]
    verdict = _verdicts()[protocol]
    assert verdict.startswith(english) or english in verdict, verdict
    app, record = clinic
    stored = {
        "protocol": protocol,
        "name": protocol,
        "value": 8,
        "unit": "s",
        "interpretation": str(verdict),
        "say": {"interpretation": verdict.to_json()},
    }
    app.app.state.store.add_protocol_result(record.patient_id, protocol, stored)
    page = _get(clinic, "/patients/{pid}/protocols", "de").text
    assert german in page
    assert str(escape(english)) not in page
    assert "within the normal range for women 70-74" in page  # an older row, as stored
    shown = _get(clinic, "/patients/{pid}/protocols", None).text
    assert str(escape(english)) in shown


def test_a_clinical_test_results_warnings_are_in_the_readers_language(
    clinic: tuple[InProcessApp, Record],
) -> None:
    """Warnings the scoring wrote as messages are said in the reader's words, each in its
    place; the stored English stays on the English page."""
    t = np.arange(0.0, 6.0, 0.1)
    warnings = [
        *lost_warnings(t, (t < 2.0) | (t > 4.0), LEGS),
        someone_else(1.84),
    ]
    assert warnings == [
        "legs not seen for 2.2 s (from 1.9 s)",
        "another person was tracked for 1.8 s: left out",
    ]
    app, record = clinic
    stored = {
        "protocol": "gait",
        "name": "Gait from video",
        "value": 101,
        "unit": "steps/min",
        "interpretation": "",
        "warnings": [str(w) for w in warnings],
        "say": {"warnings": [Say.from_json(w).to_json() for w in warnings]},
    }
    app.app.state.store.add_protocol_result(record.patient_id, "gait", stored)
    page = _get(clinic, "/patients/{pid}/protocols", "de").text
    assert "Beine: 2.2 s lang nicht gesehen (ab 1.9 s)" in page
    assert "eine andere Person wurde 1.8 s lang verfolgt: ausgelassen" in page
    assert "another person was tracked" not in page
    assert "hips lost at 6.1 s" in page  # an older row's warning, as stored
    shown = _get(clinic, "/patients/{pid}/protocols", None).text
    assert "legs not seen for 2.2 s (from 1.9 s)" in shown
