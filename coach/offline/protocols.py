"""Clinical test protocols on a recording: video -> pose track -> scoring.protocols -> result.

The scoring of each test is pure (scoring/protocols/); this module does the I/O around it:
runs the pose model over a video once (or takes a stored landmark track), smooths it with the
same One Euro filter as live coaching, loads the exercise definitions and reference values,
and formats the result for a clinical record. Results are ProtocolResult objects; their
`to_json()` dict is what a store should keep.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from coach.errors import NoPersonFound
from exercises import load_exercise
from exercises.norms import load_norms
from pose.estimator import PoseEstimator
from scoring.definition import HoldRule
from scoring.measures import compute_measures, per_frame, reported_error, reports_by_view
from scoring.protocols import (
    Norms,
    ProtocolResult,
    StageTrack,
    chair_stand_30s,
    five_times_sit_to_stand,
    four_stage_balance,
    hold_condition,
    range_of_motion,
    single_leg_stance,
)
from scoring.protocols.balance_stages import FEET_MEASURES, four_stages_in_one
from scoring.protocols.gait import GAIT_MEASURES, gait
from scoring.protocols.rom import Seen
from scoring.protocols.tug import TUG_MEASURES, timed_up_and_go
from scoring.reported import ReportedTrack, reported_track

# id -> (what it measures, the inputs it needs); `coach protocol list` prints this.
PROTOCOLS: dict[str, str] = {
    "chair-stand": "30-second chair stand: full stands in 30 s (VIDEO --age --sex)",
    "five-times-sit-to-stand": "time to the fifth full stand (VIDEO [--age])",
    "single-leg-stance": "time on one leg until touch-down, max 45 s (VIDEO --side [--age])",
    "four-stage-balance": "feet together, semi-tandem, tandem, one leg: 10 s each "
    "(one continuous VIDEO, or one VIDEO per stage in order)",
    "rom": "peak shoulder or knee angle per side vs published values "
    "(VIDEO --joint [--movement] [--sex])",
    "tug": "Timed Up and Go: seconds from rising to sitting again, its phases and steps "
    "(VIDEO [--age])",
    "gait": "cadence, step time and its asymmetry, stride-time variability, speed "
    "(VIDEO [--height-cm] [--sex])",
}

ROM_MOVEMENTS = {
    ("shoulder", "flexion"): "shoulder_flexion",
    ("shoulder", "abduction"): "shoulder_abduction",
    ("knee", "flexion"): "knee_flexion",
}


@dataclass
class Track:
    """A smoothed pose track: times, (T, 33, 4) landmarks (NaN rows = no person), aspect;
    `raw`: the same landmarks before the live path's One Euro filter, for the tests that time
    events and smooth without lag themselves (timed up-and-go, gait; None when not kept); and
    the (T, 33, 3) world landmarks when the model gave them (NaN rows where it did not)."""

    t: np.ndarray
    landmarks: np.ndarray
    aspect: float
    source: str = ""
    warnings: list[str] = field(default_factory=list)
    raw: np.ndarray | None = None
    world: np.ndarray | None = None

    def measures(self, names: Sequence[str], *, raw: bool = False) -> dict[str, np.ndarray]:
        """Measures of the smoothed landmarks, or with `raw` of the unfiltered ones (where
        the track kept them)."""
        lm = self.raw if raw and self.raw is not None else self.landmarks
        return compute_measures(lm, self.aspect, list(names))

    def reported(self, names: Sequence[str]) -> ReportedTrack:
        """`names` as the engine reports them, frame by frame (scoring.reported): what
        `coach analyze` judges a rep's peak on."""
        return reported_track(self.landmarks, self.aspect, list(names), world=self.world)


def track_from_landmarks(
    lm: np.ndarray,
    fps: float,
    image_size: tuple[int, int],
    *,
    smooth: bool = True,
    source: str = "",
) -> Track:
    """A stored (T, 33, 4) track (NaN rows where no pose), smoothed as the live path does."""
    from pose.filters import LandmarkFilter
    from pose.types import Pose

    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    lm = np.asarray(lm, dtype=np.float64)
    if lm.ndim != 3 or lm.shape[1:] != (33, 4):
        raise ValueError(f"landmarks must be (T, 33, 4), got {lm.shape}")
    t = np.arange(len(lm)) / fps
    out = np.full_like(lm, np.nan)
    lf = LandmarkFilter() if smooth else None
    for i, row in enumerate(lm):
        pose = (
            Pose(row.astype(np.float32), float(t[i]), image_size)
            if np.isfinite(row[:, :2]).all()
            else None
        )
        if lf is not None:
            pose = lf(pose)
        if pose is not None:
            out[i] = pose.landmarks
    w, h = image_size
    track = Track(t=t, landmarks=out, aspect=w / h if h else 1.0, source=source, raw=lm)
    _check_pose(track)
    return track


def track_from_video(
    path: str | Path,
    *,
    estimator: PoseEstimator | None = None,
    progress: Callable[[int, int], None] | None = None,
    guard: bool = False,
) -> Track:
    """Run the pose model over a video once. Raises pose.sources.SourceError for unreadable
    input and NoPersonFound when no frame has a person. `guard`: the default estimator kept on
    the patient when someone else is in view (coach.pipeline.guarded; the tests filmed in a
    room with an examiner: timed up-and-go, gait)."""
    from pose.filters import LandmarkFilter
    from pose.sources import VideoFileSource

    times: list[float] = []
    rows: list[np.ndarray] = []
    raws: list[np.ndarray] = []
    worlds: list[np.ndarray] = []
    warnings: list[str] = []
    with VideoFileSource(path) as source:  # opens (and rejects bad files) before the model
        info = source.info
        own = estimator is None
        est = estimator or _default_estimator(guard)
        try:
            lf = LandmarkFilter()
            for frame in source:
                found = est.estimate(frame)
                pose = lf(found)
                times.append(frame.t)
                rows.append(pose.landmarks if pose is not None else np.full((33, 4), np.nan))
                raws.append(found.landmarks if found is not None else np.full((33, 4), np.nan))
                world = None if pose is None else pose.world
                worlds.append(world if world is not None else np.full((33, 3), np.nan))
                if progress is not None:
                    progress(frame.index + 1, info.frame_count)
        finally:
            if own:
                est.close()
        if source.truncated:
            warnings.append(
                f"video ended early: read {source.frames_read} of {info.frame_count} frames"
            )
    if not rows:
        raise NoPersonFound(f"{path}: the video has no readable frames")
    track = Track(
        t=np.asarray(times, float),
        landmarks=np.asarray(rows, float),
        aspect=info.width / info.height if info.height else 1.0,
        source=str(path),
        warnings=warnings,
        raw=np.asarray(raws, float),
        world=np.asarray(worlds, float),
    )
    _check_pose(track)
    return track


def _default_estimator(guard: bool) -> PoseEstimator:
    from pose.estimator import create_estimator

    if not guard:
        return create_estimator()
    from coach.pipeline import guarded

    return guarded(create_estimator())


def _check_pose(track: Track) -> None:
    seen = np.isfinite(track.landmarks[:, :, :2]).all(axis=(1, 2))
    if not seen.any():
        raise NoPersonFound(f"no person found in any of the {len(seen)} frames")
    if seen.mean() < 0.5:
        track.warnings.append(f"person found in only {seen.mean():.0%} of frames")


def _with_track_warnings(result: ProtocolResult, *tracks: Track) -> ProtocolResult:
    for tr in tracks:
        result.warnings = list(tr.warnings) + result.warnings
    return result


# -- the protocols ---------------------------------------------------------------------------
def _stand_thresholds() -> tuple[float, float]:
    """(stand, sit) hip heights of the sit_to_stand definition, whichever phase it counts."""
    rule = load_exercise("sit_to_stand").rep
    assert rule is not None
    return max(rule.enter, rule.exit), min(rule.enter, rule.exit)


def run_chair_stand(track: Track, *, age: int, sex: str) -> ProtocolResult:
    enter, exit_ = _stand_thresholds()
    h = track.measures(["hip_height"])["hip_height"]
    res = chair_stand_30s(
        track.t,
        h,
        enter=enter,
        exit=exit_,
        norms=load_norms("chair_stand_30s"),
        age=age,
        sex=sex,
    )
    return _with_track_warnings(res, track)


def run_five_times_sit_to_stand(track: Track, *, age: int | None = None) -> ProtocolResult:
    enter, exit_ = _stand_thresholds()
    h = track.measures(["hip_height"])["hip_height"]
    res = five_times_sit_to_stand(
        track.t,
        h,
        enter=enter,
        exit=exit_,
        norms=load_norms("five_times_sit_to_stand"),
        age=age,
    )
    return _with_track_warnings(res, track)


def _stance_condition(track: Track, exercise_id: str) -> tuple[np.ndarray, HoldRule]:
    ex = load_exercise(exercise_id)
    assert ex.hold is not None
    values = track.measures(ex.measures_needed())
    return hold_condition(values, ex.hold), ex.hold


def run_single_leg_stance(track: Track, *, side: str, age: int | None = None) -> ProtocolResult:
    """`side` is the leg stood on."""
    if side not in ("left", "right"):
        raise ValueError(f"side must be left or right, got {side!r}")
    cond, rule = _stance_condition(track, f"single_leg_stance_{side}")
    res = single_leg_stance(
        track.t, cond, rule, side=side, norms=load_norms("single_leg_stance"), age=age
    )
    return _with_track_warnings(res, track)


def run_four_stage_balance(tracks: Sequence[Track]) -> ProtocolResult:
    """One continuous recording of the four stances, or one track per stage in the test's
    order (2-4: the rest not recorded)."""
    ref = load_norms("four_stage_balance")
    stages = ref.extra["stages"]
    if not 1 <= len(tracks) <= len(stages):
        raise ValueError(
            f"four-stage balance takes one recording, or 2-{len(stages)}, one per stage"
        )
    if len(tracks) == 1:
        return _four_stages_in_one(tracks[0], ref)
    stage_tracks = []
    for stage, track in zip(stages, tracks, strict=False):
        cond, rule = _stance_condition(track, stage["exercise"])
        stage_tracks.append(StageTrack(stage["id"], track.t, cond, rule))
    res = four_stage_balance(stage_tracks, norms=ref)
    return _with_track_warnings(res, *tracks)


def _four_stages_in_one(track: Track, ref: Norms) -> ProtocolResult:
    rules = []
    names = set(_frame_names(FEET_MEASURES))
    for stage in ref.extra["stages"]:
        ex = load_exercise(stage["exercise"])
        assert ex.hold is not None
        rules.append((stage["id"], ex.hold))
        names |= set(ex.measures_needed())
    values = track.measures(sorted(names), raw=True)
    res = four_stages_in_one(track.t, values, rules, norms=ref)
    return _with_track_warnings(res, track)


def _frame_names(measures: Sequence[str]) -> list[str]:
    return [name for m in measures for name in per_frame(m)]


def run_tug(track: Track, *, age: int | None = None) -> ProtocolResult:
    """Timed Up and Go on one recording (scoring.protocols.tug)."""
    values = track.measures(_frame_names(TUG_MEASURES), raw=True)
    res = timed_up_and_go(
        track.t, values, norms=load_norms("timed_up_and_go"), age=age, width=track.aspect
    )
    return _with_track_warnings(res, track)


def run_gait(
    track: Track, *, height_cm: float | None = None, sex: str | None = None
) -> ProtocolResult:
    """Gait on one walking recording (scoring.protocols.gait)."""
    if height_cm is not None and not 50 <= height_cm <= 250:
        raise ValueError(f"height must be 50-250 cm, got {height_cm:g}")
    values = track.measures(_frame_names(GAIT_MEASURES), raw=True)
    res = gait(
        track.t,
        values,
        norms=load_norms("gait"),
        height_cm=height_cm,
        sex=sex,
        width=track.aspect,
    )
    return _with_track_warnings(res, track)


def run_rom(
    track: Track, *, joint: str, movement: str = "flexion", sex: str | None = None
) -> ProtocolResult:
    key = ROM_MOVEMENTS.get((joint, movement))
    if key is None:
        known = ", ".join(f"{j} {m}" for j, m in ROM_MOVEMENTS)
        raise ValueError(f"no range-of-motion test for {joint} {movement}; known: {known}")
    names = [f"{key}_left", f"{key}_right"]
    seen: dict[str, Seen] | None = None
    if reports_by_view(key):
        # The angle as `coach analyze` reports it: the same peak for the same clip.
        reported = track.reported(names)
        values = reported.values
        seen = {
            side: Seen(reported.valid[name], reported.visibility[name], _error(key, reported))
            for side, name in zip(("left", "right"), names, strict=True)
        }
    else:
        values = track.measures(names)
    res = range_of_motion(
        track.t,
        {"left": values[names[0]], "right": values[names[1]]},
        movement_id=key,
        norms=load_norms("range_of_motion"),
        sex=sex,
        seen=seen,
    )
    return _with_track_warnings(res, track)


def _error(key: str, reported: ReportedTrack) -> float | None:
    """The error to expect of `key` from the view the track was mostly seen from that can
    measure it (None: none could)."""
    errors = [e for view in reported.views if (e := reported_error(key, view)) is not None]
    return max(set(errors), key=errors.count) if errors else None


# -- text for the record ---------------------------------------------------------------------
def _reference_text(key: str, value: object) -> str:
    """`normal_range: [10, 15]` -> "normal range 10-15"; `mean_s: 12.6` -> "mean 12.6 s"."""
    if isinstance(value, list) and all(isinstance(v, dict) and "cite" in v for v in value):
        return "; ".join(f"{v['kind']} {v['deg']:g} deg ({v['cite']})" for v in value)
    words = key.replace("_", " ")
    unit = ""
    for suffix, u in ((" s", " s"), (" deg", " deg")):
        if words.endswith(suffix):
            words, unit = words[: -len(suffix)], u
    if isinstance(value, list):
        text = "-".join(f"{v:g}" for v in value)
    elif isinstance(value, float):
        text = f"{value:g}"
    else:
        text = str(value)
    return f"{words} {text}{unit}"


# Gait figures in the order a therapist reads them, with their units.
GAIT_FIGURES = {
    "cadence_spm": ("cadence", "steps/min", 0),
    "step_time_s": ("step time", "s", 2),
    "step_time_asymmetry_pct": ("step-time asymmetry", "%", 0),
    "stride_time_cv_pct": ("stride-time variability (CV)", "%", 1),
    "walking_speed_m_s": ("walking speed", "m/s", 2),
}


def _everyday_lines(m: dict[str, object]) -> list[str]:
    """The timed up-and-go's phases and steps, the gait's figures, each on a line."""
    lines = []
    for ph in m.get("phases", []) or []:  # type: ignore[attr-defined]
        seen = "" if ph["seen"] else " (out of view)"
        lines.append(
            f"  {ph['phase'].replace('_', ' ')}: {ph['start_s']:.1f}-{ph['end_s']:.1f} s "
            f"({ph['duration_s']:.1f} s){seen}"
        )
    if "walking_aid" in m:
        lines.append(f"  steps seen: {m['steps']}; walking aid or support: {m['walking_aid']}")
    for key, (label, unit, digits) in GAIT_FIGURES.items():
        fig = m.get(key)
        if not isinstance(fig, dict):
            continue
        if fig["value"] is None:
            lines.append(f"  {label}: not measured ({fig['why']})")
        else:
            value, pm = fig["value"], fig["plus_minus"]
            lines.append(f"  {label}: {value:.{digits}f} {unit} (+-{pm:.{digits}f})")
    return lines


def format_result(result: ProtocolResult) -> str:
    """A few lines a therapist can paste into a clinical record."""
    v, unit = result.value, result.unit
    if v is None:
        value = "not completed"
    elif unit == "stage":
        value = f"last stage passed {v:.0f} of 4"
    elif unit == "s":
        value = f"{v:.1f} s"
    elif unit == "steps/min":
        value = f"{v:.0f} steps/min"
    else:
        value = f"{v:.0f} {unit}"
    lines = [f"{result.name}: {value}"]
    m = result.measured
    if "sides" in m:
        for side, s in m["sides"].items():
            if s.get("peak_deg") is not None:
                lines.append(f"  {side}: peak {s['peak_deg']:.0f} deg")
            else:
                lines.append(f"  {side}: {s.get('status', 'not seen')}")
    if "stages" in m:
        for s in m["stages"]:
            held = f", held {s['held_s']:.1f} s" if "held_s" in s else ""
            lines.append(f"  stage {s['stage']} {s['id']}: {s['status']}{held}")
    if "touch_downs" in m:
        lines.append(f"  {m['side']} leg, touch-downs in the hold: {m['touch_downs']}")
    lines += _everyday_lines(m)
    ref = "; ".join(_reference_text(k, v) for k, v in result.to_json()["reference"].items())
    lines.append(f"Interpretation: {result.interpretation}")
    lines.append(f"Reference: {ref}")
    lines.append(f"Source: {result.source}")
    for w in result.warnings:
        lines.append(f"Warning: {w}")
    lines.append("Measured from video by Coach (pose estimation); confirm clinically.")
    return "\n".join(lines)
