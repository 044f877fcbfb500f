"""What a user meets after a wrong entry, in process (no server): a therapist's refused form
(a new patient, a program) comes back as a page saying why, with a way back, not the API's
JSON; a patient's refused weekly check-in says why in their language, from a reason the
page knows (never a text from the address); the live page's header offers a signed-in
patient their program rather than "Sign in". Found walking through the product (2026-12)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from coach.store import open_store
from coach.store.accounts import AccountError
from coach.store.store import Store
from tests.helpers.store import migrated_sqlite
from tests.web.in_process import InProcessApp, in_process, threaded_app

PASSWORD = "correct horse battery"
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[InProcessApp, Store]]:
    root: Path = tmp_path_factory.mktemp("forms")
    store = open_store(migrated_sqlite(root / "coach.db"))
    try:
        store.create_user("ther", "Dr T", PASSWORD)
        with in_process(threaded_app(store=store)) as app:
            yield app, store
    finally:
        store.close()


def _therapist(app: InProcessApp) -> None:
    r = app.http.post("/login", data={"username": "ther", "password": PASSWORD})
    assert r.status_code == 200 and r.url.path == "/therapist"


def _ther_id(store: Store) -> int:
    ther = store.user_named("ther")
    assert ther is not None
    return ther.id


def _patient(app: InProcessApp, store: Store, name: str) -> int:
    patient = store.create_patient(_ther_id(store), name)
    _, token = store.create_link(patient.id)
    app.http.cookies.clear()
    assert app.http.get(f"/p/{token}", follow_redirects=False).status_code == 303
    assert app.http.post("/consent", data={"answer": "yes"}).url.path == "/me"
    return patient.id


def test_a_refused_new_patient_is_a_page_with_the_reason(
    clinic: tuple[InProcessApp, Store],
) -> None:
    app, _ = clinic
    _therapist(app)
    r = app.http.post(
        "/therapist/patients",
        data={"name": "Odd Year", "birth_year": "abc"},
        headers=BROWSER | {"Referer": "http://127.0.0.1/therapist"},
    )
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/html")
    assert 'data-testid="form-error"' in r.text
    assert "Birth year must be a number, not &#39;abc&#39;." in r.text
    assert 'href="/therapist" data-testid="form-error-back"' in r.text
    assert '"detail"' not in r.text
    # German browser: the page's own words in German, the reason as the server says it.
    de = app.http.post(
        "/therapist/patients",
        data={"name": "", "birth_year": ""},
        headers=BROWSER | {"Accept-Language": "de"},
    )
    assert de.status_code == 400 and "Nicht gespeichert" in de.text
    assert 'href="/" data-testid="form-error-back"' in de.text  # no Referer: the start page
    # A script (no text/html in Accept) keeps the JSON.
    api = app.http.post("/therapist/patients", data={"name": "X", "birth_year": "abc"})
    assert api.status_code == 400 and api.json()["detail"].startswith("Birth year")


def test_a_name_longer_than_its_column_is_refused_in_words(
    clinic: tuple[InProcessApp, Store],
) -> None:
    app, store = clinic
    _therapist(app)
    r = app.http.post("/therapist/patients", data={"name": "x" * 201}, headers=BROWSER)
    assert r.status_code == 400 and "a name is at most 200 characters" in r.text
    with pytest.raises(AccountError):
        store.create_patient(_ther_id(store), "y" * 201)
    assert 'maxlength="200"' in app.http.get("/therapist").text


def test_a_refused_program_is_a_page_with_the_reason(clinic: tuple[InProcessApp, Store]) -> None:
    app, store = clinic
    _therapist(app)
    pid = store.create_patient(_ther_id(store), "Rita Rows").id
    r = app.http.post(
        f"/patients/{pid}/program",
        data={"rows": "1", "exercise_0": "squat", "sets_0": "-3"},
        headers=BROWSER | {"Referer": f"http://127.0.0.1/patients/{pid}"},
    )
    assert r.status_code == 400 and "Sets (row 1) must be between 1 and 20." in r.text
    assert f'href="/patients/{pid}" data-testid="form-error-back"' in r.text
    assert store.program(pid) == []


def test_a_refused_check_in_says_why_in_the_patients_language(
    clinic: tuple[InProcessApp, Store],
) -> None:
    app, store = clinic
    _patient(app, store, "Cleo Checkin")
    form = {"sleep": "4", "activity_1": "Subir escaleras", "psfs_1": "", "action": "save"}
    es = app.http.post("/me/checkin", data=form, headers={"Accept-Language": "es"})
    assert es.status_code == 400
    assert "La actividad 1 no tiene respuesta. Toque un número del 0 al 10." in es.text
    assert "choose how well" not in es.text
    assert 'value="Subir escaleras"' in es.text and 'name="sleep" value="4" checked' in es.text
    form = {"activity_2": "", "psfs_2": "5", "action": "save"}
    ar = app.http.post("/me/checkin", data=form, headers={"Accept-Language": "ar"})
    assert "النشاط 2 له درجة ولكن بلا اسم" in ar.text
    # Nothing from the address is shown as a reason; a hand-made odd value is only "Skip".
    odd = app.http.get("/me?checkin_error=Call%20555-0100%20now&activity=9").text
    assert "Call 555-0100" not in odd and "Not saved" not in odd
    form = {"energy": "11", "action": "save"}
    general = app.http.post("/me/checkin", data=form).text
    assert "Please check your answers and try again." in general
    css = app.http.get("/static/checkin.css").text  # the error's bar on the reading side
    assert "border-inline-start: 6px" in css and "border-left" not in css


def test_the_live_page_offers_a_signed_in_patient_their_program(
    clinic: tuple[InProcessApp, Store],
) -> None:
    app, store = clinic
    _patient(app, store, "Lena Live")
    page = app.http.get("/?exercise=squat", headers={"Accept-Language": "es"}).text
    assert 'href="/me" data-testid="my-program-link">Mi programa<' in page
    assert 'data-testid="sign-in-link"' not in page
    _therapist(app)
    assert 'data-testid="patients-link"' in app.http.get("/").text
    app.http.cookies.clear()
    anonymous = app.http.get("/").text
    assert 'href="/login" data-testid="sign-in-link"' in anonymous
