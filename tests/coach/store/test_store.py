"""The store on a real SQLite file: schema by migration, accounts, links, sessions as written."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from coach.offline.analysis import landmarks_track, score_track
from coach.store import accounts, open_store
from coach.store.accounts import AccountError
from coach.store.db import current_revision, head_revision
from coach.store.records import stored_landing
from coach.store.store import Store
from exercises import load_exercise
from scoring.events import REP_FIELDS, RepCompleted, to_json


def test_migrations_create_every_table_and_are_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    first = open_store(url)
    assert current_revision(first.engine) == head_revision()
    first.close()
    again = open_store(url)  # a second start-up applies nothing and loses nothing
    again.close()
    tables = {
        r[0]
        for r in sqlite3.connect(tmp_path / "c.db").execute(
            "select name from sqlite_master where type='table'"
        )
    }
    assert {
        "users",
        "patients",
        "program_items",
        "sessions",
        "reps",
        "holds",
        "faults",
        "frame_chunks",
        "protocol_results",
        "patient_links",
        "login_sessions",
        "analysis_jobs",
        "personal_references",
        "consent_answers",
        "calendar_feeds",
        "email_reminders",
        "weekly_checkins",
        "psfs_ratings",
        "alembic_version",
    } <= tables


def test_passwords_are_stored_as_argon2_hashes_and_checked(store: Store, tmp_path: Path) -> None:
    user = store.create_user("dr.ada", "Ada", "a long secret pw")
    raw = (
        sqlite3.connect(tmp_path / "coach.db").execute("select password_hash from users").fetchone()
    )
    assert raw[0].startswith("$argon2id$") and "a long secret pw" not in raw[0]
    assert store.authenticate("dr.ada", "a long secret pw").id == user.id
    assert store.authenticate("dr.ada", "a long secret PW") is None
    assert store.authenticate("nobody", "a long secret pw") is None
    with pytest.raises(AccountError, match="taken"):
        store.create_user("dr.ada", "Other", "another long pw")
    with pytest.raises(AccountError, match="at least 10"):
        store.create_user("dr.bob", "Bob", "short")
    with pytest.raises(AccountError, match="username"):
        store.create_user("has space", "Bob", "a long secret pw")


def test_a_deployment_hashes_at_argon2s_default_cost_and_upgrades_cheaper_hashes(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The suite runs with COACH_TEST_FAST_PASSWORD_HASHES (tests/conftest.py); without it,
    as deployed: RFC 9106's low-memory profile, and a cheaper stored hash is redone at the
    next sign-in."""
    assert accounts.weak_hashes()
    store.create_user("dr.cheap", "Cheap", "a long secret pw")
    monkeypatch.delenv(accounts.FAST_HASHES_FOR_TESTS)
    accounts._hasher.cache_clear()
    try:
        store.create_user("dr.ada", "Ada", "a long secret pw")
        assert store.authenticate("dr.cheap", "a long secret pw") is not None
        db = sqlite3.connect(tmp_path / "coach.db")
        hashes = dict(db.execute("select username, password_hash from users"))
        assert hashes["dr.ada"].startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        assert hashes["dr.cheap"].startswith("$argon2id$v=19$m=65536,t=3,p=4$")  # upgraded
    finally:
        accounts._hasher.cache_clear()


def test_login_tokens_and_revoked_personal_links(any_store: Store) -> None:
    store = any_store
    ther = store.create_user("ther1", "T One", "a long secret pw")
    patient = store.create_patient(ther.id, "Pat", birth_year=1950, sex="female")
    who = store.identity(store.start_login(user_id=ther.id))
    assert who is not None and who.is_therapist and who.user_id == ther.id
    link, token = store.create_link(patient.id)
    assert store.resolve_link(token).id == link.id
    cookie = store.start_login(patient_id=patient.id, link_id=link.id)
    assert store.identity(cookie).patient_id == patient.id
    assert store.revoke_link(patient.id, link.id)
    assert store.resolve_link(token) is None
    assert store.identity(cookie) is None  # revoking the link ends the sign-ins it made
    assert store.identity("not-a-token") is None
    with pytest.raises(AccountError):
        store.create_patient(ther.id, "X", sex="other")


def test_usernames_match_without_case(any_store: Store) -> None:
    """A phone capitalises the first letter: "Mara" signs in as "mara", on SQLite and
    PostgreSQL alike; a new account may not differ from another by case only."""
    store = any_store
    pw = "correct horse battery"
    mara = store.create_patient(
        store.create_user("ther2", "T Two", pw).id, "Mara", username="mara", password=pw
    )
    for typed in ("mara", "Mara", "MARA", " Mara "):
        user = store.authenticate(typed, pw)
        assert user is not None and user.id == mara.user_id, typed
    assert store.authenticate("Mara", "wrong password here") is None
    with pytest.raises(AccountError, match="taken"):
        store.create_user("MARA", "Someone Else", pw)
    assert store.user_named("MaRa").id == mara.user_id  # coach admin set-password MaRa


def test_accounts_older_than_the_rule_keep_their_exact_spelling(any_store: Store) -> None:
    """Two accounts made before matching without case, "Sam" and "sam": each still signs in
    with its own spelling, and no other spelling picks one of them."""
    from coach.store import accounts
    from coach.store.models import User

    store = any_store
    pw = "correct horse battery"
    with store.factory.begin() as db:
        for name in ("Sam", "sam"):
            db.add(
                User(
                    username=name,
                    name=name,
                    role="therapist",
                    password_hash=accounts.hash_password(pw, (name,)),
                )
            )
    assert store.authenticate("Sam", pw).username == "Sam"
    assert store.authenticate("sam", pw).username == "sam"
    assert store.authenticate("SAM", pw) is None


def _track(shared_data: Path) -> tuple[np.ndarray, float]:
    import json

    manifest = json.loads((shared_data / "MANIFEST.json").read_text())
    entry = next(e for e in manifest["videos"] if e["id"] == "medflex/squat")
    lm = np.load(shared_data / entry["landmarks"])["lm"]
    return lm, float(entry.get("fps") or 30.0)


def test_a_rep_is_on_disk_as_soon_as_it_completes(store: Store, tmp_path: Path) -> None:
    squat = load_exercise("squat")
    writer = store.writer("sessA0001", squat, patient_id=None, source="analyze")
    writer.start((640, 480), 30.0)
    rng = np.random.default_rng(0)
    for i in range(45):  # half a chunk and more
        writer.frame(i / 30, rng.random((33, 4)).astype(np.float32))
    writer.event(
        {
            "kind": "RepCompleted",
            "t": 1.4,
            "index": 1,
            "start_s": 0.2,
            "end_s": 1.4,
            "rom_deg": 85.0,
            "peak_deg": 95.0,
            "score": 90.0,
            "faults": ["too_fast"],
            "up_s": 0.5,
        }
    )
    # Another connection (as after a crash: the writer never finished) sees the rep.
    db = sqlite3.connect(tmp_path / "coach.db")
    rows = db.execute(
        'select idx, rom_deg, faults from (select "index" as idx, rom_deg, faults'
        " from reps where session_id='sessA0001')"
    ).fetchall()
    assert rows == [(1, 85.0, '["too_fast"]')]
    assert db.execute("select count(*) from frame_chunks").fetchone()[0] >= 1
    assert db.execute("select status from sessions").fetchone()[0] == "recording"
    left = store.writer("sessA0002", squat, patient_id=None, source="live")
    left.start((640, 480))
    left.set_status("paused")  # the patient's page closed before the server stopped
    assert store.mark_interrupted() == 1
    assert store.session("sessA0001").status == "interrupted"
    assert store.session("sessA0002").status == "completed"


def test_a_session_resumed_after_a_restart_continues_its_clock_and_keeps_its_reps(
    any_store: Store,
) -> None:
    store = any_store
    squat = load_exercise("squat")
    first = store.writer("sessB0001", squat, patient_id=None, source="live")
    first.start((640, 480))
    for i in range(40):
        first.frame(i / 20, None)
    first.event({"kind": "RepCompleted", "index": 1, "start_s": 0.5, "end_s": 1.9, "score": 80})
    # the server dies here; a new one reopens the session under the same id
    second = store.writer("sessB0001", squat, patient_id=None, source="live")
    second.start((640, 480))
    assert second.t_offset >= 1.9
    second.event({"kind": "RepCompleted", "index": 2, "start_s": 0.3, "end_s": 1.5, "score": 70})
    second.finish()
    row = store.session("sessB0001")
    assert [r.index for r in row.reps] == [1, 2]
    assert row.reps[1].start_s > row.reps[0].end_s
    assert row.status == "completed"


def test_stored_frames_round_trip_with_the_exercise_measures(
    any_store: Store, shared_data: Path
) -> None:
    store = any_store
    lm, fps = _track(shared_data)
    squat = load_exercise("squat")
    writer = store.writer("sessC0001", squat, patient_id=None, source="analyze")
    writer.start((1920, 1080), fps)
    for i, row in enumerate(lm):
        writer.frame(i / fps, row if np.isfinite(row).all() else None)
    writer.finish()
    frames = store.session_frames("sessC0001")
    assert len(frames.t) == len(lm)
    found = np.isfinite(lm[:, :, 0]).all(axis=1)
    assert np.allclose(frames.landmarks[found][:, :, :2], lm[found][:, :, :2], atol=2e-3)
    # Frames without the engine's values: the store never measures on its own.
    assert np.isnan(frames.measures["hip_height"]).all()
    # Through the pipeline, as analysis and live sessions feed it: the engine's values.
    writer = store.writer("sessC0002", squat, patient_id=None, source="analyze")
    writer.start((1920, 1080), fps)
    score_track(squat, landmarks_track(lm, fps, (1920, 1080)), (1920, 1080), sink=writer)
    writer.finish()
    frames = store.session_frames("sessC0002")
    assert len(frames.t) == len(lm)
    assert set(frames.measures) == set(squat.measures_named())
    hh = frames.measures["hip_height"]
    assert np.nanmax(hh) - np.nanmin(hh) > 0.2  # the squats are in the stored measure
    knee = frames.measures["knee_flexion_left"]  # the near knee, from the side
    assert np.nanmax(knee) > 90 and np.isfinite(knee).mean() > 0.8


def test_every_field_of_a_completed_rep_is_kept(store: Store) -> None:
    """The store reads a rep's fields from scoring.events.REP_FIELDS: each is in its own
    column or, a number without one, in `extra`; nothing a rep carries is dropped."""
    rep = RepCompleted(
        t=2.0, index=1, start_s=0.5, end_s=2.0, rom_deg=80.0, peak_deg=95.0, score=88.0,
        faults=("too_fast",), side="left", duration_s=1.5, up_s=0.7, down_s=0.8, sparc=-2.5,
        rom_left=0.4, rom_right=0.38, profile={"too_fast": 1.5}, over_limit=True,
        measured=True, confidence=0.87, confidence_reason="", limit_check="over",
        landing={"flight_s": 0.42, "knee_peak_left": 61.5},
    )  # fmt: skip
    writer = store.writer("sessD0001", load_exercise("squat"), patient_id=None, source="live")
    writer.start((640, 480))
    writer.event(to_json(rep))
    writer.finish()
    row = store.session("sessD0001")
    assert row is not None
    kept = row.reps[0]
    for name in REP_FIELDS:
        if name == "landing":  # a jump's landing: its numbers in `extra`, each prefixed
            value = stored_landing(kept.extra)
        else:
            value = getattr(kept, name) if hasattr(kept, name) else kept.extra[name]
        want = getattr(rep, name)
        assert value == (list(want) if isinstance(want, tuple) else want), name


def test_a_session_id_never_starts_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    """`coach reference set --session -Uc...` would read the id as an option (one in 64 did)."""
    from coach.store import sessions

    drawn = iter(["-UcZyj7o0ibA", "_UcZyj7o0ibA"])
    monkeypatch.setattr(sessions.secrets, "token_urlsafe", lambda n: next(drawn))
    assert sessions.new_session_id() == "_UcZyj7o0ibA"
