"""Pages in the reader's language over HTTP (real app, real SQLite; docs/I18N.md): the therapist
sets a patient's language and the patient's pages follow it; anyone else gets their browser's
Accept-Language; every page's <html> says its language and direction; the pages' catalogs are
served as JSON."""

from __future__ import annotations

import re

from tests.web.review_app import Review
from web.routes.rights import CONSENT_VERSION


def html_tag(html: str) -> str:
    found = re.search(r"<html[^>]*>", html)
    assert found is not None
    return found.group(0)


def test_the_therapist_sets_the_patients_language_and_me_follows(review: Review) -> None:
    pid = review.pat_a.id
    review.store.set_program(pid, [{"exercise_id": "squat", "sets": 2, "reps": 5}])
    try:
        with review.client("ther.a") as c:
            page = c.get(f"/patients/{pid}").text
            assert 'data-testid="patient-language"' in page and ">Español</option>" in page
            r = c.post(f"/patients/{pid}/language", data={"language": "es"})
            assert r.status_code == 303
            assert c.post(f"/patients/{pid}/language", data={"language": "xx"}).status_code == 400
            token = review.link_tokens["pat.a"]
            handout = c.get(f"/patients/{pid}/handout?link={token}").text  # printed for her
            assert html_tag(handout) == '<html lang="es" dir="ltr">'
            assert "Alice Patient: sus ejercicios en casa" in handout
            assert (
                "<strong>Sentadilla</strong>: 2 series de 5 repeticiones, 5 días a la semana."
                in handout
            )
            assert c.post(
                f"/patients/{review.pat_b.id}/language", data={"language": "fr"}
            ).status_code in (403, 404)  # not their patient
        with review.client("pat.a") as c:
            # The therapist's choice wins over the browser's.
            html = c.get("/me", headers={"Accept-Language": "de"}).text
            assert html_tag(html) == '<html lang="es" dir="ltr">'
            for words in (
                "Sus ejercicios",
                "Hola, Alice Patient",
                "2 series de 5",
                "Cerrar sesión",
            ):
                assert words in html, words
            assert "Your exercises" not in html and "Sign out" not in html
            program = c.get("/api/me/program").json()
            assert program[0]["amount"] == "2 sets of 5"  # the text stays the source words
            assert program[0]["say"]["amount"]["plural"] == "{n} sets of {reps}"
            live = c.get("/", headers={"Accept-Language": "en"}).text
            assert html_tag(live) == '<html lang="es" dir="ltr">'
        review.store.set_language(pid, "ar")
        review.store.record_consent(pid, "declined", CONSENT_VERSION)  # asked again: in Arabic
        with review.client("pat.a") as c:
            consent = c.get("/consent").text
            assert html_tag(consent) == '<html lang="ar" dir="rtl">'
            assert "لا يسجّل Coach الكاميرا أبدًا." in consent and "Dr A" in consent
        review.store.record_consent(pid, "given", CONSENT_VERSION)
        with review.client("pat.a") as c:
            html = c.get("/me").text
            assert html_tag(html) == '<html lang="ar" dir="rtl">' and "تمارينك" in html
    finally:
        review.store.set_language(pid, None)
        review.store.set_program(pid, [])
    with review.client("pat.a") as c:  # none chosen: the browser's
        html = c.get("/me", headers={"Accept-Language": "fr-CH, en;q=0.5"}).text
        assert html_tag(html) == '<html lang="fr" dir="ltr">' and "Vos exercices" in html
        assert html_tag(c.get("/me").text) == '<html lang="en" dir="ltr">'


def test_anonymous_pages_follow_accept_language_and_catalogs_are_served(review: Review) -> None:
    with review.client() as c:
        page = c.get("/", headers={"Accept-Language": "de-AT,de;q=0.9"})
        assert "Accept-Language" in page.headers["vary"]  # a cache keeps one per language
        html = page.text
        assert html_tag(html) == '<html lang="de" dir="ltr">'
        assert "Wählen Sie Ihre Übung" in html and "Choose your exercise" not in html
        assert html_tag(c.get("/", headers={"Accept-Language": "ar"}).text) == (
            '<html lang="ar" dir="rtl">'
        )
        login = c.get("/login", headers={"Accept-Language": "es"}).text
        assert html_tag(login) == '<html lang="es" dir="ltr">' and "Contraseña" in login
        wrong = c.post(
            "/login",
            data={"username": "nobody", "password": "wrong"},
            headers={"Accept-Language": "fr"},
        ).text
        assert "Identifiant ou mot de passe incorrect." in wrong
        ended = c.get("/link-ended", headers={"Accept-Language": "de"}).text
        assert html_tag(ended) == '<html lang="de" dir="ltr">'
        assert "Dieser Link funktioniert nicht mehr" in ended
        catalog = c.get("/i18n/es.json")
        assert catalog.status_code == 200 and catalog.json()["messages"]["Start"] == "Empezar"
        assert c.get("/i18n/xx.json").status_code == 404
        assert c.get("/i18n/en-XA.json").status_code == 404  # the pseudo-locale: tests only


def test_the_therapists_pages_follow_their_browser(review: Review) -> None:
    """The therapist's pages in the browser's language, English by default
    (tests/web/test_therapist_languages.py reads each translated page)."""
    with review.client("ther.a") as c:
        html = c.get("/therapist", headers={"Accept-Language": "es"}).text
        assert html_tag(html) == '<html lang="es" dir="ltr">' and "Cerrar sesión" in html
        assert "Sign out" not in html
        english = c.get("/therapist").text
        assert html_tag(english) == '<html lang="en" dir="ltr">' and "Sign out" in english
        code = c.get("/account/second-factor", headers={"Accept-Language": "ar"}).text
        assert html_tag(code) == '<html lang="ar" dir="rtl">' and "العامل الثاني" in code
