"""A multi-camera reference for joint angles: calibrated cameras, undistortion, triangulation.

The Pose2Sim demo (../shared/data/reference_angles) films one person with four synchronised,
calibrated cameras. Triangulating MediaPipe's own 2-D landmarks from all four gives 3-D points
with the same keypoint definitions as a single-camera measure, so the difference between a
one-camera angle and the triangulated one is depth and projection error, not a disagreement
about where the knee is.

Calibration: Qualisys .qca.txt, read the way Pose2Sim's calibration converts it (focal length
and principal point in 1/64 sensor units, the camera's transform is its pose in the world, a
half turn about the camera's x axis to OpenCV's camera frame). Triangulation: each camera's
points undistorted to normalised coordinates (cv2.undistortPoints), then the linear DLT
(Hartley and Zisserman, 12.2), each camera's two rows weighted by the landmark's visibility.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

# Qualisys -> OpenCV camera frame: a half turn about x (y and z flip).
_FLIP = np.diag([1.0, -1.0, -1.0])


@dataclass(frozen=True)
class Camera:
    name: str
    K: np.ndarray  # (3, 3) pixels
    dist: np.ndarray  # (4,) k1, k2, p1, p2
    R: np.ndarray  # (3, 3) world -> camera (OpenCV: x right, y down, z forward)
    t: np.ndarray  # (3,) metres
    size: tuple[int, int]  # (width, height) of the calibrated sensor window

    @property
    def P(self) -> np.ndarray:
        """(3, 4) normalised projection [R | t] (pixels need K)."""
        return np.hstack([self.R, self.t[:, None]])

    @property
    def centre(self) -> np.ndarray:
        return -self.R.T @ self.t

    def project(self, X: np.ndarray) -> np.ndarray:
        """(N, 3) world metres -> (N, 2) distorted pixels."""
        rvec, _ = cv2.Rodrigues(self.R)
        px, _ = cv2.projectPoints(X.reshape(-1, 1, 3), rvec, self.t, self.K, self.dist)
        return px.reshape(-1, 2)

    def to_camera(self, X: np.ndarray) -> np.ndarray:
        """(..., 3) world points in this camera's frame."""
        return X @ self.R.T + self.t


def read_qca(path: Path) -> list[Camera]:
    """The cameras of a Qualisys calibration, in file order."""
    root = ET.parse(path).getroot()
    cams = []
    for tag in root.findall("cameras/camera"):
        fov = tag.find("fov_video")
        intr = tag.find("intrinsic")
        tr = tag.find("transform")
        assert fov is not None and intr is not None and tr is not None
        left, top = float(fov.get("left", 0)), float(fov.get("top", 0))
        w = int(float(fov.get("right", 0)) - left + 1)
        h = int(float(fov.get("bottom", 0)) - top + 1)

        def g(key: str, el: ET.Element = intr) -> float:
            return float(el.get(key, "nan"))

        K = np.array(
            [
                [g("focalLengthU") / 64, 0.0, g("centerPointU") / 64 - left],
                [0.0, g("focalLengthV") / 64, g("centerPointV") / 64 - top],
                [0.0, 0.0, 1.0],
            ]
        )
        dist = (
            np.array(
                [
                    g("radialDistortion1"),
                    g("radialDistortion2"),
                    g("tangentalDistortion1"),
                    g("tangentalDistortion2"),
                ]
            )
            / 64
        )
        rot = np.array([[g(f"r{i}{j}", tr) for j in (1, 2, 3)] for i in (1, 2, 3)])
        pos = np.array([g("x", tr), g("y", tr), g("z", tr)]) / 1000.0
        # The transform: the camera's position in the world and its rotation (world -> camera).
        R = _FLIP @ rot
        t = -R @ pos
        cams.append(Camera(tag.get("serial", "?"), K, dist, R, t, (w, h)))
    return cams


def undistort(cam: Camera, px: np.ndarray) -> np.ndarray:
    """(N, 2) pixels -> (N, 2) normalised, undistorted image coordinates."""
    out = cv2.undistortPoints(px.reshape(-1, 1, 2).astype(np.float64), cam.K, cam.dist)
    return out.reshape(-1, 2)


def triangulate(cams: list[Camera], norm: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted DLT of one point seen by several cameras.

    `norm`: (C, 2) undistorted normalised coordinates, `weights`: (C,), 0 = not used. NaN when
    fewer than two cameras have weight."""
    use = (weights > 0) & np.isfinite(norm).all(axis=1)
    if use.sum() < 2:
        return np.full(3, np.nan)
    rows = []
    for cam, (u, v), wgt in zip(cams, norm, weights, strict=True):
        if wgt <= 0 or not np.isfinite(u):
            continue
        P = cam.P
        rows.append(wgt * (u * P[2] - P[0]))
        rows.append(wgt * (v * P[2] - P[1]))
    _, _, vt = np.linalg.svd(np.array(rows))
    X = vt[-1]
    return X[:3] / X[3]


def reprojection_px(cams: list[Camera], X: np.ndarray, px: np.ndarray) -> np.ndarray:
    """(C,) pixel distance between each camera's observation and the projected point."""
    out = np.full(len(cams), np.nan)
    if not np.isfinite(X).all():
        return out
    for i, cam in enumerate(cams):
        out[i] = float(np.linalg.norm(cam.project(X[None])[0] - px[i]))
    return out


def read_trc(path: Path) -> tuple[list[str], np.ndarray]:
    """Marker names and (T, M, 3) positions of a .trc file (as written, metres)."""
    lines = path.read_text().splitlines()
    names = [n for n in lines[3].split("\t")[2:] if n.strip()]
    rows = [list(map(float, ln.split("\t")[2:])) for ln in lines[5:] if ln.strip()]
    data = np.array([r[: 3 * len(names)] for r in rows])
    return names, data.reshape(len(rows), len(names), 3)


def trc_to_world(points: np.ndarray) -> np.ndarray:
    """Pose2Sim writes .trc files y-up (its zup2yup: X, Y, Z -> Y, Z, X): back to the
    calibration's z-up world."""
    return points[..., [2, 0, 1]]


def read_mot(path: Path) -> dict[str, np.ndarray]:
    """Columns of an OpenSim .mot file, by name."""
    lines = path.read_text().splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.strip() == "endheader") + 1
    names = lines[start].split()
    data = np.array([list(map(float, ln.split())) for ln in lines[start + 1 :] if ln.strip()])
    return {n: data[:, i] for i, n in enumerate(names)}


# MediaPipe's left and right landmarks (shoulders to feet), for undoing a camera's left/right
# mix-up before triangulating.
_LEFT = [11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31]
_RIGHT = [12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32]
MIRROR = np.arange(33)
MIRROR[_LEFT], MIRROR[_RIGHT] = _RIGHT, _LEFT
BODY = list(range(11, 33)) + [0]


@dataclass(frozen=True)
class Triangulated:
    points: np.ndarray  # (T, 33, 3) world metres (NaN: seen by fewer than two cameras)
    reprojection_px: np.ndarray  # (T, 33, C) per camera
    mirrored: np.ndarray  # (T, C) bool: that camera's left/right were swapped in that frame
    offsets_px: np.ndarray  # (C, 2) the pixel-frame shift found for each camera


def _observations(landmarks: list[np.ndarray], sizes: list[tuple[int, int]], f: int):  # type: ignore[no-untyped-def]
    px = np.array(
        [lm[f, :, :2] * np.array(size) for lm, size in zip(landmarks, sizes, strict=True)]
    )
    vis = np.array([np.nan_to_num(lm[f, :, 3]) for lm in landmarks])
    return px, vis


def _triangulate_frame(
    cams: list[Camera], px: np.ndarray, vis: np.ndarray, joints: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """(33, 3) points and (33, C) reprojection errors for `joints` of one frame."""
    X = np.full((33, 3), np.nan)
    err = np.full((33, len(cams)), np.nan)
    for j in joints:
        norm = np.array([undistort(c, px[i, j][None])[0] for i, c in enumerate(cams)])
        X[j] = triangulate(cams, norm, vis[:, j])
        err[j] = reprojection_px(cams, X[j], px[:, j])
    return X, err


def triangulate_track(
    cams: list[Camera],
    landmarks: list[np.ndarray],
    sizes: list[tuple[int, int]],
    offsets_px: np.ndarray | None = None,
) -> Triangulated:
    """Triangulate every frame of synchronised tracks (one (T, 33, 4) per camera).

    A camera whose model swapped left and right in a frame (common from behind) would drag
    both legs towards each other: each frame tries every camera as labelled and mirrored (at
    most half of them mirrored, so "left" keeps the majority's meaning) and keeps the labelling
    with the smallest median reprojection error. `offsets_px` shifts each camera's pixels
    (the video's pixel frame against the calibration's)."""
    n_cam = len(cams)
    offsets = np.zeros((n_cam, 2)) if offsets_px is None else offsets_px
    T = len(landmarks[0])
    points = np.full((T, 33, 3), np.nan)
    errors = np.full((T, 33, n_cam), np.nan)
    mirrored = np.zeros((T, n_cam), bool)
    combos = [c for c in np.ndindex(*(2,) * n_cam) if sum(c) * 2 <= n_cam]  # at most half mirrored
    for f in range(T):
        px, vis = _observations(landmarks, sizes, f)
        px = px + offsets[:, None, :]
        best = None
        for combo in combos:
            idx = [MIRROR if m else np.arange(33) for m in combo]
            p = np.array([px[i][idx[i]] for i in range(n_cam)])
            v = np.array([vis[i][idx[i]] for i in range(n_cam)])
            X, err = _triangulate_frame(cams, p, v, BODY)
            score = float(np.nanmedian(err[BODY]))
            if best is None or score < best[0] - 1e-9:
                best = (score, combo, X, err)
        assert best is not None
        _, combo, points[f], errors[f] = best
        mirrored[f] = combo
    return Triangulated(points, errors, mirrored, offsets)


def pixel_offsets(
    cams: list[Camera],
    landmarks: list[np.ndarray],
    sizes: list[tuple[int, int]],
    max_rounds: int = 10,
    tolerance_px: float = 0.1,
) -> np.ndarray:
    """Each camera's constant pixel shift between its video and its calibration: the mean
    signed reprojection residual, re-estimated over rounds of triangulation until it settles.
    The shifts are found up to a common move of the whole body in 3-D (which shifts every
    camera's picture a little), which changes no angle. Found on a trial where the person
    stands still (the static trial), so that motion does not enter."""
    offsets = np.zeros((len(cams), 2))
    for _ in range(max_rounds):
        tri = triangulate_track(cams, landmarks, sizes, offsets)
        residuals = []
        for f in range(len(landmarks[0])):
            px, _ = _observations(landmarks, sizes, f)
            px = px + offsets[:, None, :]
            for j in BODY:
                X = tri.points[f, j]
                if np.isfinite(X).all():
                    residuals.append([c.project(X[None])[0] - px[i, j] for i, c in enumerate(cams)])
        step = np.nanmean(np.array(residuals), axis=0)
        offsets = offsets + step
        if np.abs(step).max() < tolerance_px:
            break
    return offsets
