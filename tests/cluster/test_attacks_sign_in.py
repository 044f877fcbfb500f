"""Attack 3 of issue 25 on a real cluster: 30 wrong passwords for one user sent at once to two
`coach serve` instances sharing Redis. The check and the count are one Lua script in Redis
(web/shared_limits.py), so the whole burst gets the five free checks, not thirty."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from coach.store.cluster import redis_client
from tests.cluster.processes import PASSWORD, Cluster


def test_a_burst_over_two_instances_gets_five_password_checks(cluster: Cluster) -> None:
    cluster.store.create_user("ther", "Dr T", PASSWORD)
    a, b = cluster.serve("serve-a"), cluster.serve("serve-b")
    start = threading.Barrier(30)

    def attempt(i: int) -> int:
        with httpx.Client(base_url=(a, b)[i % 2], timeout=60) as c:
            start.wait()
            return c.post("/login", data={"username": "ther", "password": f"guess {i}"}).status_code

    with ThreadPoolExecutor(30) as pool:
        codes = list(pool.map(attempt, range(30)))
    assert codes.count(401) == 5 and codes.count(429) == 25, codes
    r = httpx.post(f"{b}/login", data={"username": "ther", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    # The counts (per pair and per address) are kept a day after the last failure.
    redis = redis_client(cluster.redis_url)
    names = list(redis.scan_iter("coach:login:*"))
    assert len(names) == 2 and all(86_000 < redis.ttl(n) <= 86_400 for n in names)
