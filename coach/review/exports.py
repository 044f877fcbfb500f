"""A stored session as CSV (reps, per-frame measures) and JSON, and a patient's pain and effort
ratings as CSV, for records and other tools.

The JSON keeps the shape of `coach analyze --json` (`reps`, `holds`, `faults`) plus the
session's identity (patient, source, times), so one reader handles both.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import numpy as np

from coach.store.records import stored_landing
from coach.store.store import SessionFrames, aware

REP_COLUMNS = [
    "index",
    "side",
    "start_s",
    "end_s",
    "duration_s",
    "rom_deg",
    "peak_deg",
    "score",
    "up_s",
    "down_s",
    "sparc",
    "faults",
    "over_limit",
    # How well the reported angle was seen (scoring.confidence); when it was not measured,
    # rom_deg and peak_deg are empty and the reason says why (an id: view, hidden, jitter).
    "confidence",
    "confidence_reason",
    "limit_check",
]


def _clean(v: Any) -> Any:
    if isinstance(v, float):
        return round(v, 3) if math.isfinite(v) else None
    return v


def rep_rows(session: Any) -> list[dict[str, Any]]:
    rows = []
    for r in session.reps:
        extra = r.extra or {}
        rows.append(
            {
                "index": r.index,
                "side": r.side,
                "start_s": _clean(r.start_s),
                "end_s": _clean(r.end_s),
                "duration_s": _clean(r.end_s - r.start_s),
                "rom_deg": _clean(r.rom_deg),
                "peak_deg": _clean(r.peak_deg),
                "score": _clean(r.score),
                "up_s": _clean(extra.get("up_s")),
                "down_s": _clean(extra.get("down_s")),
                "sparc": _clean(extra.get("sparc")),
                "faults": list(r.faults or []),
                "over_limit": bool(r.over_limit),
                "confidence": _clean(r.confidence),
                "confidence_reason": r.confidence_reason or "",
                "limit_check": r.limit_check or "",
                # Not measured: no peak (a rep stored before confidence existed keeps its own).
                "measured": r.peak_deg is not None,
            }
        )
    return rows


def reps_csv(session: Any) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=REP_COLUMNS, lineterminator="\n")
    w.writeheader()
    for row in rep_rows(session):
        row = {k: v for k, v in row.items() if k in REP_COLUMNS}
        w.writerow(row | {"faults": ";".join(row["faults"]), "over_limit": int(row["over_limit"])})
    return buf.getvalue()


def frames_csv(frames: SessionFrames) -> str:
    """One row per frame: time, then each stored measure as the engine reported it (empty
    where not seen, and for a joint angle where the view cannot measure it)."""
    names = sorted(frames.measures)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["t_s", "pose_found", *names])
    found = np.isfinite(frames.landmarks[:, :, 0]).all(axis=1) if len(frames.t) else []
    for i, t in enumerate(frames.t):
        vals = [frames.measures[n][i] for n in names]
        w.writerow(
            [f"{t:.3f}", int(bool(found[i]))]
            + ["" if not np.isfinite(v) else f"{v:.2f}" for v in vals]
        )
    return buf.getvalue()


def session_json(
    session: Any, patient_name: str | None = None, ratings: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """`ratings`: the patient's pain and effort for this set (coach.store.ratings, JSON)."""
    return {
        "id": session.id,
        "patient_id": session.patient_id,
        "patient": patient_name,
        "exercise": session.exercise_id,
        "source": session.source,
        "status": session.status,
        "started_at": aware(session.started_at).isoformat(timespec="seconds"),
        "ended_at": aware(session.ended_at).isoformat(timespec="seconds")
        if session.ended_at
        else None,
        "duration_s": _clean(session.duration_s),
        "video": session.video_name,
        "rep_count": len(session.reps),
        # Each rep's features (scoring.reference), what a personal reference is made of.
        # A jump's landing (scoring.modes.jump), where the exercise is a jump.
        "reps": [
            row
            | {"features": dict(r.profile or {})}
            | ({"landing": landing} if (landing := stored_landing(r.extra)) else {})
            for row, r in zip(rep_rows(session), session.reps, strict=True)
        ],
        "holds": [
            {
                "start_s": _clean(h.start_s),
                "end_s": _clean(h.end_s),
                "duration_s": _clean(h.duration_s),
                "sway": _clean(h.sway),
                "touch_downs": h.touch_downs,
            }
            for h in session.holds
        ],
        "faults": [
            {"id": f.fault_id, "t_s": _clean(f.t_s), "rep": f.rep, "message": f.message}
            for f in session.faults
        ],
        "warnings": list((session.summary or {}).get("warnings") or []),
        "ratings": list(ratings or []),
        # A hand-eye targets session (coach.offline.targets): per-target measures.
        "targets": (session.summary or {}).get("targets"),
    }


RATING_COLUMNS = [
    "session_id",
    "exercise",
    "session_started_at",
    "kind",
    "set",
    "value",
    "area",
    "rated_at",
]


def ratings_csv(rows: list[Any]) -> str:
    """Pain and effort ratings (coach.store.ratings.RatingRow), one row each."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(RATING_COLUMNS)
    for r in rows:
        started = r.started_at.isoformat(timespec="seconds") if r.started_at else ""
        w.writerow(
            [
                r.session_id,
                r.exercise_id,
                started,
                r.kind,
                r.set_number,
                r.value,
                r.area,
                r.created_at.isoformat(timespec="seconds"),
            ]
        )
    return buf.getvalue()
