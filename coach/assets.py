"""Third-party files Coach serves or runs but does not commit: the MediaPipe Pose web build.

The browser page can run pose estimation itself with the npm package `@mediapipe/pose`
(Apache-2.0): JavaScript, WebAssembly and the lite/full/heavy landmark models. `coach assets
fetch` downloads the pinned tarball from the npm registry (no Node needed), checks its pinned
sha512 integrity, unpacks its regular files under `package/` into `<vendor>/mediapipe-pose/`
and leaves a `.complete` stamp listing every file and its sha256. A second run finds the stamp,
re-checks the files and does nothing more. The web app serves that folder at
/vendor/mediapipe-pose/ (web/vendor.py).

The vendor folder is `COACH_VENDOR_DIR`, else `vendor/` at the top of a source checkout
(gitignored), else `vendor/` in the data directory.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from pose.mediapipe_backend import sha256_file

PACKAGE = "@mediapipe/pose"
VERSION = "0.5.1675469404"
URL = f"https://registry.npmjs.org/{PACKAGE}/-/pose-{VERSION}.tgz"
INTEGRITY = "sha512-DFZsNWTsSphRIZppnUCuunzBiHP2FdJXR9ehc7mMi4KG+oPaOH0Em3d6kr7Py+TSyTXC1doH88KcF28k2sBxsQ=="  # noqa: E501 (kept whole: the string npm publishes)
FOLDER = "mediapipe-pose"  # under the vendor folder, and under /vendor/ in the app
STAMP = ".complete"
VENDOR_ENV = "COACH_VENDOR_DIR"
MAX_DOWNLOAD_BYTES = 200 * 1024 * 1024  # the pinned tarball is far smaller; a bound, not a size
MAX_UNPACKED_BYTES = 400 * 1024 * 1024
TIMEOUT_S = 30.0

Progress = Callable[[int, "int | None"], None]  # (bytes so far, total or None)


class AssetError(Exception):
    """The assets could not be fetched or are not what was pinned; the message says why."""


def vendor_root() -> Path:
    """The folder that holds `mediapipe-pose/` (see the module docstring)."""
    env = os.environ.get(VENDOR_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    top = Path(__file__).resolve().parents[1]
    if (top / "pyproject.toml").is_file() and (top / "coach").is_dir():
        return top / "vendor"
    from coach.store.db import data_dir

    return data_dir() / "vendor"


def pose_dir(root: Path | None = None) -> Path:
    return (root if root is not None else vendor_root()) / FOLDER


def read_stamp(folder: Path) -> dict[str, Any] | None:
    """The stamp of a complete unpack, or None (no stamp, or not readable as one)."""
    try:
        stamp = json.loads((folder / STAMP).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or not isinstance(stamp.get("files"), dict):
        return None
    return stamp


def verify(folder: Path, integrity: str | None = INTEGRITY, *, hashes: bool = True) -> bool:
    """True when `folder` holds a complete unpack of the tarball with `integrity` (None: any
    that was checked when fetched): the stamp says so and every file it lists is there with
    its size (and, with `hashes`, its sha256)."""
    stamp = read_stamp(folder)
    if stamp is None or (integrity is not None and stamp.get("integrity") != integrity):
        return False
    for name, info in stamp["files"].items():
        path = folder / name
        try:
            if path.stat().st_size != info["size"]:
                return False
            if hashes and sha256_file(path) != info["sha256"]:
                return False
        except (OSError, KeyError, TypeError):
            return False
    return True


def status(folder: Path | None = None) -> dict[str, Any]:
    """What the web page needs to know: are the assets there, which version, which files.
    Sizes are checked, not hashes (cheap enough for every request; fetch checks hashes)."""
    folder = folder if folder is not None else pose_dir()
    stamp = read_stamp(folder)
    if stamp is None or not verify(folder, None, hashes=False):
        return {
            "package": PACKAGE,
            "version": VERSION,
            "available": False,
            "hint": "not installed: run `coach assets fetch` on the server",
        }
    return {
        "package": stamp.get("package", PACKAGE),
        "version": stamp.get("version"),
        "pinned": stamp.get("integrity") == INTEGRITY,
        "available": True,
        "files": sorted(stamp["files"]),
    }


def _parse_integrity(integrity: str) -> tuple[str, bytes]:
    algo, _, b64 = integrity.partition("-")
    if algo not in ("sha512", "sha384", "sha256") or not b64:
        raise AssetError(f"unsupported integrity string {integrity!r}")
    return algo, base64.b64decode(b64)


def _download(url: str, out: BinaryIO, algo: str, progress: Progress | None) -> bytes:
    """Stream `url` (https, http or file; a plain path works too) into `out`; its digest."""
    if "://" not in url:
        url = Path(url).resolve().as_uri()
    h = hashlib.new(algo)
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as resp:  # noqa: S310 - pinned hash
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            done = 0
            while block := resp.read(1 << 16):
                done += len(block)
                if done > MAX_DOWNLOAD_BYTES:
                    raise AssetError(f"{url}: larger than {MAX_DOWNLOAD_BYTES} bytes, refused")
                h.update(block)
                out.write(block)
                if progress is not None:
                    progress(done, total)
    except urllib.error.HTTPError as exc:
        raise AssetError(f"cannot download {url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise AssetError(f"cannot download {url}: {exc.reason} (offline?)") from None
    except (OSError, ValueError) as exc:
        raise AssetError(f"cannot download {url}: {exc}") from None
    return h.digest()


def _member_name(member: tarfile.TarInfo) -> str | None:
    """The path of a member under package/ (None for a directory); AssetError for anything
    that is not a plain file inside package/ (links, devices, absolute or `..` paths)."""
    parts = PurePosixPath(member.name).parts
    if member.isdir():
        return None
    if not member.isreg():
        raise AssetError(f"the tarball has {member.name!r}, which is not a regular file: refused")
    if (
        len(parts) < 2
        or parts[0] != "package"
        or member.name.startswith("/")
        or any(p in ("..", ".", "") for p in parts)
        or "\\" in member.name
    ):
        raise AssetError(f"the tarball has {member.name!r}, outside package/: refused")
    return "/".join(parts[1:])


def _unpack(tarball: Path, dest: Path) -> dict[str, dict[str, Any]]:
    """Extract the regular files under package/ into `dest`; {relative path: size, sha256}."""
    files: dict[str, dict[str, Any]] = {}
    unpacked = 0
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            for member in tar:
                name = _member_name(member)
                if name is None:
                    continue
                if name in files or name == STAMP:
                    raise AssetError(f"the tarball has {member.name!r} twice or reserved: refused")
                unpacked += member.size
                if unpacked > MAX_UNPACKED_BYTES:
                    raise AssetError(f"the tarball unpacks to over {MAX_UNPACKED_BYTES} bytes")
                src = tar.extractfile(member)
                assert src is not None  # a regular file
                target = dest / name
                target.parent.mkdir(parents=True, exist_ok=True)
                h = hashlib.sha256()
                with src, target.open("xb") as out:
                    while block := src.read(1 << 20):
                        h.update(block)
                        out.write(block)
                os.chmod(target, 0o644)
                files[name] = {"size": member.size, "sha256": h.hexdigest()}
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise AssetError(f"cannot unpack the tarball: {exc}") from None
    if not files:
        raise AssetError("the tarball has no files under package/")
    return files


@dataclass
class FetchResult:
    folder: Path
    fetched: bool  # False: already there and verified, nothing downloaded
    files: list[str]


def fetch(
    url: str = URL,
    integrity: str = INTEGRITY,
    *,
    root: Path | None = None,
    progress: Progress | None = None,
    folder_name: str = FOLDER,
    package: str = PACKAGE,
    version: str = VERSION,
) -> FetchResult:
    """Make `<root>/<folder_name>/` (default mediapipe-pose) a verified unpack of the tarball
    at `url`. Another pinned npm package goes through the same checks by naming its folder,
    package and version (the browser tests fetch axe-core this way).

    Idempotent: a folder already verified against `integrity` is left alone. Otherwise the
    tarball is downloaded to a temporary file, its digest compared with `integrity` (refused on
    a mismatch, leaving nothing behind), unpacked into a temporary folder next to the target,
    stamped and only then renamed into place, so a half-done fetch is never taken as done.
    """
    folder = (root if root is not None else vendor_root()) / folder_name
    algo, expected = _parse_integrity(integrity)
    if verify(folder, integrity) and (stamp := read_stamp(folder)) is not None:
        return FetchResult(folder, False, sorted(stamp["files"]))
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder_name}.", dir=folder.parent))
    try:
        tarball = work / "package.tgz"
        with tarball.open("wb") as out:
            digest = _download(url, out, algo, progress)
        if digest != expected:
            got = f"{algo}-{base64.b64encode(digest).decode()}"
            raise AssetError(
                f"{url} is not the pinned {package} {version}: integrity {got} != {integrity}; "
                "refused (a corrupted download, a proxy rewriting it, or a different file)"
            )
        unpacked = work / "package"
        unpacked.mkdir()
        files = _unpack(tarball, unpacked)
        stamp = {"package": package, "version": version, "url": url, "integrity": integrity}
        (unpacked / STAMP).write_text(json.dumps({**stamp, "files": files}, indent=1))
        if folder.exists():  # an older or broken unpack: replace it
            shutil.rmtree(folder)
        os.replace(unpacked, folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return FetchResult(folder, True, sorted(files))


def install_pose_models(folder: Path | None = None) -> dict[str, str]:
    """Copy the lite and heavy models of a verified unpack into the mediapipe package (see
    pose.mediapipe_backend.install_model_files), so `--model lite|heavy` runs offline."""
    from pose.mediapipe_backend import install_model_files

    folder = folder if folder is not None else pose_dir()
    if not verify(folder):
        raise AssetError(f"{folder} is not a complete {PACKAGE} {VERSION}: run coach assets fetch")
    return install_model_files(folder)


def tqdm_progress(stream: Any = sys.stderr) -> tuple[Progress | None, Callable[[], None]]:
    """A download bar (tqdm) on a terminal, nothing in logs and pipes; (update, close)."""
    if not stream.isatty():
        return None, lambda: None
    from tqdm import tqdm

    bar: list[Any] = []
    last = [0]

    def update(done: int, total: int | None) -> None:
        if not bar:
            bar.append(tqdm(total=total, unit="B", unit_scale=True, file=stream, desc=FOLDER))
        bar[0].update(done - last[0])
        last[0] = done

    def close() -> None:
        with contextlib.suppress(Exception):
            if bar:
                bar[0].close()

    return update, close
