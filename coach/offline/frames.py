"""`coach analyze --frames OUT.csv`: every frame's measures, as the engine reported them.

One row per frame: `t_s`, then one column per measure the exercise names, named as in a stored
session's per-frame export (`knee_flexion_left`, `hip_height`, ...), in degrees or their own
units; an empty cell where the measure was not measured (not seen, or a joint angle from a view
that cannot measure it: scoring.reported). The values are those a rep's peak, range and range
limit were judged on, for researchers and for checking (the per-frame angle files Sports2D and
OpenCap users expect).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from coach.sinks import NO_INFO, FrameInfo


class FrameTable:
    """An event sink (coach.sinks) that keeps each frame's reported measures and writes them
    as CSV on `close`."""

    def __init__(self, path: str | Path, names: Sequence[str]) -> None:
        self.path = Path(path)
        self.names = sorted(names)
        self.rows: list[tuple[float, Mapping[str, float] | None]] = []

    def frame(self, t: float, landmarks: np.ndarray | None, info: FrameInfo = NO_INFO) -> None:
        self.rows.append((float(t), info.measures))

    def event(self, event: dict[str, object]) -> None:
        pass

    def close(self) -> None:
        with self.path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["t_s", *self.names])
            for t, values in self.rows:
                w.writerow([f"{t:.3f}", *(_cell(values, name) for name in self.names)])


def _cell(values: Mapping[str, float] | None, name: str) -> str:
    v = None if values is None else values.get(name)
    return f"{v:.2f}" if v is not None and math.isfinite(v) else ""
