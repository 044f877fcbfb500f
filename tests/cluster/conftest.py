"""A real cluster for each test: the session's one PostgreSQL and one Redis
(tests/conftest.py), a fresh migrated database and an empty Redis per test, and the `coach
serve` and `coach worker` processes the test starts (tests/cluster/processes.py); all
stopped after. Every test here is in the `cluster` lane (tests/lanes.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster.processes import Cluster
from tests.servers import migrated_database


@pytest.fixture()
def cluster(tmp_path: Path, postgres_url: str, redis_url: str) -> Iterator[Cluster]:
    """A fresh database and an empty Redis for each test; start the processes it needs."""
    from coach.store.cluster import redis_client

    redis_client(redis_url).flushdb()
    c = Cluster(tmp_path, migrated_database(postgres_url), redis_url)
    try:
        yield c
    finally:
        c.stop()
