"""The cluster's name, which keeps its live channels apart from another cluster's on the same
Redis: `COACH_CLUSTER_NAME`, else derived from where the database is, never from its password
(tests/cluster/test_shared_state.py has two real clusters on one Redis)."""

from __future__ import annotations

import pytest

from coach.store.cluster import cluster_name

DB = "postgresql+psycopg://coach:{pw}@db.example.org:5432/coach"


def test_instances_of_one_database_agree_whatever_their_password_or_driver(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("COACH_CLUSTER_NAME", raising=False)
    name = cluster_name(DB.format(pw="old-password"))
    assert name == cluster_name(DB.format(pw="new-password"))  # a password change: the same
    assert name == cluster_name("postgresql://coach:x@DB.example.org:5432/coach")
    assert "password" not in name and name.startswith("coach-")


def test_another_database_is_another_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COACH_CLUSTER_NAME", raising=False)
    name = cluster_name(DB.format(pw="pw"))
    assert name != cluster_name(DB.format(pw="pw").replace("/coach", "/coach_test"))
    assert name != cluster_name(DB.format(pw="pw").replace(":5432", ":5433"))
    assert name != cluster_name(DB.format(pw="pw").replace("db.example", "db2.example"))


def test_the_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COACH_CLUSTER_NAME", "clinic-north")
    assert cluster_name(DB.format(pw="pw")) == "clinic-north"
