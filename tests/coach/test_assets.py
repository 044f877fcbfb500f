"""`coach assets fetch`: download over real HTTP from a local server, verify, unpack, stamp.

The tarballs are built here with tarfile, served by http.server on a free loopback port; their
integrity is computed the way npm writes it (sha512, base64).
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from coach import assets
from tests.helpers.assets import FILES, make_tarball


@pytest.fixture()
def http_dir(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over real HTTP on a free loopback port: (folder, base URL)."""
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def test_fetch_verifies_unpacks_and_stamps(http_dir: tuple[Path, str], tmp_path: Path) -> None:
    served, base = http_dir
    integrity = make_tarball(served / "pose.tgz", FILES)
    root = tmp_path / "vendor"
    seen: list[tuple[int, int | None]] = []

    result = assets.fetch(
        f"{base}/pose.tgz", integrity, root=root, progress=lambda d, t: seen.append((d, t))
    )

    folder = root / assets.FOLDER
    assert result.fetched and result.folder == folder
    assert result.files == sorted(name.removeprefix("package/") for name in FILES)
    for name, data in FILES.items():
        assert (folder / name.removeprefix("package/")).read_bytes() == data
    assert leftovers(root) == [assets.FOLDER]  # no temporary folder or tarball left
    assert assets.verify(folder, integrity)
    stamp = assets.read_stamp(folder)
    assert stamp is not None and stamp["integrity"] == integrity
    assert seen and seen[-1][0] == (served / "pose.tgz").stat().st_size


def test_another_pinned_package_gets_its_own_folder_and_stamp(
    http_dir: tuple[Path, str], tmp_path: Path
) -> None:
    """How the browser tests fetch axe-core: same checks, its own folder, name and version."""
    served, base = http_dir
    integrity = make_tarball(served / "axe.tgz", {"package/axe.min.js": b"window.axe = {};"})
    root = tmp_path / "vendor"
    result = assets.fetch(
        f"{base}/axe.tgz",
        integrity,
        root=root,
        folder_name="axe-core",
        package="axe-core",
        version="4.11.0",
    )
    assert result.folder == root / "axe-core" and result.files == ["axe.min.js"]
    stamp = assets.read_stamp(result.folder)
    assert stamp is not None and (stamp["package"], stamp["version"]) == ("axe-core", "4.11.0")
    assert leftovers(root) == ["axe-core"]  # the pose folder untouched
    with pytest.raises(assets.AssetError, match="not the pinned axe-core 4.11.0"):
        assets.fetch(
            f"{base}/axe.tgz",
            integrity[:-4] + "AAA=",
            root=tmp_path / "other",
            folder_name="axe-core",
            package="axe-core",
            version="4.11.0",
        )


def test_second_run_is_a_no_op_and_a_damaged_unpack_is_redone(
    http_dir: tuple[Path, str], tmp_path: Path
) -> None:
    served, base = http_dir
    integrity = make_tarball(served / "pose.tgz", FILES)
    root = tmp_path / "vendor"
    assets.fetch(f"{base}/pose.tgz", integrity, root=root)
    pose_js = root / assets.FOLDER / "pose.js"
    before = pose_js.stat().st_mtime_ns

    (served / "pose.tgz").unlink()  # a second run must not even download
    again = assets.fetch(f"{base}/pose.tgz", integrity, root=root)
    assert not again.fetched and pose_js.stat().st_mtime_ns == before

    make_tarball(served / "pose.tgz", FILES)
    pose_js.write_bytes(b"tampered")  # same size would not matter: hashes are checked
    assert not assets.verify(root / assets.FOLDER, integrity)
    redone = assets.fetch(f"{base}/pose.tgz", integrity, root=root)
    assert redone.fetched and pose_js.read_bytes() == FILES["package/pose.js"]


def test_integrity_mismatch_is_refused_and_leaves_nothing(
    http_dir: tuple[Path, str], tmp_path: Path
) -> None:
    served, base = http_dir
    make_tarball(served / "pose.tgz", FILES)
    other = make_tarball(tmp_path / "other.tgz", {"package/pose.js": b"something else"})
    root = tmp_path / "vendor"
    with pytest.raises(assets.AssetError, match="integrity .* refused"):
        assets.fetch(f"{base}/pose.tgz", other, root=root)
    assert leftovers(root) == []


@pytest.mark.parametrize(
    "members, symlink, why",
    [
        ({"package/../../evil.js": b"x"}, None, "outside package/"),
        ({"/etc/evil.js": b"x"}, None, "outside package/"),
        ({"elsewhere/pose.js": b"x"}, None, "outside package/"),
        ({"package/pose.js": b"x"}, "/etc/passwd", "not a regular file"),
    ],
)
def test_unsafe_members_are_refused(
    http_dir: tuple[Path, str],
    tmp_path: Path,
    members: dict[str, bytes],
    symlink: str | None,
    why: str,
) -> None:
    served, base = http_dir
    integrity = make_tarball(served / "evil.tgz", members, symlink=symlink)
    root = tmp_path / "deep" / "vendor"
    with pytest.raises(assets.AssetError, match=why):
        assets.fetch(f"{base}/evil.tgz", integrity, root=root)
    assert leftovers(root) == []
    assert not (tmp_path / "evil.js").exists() and not (tmp_path / "deep" / "evil.js").exists()


def test_unreachable_server_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(assets.AssetError, match="cannot download .*offline"):
        assets.fetch("http://127.0.0.1:9/pose.tgz", root=tmp_path)
    assert leftovers(tmp_path) == []


def test_status_says_missing_without_the_assets(tmp_path: Path) -> None:
    info = assets.status(tmp_path / assets.FOLDER)
    assert info["available"] is False and "coach assets fetch" in info["hint"]


def test_the_pinned_tarball_has_the_web_build_and_the_models() -> None:
    folder = assets.pose_dir()
    if not assets.verify(folder):
        pytest.skip(f"the pinned assets are not in {folder} (run coach assets fetch)")
    stamp = assets.read_stamp(folder)
    assert stamp is not None and stamp["version"] == assets.VERSION
    for name in (
        "pose.js",
        "pose_solution_packed_assets_loader.js",
        "pose_solution_packed_assets.data",
        "pose_solution_simd_wasm_bin.js",
        "pose_solution_simd_wasm_bin.wasm",
        "pose_solution_wasm_bin.wasm",
        "pose_web.binarypb",
        "pose_landmark_lite.tflite",
        "pose_landmark_full.tflite",
        "pose_landmark_heavy.tflite",
    ):
        assert name in stamp["files"], name
    # Its full model is the one mediapipe==0.10.21 ships: the lite and heavy ones fit its graph.
    from pose.mediapipe_backend import mediapipe_model_path

    wheel_full = mediapipe_model_path(1)
    assert wheel_full is not None
    wheel_sha = hashlib.sha256(wheel_full.read_bytes()).hexdigest()
    assert stamp["files"]["pose_landmark_full.tflite"]["sha256"] == wheel_sha
