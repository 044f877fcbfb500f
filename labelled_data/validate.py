"""Judge labelled recordings with the library's own fault rules and score the agreement.

Every recording goes through the same `ExerciseEngine` (or, for single frames, the same
measures and thresholds) that judges a patient; nothing is fitted to the files. Per fault:
sensitivity on the recordings labelled faulty, specificity on the correct ones, balanced
accuracy (their mean). "any" is the union of the evaluated faults: the engine's verdict
"something was wrong with this rep" against the dataset's correct/incorrect label.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from exercises import Exercise, load_exercise
from labelled_data import exercise_correction, pose_trainer, uiprmd
from labelled_data.common import LabelledTrack
from scoring.definition import FaultRule
from scoring.engine import ExerciseEngine
from scoring.events import FaultDetected, RepCompleted
from scoring.faults import violates
from scoring.measures import compute_measures
from scoring.signals import side_difference, side_values

ANY = "any"


@dataclass(frozen=True)
class Verdict:
    """What the engine said about one recording."""

    id: str
    label: str
    faulty: bool  # the dataset's label says incorrect
    reps: int
    faults: frozenset[str]


@dataclass
class FaultScore:
    dataset: str
    exercise: str
    fault: str
    n_correct: int = 0
    n_incorrect: int = 0
    true_pos: int = 0
    true_neg: int = 0

    @property
    def sensitivity(self) -> float:
        return self.true_pos / self.n_incorrect if self.n_incorrect else math.nan

    @property
    def specificity(self) -> float:
        return self.true_neg / self.n_correct if self.n_correct else math.nan

    @property
    def balanced_accuracy(self) -> float:
        return (self.sensitivity + self.specificity) / 2

    def to_json(self) -> dict[str, object]:
        return {
            **asdict(self),
            "sensitivity": _round(self.sensitivity),
            "specificity": _round(self.specificity),
            "balanced_accuracy": _round(self.balanced_accuracy),
        }


@dataclass
class SetResult:
    """One dataset/exercise: the per-fault scores, the rep counts, and each verdict."""

    dataset: str
    exercise: str
    scores: list[FaultScore]
    verdicts: list[Verdict] = field(default_factory=list)
    one_rep_share: float | None = None  # correct files counted as exactly one rep

    def to_json(self) -> dict[str, object]:
        return {
            "dataset": self.dataset,
            "exercise": self.exercise,
            "one_rep_share_correct": _round(self.one_rep_share),
            "faults": [s.to_json() for s in self.scores],
        }


def _round(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else round(x, 3)


def run_engine(exercise: Exercise, track: LabelledTrack) -> tuple[int, set[str], set[str]]:
    """Feed a track frame by frame: (reps counted, fault ids fired, rule views the engine saw
    the track in)."""
    engine = ExerciseEngine(exercise, track.aspect)
    faults: set[str] = set()
    reps = 0
    views: set[str] = set()
    for t, frame in zip(track.t, track.landmarks, strict=True):
        events = engine.update(float(t), frame)
        views.add(engine.state.view)
        for ev in events:
            if isinstance(ev, FaultDetected):
                faults.add(ev.id)
            elif isinstance(ev, RepCompleted):
                reps += 1
    for ev in engine.finish():
        if isinstance(ev, RepCompleted):
            reps += 1
    return reps, faults, views


def score(
    dataset: str, exercise: str, verdicts: Sequence[Verdict], faults: Iterable[str]
) -> list[FaultScore]:
    """Per-fault and "any" scores of a list of verdicts."""
    wanted = list(faults)
    rows = [(fid, {fid}) for fid in wanted] + [(ANY, set(wanted))]
    return score_rows(dataset, exercise, verdicts, rows)


def score_rows(
    dataset: str,
    exercise: str,
    verdicts: Sequence[Verdict],
    rows: Sequence[tuple[str, set[str]]],
) -> list[FaultScore]:
    """One score per (row name, fault ids): a verdict is flagged if any of the ids fired."""
    out: list[FaultScore] = []
    for name, ids in rows:
        s = FaultScore(dataset, exercise, name)
        for v in verdicts:
            flagged = bool(v.faults & ids)
            if v.faulty:
                s.n_incorrect += 1
                s.true_pos += flagged
            else:
                s.n_correct += 1
                s.true_neg += not flagged
        out.append(s)
    return out


# -- UI-PRMD ---------------------------------------------------------------------------------
UIPRMD_EXERCISES = {"m01": "squat", "m05": "sit_to_stand", "m07": "shoulder_abduction"}
# m07 is done with one arm: left/right asymmetry is the movement itself, not a fault.
UIPRMD_NOT_APPLICABLE = {"m07": ("asymmetry",)}


def uiprmd_verdict(exercise: Exercise, front: LabelledTrack, side: LabelledTrack) -> Verdict:
    """Judge one Kinect file from two virtual cameras: each rule from the view it declares
    (rules for any view, and the rep count, from the view the exercise asks for)."""
    declared = exercise.view if exercise.view in ("front", "side") else "front"
    by_view = {"front": run_engine(exercise, front), "side": run_engine(exercise, side)}
    faults: set[str] = set()
    for rule in exercise.faults:
        view = rule.view if rule.view in ("front", "side") else declared
        if rule.id in by_view[view][1]:
            faults.add(rule.id)
    reps = by_view[declared][0]
    return Verdict(front.id, front.label, front.label != "correct", reps, frozenset(faults))


def evaluate_uiprmd(root: Path, limit: int | None = None) -> list[SetResult]:
    results: list[SetResult] = []
    for movement, exercise_id in UIPRMD_EXERCISES.items():
        exercise = load_exercise(exercise_id)
        skip = UIPRMD_NOT_APPLICABLE.get(movement, ())
        verdicts: list[Verdict] = []
        for label in uiprmd.LABELS:
            fronts = uiprmd.load(root, movement, label, "front", limit)
            sides = uiprmd.load(root, movement, label, "side", limit)
            verdicts += [uiprmd_verdict(exercise, f, s) for f, s in zip(fronts, sides, strict=True)]
        evaluated = [r.id for r in exercise.faults if r.id not in skip]
        correct = [v for v in verdicts if not v.faulty]
        one_rep = sum(v.reps == 1 for v in correct) / len(correct) if correct else None
        name = f"UI-PRMD {movement} ({uiprmd.MOVEMENTS[movement]})"
        results.append(
            SetResult(
                name, exercise_id, score(name, exercise_id, verdicts, evaluated), verdicts, one_rep
            )
        )
    return results


# -- Pose Trainer ------------------------------------------------------------------------------
POSE_TRAINER_EXERCISES = {"bicep": "bicep_curl", "frontraise": "front_raise"}


def evaluate_pose_trainer(root: Path, limit: int | None = None) -> list[SetResult]:
    results: list[SetResult] = []
    for folder, exercise_id in POSE_TRAINER_EXERCISES.items():
        exercise = load_exercise(exercise_id)
        verdicts = []
        for track in pose_trainer.load(root, folder, limit):
            reps, faults, _ = run_engine(exercise, track)
            verdicts.append(
                Verdict(track.id, track.label, track.label == "bad", reps, frozenset(faults))
            )
        evaluated = [r.id for r in exercise.faults]
        name = f"Pose Trainer {folder}"
        results.append(
            SetResult(name, exercise_id, score(name, exercise_id, verdicts, evaluated), verdicts)
        )
    return results


# -- Exercise-Correction (single frames) ---------------------------------------------------------
# Which of the library's rules each labelled error corresponds to.
EXERCISE_CORRECTION_RULES = {"bicep_curl": "leaning_back", "lunge": "knee_over_toe"}


def frame_fault(rule: FaultRule, track: LabelledTrack) -> bool:
    """Does the rule's threshold hold on this single frame? (Phase, duration and view, which
    need a stream, cannot apply to a lone frame.)"""
    assert rule.measure is not None
    values = {k: float(v[0]) for k, v in compute_measures(track.landmarks, track.aspect).items()}
    if rule.kind == "side_difference":
        signals = {"": side_difference(values, rule.measure)}
    else:
        signals = side_values(values, rule.measure, rule.side)
    return any(violates(rule, v) for v in signals.values())


def evaluate_exercise_correction(root: Path, limit: int | None = None) -> list[SetResult]:
    results: list[SetResult] = []
    for set_name, fault_id in EXERCISE_CORRECTION_RULES.items():
        exercise = load_exercise(set_name)
        rule = next(r for r in exercise.faults if r.id == fault_id)
        verdicts = []
        for track in exercise_correction.load(root, set_name, limit):
            fired = frozenset({fault_id}) if frame_fault(rule, track) else frozenset()
            verdicts.append(Verdict(track.id, track.label, track.label != "correct", 0, fired))
        name = "Exercise-Correction " + set_name + " (frames)"
        results.append(
            SetResult(name, set_name, score(name, set_name, verdicts, [fault_id])[:1], verdicts)
        )
    return results


def evaluate_all(labelled: Path, limit: int | None = None) -> list[SetResult]:
    """Every dataset under `labelled` (the shared data's `labelled/` folder)."""
    return [
        *evaluate_uiprmd(labelled / "ui_prmd_kinect", limit),
        *evaluate_pose_trainer(labelled / "pose_trainer_openpose", limit),
        *evaluate_exercise_correction(labelled / "exercise_correction_mediapipe", limit),
    ]


def format_table(results: Sequence[SetResult]) -> str:
    lines = [
        "| dataset | exercise | fault | n correct | n incorrect | sensitivity | specificity "
        "| balanced accuracy |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        for s in r.scores:
            lines.append(
                f"| {r.dataset} | {r.exercise} | {s.fault} | {s.n_correct} | {s.n_incorrect} "
                f"| {_fmt(s.sensitivity)} | {_fmt(s.specificity)} | {_fmt(s.balanced_accuracy)} |"
            )
    reps = [r for r in results if r.one_rep_share is not None]
    if reps:
        lines.append("")
        lines.append(
            "| dataset | correct files counted as exactly one rep "
            "| incorrect files not counted as a rep |"
        )
        lines.append("| --- | --- | --- |")
        for r in reps:
            assert r.one_rep_share is not None
            n = sum(not v.faulty for v in r.verdicts)
            bad = [v for v in r.verdicts if v.faulty]
            uncounted = sum(v.reps == 0 for v in bad)
            lines.append(
                f"| {r.dataset} | {r.one_rep_share:.2f} (n = {n}) "
                f"| {uncounted / len(bad) if bad else math.nan:.2f} (n = {len(bad)}) |"
            )
    return "\n".join(lines)


def _fmt(x: float) -> str:
    return "-" if not math.isfinite(x) else f"{x:.2f}"
