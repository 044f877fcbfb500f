"""The stored landmark tracks of the real recordings (../shared/data): manifest, video size
and fps, and a clip's landmarks."""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import cv2
import numpy as np


def manifest(shared_data: Path) -> list[dict[str, Any]]:
    return json.loads((shared_data / "MANIFEST.json").read_text())["videos"]


def video_info(path: Path) -> tuple[float, int, int]:
    """(fps, width, height) from the container, without decoding frames."""
    cap = cv2.VideoCapture(str(path))
    try:
        assert cap.isOpened(), f"cannot open {path}"
        fps = float(cap.get(cv2.CAP_PROP_FPS))
        w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    finally:
        cap.release()
    assert fps > 0 and w > 0 and h > 0, path
    return fps, w, h


def landmarks(shared_data: Path, clip: dict[str, Any]) -> np.ndarray:
    with np.load(shared_data / clip["landmarks"]) as data:
        lm = data["lm"]
    assert lm.ndim == 3 and lm.shape[1:] == (33, 4)
    return lm


def clip_by_id(shared_data: Path, clip_id: str) -> dict[str, Any]:
    (clip,) = [c for c in manifest(shared_data) if c["id"] == clip_id]
    return clip


def shared(shared_data: Path, clip_id: str) -> tuple[list[Any], tuple[int, int], np.ndarray, float]:
    """A shared clip's stored track as the engine's poses (smoothed as live), its image size,
    its raw landmarks and fps."""
    from coach.offline.analysis import landmarks_track

    clip = clip_by_id(shared_data, clip_id)
    fps, w, h = video_info(shared_data / clip["video"])
    lm = landmarks(shared_data, clip)
    return landmarks_track(lm, fps, (w, h)), (w, h), lm, fps


def sample(name: str) -> tuple[list[Any], tuple[int, int], str]:
    """A samples/tracks track as the engine's poses, its image size and its exercise id."""
    from coach.offline.analysis import landmarks_track

    path = Path(__file__).resolve().parents[2] / "samples" / "tracks" / f"{name}.npz"
    with np.load(path, allow_pickle=False) as d:
        size = (int(d["image_size"][0]), int(d["image_size"][1]))
        meta = json.loads(str(d["meta"]))
        poses = landmarks_track(d["lm"], 1.0, size, d["world"], d["t"])
    return poses, size, meta["exercise"]


@cache
def clinical(name: str) -> tuple[np.ndarray, np.ndarray, float, dict[str, Any]]:
    """(t from the first frame, raw landmarks, aspect, meta) of a samples/tracks/clinical
    track (a clinical test's recording)."""
    path = Path(__file__).resolve().parents[2] / "samples" / "tracks" / "clinical"
    with np.load(path / f"{name}.npz", allow_pickle=False) as d:
        lm, t = d["lm"].astype(np.float64), d["t"]
        w, h = (int(v) for v in d["image_size"])
        meta = json.loads(str(d["meta"]))
    return t - t[0], lm, w / h, meta


def clinical_values(
    name: str, measures: tuple[str, ...]
) -> tuple[np.ndarray, dict[str, Any], float]:
    """(t, the per-frame values of `measures`, aspect) of a clinical track."""
    from scoring.measures import compute_measures, per_frame

    t, lm, aspect, _ = clinical(name)
    names = [n for m in measures for n in per_frame(m)]
    return t, compute_measures(lm, aspect, names), aspect


@cache
def balance_script() -> ModuleType:
    """samples/make_balance_tracks.py: the four balance stances made from real standing (no
    public recording of the semi-tandem and tandem stances exists)."""
    path = Path(__file__).resolve().parents[2] / "samples" / "make_balance_tracks.py"
    spec = importlib.util.spec_from_file_location("make_balance_tracks", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
