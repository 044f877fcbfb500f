"""Two-factor sign-in on a real server, with real TOTP codes (pyotp computes them as an
authenticator app does from the secret the page shows): optional for a therapist, required
for an admin; the password alone signs in as no one while a code is due; each code and each
recovery code works once; too many wrong codes wait; turning it off takes a code and is not
open to admins."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx
import pyotp
import pytest

from tests.lanes import uses
from tests.web.review_app import Review, review_app
from web.qr import qr_svg

PASSWORD = Review.PASSWORD


@pytest.fixture(scope="module")
@uses("server", "subprocess", "model")
def review(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Review]:
    """Its own server: the sign-in limiter's counts for 127.0.0.1 are this module's alone."""
    with review_app(tmp_path_factory.mktemp("second-factor"), max_active=2) as app:
        yield app


@pytest.fixture(autouse=True)
def fresh_limits(review: Review) -> None:
    review.server.server.config.app.state.login_limiter.reset()


def _client(review: Review) -> httpx.Client:
    return httpx.Client(base_url=review.url, timeout=60, follow_redirects=False)


def _password(c: httpx.Client, username: str) -> httpx.Response:
    return c.post("/login", data={"username": username, "password": PASSWORD})


def _secret_on(page: str) -> str:
    """The key the set-up page shows for typing (in groups of four)."""
    found = re.search(r'<code data-testid="secret">([A-Z2-7 ]+)</code>', page)
    assert found, page
    return found.group(1).replace(" ", "")


def _codes_on(page: str) -> list[str]:
    listed = page.split('data-testid="recovery-codes"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r"<code>([a-z0-9-]+)</code>", listed)


def _set_up(c: httpx.Client, username: str) -> tuple[pyotp.TOTP, list[str], str]:
    """Through the set-up page as a person does it: scan (read the key), type a code; the
    app, the recovery codes shown, and the code that turned it on."""
    page = c.get("/account/second-factor")
    assert page.status_code == 200 and 'data-testid="factor-on"' not in page.text
    secret = _secret_on(page.text)
    totp = pyotp.TOTP(secret)
    # The QR code carries the otpauth: address of that very key, for the app to scan.
    uri = totp.provisioning_uri(name=username, issuer_name="Coach")
    label = "QR code to scan with your authenticator app"
    assert qr_svg(uri, label) in page.text
    wrong = f"{(int(totp.now()) + 500_000) % 1_000_000:06d}"
    refused = c.post("/account/second-factor", data={"code": wrong})
    assert refused.status_code == 401 and 'data-testid="factor-error"' in refused.text
    assert _secret_on(refused.text) == secret  # the same key: what was scanned still holds
    first = totp.now()
    done = c.post("/account/second-factor", data={"code": first})
    assert done.status_code == 200, done.text
    codes = _codes_on(done.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    return totp, codes, first


def _next_code(totp: pyotp.TOTP) -> str:
    """The code of the step after now: the server takes one step of clock drift, and the
    code of now was just used."""
    return totp.at(time.time() + 30)


def test_a_therapist_without_one_signs_in_with_the_password(review: Review) -> None:
    with _client(review) as c:
        r = _password(c, "ther.a")
        assert r.status_code == 303 and r.headers["location"] == "/therapist"
        page = c.get("/account/second-factor")
        assert page.status_code == 200 and 'data-testid="factor-required"' not in page.text


def test_a_therapist_sets_one_up_then_signs_in_with_code_once(review: Review) -> None:
    review.store.create_user("ther.totp", "Dr Totp", PASSWORD)
    with _client(review) as c:
        assert _password(c, "ther.totp").headers["location"] == "/therapist"
        totp, codes, first = _set_up(c, "ther.totp")
    with _client(review) as c:
        r = _password(c, "ther.totp")
        assert r.status_code == 303 and r.headers["location"] == "/login/code"
        # The password alone signs in as no one.
        assert c.get("/therapist").status_code == 303
        assert c.get("/therapist").headers["location"].startswith("/login")
        assert c.get("/login/code").status_code == 200
        used = c.post("/login/code", data={"code": first})
        assert used.status_code == 401 and 'data-testid="code-error"' in used.text
        code = _next_code(totp)
        ok = c.post("/login/code", data={"code": code})
        assert ok.status_code == 303 and ok.headers["location"] == "/therapist"
        assert c.get("/therapist").status_code == 200
    with _client(review) as c:  # the same code again, from another sign-in: refused
        _password(c, "ther.totp")
        assert c.post("/login/code", data={"code": code}).status_code == 401
        # A recovery code instead, typed as people type (spaces, capitals): once.
        typed = codes[0].upper().replace("-", " ")
        assert c.post("/login/code", data={"code": typed}).status_code == 303
        assert c.get("/therapist").status_code == 200
        left = c.get("/account/second-factor").text
        assert '<strong data-testid="recovery-left">9</strong>' in left
    with _client(review) as c:
        _password(c, "ther.totp")
        assert c.post("/login/code", data={"code": codes[0]}).status_code == 401
        assert c.get("/therapist").status_code == 303


def test_a_code_page_without_a_password_first_leads_to_the_sign_in(review: Review) -> None:
    with _client(review) as c:
        r = c.post("/login/code", data={"code": "123456"})
        assert r.status_code == 303 and r.headers["location"] == "/login"


def test_an_admin_must_set_one_up_before_signing_in(review: Review) -> None:
    review.store.create_user("admin.must", "Ms Admin", PASSWORD, is_admin=True)
    with _client(review) as c:
        r = _password(c, "admin.must")
        assert r.status_code == 303 and r.headers["location"] == "/account/second-factor"
        assert c.get("/therapist").status_code == 303  # not signed in yet
        assert c.get("/admin/audit").status_code == 303
        page = c.get("/account/second-factor")
        assert 'data-testid="factor-required"' in page.text
        totp, codes, _ = _set_up(c, "admin.must")
        audit = c.get("/admin/audit")  # the set-up signed them in
        assert audit.status_code == 200
        on = c.get("/account/second-factor").text
        assert "Administrators must keep a second factor." in on
        off = c.post("/account/second-factor/off", data={"code": codes[1]})
        assert off.status_code == 403
    assert review.store.factor_status(review.store.user_named("admin.must").id).on
    with _client(review) as c:
        r = _password(c, "admin.must")
        assert r.headers["location"] == "/login/code"
        assert c.post("/login/code", data={"code": _next_code(totp)}).status_code == 303
        assert c.get("/admin/audit").status_code == 200


def test_too_many_wrong_codes_wait(review: Review) -> None:
    review.store.create_user("ther.guess", "Dr Guess", PASSWORD)
    with _client(review) as c:
        _password(c, "ther.guess")
        totp, _, _ = _set_up(c, "ther.guess")
    with _client(review) as c:
        _password(c, "ther.guess")
        wrong = f"{(int(_next_code(totp)) + 1) % 1_000_000:06d}"
        statuses = [c.post("/login/code", data={"code": wrong}).status_code for _ in range(12)]
        assert statuses[0] == 401 and 429 in statuses
        waited = c.post("/login/code", data={"code": _next_code(totp)})
        assert waited.status_code == 429 and int(waited.headers["Retry-After"]) > 0


def test_a_therapist_turns_it_off_with_a_code_and_new_recovery_codes_replace_old(
    review: Review,
) -> None:
    review.store.create_user("ther.off", "Dr Off", PASSWORD)
    with _client(review) as c:
        _password(c, "ther.off")
        _, codes, _ = _set_up(c, "ther.off")
        bad = c.post("/account/second-factor/recovery-codes", data={"code": "000000"})
        assert bad.status_code == 401
        fresh = c.post("/account/second-factor/recovery-codes", data={"code": codes[0]})
        assert fresh.status_code == 200
        new = _codes_on(fresh.text)
        assert len(new) == 10 and not set(new) & set(codes)
        assert c.post("/account/second-factor/off", data={"code": codes[1]}).status_code == 401
        off = c.post("/account/second-factor/off", data={"code": new[0]})
        assert off.status_code == 303
    with _client(review) as c:
        r = _password(c, "ther.off")
        assert r.headers["location"] == "/therapist"


def test_patients_have_no_second_factor_page(review: Review) -> None:
    with review.client("pat.a") as c:
        assert c.get("/account/second-factor").status_code == 403
