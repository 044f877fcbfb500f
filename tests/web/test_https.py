"""https: the self-signed certificate, the real server over TLS, Secure cookies, real Chromium."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import ssl
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509

from coach.store import open_store
from tests.lanes import uses
from tests.machine import scaled
from tests.servers import free_port
from tests.web.in_process import threaded_app
from web.server import BackgroundServer, serve
from web.tls import make_self_signed

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_self_signed(tmp_path_factory.mktemp("tls"))


class Site:
    def __init__(self, server: BackgroundServer, link: str, cafile: Path) -> None:
        self.server, self.link, self.cafile = server, link, cafile

    def client(self) -> httpx.Client:
        ctx = ssl.create_default_context(cafile=str(self.cafile))
        return httpx.Client(base_url=self.server.url, verify=ctx, timeout=30)


@pytest.fixture(scope="module")
@uses("server")
def site(cert: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The app with a store over https, and a patient's personal link."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("COACH_SECURE_COOKIES", raising=False)  # Secure must come from the scheme
        yield from _site(cert, tmp_path_factory.mktemp("https-store"))


def _site(cert: tuple[Path, Path], root: Path) -> Iterator[Site]:
    store = open_store(f"sqlite:///{root / 'coach.db'}")
    therapist = store.create_user("ther.tls", "Dr TLS", "correct horse battery")
    patient = store.create_patient(therapist.id, "Pat TLS", birth_year=1950)
    link = f"/p/{store.create_link(patient.id)[1]}"
    app = threaded_app(store=store, max_active=1)
    try:
        with BackgroundServer(app, certfile=cert[0], keyfile=cert[1]) as server:
            yield Site(server, link, cert[0])
    finally:
        store.close()


def test_the_certificate_is_kept_and_reused(tmp_path: Path) -> None:
    cert_path, key_path = make_self_signed(tmp_path)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    names = {str(n) for n in san.get_values_for_type(x509.DNSName)}
    ips = {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    assert {"localhost", socket.gethostname()} <= names and "127.0.0.1" in ips
    days = (cert.not_valid_after_utc - cert.not_valid_before_utc).days
    assert 729 <= days <= 731
    before = cert_path.read_bytes(), key_path.read_bytes()
    assert make_self_signed(tmp_path) == (cert_path, key_path)
    assert (cert_path.read_bytes(), key_path.read_bytes()) == before  # reused, not remade
    # Asked for a name it lacks (another host name), it makes a new one.
    make_self_signed(tmp_path, ["localhost", "127.0.0.1", "clinic-pc.lan"])
    assert cert_path.read_bytes() != before[0]


def test_healthz_over_https_verified_against_the_certificate(site: Site) -> None:
    assert site.server.url.startswith("https://127.0.0.1:")
    with site.client() as c:
        r = c.get("/healthz")
    assert r.status_code == 200 and r.json()["ok"] is True
    with pytest.raises(httpx.ConnectError):  # not trusted by default: it is self-signed
        httpx.get(f"{site.server.url}/healthz", timeout=10)


def test_cookies_set_over_https_are_secure(site: Site) -> None:
    with site.client() as c:
        r = c.get(site.link, follow_redirects=False)
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("coach_session=") and "Secure" in cookie and "HttpOnly" in cookie


@pytest.mark.server
def test_cookies_over_plain_http_are_not_secure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COACH_SECURE_COOKIES", raising=False)
    store = open_store(f"sqlite:///{tmp_path / 'coach.db'}")
    try:
        therapist = store.create_user("ther.http", "Dr HTTP", "correct horse battery")
        patient = store.create_patient(therapist.id, "Pat HTTP", birth_year=1950)
        link = f"/p/{store.create_link(patient.id)[1]}"
        with BackgroundServer(threaded_app(store=store, max_active=1)) as server:
            r = httpx.get(f"{server.url}{link}", follow_redirects=False, timeout=30)
        assert r.status_code == 303 and "Secure" not in r.headers["set-cookie"]
    finally:
        store.close()


def test_a_missing_or_bad_certificate_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert serve("127.0.0.1", 0, certfile=tmp_path / "none.pem") == 2
    err = capsys.readouterr().err.strip()
    assert err == f"coach serve: certificate file not found: {tmp_path / 'none.pem'}"
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate\n")
    assert serve("127.0.0.1", 0, certfile=bad) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not a matching PEM certificate" in err


@pytest.mark.subprocess
@pytest.mark.server
def test_coach_serve_https_makes_then_reuses_its_certificate(tmp_path: Path) -> None:
    """The real command, twice: the certificate made by the first start serves the second."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COACH_DATA_DIR": str(tmp_path)}
    env.pop("COACH_DATABASE_URL", None)
    made: bytes | None = None
    for _ in range(2):
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "coach.cli", "serve", "--https", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None
            first = proc.stdout.readline()
            banner = proc.stdout.readline()
            assert "self-signed certificate" in first
            assert f"https://127.0.0.1:{port}/" in banner
            cert = tmp_path / "tls" / "coach-selfsigned.crt"
            ctx = ssl.create_default_context(cafile=str(cert))
            deadline = time.monotonic() + scaled(30)  # a loaded machine starts slowly
            while True:
                try:
                    r = httpx.get(f"https://127.0.0.1:{port}/healthz", verify=ctx, timeout=5)
                    if r.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline and proc.poll() is None, "did not start"
                time.sleep(0.1)
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
        assert proc.returncode == 0
        made = made or cert.read_bytes()
        assert cert.read_bytes() == made
    not_after = x509.load_pem_x509_certificate(made).not_valid_after_utc
    assert not_after > dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=700)


def test_chromium_loads_the_page_over_https_with_secure_cookies(
    site: Site, playwright: Any
) -> None:
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        args=["--ignore-certificate-errors", "--no-sandbox", "--disable-background-networking"],
    )
    try:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{site.server.url}/", wait_until="load")
        assert page.evaluate("window.isSecureContext") is True  # the camera may be asked
        assert page.evaluate("location.protocol") == "https:"
        assert page.locator("#rep-count").count() == 1
        page.goto(f"{site.server.url}{site.link}", wait_until="load")
        assert page.url.endswith("/consent")  # the link's first opening asks first
        cookies: list[Any] = context.cookies()
        session = [c for c in cookies if c["name"] == "coach_session"]
        assert session and session[0]["secure"] is True and session[0]["httpOnly"] is True
    finally:
        browser.close()


def test_https_responses_carry_hsts(site: Site) -> None:
    with site.client() as c:
        for path in ("/healthz", "/login", "/static/coach.css", "/no/such/page"):
            r = c.get(path)
            assert r.headers["strict-transport-security"] == "max-age=31536000", path


@pytest.mark.server
def test_plain_http_gets_no_hsts_unless_a_trusted_proxy_says_https(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HSTS over http is meaningless; X-Forwarded-Proto counts only from a trusted proxy."""
    https = {"X-Forwarded-Proto": "https"}
    monkeypatch.delenv("COACH_TRUSTED_PROXIES", raising=False)
    with BackgroundServer(threaded_app(max_active=1)) as server:
        assert "strict-transport-security" not in httpx.get(f"{server.url}/healthz").headers
        r = httpx.get(f"{server.url}/healthz", headers=https)  # forged: nobody is trusted
        assert "strict-transport-security" not in r.headers
    monkeypatch.setenv("COACH_TRUSTED_PROXIES", "127.0.0.1")
    with BackgroundServer(threaded_app(max_active=1)) as server:
        assert "strict-transport-security" not in httpx.get(f"{server.url}/healthz").headers
        r = httpx.get(f"{server.url}/login", headers=https)
        assert r.headers["strict-transport-security"] == "max-age=31536000"
