"""Personal references outside the engine: made from a reviewed session's reps, read from an
exported file, and said in words (the patient and session pages, `coach reference show`).

A reference (scoring.reference.PersonalReference) holds, per fault rule of the exercise, the
mean of the patient's good reps and the limit beyond which a later rep gets that rule's cue.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from coach.errors import ReferenceRefused
from coach.store import Store
from coach.store.models import PersonalReferenceRow
from exercises import load_exercise
from scoring.definition import Exercise
from scoring.reference import (
    RATIO_FLOOR,
    Feature,
    FeatureLimit,
    PersonalReference,
    ReferenceError,
    features,
)
from scoring.words import Say, say


def set_reference_from_session(
    store: Store,
    patient_id: int,
    session_id: str,
    *,
    exercise_id: str | None = None,
    created_by: int | None = None,
) -> PersonalReferenceRow:
    """Make the reps of a stored session the patient's reference for its exercise, replacing
    any earlier one. `exercise_id`, when given, must be the session's.

    Raises ReferenceRefused: unknown patient or session, a session of another patient or
    exercise, an exercise no longer in the library, or too few reps with measurements (the
    reason from scoring.reference.ReferenceError)."""
    if store.patient(patient_id) is None:
        raise ReferenceRefused(f"no patient with id {patient_id}")
    row = store.session(session_id)
    if row is None:
        raise ReferenceRefused(f"no session {session_id!r}")
    if row.patient_id != patient_id:
        raise ReferenceRefused(f"session {session_id} is not one of this patient's sessions")
    if exercise_id is not None and row.exercise_id != exercise_id:
        raise ReferenceRefused(f"session {session_id} is of {row.exercise_id}, not {exercise_id}")
    try:
        exercise = load_exercise(row.exercise_id)
    except KeyError:
        raise ReferenceRefused(f"unknown exercise {row.exercise_id!r}") from None
    profiles = [rep.profile for rep in row.reps if rep.profile]
    try:
        ref = PersonalReference.from_profiles(exercise, profiles)
    except ReferenceError as exc:
        raise ReferenceRefused(
            f"session {session_id} can't be a reference: {exc} "
            f"({len(profiles)} of its {len(row.reps)} reps were measured)"
        ) from None
    return store.save_reference(
        patient_id, exercise.id, session_id, ref.to_json(), ref.reps, created_by=created_by
    )


class BadReferenceFile(ValueError):
    """A file that is not a usable reference for the exercise (the message says why)."""


def read_reference_file(path: str | Path, exercise: Exercise) -> PersonalReference:
    """A reference exported with `coach reference export`, checked against `exercise`."""
    path = Path(path)
    if not path.is_file():
        raise BadReferenceFile(f"no such reference file: {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ReferenceError("a reference is a JSON object")
        ref = PersonalReference.from_json(data)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BadReferenceFile(f"{path} is not a reference file: {exc}") from None
    if ref.exercise_id != exercise.id:
        raise BadReferenceFile(f"{path} is a reference for {ref.exercise_id}, not {exercise.id}")
    return ref


@dataclass(frozen=True)
class LimitLine:
    """One feature of a reference, for people: what it is, its usual value and its limit."""

    id: str
    label: str  # the fault rule's message, e.g. "Leaning far forward to stand up"
    unit: str  # "°", "s" or "" (a ratio of body lengths)
    limit: FeatureLimit

    def _fmt(self, v: float) -> str:
        if not math.isfinite(v):
            return "–"
        return f"{v:.2f}" if self.unit == "" else f"{v:.1f}{self.unit}"

    @property
    def mean(self) -> str:
        return self._fmt(self.limit.mean)

    @property
    def sd(self) -> str:
        return self._fmt(self.limit.sd)

    @property
    def bound(self) -> str:
        return self._fmt(self.limit.limit)

    @property
    def words(self) -> Say:
        """E.g. "usually 29.6°; flagged above 40.1°" (a message: docs/I18N.md)."""
        if self.limit.worse == "above":
            return say("usually {mean}; flagged above {bound}", mean=self.mean, bound=self.bound)
        return say("usually {mean}; flagged below {bound}", mean=self.mean, bound=self.bound)


def _unit(feature: Feature) -> str:
    if feature.rule.kind == "rep_too_fast":
        return "s"
    return "" if feature.floor == RATIO_FLOOR else "°"


def limit_lines(ref: PersonalReference, exercise: Exercise | None) -> list[LimitLine]:
    """The reference's limits in the definition's order, labelled with its fault messages
    (by id alone when the exercise is unknown)."""
    feats = {f.id: f for f in features(exercise)} if exercise is not None else {}
    order = [f for f in feats if f in ref.limits] + [k for k in ref.limits if k not in feats]
    out = []
    for fid in order:
        f = feats.get(fid)
        if f is None:
            label, unit = fid.replace("_", " "), ""
        else:
            label = f.rule.message or fid.replace("_", " ")
            unit = _unit(f)
        out.append(LimitLine(fid, label, unit, ref.limits[fid]))
    return out
