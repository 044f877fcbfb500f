"""Fetch the pretrained 2-D -> 3-D lifter's weights named in MANIFEST.json and convert them.

    python benchmarks/lifting/fetch.py [--cache DIR] [--mirrors DIR]

The checkpoint comes from `raw.githubusercontent.com/<repo>/<commit>/<path>` or, with
`--mirrors DIR`, from a local bare git mirror `DIR/<owner>+<name>/repo`. Its sha256 is checked,
then its state dict is read WITHOUT torch (a restricted unpickler for torch's legacy
serialisation that only rebuilds tensors) and written as an .npz of float arrays, which
benchmarks/lifting/mgcn.py runs in numpy. The source states no licence: research use only,
never committed (neither the checkpoint nor the .npz).
Default cache: $COACH_LIFTING_CACHE, else ~/.cache/coach-lifting.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import pickle
import struct
import sys
import urllib.request
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # benchmarks/mirrors.py, when run as a script

from mirrors import mirror_blob  # noqa: E402

MANIFEST = HERE / "MANIFEST.json"
RAW_URL = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"

_STORAGES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


def default_cache() -> Path:
    env = os.environ.get("COACH_LIFTING_CACHE", "").strip()
    return Path(env) if env else Path.home() / ".cache" / "coach-lifting"


def weights_path(cache: Path | None = None) -> Path:
    """Where the converted weights (.npz) of the manifest's model live."""
    entry = json.loads(MANIFEST.read_text())["weights"]
    return (cache or default_cache()) / entry["converted"]


class _Storage:
    def __init__(self, dtype: type, size: int) -> None:
        self.dtype, self.size = dtype, size
        self.data: np.ndarray = np.empty(0, dtype)


def _tensor(storage: _Storage, offset: int, size: tuple, stride: tuple, *_: Any) -> tuple:  # type: ignore[type-arg]
    return (storage, offset, tuple(size), tuple(stride))


class _LegacyUnpickler(pickle.Unpickler):
    """Only tensors, their storages and ordered dicts; anything else is refused."""

    def __init__(self, f: BinaryIO) -> None:
        super().__init__(f)
        self.storages: dict[str, _Storage] = {}

    def find_class(self, module: str, name: str) -> Any:
        if module == "torch._utils" and name in ("_rebuild_tensor_v2", "_rebuild_tensor"):
            return _tensor
        if module == "torch" and name in _STORAGES:
            return name
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        raise pickle.UnpicklingError(f"refused {module}.{name}")

    def persistent_load(self, pid: Any) -> _Storage:
        kind, storage_type, key, _location, size, view = pid
        if kind != "storage" or view is not None:
            raise pickle.UnpicklingError(f"unsupported storage {pid!r}")
        if key not in self.storages:
            self.storages[key] = _Storage(_STORAGES[storage_type], size)
        return self.storages[key]


def read_legacy_state_dict(path: Path) -> dict[str, np.ndarray]:
    """The `state_dict` of a checkpoint in torch's legacy (pre-1.6) format: three pickled
    headers, the pickled object, the storage keys, then each storage's raw bytes."""
    with path.open("rb") as f:
        for _ in range(3):  # magic number, protocol version, system info
            pickle.load(f)  # noqa: S301 -- plain ints and a dict of ints
        unpickler = _LegacyUnpickler(f)
        obj = unpickler.load()
        for key in pickle.load(f):  # noqa: S301 -- a list of strings
            s = unpickler.storages[key]
            (n,) = struct.unpack("<q", f.read(8))
            s.data = np.frombuffer(f.read(n * np.dtype(s.dtype).itemsize), s.dtype)
    out = {}
    for name, (s, offset, size, stride) in obj["state_dict"].items():
        item = s.data.itemsize
        view = np.lib.stride_tricks.as_strided(s.data[offset:], size, [st * item for st in stride])
        out[name] = np.array(view)
    return out


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def digest(arrays: dict[str, np.ndarray]) -> str:
    """sha256 of the arrays' names, dtypes, shapes and bytes (an .npz file's own bytes carry
    zip timestamps, so they differ from one conversion to the next)."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def npz_digest(path: Path) -> str:
    with np.load(path) as z:
        return digest({k: z[k] for k in z.files})


def fetch(entry: dict[str, Any], dest: Path, mirrors: Path | None) -> None:
    if mirrors is not None:
        dest.write_bytes(mirror_blob(mirrors, entry["repo"], entry["commit"], entry["path"]))
        return
    url = RAW_URL.format(repo=entry["repo"], commit=entry["commit"], path=entry["path"])
    req = urllib.request.Request(url, headers={"User-Agent": "coach-lifting-fetch"})
    with urllib.request.urlopen(req, timeout=120) as resp:  # noqa: S310
        dest.write_bytes(resp.read())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=default_cache(), help="the weights' folder")
    ap.add_argument("--mirrors", type=Path, help="read from local bare git mirrors instead")
    a = ap.parse_args()
    entry = json.loads(MANIFEST.read_text())["weights"]
    a.cache.mkdir(parents=True, exist_ok=True)
    out = weights_path(a.cache)
    if out.exists() and npz_digest(out) == entry["converted_digest"]:
        print(f"{out} ok")
        return 0
    raw = a.cache / Path(entry["path"]).name
    if not (raw.exists() and sha256_of(raw) == entry["sha256"]):
        fetch(entry, raw, a.mirrors)
    got = sha256_of(raw)
    if got != entry["sha256"]:
        raw.unlink(missing_ok=True)
        print(f"sha256 mismatch: {got}, expected {entry['sha256']}", file=sys.stderr)
        return 1
    state = read_legacy_state_dict(raw)
    arrays = {k: v.astype(np.float32) for k, v in state.items() if v.dtype.kind == "f"}
    if digest(arrays) != entry["converted_digest"]:
        print(f"converted weights differ: {digest(arrays)}", file=sys.stderr)
        return 1
    np.savez(out, **arrays)  # type: ignore[arg-type]
    print(f"{out} written ({len(arrays)} arrays)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
