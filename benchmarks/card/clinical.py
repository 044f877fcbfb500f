"""Chair-stand counts and sit-to-stand times on clinical_clips.json's hand-labelled clips.

These clips have no stored landmark track, so the real model runs over each video once (the
product's default model and landmark filter, `coach.offline.protocols.track_from_video`) and
the track is cached under `--cache` (never in the repository), keyed by the video's sha256.

Labels are seconds of the decoded frames' timestamps with the first frame at 0 (the clips'
notes); some clips are WebM with a variable frame rate, so the track keeps each frame's own
timestamp (CAP_PROP_POS_MSEC, pose.sources.VideoFileSource), shifted so its first frame is 0,
and never counts frames.

Scored as the product scores them: `run_chair_stand` (stands counted) and
`run_five_times_sit_to_stand` (time to the fifth stand) of coach.offline.protocols. A stand's
moment is when the hips pass the `sit_to_stand` definition's standing threshold; the test's
clock starts at the first movement.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from coach.offline.protocols import (
    Track,
    run_chair_stand,
    run_five_times_sit_to_stand,
    track_from_video,
)
from exercises import load_exercise
from pose.mediapipe_backend import sha256_file

MATCH_S = 1.5  # a detected stand further than this from a labelled one is not that stand


@dataclass(frozen=True)
class StandTruth:
    """What a clip's labels say about its rises from the chair."""

    stands: int
    rise_onset_s: float  # first trunk movement of the first stand
    seat_off_s: float  # buttocks leave the seat, first stand
    standing_s: list[float]  # each stand reached (upright)
    five_times_s: float | None = None  # rise onset to the fifth full stand


def truth_of(clip: dict[str, Any]) -> StandTruth | None:
    """The stand labels of a five-times sit-to-stand or a timed up-and-go clip (one rise);
    None for clips without rises from a chair (walks, jumps)."""
    gt = clip.get("ground_truth", {})
    if clip.get("kind") == "sit_to_stand" and "reps_detail" in gt:
        reps = gt["reps_detail"]
        return StandTruth(
            stands=int(gt["reps"]),
            rise_onset_s=float(gt["rise_onset_s"]),
            seat_off_s=float(reps[0]["seat_off_s"]),
            standing_s=[float(r["standing_s"]) for r in reps],
            five_times_s=gt.get("five_times_sts_total_to_5th_stand_s"),
        )
    if clip.get("kind") == "tug" and "upright_s" in gt:
        return StandTruth(
            stands=1,
            rise_onset_s=float(gt["rise_onset_s"]),
            seat_off_s=float(gt["seat_off_s"]),
            standing_s=[float(gt["upright_s"])],
        )
    return None


# --- tracks ----------------------------------------------------------------------------------


def cached_track(video: Path, cache: Path, *, model: str = "full") -> Track:
    """The real model's smoothed track of `video`, from the cache when it is there."""
    key = cache / f"{video.stem}-{model}-{sha256_file(video)[:16]}.npz"
    if not key.is_file():
        track = track_from_video(video)
        cache.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            key,
            t=track.t - track.t[0],
            landmarks=track.landmarks,
            aspect=track.aspect,
            warnings=json.dumps(track.warnings),
        )
    with np.load(key, allow_pickle=False) as d:
        warnings = json.loads(str(d["warnings"])) if "warnings" in d.files else []
        return Track(d["t"], d["landmarks"], float(d["aspect"]), str(video), warnings)


# --- one clip --------------------------------------------------------------------------------


@dataclass
class StandRow:
    clip: str
    kind: str
    view: str
    truth: StandTruth
    counted: int  # the chair-stand test's count
    onset_s: float  # the clock's start (NaN when no stand was found)
    stands_s: list[float]  # each stand reached, seconds from the first frame
    five_times_s: float | None  # the five-times test's time (None: not completed)
    seated_level: float  # median hip height before the labelled rise (leg lengths)
    warnings: list[str] = field(default_factory=list)

    def stand_errors(self) -> tuple[list[float], int]:
        """(detected minus labelled time of each labelled stand matched, labelled stands
        missed): each labelled stand takes the nearest unused detected one within MATCH_S."""
        free = list(self.stands_s)
        errors, missed = [], 0
        for label in self.truth.standing_s:
            near = [s for s in free if abs(s - label) <= MATCH_S]
            if not near:
                missed += 1
                continue
            best = min(near, key=lambda s: abs(s - label))
            free.remove(best)
            errors.append(best - label)
        return errors, missed


def stand_row(clip: dict[str, Any], track: Track) -> StandRow | None:
    truth = truth_of(clip)
    if truth is None:
        return None
    # The count needs an age and sex only for its norms band: any valid pair will do.
    chair = run_chair_stand(track, age=70, sex="female")
    start = float(chair.measured.get("start_s", math.nan))
    stands = [start + s for s in chair.measured.get("stand_times_s", [])]
    five = run_five_times_sit_to_stand(track)
    hips = track.measures(["hip_height"])["hip_height"][track.t < truth.rise_onset_s]
    return StandRow(
        clip=clip["id"],
        kind=clip["kind"],
        view=clip.get("view", ""),
        truth=truth,
        counted=int(chair.value or 0),
        onset_s=start,
        stands_s=stands,
        five_times_s=five.value,
        seated_level=float(np.nanmedian(hips)) if np.isfinite(hips).any() else math.nan,
        warnings=list(chair.warnings),
    )


def seated_threshold() -> float:
    """The hip height below which the stand detector takes the patient to be seated (the
    `sit_to_stand` definition's lower threshold)."""
    rule = load_exercise("sit_to_stand").rep
    assert rule is not None
    return min(rule.enter, rule.exit)


def stand_rows(
    clips: Iterable[dict[str, Any]],
    root: Path,
    track_of: Callable[[Path], Track],
    progress: Callable[[str], None] | None = None,
) -> list[StandRow]:
    """Every clip with rises from a chair, scored on `track_of(video)`."""
    rows = []
    for clip in clips:
        if truth_of(clip) is None:
            continue
        if progress is not None:
            progress(f"card: {clip['id']} (real model)")
        row = stand_row(clip, track_of(root / clip["video"]))
        if row is not None:
            rows.append(row)
    return rows
