"""The learned lifter's plumbing (benchmarks/lifting), without its weights: the checkpoint
reader, the skeleton mapping and the mirror-image averaging, on constructed data."""

from __future__ import annotations

import pickle
import struct
import sys
import types
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

from benchmarks import angle_candidates as cand
from benchmarks.lifting import fetch, mgcn


def _fake_torch(monkeypatch: pytest.MonkeyPatch) -> tuple[type, object]:
    """Stand-ins named as torch's, so pickle writes the globals torch's legacy format has."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    class FloatStorage:
        pass

    def _rebuild_tensor_v2(*args: object) -> None:
        raise AssertionError("never called when writing")

    FloatStorage.__module__, _rebuild_tensor_v2.__module__ = "torch", "torch._utils"
    FloatStorage.__qualname__ = "FloatStorage"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    torch.FloatStorage = FloatStorage  # type: ignore[attr-defined]
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch._utils", utils)
    return FloatStorage, _rebuild_tensor_v2


def _write_legacy(path: Path, tensors: dict[str, np.ndarray], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A checkpoint laid out as torch < 1.6 saves one: headers, the object with persistent
    storage ids, the storage keys, then each storage's element count and bytes."""
    storage_cls, rebuild = _fake_torch(monkeypatch)

    class Tensor:
        def __init__(self, key: str, a: np.ndarray) -> None:
            self.key, self.a = key, a

        def __reduce__(self):  # type: ignore[no-untyped-def]
            stride = tuple(s // self.a.itemsize for s in self.a.strides)
            return (
                rebuild,
                (("storage", self.key, self.a.size), 0, self.a.shape, stride, False, OrderedDict()),
            )

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):  # type: ignore[no-untyped-def]
            if isinstance(obj, tuple) and obj and obj[0] == "storage":
                return ("storage", storage_cls, obj[1], "cpu", obj[2], None)
            return None

    state = OrderedDict((k, Tensor(str(i), a)) for i, (k, a) in enumerate(tensors.items()))
    with path.open("wb") as f:
        for header in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}):
            pickle.dump(header, f, protocol=2)
        Pickler(f, protocol=2).dump({"epoch": 1, "state_dict": state})
        pickle.dump([t.key for t in state.values()], f, protocol=2)
        for t in state.values():
            f.write(struct.pack("<q", t.a.size) + np.ascontiguousarray(t.a).tobytes())


def test_the_legacy_checkpoint_reader_rebuilds_the_state_dict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tensors = {
        "layer.W": np.arange(24, dtype=np.float32).reshape(2, 3, 4),
        "layer.bias": np.array([0.5, -1.0], dtype=np.float32),
    }
    path = tmp_path / "ckpt.pth.tar"
    _write_legacy(path, tensors, monkeypatch)
    monkeypatch.delitem(sys.modules, "torch")  # the reader needs no torch
    got = fetch.read_legacy_state_dict(path)
    assert set(got) == set(tensors)
    for k, a in tensors.items():
        np.testing.assert_array_equal(got[k], a)
    assert fetch.digest(got) == fetch.digest(dict(tensors))


def test_the_reader_refuses_anything_but_tensors(tmp_path: Path) -> None:
    path = tmp_path / "evil.pth.tar"
    with path.open("wb") as f:
        for header in (1, 1001, 2):
            pickle.dump(header, f)
        pickle.dump({"state_dict": Path("x")}, f)
    with pytest.raises(pickle.UnpicklingError):
        fetch.read_legacy_state_dict(path)


def _random_weights(rng: np.random.Generator, hid: int = 8) -> dict[str, np.ndarray]:
    n = len(mgcn.JOINTS)
    w: dict[str, np.ndarray] = {}

    def conv(prefix: str, i: int, o: int) -> None:
        w[f"{prefix}.W"] = rng.normal(0, 0.5, (2, i, o))
        w[f"{prefix}.M"] = rng.normal(1, 0.1, (n, o))
        w[f"{prefix}.adj2"] = rng.normal(0, 0.01, (n, n))
        w[f"{prefix}.bias"] = rng.normal(0, 0.1, o)

    def block(prefix: str, i: int, o: int) -> None:
        conv(f"{prefix}.gconv", i, o)
        for k, v in (("weight", 1.0), ("bias", 0.0), ("running_mean", 0.0), ("running_var", 1.0)):
            w[f"{prefix}.bn.{k}"] = np.full(o, v)

    block("gconv_input.0", 2, hid)
    for i in range(4):
        block(f"gconv_layers.{i}.gconv1", hid, hid)
        block(f"gconv_layers.{i}.gconv2", hid, hid)
    conv("gconv_output", hid, 3)
    return w


def test_the_lift_of_a_mirror_image_is_the_mirror_image_of_the_lift() -> None:
    """Averaging the pose's lift with its mirror image's (mirrored back) makes the lifter
    treat left and right alike, whatever its weights."""
    rng = np.random.default_rng(0)
    w = _random_weights(rng)
    x = rng.normal(0, 0.2, (3, len(mgcn.JOINTS), 2))
    mirror = list(mgcn.MIRROR)
    lifted = mgcn.forward_flipped(x, w)
    lifted_of_mirror = mgcn.forward_flipped(x[:, mirror] * [-1.0, 1.0], w)
    np.testing.assert_allclose(lifted_of_mirror, lifted[:, mirror] * [-1.0, 1.0, 1.0], atol=1e-9)
    assert sorted(mirror) == list(range(len(mgcn.JOINTS)))
    assert [mirror[i] for i in mirror] == list(range(len(mgcn.JOINTS)))


def test_the_adjacency_joins_each_joint_to_its_parent() -> None:
    adj = mgcn.adjacency()
    assert np.all(np.diag(adj) == 1.0)
    off = adj - np.eye(len(adj))
    assert np.allclose(off.sum(axis=1), 1.0)
    for child, parent in enumerate(mgcn.PARENTS):
        if parent >= 0:
            assert off[child, parent] > 0 and off[parent, child] > 0


def test_mediapipe_landmarks_map_to_the_lifters_skeleton() -> None:
    pts = np.random.default_rng(1).normal(size=(2, 33, 2))
    j = mgcn.h36m_from_mediapipe(pts)
    idx = mgcn.INDEX
    np.testing.assert_allclose(j[:, idx["pelvis"]], (pts[:, 23] + pts[:, 24]) / 2)
    np.testing.assert_allclose(j[:, idx["thorax"]], (pts[:, 11] + pts[:, 12]) / 2)
    np.testing.assert_allclose(j[:, idx["l_knee"]], pts[:, 25])
    np.testing.assert_allclose(j[:, idx["r_ankle"]], pts[:, 28])
    x = mgcn.normalise(j, leg=2.0)
    np.testing.assert_allclose(x[:, idx["pelvis"]], 0.0)


def test_the_lifted_candidates_are_not_measured_without_weights(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COACH_LIFTING_CACHE", str(tmp_path))
    lm = np.full((2, 33, 4), 0.5)
    t = cand.PoseTrack(lm, 0.75)
    for name in cand.LIFTED:
        assert np.isnan(cand.CANDIDATES[name](t, "knee", "left")).all()
