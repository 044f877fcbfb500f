"""A real cluster for each test: one PostgreSQL and one Redis for the session
(tests/servers.py), a fresh database and an empty Redis per test, and the `coach serve` and
`coach worker` processes the test starts (tests/cluster/processes.py); all stopped after."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster.processes import Cluster
from tests.servers import fresh_database, postgres_server, redis_server


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture()
def cluster(tmp_path: Path, postgres_url: str, redis_url: str) -> Iterator[Cluster]:
    """A fresh database and an empty Redis for each test; start the processes it needs."""
    from coach.store.cluster import redis_client

    redis_client(redis_url).flushdb()
    c = Cluster(tmp_path, fresh_database(postgres_url), redis_url)
    try:
        yield c
    finally:
        c.stop()
