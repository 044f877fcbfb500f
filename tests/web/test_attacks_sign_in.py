"""Attack 3 of issue 25: concurrent wrong passwords got past the sign-in limit. 30 wrong
passwords for one user sent at once were all checked (401), none refused; only the next
single attempt got 429. The check of the counts and the counting of the attempt are now one
atomic step (web/access.py `LoginLimiter.reserve`; in Redis, one Lua script:
tests/cluster/test_attacks_sign_in.py), so a burst gets at most the allowed number of
password checks (argon2 work), counted here at the store."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from coach.live import SessionRegistry
from tests.lanes import uses
from tests.web.review_app import Review, review_app
from web.frames import decode_frame


@pytest.fixture(scope="module")
@uses("server")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Review]:
    registry = SessionRegistry(decode=decode_frame, isolation="thread")
    with review_app(tmp_path_factory.mktemp("sign-in"), registry=registry) as app:
        yield app


@pytest.fixture()
def checks(site: Review, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The passwords the store checked (argon2 verifications), with fresh sign-in counts."""
    from coach.store import accounts

    seen: list[str] = []
    lock = threading.Lock()
    verify = accounts.verify_password

    def counted(hashed: str | None, password: str) -> bool:
        with lock:
            seen.append(password)
        return verify(hashed, password)

    monkeypatch.setattr(accounts, "verify_password", counted)
    limiter = site.server.server.config.app.state.login_limiter
    limiter.reset()
    yield seen
    limiter.reset()


def _burst(site: Review, attempts: list[tuple[str, str]], source: str) -> list[int]:
    """All `attempts` (username, password) sent at once, each on its own connection."""
    transport_args = {"local_address": source}
    start = threading.Barrier(len(attempts))

    def one(attempt: tuple[str, str]) -> int:
        with httpx.Client(
            base_url=site.url, timeout=60, transport=httpx.HTTPTransport(**transport_args)
        ) as c:
            start.wait()
            r = c.post("/login", data={"username": attempt[0], "password": attempt[1]})
            return r.status_code

    with ThreadPoolExecutor(len(attempts)) as pool:
        return list(pool.map(one, attempts))


def test_a_burst_of_30_wrong_passwords_gets_5_checks(site: Review, checks: list[str]) -> None:
    codes = _burst(site, [("ther.a", f"guess {i}") for i in range(30)], "127.0.0.2")
    assert codes.count(401) == 5 and codes.count(429) == 25, codes
    assert len(checks) == 5  # argon2 ran five times, not thirty
    attacker = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(base_url=site.url, transport=attacker) as c:
        r = c.post("/login", data={"username": "ther.a", "password": "guess again"})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    with site.client("ther.a"):  # the real user, from their own address
        pass


def test_a_burst_over_many_usernames_gets_20_checks(site: Review, checks: list[str]) -> None:
    """Password spraying from one address: 20 failures over all usernames, then waits."""
    attempts = [(f"user{i}", "Summer2024!") for i in range(30)]
    codes = _burst(site, attempts, "127.0.0.3")
    assert codes.count(401) == 20 and codes.count(429) == 10, codes
    assert len(checks) == 20


def test_successes_take_their_attempt_back(site: Review, checks: list[str]) -> None:
    """An attempt is counted before its check: a success gives it back, so a user who signs
    in again and again is not slowed down (25 sign-ins, then still 5 free failures)."""
    local = httpx.HTTPTransport(local_address="127.0.0.4")
    with httpx.Client(base_url=site.url, transport=local) as c:
        for _ in range(25):
            r = c.post("/login", data={"username": "ther.b", "password": Review.PASSWORD})
            assert r.status_code == 303
        for i in range(5):
            r = c.post("/login", data={"username": "ther.b", "password": f"x{i}"})
            assert r.status_code == 401
        r = c.post("/login", data={"username": "ther.b", "password": "x"})
        assert r.status_code == 429


def test_the_counts_in_memory_are_bounded() -> None:
    """One server process keeps at most `max_entries` counts (100,000); beyond, the oldest
    are forgotten, so a guesser spread over many addresses cannot fill the memory."""
    from web.access import LoginLimiter

    limiter = LoginLimiter(max_entries=10)
    for i in range(40):
        limiter.failed(f"user{i}", f"10.0.0.{i}")
    assert len(limiter._failures) <= 10
    assert limiter.retry_after("user39", "10.0.0.39") == 0  # one failure: no wait
