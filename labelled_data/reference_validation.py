"""Personal references (scoring.reference) against UI-PRMD's labels, leave one out.

UI-PRMD has ten subjects, each with ten correct and ten incorrect reps of every movement. For
each file, the subject's reference is made of their *other* correct reps (the nine whose
repetition number differs from the file's), exactly as a therapist would record a patient's
good reps first; the file is then judged against it. No label of the judged file, and no
incorrect file, ever enters a reference, and the limits are the module's fixed ones (3 SD,
measurement floors): nothing is fitted.

The verdict reported as "rules + reference" is what the engine says with a reference loaded:
the definition's fixed rules (as in `validate`) or a deviation from the reference.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from exercises import Exercise, load_exercise
from labelled_data import pose_trainer, uiprmd
from labelled_data.common import LabelledTrack
from labelled_data.validate import (
    ANY,
    POSE_TRAINER_EXERCISES,
    UIPRMD_EXERCISES,
    UIPRMD_NOT_APPLICABLE,
    FaultScore,
    SetResult,
    Verdict,
    run_engine,
    score_rows,
    uiprmd_verdict,
)
from scoring.engine import ExerciseEngine
from scoring.events import RepCompleted
from scoring.measures import compute_measures
from scoring.reference import (
    PersonalReference,
    ReferenceError,
    features,
    frame_features,
    rep_profile,
)

REF = "ref:"  # prefix of a reference deviation in a verdict's faults
ANY_REF = "any (reference)"
ANY_BOTH = "any (rules + reference)"
_FILE = re.compile(r"^(m\d+)_s(\d+)_e(\d+)$")


@dataclass(frozen=True)
class FileProfiles:
    """One file: who, which repetition, its label, and the profile of each counted rep."""

    id: str
    subject: str
    repetition: str
    faulty: bool
    profiles: list[dict[str, float]]
    rule_verdict: Verdict


def two_view_profiles(
    exercise: Exercise, front: LabelledTrack, side: LabelledTrack
) -> list[dict[str, float]]:
    """Each counted rep's features, every feature read from the view its rule needs.

    The rep is counted from the view the exercise asks for; the features of rules for the
    other view are read from that view's picture of the same frames (two synchronised
    cameras), over the same rep window."""
    declared = exercise.view if exercise.view in ("front", "side") else "front"
    tracks = {"front": front, "side": side}
    main = tracks[declared]
    reps = counted_reps(exercise, main)
    if not reps:
        return []
    feats = features(exercise)
    other = "side" if declared == "front" else "front"
    wanted = [f for f in feats if f.rule.view == other]
    series: dict[str, list[float]] = defaultdict(list)
    if wanted:
        track = tracks[other]
        measured = compute_measures(track.landmarks, track.aspect, exercise.measures_needed(other))
        for i in range(track.frames):
            values = {k: float(v[i]) for k, v in measured.items()}
            for k, v in frame_features(wanted, values, other).items():
                series[k].append(v)
    out = []
    for rep in reps:
        profile = dict(rep.profile)
        if wanted:
            extra = rep_profile(wanted, main.t, series, rep.start_s, rep.end_s, rep.rom_deg)
            profile.update(extra)
        out.append(profile)
    return out


def judge(reference: PersonalReference | None, profiles: list[dict[str, float]]) -> set[str]:
    """The features on which any of the file's reps deviates (none without a reference)."""
    if reference is None:
        return set()
    return {d.id for p in profiles for d in reference.deviations(p)}


def leave_one_out(
    exercise: Exercise, files: list[FileProfiles], **limits: float
) -> dict[str, PersonalReference | None]:
    """Per file id: the reference from the same subject's correct files of other repetitions
    (UI-PRMD names a correct and an incorrect file alike: both get the same reference).
    `limits` go to `PersonalReference.from_profiles` (the robustness check)."""
    correct: Mapping[str, list[FileProfiles]] = defaultdict(list)
    for f in files:
        if not f.faulty:
            correct[f.subject].append(f)
    out: dict[str, PersonalReference | None] = {}
    for f in files:
        reps = [
            p
            for other in correct.get(f.subject, [])
            if other.repetition != f.repetition
            for p in other.profiles
        ]
        try:
            out[f.id] = PersonalReference.from_profiles(exercise, reps, **limits)
        except ReferenceError:
            out[f.id] = None
    return out


def uiprmd_files(
    root: Path,
    movement: str,
    exercise: Exercise,
    limit: int | None = None,
    known: Mapping[tuple[str, str], Verdict] | None = None,
) -> list[FileProfiles]:
    """Every file of one movement with its reps' profiles and the fixed rules' verdict.
    `known`: the rules' verdicts per (file id, label), when `validate` has judged them."""
    known = known or {}
    files: list[FileProfiles] = []
    for label in uiprmd.LABELS:
        fronts = uiprmd.load(root, movement, label, "front", limit)
        sides = uiprmd.load(root, movement, label, "side", limit)
        for front, side in zip(fronts, sides, strict=True):
            m = _FILE.match(front.id)
            if m is None:
                raise ValueError(f"unexpected UI-PRMD file name {front.id!r}")
            files.append(
                FileProfiles(
                    front.id,
                    m.group(2),
                    m.group(3),
                    label != "correct",
                    two_view_profiles(exercise, front, side),
                    known.get((front.id, label)) or uiprmd_verdict(exercise, front, side),
                )
            )
    return files


def judge_files(
    exercise: Exercise,
    files: list[FileProfiles],
    skip: frozenset[str] | set[str] = frozenset(),
    **limits: float,
) -> list[Verdict]:
    """Each file's verdict: the fixed rules' faults plus `REF`-prefixed deviations from its
    leave-one-out reference."""
    references = leave_one_out(exercise, files, **limits)
    rule_ids = {r.id for r in exercise.faults} - skip
    return [
        Verdict(
            f.id,
            f.rule_verdict.label,
            f.faulty,
            f.rule_verdict.reps,
            frozenset(
                (f.rule_verdict.faults & rule_ids)
                | {REF + d for d in judge(references[f.id], f.profiles) - skip}
            ),
        )
        for f in files
    ]


def evaluate_uiprmd_reference(
    root: Path, limit: int | None = None, known: Mapping[tuple[str, str], Verdict] | None = None
) -> list[SetResult]:
    results: list[SetResult] = []
    for movement, exercise_id in UIPRMD_EXERCISES.items():
        exercise = load_exercise(exercise_id)
        skip = set(UIPRMD_NOT_APPLICABLE.get(movement, ()))
        rule_ids = [r.id for r in exercise.faults if r.id not in skip]
        verdicts = judge_files(exercise, uiprmd_files(root, movement, exercise, limit, known), skip)
        name = f"UI-PRMD {movement} ({uiprmd.MOVEMENTS[movement]})"
        results.append(
            SetResult(name, exercise_id, score_reference(name, exercise_id, verdicts, rule_ids))
        )
    return results


def robustness(
    root: Path,
    grid: Sequence[tuple[float, float]],
    limit: int | None = None,
    known: Mapping[tuple[str, str], Verdict] | None = None,
) -> list[tuple[str, float, float, FaultScore]]:
    """ "Rules + reference" on UI-PRMD for other limits than the fixed ones: (SD multiple,
    floor scale) pairs. A check that the fixed limits are not a lucky pick, never a tuning."""
    out = []
    for movement, exercise_id in UIPRMD_EXERCISES.items():
        exercise = load_exercise(exercise_id)
        skip = set(UIPRMD_NOT_APPLICABLE.get(movement, ()))
        rule_ids = [r.id for r in exercise.faults if r.id not in skip]
        files = uiprmd_files(root, movement, exercise, limit, known)
        for sd_limit, floor_scale in grid:
            verdicts = judge_files(
                exercise, files, skip, sd_limit=sd_limit, floor_scale=floor_scale
            )
            both = score_reference(movement, exercise_id, verdicts, rule_ids)
            row = next(s for s in both if s.fault == ANY_BOTH)
            out.append((movement, sd_limit, floor_scale, row))
    return out


def evaluate_pose_trainer_reference(
    root: Path, limit: int | None = None, known: Mapping[tuple[str, str], Verdict] | None = None
) -> list[SetResult]:
    """Pose Trainer names no subjects: each file is judged against a reference made of the
    *other* good files (other people's, or other takes'), like a reference recorded from a
    therapist's demonstration rather than from the patient."""
    known = known or {}
    results: list[SetResult] = []
    for folder, exercise_id in POSE_TRAINER_EXERCISES.items():
        exercise = load_exercise(exercise_id)
        rule_ids = [r.id for r in exercise.faults]
        files: list[FileProfiles] = []
        for track in pose_trainer.load(root, folder, limit):
            faulty = track.label == "bad"
            verdict = known.get((track.id, track.label))
            if verdict is None:
                reps, faults, _ = run_engine(exercise, track)
                verdict = Verdict(track.id, track.label, faulty, reps, frozenset(faults))
            profiles = single_view_profiles(exercise, track)
            files.append(FileProfiles(track.id, "all", track.id, faulty, profiles, verdict))
        verdicts = judge_files(exercise, files)
        name = f"Pose Trainer {folder} (others' good reps)"
        results.append(
            SetResult(name, exercise_id, score_reference(name, exercise_id, verdicts, rule_ids))
        )
    return results


def single_view_profiles(exercise: Exercise, track: LabelledTrack) -> list[dict[str, float]]:
    """Each counted rep's features, from the one camera the track was filmed with."""
    return [dict(r.profile) for r in counted_reps(exercise, track)]


def counted_reps(exercise: Exercise, track: LabelledTrack) -> list[RepCompleted]:
    """The reps the engine counts on a track fed frame by frame, as a patient's would be."""
    engine = ExerciseEngine(exercise, track.aspect)
    for t, frame in zip(track.t, track.landmarks, strict=True):
        engine.update(float(t), frame)
    engine.finish()
    return list(engine.reps)


def score_reference(
    dataset: str, exercise: str, verdicts: list[Verdict], rule_ids: list[str]
) -> list[FaultScore]:
    """Per fault: the reference deviation alone; then any deviation, and rules or reference."""
    rows: list[tuple[str, set[str]]] = [(REF + r, {REF + r}) for r in rule_ids]
    rows.append((ANY_REF, {REF + r for r in rule_ids}))
    rows.append((ANY_BOTH, {REF + r for r in rule_ids} | set(rule_ids)))
    rows.append((ANY + " (rules alone)", set(rule_ids)))
    return score_rows(dataset, exercise, verdicts, rows)


def evaluate_references(
    labelled: Path, limit: int | None = None, rules: Sequence[SetResult] = ()
) -> list[SetResult]:
    """Both datasets with references; `rules` (from `validate.evaluate_all`) saves judging
    the files by the fixed rules a second time."""
    known = {(v.id, v.label): v for r in rules for v in r.verdicts}
    return [
        *evaluate_uiprmd_reference(labelled / "ui_prmd_kinect", limit, known),
        *evaluate_pose_trainer_reference(labelled / "pose_trainer_openpose", limit, known),
    ]
