"""Compact per-frame storage: landmarks and measures of about a second of frames in one blob.

A chunk is an `.npz` (zlib) of `t` (float32 seconds), `lm` (float16, frames x 33 x 4: x, y, z,
visibility; NaN rows where no pose was found) and one float16 array per measure. float16 keeps
3-4 significant digits: 0.1 degree on a 100-degree angle, 1/2000 of the image on a landmark,
which is what plots and skeleton replay need, at about a tenth of the raw size.
"""

from __future__ import annotations

import io

import numpy as np


def encode_chunk(t: np.ndarray, landmarks: np.ndarray, measures: dict[str, np.ndarray]) -> bytes:
    t = np.asarray(t, dtype=np.float32)
    lm = np.asarray(landmarks, dtype=np.float16)
    if lm.shape != (len(t), 33, 4):
        raise ValueError(f"landmarks must be ({len(t)}, 33, 4), got {lm.shape}")
    arrays = {"t": t, "lm": lm}
    for name, values in measures.items():
        values = np.asarray(values, dtype=np.float16)
        if values.shape != t.shape:
            raise ValueError(f"measure {name!r} has {values.shape}, expected {t.shape}")
        arrays[f"m_{name}"] = values
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def decode_chunk(data: bytes) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        t = z["t"].astype(np.float64)
        lm = z["lm"].astype(np.float32)
        measures = {k[2:]: z[k].astype(np.float64) for k in z.files if k.startswith("m_")}
    return t, lm, measures


def join_chunks(
    chunks: list[bytes],
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """All frames of a session in time order (chunks given in sequence order)."""
    if not chunks:
        return np.zeros(0), np.zeros((0, 33, 4), np.float32), {}
    parts = [decode_chunk(c) for c in chunks]
    t = np.concatenate([p[0] for p in parts])
    lm = np.concatenate([p[1] for p in parts])
    names = sorted({n for p in parts for n in p[2]})
    measures = {
        n: np.concatenate([p[2].get(n, np.full(len(p[0]), np.nan)) for p in parts]) for n in names
    }
    return t, lm, measures
