"""Serves the MediaPipe Pose web build that `coach assets fetch` put in the vendor folder.

GET /vendor/mediapipe-pose/status says whether it is there (the page falls back when not);
GET /vendor/mediapipe-pose/<file> serves a file of the verified unpack, and only those: the
names come from the unpack's stamp, so no path from the URL ever reaches the file system. The
folder is looked up on every request, so assets fetched while the server runs are served.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse

from coach import assets

PREFIX = f"/vendor/{assets.FOLDER}"

CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".wasm": "application/wasm",
    ".data": "application/octet-stream",
    ".tflite": "application/octet-stream",
    ".binarypb": "application/octet-stream",
    ".json": "application/json",
    ".ts": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
}


def content_type(name: str) -> str:
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def mount_vendor(app: FastAPI) -> None:
    """Add the /vendor/mediapipe-pose/ routes to `app`."""

    @app.get(f"{PREFIX}/status", include_in_schema=False)
    def vendor_status() -> dict[str, Any]:
        return assets.status()

    @app.get(PREFIX + "/{name:path}", include_in_schema=False)
    def vendor_file(name: str) -> FileResponse:
        folder = assets.pose_dir()
        stamp = assets.read_stamp(folder)  # written only after the download was verified
        if stamp is None:
            raise HTTPException(404, "MediaPipe Pose assets not installed: run coach assets fetch")
        if name not in stamp["files"]:
            raise HTTPException(404, f"no {name} in {assets.PACKAGE} {stamp.get('version')}")
        return FileResponse(
            folder / name,
            media_type=content_type(name),
            headers={"Cache-Control": "public, max-age=86400"},
        )
