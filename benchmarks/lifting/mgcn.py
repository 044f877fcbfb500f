"""A learned 2-D -> 3-D lifter in numpy: the Modulated GCN (Zou and Tang, ICCV 2021).

The pretrained weights (Human3.6M, ground-truth 2-D input, 16 joints, 0.29 M parameters,
38.25 mm MPJPE) are not in this repository: `benchmarks/lifting/fetch.py` downloads the
authors' checkpoint at its commit, checks its sha256 and converts its state dict to an .npz
(no torch needed). This module runs the network's forward pass (inference only: batch norm
with its running statistics, no dropout) on MediaPipe landmarks mapped to the network's
Human3.6M skeleton, so the benchmark can try it as an angle candidate.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

# The checkpoint's skeleton: Human3.6M's 17 joints without "Neck/Nose" (the SemGCN layout).
JOINTS = (
    "pelvis", "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle",
    "spine", "thorax", "head", "l_shoulder", "l_elbow", "l_wrist",
    "r_shoulder", "r_elbow", "r_wrist",
)  # fmt: skip
PARENTS = (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 8, 10, 11, 8, 13, 14)
INDEX = {name: i for i, name in enumerate(JOINTS)}

# MediaPipe Pose landmark indices (pose.landmarks.Landmark).
_MP = {
    "l_shoulder": 11, "r_shoulder": 12, "l_elbow": 13, "r_elbow": 14, "l_wrist": 15,
    "r_wrist": 16, "l_hip": 23, "r_hip": 24, "l_knee": 25, "r_knee": 26, "l_ankle": 27,
    "r_ankle": 28,
}  # fmt: skip
_EARS = (7, 8)

# Human3.6M's cameras stand about 5.4 m from the subject with a focal length of 2.29 in the
# network's normalised screen units (1145 px over half of a 1000 px image): a 0.89 m leg
# (hip-knee-ankle) spans about 0.38 units. The input is scaled so the clip's legs do.
H36M_LEG = 0.89 * 2.29 / 5.4
BN_EPS = 1e-5


def adjacency() -> np.ndarray:
    """The skeleton's fixed adjacency as the checkpoint was trained with (SemGCN's
    `adj_mx_from_edges`): symmetric, each row of neighbours normalised to sum 1, ones on the
    diagonal."""
    n = len(PARENTS)
    adj = np.zeros((n, n))
    for child, parent in enumerate(PARENTS):
        if parent >= 0:
            adj[child, parent] = adj[parent, child] = 1.0
    adj /= adj.sum(axis=1, keepdims=True)
    np.fill_diagonal(adj, 1.0)
    return adj


def _graph_conv(x: np.ndarray, w: dict[str, np.ndarray], prefix: str) -> np.ndarray:
    """ModulatedGraphConv: per-node modulated weights, a learned additive adjacency."""
    adj = adjacency() + w[f"{prefix}.adj2"]
    adj = (adj + adj.T) / 2
    eye = np.eye(len(adj))
    h0 = x @ w[f"{prefix}.W"][0]
    h1 = x @ w[f"{prefix}.W"][1]
    m = w[f"{prefix}.M"]
    return (adj * eye) @ (m * h0) + (adj * (1 - eye)) @ (m * h1) + w[f"{prefix}.bias"]


def _block(x: np.ndarray, w: dict[str, np.ndarray], prefix: str) -> np.ndarray:
    """Graph convolution, batch norm (running statistics), ReLU."""
    y = _graph_conv(x, w, f"{prefix}.gconv")
    bn = f"{prefix}.bn"
    y = (y - w[f"{bn}.running_mean"]) / np.sqrt(w[f"{bn}.running_var"] + BN_EPS)
    y = y * w[f"{bn}.weight"] + w[f"{bn}.bias"]
    return np.maximum(y, 0.0)


def forward(x: np.ndarray, w: dict[str, np.ndarray], layers: int = 4) -> np.ndarray:
    """(T, 16, 2) normalised screen coordinates -> (T, 16, 3) root-relative camera-frame
    positions (metres), as the checkpoint's ModulatedGCN(hid_dim=128, num_layers=4)."""
    h = _block(x.astype(np.float64), w, "gconv_input.0")
    for i in range(layers):
        r = _block(h, w, f"gconv_layers.{i}.gconv1")
        h = h + _block(r, w, f"gconv_layers.{i}.gconv2")
    return _graph_conv(h, w, "gconv_output")


@lru_cache(maxsize=2)
def load_weights(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as z:
        return {k: z[k].astype(np.float64) for k in z.files}


def h36m_from_mediapipe(points: np.ndarray) -> np.ndarray:
    """(T, 33, 2) MediaPipe landmarks (image units, y down) -> (T, 16, 2) in the network's
    layout: pelvis the mid-hip, thorax the mid-shoulder, spine halfway between, the head top
    half the thorax-to-ears distance above the ears."""
    out = np.empty((*points.shape[:-2], len(JOINTS), points.shape[-1]))
    for name, i in _MP.items():
        out[..., INDEX[name], :] = points[..., i, :]
    pelvis = (points[..., 23, :] + points[..., 24, :]) / 2
    thorax = (points[..., 11, :] + points[..., 12, :]) / 2
    ears = (points[..., _EARS[0], :] + points[..., _EARS[1], :]) / 2
    out[..., INDEX["pelvis"], :] = pelvis
    out[..., INDEX["thorax"], :] = thorax
    out[..., INDEX["spine"], :] = (pelvis + thorax) / 2
    out[..., INDEX["head"], :] = ears + 0.5 * (ears - thorax)
    return out


def normalise(joints: np.ndarray, leg: float) -> np.ndarray:
    """(T, 16, 2) image units -> the network's input: pelvis at the centre, scaled so a leg
    of `leg` image units (the clip's, straight) spans Human3.6M's."""
    rel = joints - joints[..., :1, :]
    return rel * (H36M_LEG / leg)


# Each joint's mirror image (left <-> right) for the flip test-time augmentation.
MIRROR = tuple(INDEX[n.replace("l_", "x_").replace("r_", "l_").replace("x_", "r_")] for n in JOINTS)


def forward_flipped(x: np.ndarray, w: dict[str, np.ndarray]) -> np.ndarray:
    """The mean of the network on the pose and on its mirror image (mirrored back), the
    usual test-time augmentation of lifters (Pavllo et al. 2019)."""
    flip = np.array([-1.0, 1.0])
    mirrored = forward(x[..., MIRROR, :] * flip, w)[..., MIRROR, :] * np.array([-1.0, 1.0, 1.0])
    return (forward(x, w) + mirrored) / 2


def lift(points: np.ndarray, leg: float, weights: Path) -> np.ndarray:
    """(T, 33, 2) MediaPipe image landmarks (x scaled by the aspect, image heights) -> (T, 16,
    3) lifted joints (metres, camera frame, pelvis at the origin; the mean of the pose's and
    its mirror image's lifts); NaN rows stay NaN."""
    x = normalise(h36m_from_mediapipe(points), leg)
    ok = np.isfinite(x).all(axis=(-2, -1))
    out = np.full((*x.shape[:-1], 3), np.nan)
    if ok.any():
        out[ok] = forward_flipped(x[ok], load_weights(weights))
    return out
