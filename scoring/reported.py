"""The values a session reports, frame by frame: one definition behind every number shown.

A joint angle reported by view (scoring.measures: knee, hip and elbow flexion) is its
image-plane variant from the views that see its movement plane face-on, and "not measured"
(NaN) from the others and where its landmarks are seen too faintly. Every other measure is
kept as the engine took it. The values are the filtered landmarks' own, frame by frame,
without a further median: one of five frames lagged the angle by 3.5-10 degrees MAE on fast
side-view movements (benchmarks/angles.py), and the landmark filter leaves no spikes a peak
would catch (the peaks of the shared clips moved by at most 0.9 degrees under a median); the
range limit asks a few frames in a row past it instead (scoring.modes.reps). The engine reads
these values every frame (`ReportedValues`); a rep's peak, range and range limit, the store,
the exports and charts, `coach analyze --frames` and the clinical range-of-motion test all
read them, and `reported_track` takes them over a whole track the way the engine does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pose.types import Array, FloatArray
from scoring.measures import (
    frame_measures,
    joint_landmarks,
    reported_frame_name,
    reports_by_view,
)
from scoring.view import ViewTracker

NAN = float("nan")
# A reported angle is measured only in frames whose three landmarks are this visible (the
# measures' own gate is 0.5): the far limb of a side view (median 0.2-0.5 on the stored
# tracks, the near one 0.77-1.0, 5th percentile 0.68 or more) is not reported from glimpses.
REPORTED_MIN_VISIBILITY = 0.6


@dataclass(frozen=True)
class Reading:
    """One frame's reported values. `values`: per-frame name -> the value reported (NaN: not
    measured); and per joint angle reported by view, `visibility`: the lowest visibility of
    its three landmarks (NaN without a pose), `valid`: whether the frame has a pose and a view
    that can measure it."""

    values: dict[str, float]
    visibility: dict[str, float]
    valid: dict[str, bool]


class ReportedValues:
    """The reported values of a stream's measures, one frame at a time.

    `names`: the per-frame names kept (a definition's `measures_named()`); `views`: the views
    its definition counts in (a joint angle is measured only from those)."""

    def __init__(self, names: Sequence[str], views: Sequence[str] = ("any",)) -> None:
        self.names = tuple(names)
        self.views = tuple(views)
        self.by_view = tuple(name for name in self.names if reports_by_view(name))
        self._sources: dict[str, dict[str, str | None]] = {}  # per view: name -> variant

    def sources(self, view: str) -> dict[str, str | None]:
        """Per name reported by view: the per-frame variant it is read from in `view` (None:
        not measured there)."""
        found = self._sources.get(view)
        if found is None:
            found = self._sources[view] = {
                name: reported_frame_name(name, view, self.views) for name in self.by_view
            }
        return found

    def update(
        self, values: Mapping[str, float] | None, view: str, landmarks: Array | None
    ) -> Reading:
        """This frame's reading from the engine's `values` (None: no pose this frame)."""
        sources = self.sources(view)
        out = {name: NAN for name in self.names}
        visibility = {name: NAN for name in self.by_view}
        seen = values is not None
        valid = {name: seen and source is not None for name, source in sources.items()}
        if values is not None:
            for name in self.names:
                if name not in sources:
                    out[name] = values.get(name, NAN)
        for name, source in sources.items():
            raw = NAN
            if valid[name] and values is not None and source is not None and landmarks is not None:
                visibility[name] = lowest = _visibility(landmarks, source)
                if lowest >= REPORTED_MIN_VISIBILITY:
                    raw = values.get(source, NAN)
            out[name] = raw
        return Reading(out, visibility, valid)


def _visibility(landmarks: Array, name: str) -> float:
    indices = joint_landmarks(name)
    if indices is None:
        return NAN
    a, b, c = indices
    return float(min(landmarks[a, 3], landmarks[b, 3], landmarks[c, 3]))


@dataclass(frozen=True)
class ReportedTrack:
    """`reported_track`'s result: per name, one value per frame; each frame's view; and, per
    joint angle reported by view, its landmarks' lowest visibility and whether the frame's
    view could measure it (False for a frame without a pose)."""

    values: dict[str, FloatArray]
    views: list[str]
    visibility: dict[str, FloatArray]
    valid: dict[str, npt.NDArray[np.bool_]]


def reported_track(
    landmarks: Array,
    aspect: float,
    names: Sequence[str],
    *,
    world: Array | None = None,
    views: Sequence[str] = ("any",),
) -> ReportedTrack:
    """The reported values of `names` over a whole (smoothed) track, frame by frame as the
    engine takes them: (T, 33, 4) landmarks (NaN rows: no pose), the matching (T, 33, 3)
    world landmarks if known, the image aspect; `views` as in `ReportedValues`."""
    lm = np.asarray(landmarks, dtype=np.float64)
    wl = None if world is None else np.asarray(world, dtype=np.float64)
    tracker = ViewTracker()
    reported = ReportedValues(names, views)
    rows: list[Reading] = []
    seen_views: list[str] = []
    needed: dict[str, list[str]] = {}
    for i in range(len(lm)):
        pose = lm[i]
        if not np.isfinite(pose[:, :2]).all():
            rows.append(reported.update(None, tracker.view, None))
            seen_views.append(tracker.view)
            continue
        w = wl[i] if wl is not None and np.isfinite(wl[i]).all() else None
        view = tracker.update(pose, aspect, w)
        wanted = needed.get(view)
        if wanted is None:
            sources = reported.sources(view)
            wanted = needed[view] = sorted(
                {s for s in sources.values() if s is not None}
                | {n for n in reported.names if n not in sources}
            )
        values = frame_measures(pose, aspect, wanted, world=w, sagittal_stretch=tracker.stretch)
        rows.append(reported.update(values, view, pose))
        seen_views.append(view)
    return ReportedTrack(
        values={n: np.array([r.values[n] for r in rows], dtype=np.float64) for n in names},
        views=seen_views,
        visibility={
            n: np.array([r.visibility[n] for r in rows], dtype=np.float64) for n in reported.by_view
        },
        valid={n: np.array([r.valid[n] for r in rows], dtype=bool) for n in reported.by_view},
    )
