"""The real recordings (../shared/data, or `$COACH_SHARED_DATA`) and their manifest."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CLIP_ID = "medflex/squat"  # side view, 2 slow squats, 10 s: the page's reference clip


def shared_data_dir() -> Path:
    return Path(os.environ.get("COACH_SHARED_DATA", REPO.parent / "shared" / "data"))


def manifest_entry(shared_data: Path, clip_id: str) -> dict[str, Any]:
    for entry in json.loads((shared_data / "MANIFEST.json").read_text())["videos"]:
        if entry["id"] == clip_id:
            return entry
    raise LookupError(f"{clip_id} not in MANIFEST.json")
