"""A patient with everything a record can hold, for the FHIR tests: a program, sessions scored
by the real engine on the repository's real tracks (a squat, a shoulder abduction seen from the
front, a single-leg stance), a hand-eye targets run, a one-sided exercise, a repetition whose
angle was not measured, an interrupted and a failed session, pain and effort ratings and three
clinical tests, spread over four weeks. Also what the patient's pages show of it, to compare a
record with its round trip."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

from coach.offline.recording import record_landmarks
from coach.review import exports
from coach.review.checkins import meaningful_changes
from coach.review.pain import pain_flags, weekly_pain
from coach.review.progress import exercise_trends, weekly_progress
from coach.review.targets_progress import weekly_targets
from coach.review.volume import daily_plans, weekly_done
from coach.store.checkins import patient_checkins, record_checkin
from coach.store.models import ExerciseSession
from coach.store.ratings import patient_ratings, record_rating, session_ratings
from coach.store.store import PROGRAM_FIELDS, Store, aware
from exercises import load_exercise
from scoring.events import RepCompleted, to_json

TRACKS = Path(__file__).resolve().parents[3] / "samples" / "tracks"
NOW = datetime.now(timezone.utc).replace(hour=9, minute=30, second=0, microsecond=123456)


@dataclass
class Record:
    patient_id: int
    sessions: dict[str, str]  # what -> session id


def _track(store: Store, pid: int, name: str, exercise: str) -> str:
    d = np.load(TRACKS / f"{name}.npz")
    size = (int(d["image_size"][0]), int(d["image_size"][1]))
    sid, _ = record_landmarks(
        store, d["lm"], float(d["fps"]), size, load_exercise(exercise), patient_id=pid
    )
    return sid


def _written(store: Store, pid: int, exercise: str, reps: list[RepCompleted], **finish: Any) -> str:
    """A session written event by event (as the live page's recorder does)."""
    sid = store.new_session_id()
    w = store.writer(sid, load_exercise(exercise), patient_id=pid, source="live")
    w.start((640, 480), 30.0)
    for rep in reps:
        w.event(to_json(rep))
    if finish.get("status") != "recording":
        w.finish(finish.get("status", "completed"), finish.get("summary"))
    return sid


def _date(store: Store, sid: str, when: datetime) -> None:
    with store.factory.begin() as db:
        row = db.get(ExerciseSession, sid)
        assert row is not None
        row.started_at, row.ended_at = when, (when + timedelta(minutes=2) if row.ended_at else None)


def build_record(store: Store, therapist_id: int, name: str = "Ada Lovelace-Byron") -> Record:
    from tests.helpers.targets import PLACED, stored_targets

    p = store.create_patient(
        therapist_id,
        name,
        birth_year=1951,
        sex="female",
        notes="Left knee replaced in March; no kneeling.",
    )
    pid = p.id
    store.set_program(
        pid,
        [
            {
                "exercise_id": "squat",
                "sets": 3,
                "reps": 10,
                "hold_s": 0.0,
                "rest_s": 45.0,
                "days_per_week": 5,
                "target_rom_deg": 90.0,
                "max_rom_deg": 110.0,
                "notes": "slowly",
            },
            {"exercise_id": "shoulder_abduction", "sets": 2, "reps": 12, "days_per_week": 3},
            {
                "exercise_id": "single_leg_stance",
                "sets": 3,
                "reps": 0,
                "hold_s": 20.0,
                "days_per_week": 7,
                "notes": "hold the chair if needed",
            },
        ],
    )
    s: dict[str, str] = {}
    s["squat"] = _track(store, pid, "formfit_squat", "squat")
    s["abduction"] = _track(store, pid, "rehab_bme410_shoulder_abduction", "shoulder_abduction")
    s["stance"] = _track(store, pid, "medflex_single_leg_stance", "single_leg_stance")
    s["targets"], _ = stored_targets(store, pid, NOW - timedelta(days=9), schedule=PLACED)
    s["left"] = _written(
        store,
        pid,
        "standing_knee_flexion_left",
        [
            RepCompleted(
                t=2.0,
                index=1,
                start_s=0.5,
                end_s=2.0,
                rom_deg=78.5,
                peak_deg=84.0,
                score=91.0,
                side="left",
                up_s=0.8,
                down_s=0.7,
                sparc=-2.25,
                duration_s=1.5,
            ),
            RepCompleted(
                t=4.0,
                index=2,
                start_s=2.5,
                end_s=4.0,
                rom_deg=95.0,
                peak_deg=101.5,
                score=60.0,
                side="left",
                faults=("too_fast",),
                over_limit=True,
            ),
        ],
        summary={"rep_count": 2, "warnings": ["Step back: your feet are out of view."]},
    )
    s["unmeasured"] = _written(
        store,
        pid,
        "squat",
        [
            RepCompleted(
                t=3.0,
                index=1,
                start_s=1.0,
                end_s=3.0,
                rom_deg=float("nan"),
                peak_deg=float("nan"),
                score=50.0,
            ),
        ],
    )  # the angle was not measured: no range, no peak
    s["interrupted"] = _written(
        store,
        pid,
        "squat",
        [
            RepCompleted(
                t=3.0, index=1, start_s=1.0, end_s=3.0, rom_deg=70.0, peak_deg=75.0, score=80.0
            ),
        ],
        status="recording",
    )
    store.mark_interrupted()
    s["failed"] = _written(
        store,
        pid,
        "squat",
        [],
        status="failed",
        summary={"error": "no_person", "message": "No person in the video."},
    )
    for what, days in (
        ("squat", 20),
        ("abduction", 16),
        ("stance", 13),
        ("left", 6),
        ("unmeasured", 4),
        ("interrupted", 2),
        ("failed", 1),
    ):
        _date(store, s[what], NOW - timedelta(days=days))
    for what, before, after in (("squat", 2, 3), ("left", 3, 6), ("unmeasured", 5, 5)):
        record_rating(store, s[what], "pain_before", before, "left knee")
        record_rating(store, s[what], "pain_after", after, "left knee")
    record_rating(store, s["squat"], "effort", 4, set_number=1)
    record_rating(store, s["squat"], "effort", 7, set_number=2)
    _tests(store, pid, s["abduction"])
    _checkins(store, pid)
    return Record(pid, s)


def _checkins(store: Store, pid: int) -> None:
    """Three weeks of check-ins: answered, skipped, answered again with the activities."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    record_checkin(store, pid, {"sleep": 3, "stress": 7, "headaches": 6}, [("Stairs", 2),
                   ("Kneeling", 5)], when=now - timedelta(weeks=2))  # fmt: skip
    record_checkin(store, pid, {}, [], skipped=True, when=now - timedelta(weeks=1))
    record_checkin(store, pid, {"sleep": 6, "energy": 4}, [("Stairs", 6), ("Kneeling", 5)],
                   when=now)  # fmt: skip


def _tests(store: Store, pid: int, session_id: str) -> None:
    store.add_protocol_result(
        pid,
        "chair-stand",
        {
            "protocol": "chair_stand_30s",
            "name": "30-second chair stand",
            "value": 11,
            "unit": "stands",
            "measured": {"stand_times_s": [2.1, 4.5, 7.0], "age": 73},
            "reference": {"band": "women 70-74", "normal_range": [10, 15], "below_average": 10},
            "source": "Rikli RE, Jones CJ. Senior Fitness Test Manual. 2013",
            "interpretation": "within the normal range for women 70-74",
            "warnings": [],
            "patient": {"age": 73, "sex": "female"},
        },
    )
    store.add_protocol_result(
        pid,
        "five-times-sit-to-stand",
        {
            "protocol": "five_times_sit_to_stand",
            "name": "Five-times sit-to-stand",
            "value": None,
            "unit": "s",
            "measured": {"stands": 3, "stand_times_s": [1.5, 3.2, 5.0]},
            "reference": {"cutoff_s": 12.0},
            "source": "Bohannon RW. 2006",
            "interpretation": "not completed: 3 stands",
            "warnings": ["hips lost at 6.1 s"],
            "patient": {},
        },
    )
    store.add_protocol_result(
        pid,
        "rom",
        {
            "protocol": "rom_shoulder_abduction",
            "name": "Range of motion: shoulder abduction",
            "value": 151.5,
            "unit": "deg",
            "measured": {
                "movement": "shoulder_abduction",
                "left_right_difference_deg": None,
                "sides": {
                    "left": {
                        "peak_deg": 151.5,
                        "at_s": 3.25,
                        "status": "measured",
                        "of_reference": [
                            {
                                "kind": "active mean",
                                "sex": None,
                                "cite": "Soucie 2011",
                                "percent": 85.1,
                            }
                        ],
                    },
                    "right": {"peak_deg": None, "status": "not seen"},
                },
            },
            "reference": {"values": [{"kind": "active mean", "deg": 178.0, "cite": "Soucie 2011"}]},
            "source": "Soucie JM et al. Haemophilia 2011",
            "interpretation": "left 152 deg",
            "warnings": ["right side not seen: no shoulder abduction measured"],
            "patient": {},
        },
        session_id=session_id,
    )


# ---- what the patient's pages show ---------------------------------------------------------
def page_data(store: Store, pid: int) -> dict[str, Any]:
    """The data behind the therapist's patient page (and each session's JSON export): the
    patient, program, every session with its reps, holds, faults, targets and ratings, the
    clinical tests, and what the page draws from them (progress, adherence, pain, targets)."""
    p = store.patient(pid)
    assert p is not None
    sessions = store.sessions_of(pid)
    program = store.program(pid)
    ratings = patient_ratings(store, pid)
    since = min([aware(p.created_at).date(), *(aware(x.started_at).date() for x in sessions)])
    return {
        "patient": (p.name, p.birth_year, p.sex, p.notes, aware(p.created_at)),
        "program": [{f: getattr(item, f) for f in PROGRAM_FIELDS} for item in program],
        "sessions": [_session(store, x.id) for x in sessions],
        "ratings": [
            (r.kind, r.value, r.area, r.set_number, r.created_at, r.session_id) for r in ratings
        ],
        "tests": [
            (t.protocol, aware(t.created_at), t.result, t.session_id)
            for t in store.protocol_results(pid)
        ],
        "progress": weekly_progress(sessions, since=since),
        "adherence": weekly_done(sessions, daily_plans(program), weeks=6, since=since),
        "trends": exercise_trends(sessions, program),
        "targets": weekly_targets(sessions, since=since),
        "pain": (pain_flags(ratings), weekly_pain(ratings)),
        "checkins": [c.to_json() for c in patient_checkins(store, pid)],
        "checkin_changes": meaningful_changes(patient_checkins(store, pid)),
    }


def _session(store: Store, sid: str) -> dict[str, Any]:
    row = store.session(sid)
    assert row is not None
    data = exports.session_json(row, None, [r.to_json() for r in session_ratings(store, sid)])
    for rep in data["reps"]:
        rep.pop("features")  # a personal reference's material: not exported (docs/FHIR.md)
    if data["targets"]:
        # A result's words travel as text and as their message ids (scoring.words), so
        # `say` is compared too: an imported result reads in each reader's language.
        data["targets"] = {k: v for k, v in data["targets"].items() if k != "shown"}
    summary = row.summary or {}
    return data | {
        "patient_id": None,
        "columns": (row.fps, row.image_w, row.image_h, row.video_name),
        "failure": (summary.get("error"), summary.get("message")),
    }
