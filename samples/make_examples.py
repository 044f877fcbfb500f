"""Regenerate samples/examples/program.json and session.json from a real run of Coach's own code.

    python samples/make_examples.py            # writes samples/examples/
    python samples/make_examples.py --out DIR

What it does, all in a throw-away SQLite database in a temporary folder (deleted afterwards):
  1. creates a therapist and a fictional patient ("Example patient") with the store API;
  2. prescribes a program with `Store.set_program` (the call behind the therapist's program
     form), including the example definition samples/exercises/chair_squat_partial.toml, found
     through COACH_EXERCISES_DIR as a therapist's own folder would be;
  3. records the stored squat track (samples/tracks/formfit_squat.npz) as that patient's
     session with `coach.offline.recording.record_landmarks` (what `coach analyze --save` stores,
     minus the model: the landmarks are already estimated);
  4. exports the program as read back by `Store.program`, and the session with
     `coach.review.exports.session_json` (the web app's /sessions/<id>/session.json download).
Session ids and times differ on each run; the numbers do not.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

SAMPLES = Path(__file__).resolve().parent
REPO = SAMPLES.parent
sys.path.insert(0, str(REPO))  # this checkout's code, not another installed copy
# The example definition is a therapist's own file: put its folder on the search path before
# the library is first read.
os.environ["COACH_EXERCISES_DIR"] = os.pathsep.join(
    p for p in (os.environ.get("COACH_EXERCISES_DIR", ""), str(SAMPLES / "exercises")) if p
)

# Coach's modules used here, in one place: fix these lines if a module moves.
from coach.offline.recording import record_landmarks  # noqa: E402
from coach.prescription import check_program  # noqa: E402
from coach.review.exports import session_json  # noqa: E402
from coach.store import open_store  # noqa: E402
from coach.store.store import PROGRAM_FIELDS  # noqa: E402
from exercises import load_exercise  # noqa: E402

TRACK = SAMPLES / "tracks" / "formfit_squat.npz"
OUT_DIR = SAMPLES / "examples"

# What a therapist would enter on the patient page (same fields and limits as its form).
PROGRAM: list[dict[str, Any]] = [
    {
        "exercise_id": "chair_squat_partial",
        "sets": 2,
        "reps": 8,
        "hold_s": 0,
        "days_per_week": 5,
        "target_rom_deg": 70,
        "max_rom_deg": 90,
        "notes": "Chair behind you; stop before the seat. Stop if the knee hurts.",
    },
    {
        "exercise_id": "single_leg_stance",
        "sets": 3,
        "reps": 0,
        "hold_s": 20,
        "days_per_week": 7,
        "target_rom_deg": None,
        "max_rom_deg": None,
        "notes": "Next to a worktop, fingertips on it if needed.",
    },
    {
        "exercise_id": "bicep_curl",
        "sets": 3,
        "reps": 10,
        "hold_s": 0,
        "days_per_week": 3,
        "target_rom_deg": None,
        "max_rom_deg": None,
        "notes": "1 kg, or a full water bottle.",
    },
]


def check_examples(items: list[dict[str, Any]]) -> None:
    """The checks the web form makes before saving: known exercises, then the program's own
    checks (coach.prescription.check_program, the one `Store.set_program` runs)."""
    for item in items:
        load_exercise(item["exercise_id"])  # raises UnknownExercise
    check_program(items)


def program_json(patient: Any, items: list[Any]) -> dict[str, Any]:
    return {
        "patient_id": patient.id,
        "patient": patient.name,
        "program": [
            {"position": it.position, **{k: getattr(it, k) for k in PROGRAM_FIELDS}} for it in items
        ],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT_DIR, help="output folder")
    args = ap.parse_args(argv)

    with np.load(TRACK, allow_pickle=False) as data:
        lm, fps = data["lm"], float(data["fps"])
        w, h = (int(v) for v in data["image_size"])
        meta = json.loads(str(data["meta"]))
    check_examples(PROGRAM)

    with tempfile.TemporaryDirectory(prefix="coach-samples-") as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'coach.db'}")
        try:
            therapist = store.create_user(
                "example_therapist", "Example therapist", secrets.token_urlsafe(16)
            )
            patient = store.create_patient(therapist.id, "Example patient", birth_year=1956)
            items = store.set_program(patient.id, PROGRAM)
            session_id, engine = record_landmarks(
                store,
                lm,
                fps,
                (w, h),
                load_exercise(meta["exercise"]),
                patient_id=patient.id,
                source="analyze",
                name=f"{meta['clip_id']} (samples/tracks/{TRACK.name})",
            )
            session = store.session(session_id)
            assert session is not None
            program = program_json(patient, items)
            exported = session_json(session, patient.name)
        finally:
            store.close()

    args.out.mkdir(parents=True, exist_ok=True)
    for name, doc in (("program.json", program), ("session.json", exported)):
        path = args.out / name
        path.write_text(json.dumps(doc, indent=2) + "\n")
        print(f"wrote {path}")
    print(f"session {session_id}: {len(engine.reps)} reps, {len(engine.faults)} faults")
    return 0


if __name__ == "__main__":
    sys.exit(main())
