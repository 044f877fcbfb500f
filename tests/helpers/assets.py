"""A fake @mediapipe/pose package packed like npm's tarballs (assets tests, the vendor route)."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import tarfile
from pathlib import Path

FILES = {
    "package/pose.js": b"export const Pose = 1;\n",
    "package/pose_solution_simd_wasm_bin.wasm": b"\0asm\1\0\0\0",
    "package/pose_landmark_full.tflite": b"not a real model",
    "package/package.json": b'{"name": "@mediapipe/pose"}',
}


def make_tarball(path: Path, members: dict[str, bytes], symlink: str | None = None) -> str:
    """Write a .tgz like npm's; its integrity string. The same members give the same bytes
    (the gzip header's time is 0, not now: two made a second apart would differ)."""
    with gzip.GzipFile(path, "wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if symlink is not None:
            link = tarfile.TarInfo("package/link")
            link.type = tarfile.SYMTYPE
            link.linkname = symlink
            tar.addfile(link)
    digest = hashlib.sha512(path.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode()
