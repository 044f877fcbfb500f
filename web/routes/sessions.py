"""A stored session: its page (plot, per-rep table, left/right comparison), the printable
report, the CSV and JSON exports, the replay skeleton, and "use these reps" as the patient's
reference."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import numpy as np
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse

from coach.errors import ReferenceRefused
from coach.i18n import Reader
from coach.review import accuracy, exports
from coach.review.progress import symmetry_index
from coach.review.references import set_reference_from_session
from coach.store import Store
from coach.store.models import ExerciseSession
from coach.store.ratings import session_ratings
from coach.store.records import stored_landing
from coach.store.store import SessionFrames, aware
from coach.unmeasured import NOT_MEASURED_WORDS, UNCHECKED_WORDS
from scoring.reference import MIN_REFERENCE_REPS
from scoring.words import Say, psay
from web.audit import audited
from web.charts import chart_words, time_plot
from web.i18n import reader_of
from web.routes.checkins import checkin_of_week
from web.routes.deps import (
    IdentityDep,
    StoreDep,
    TherapistDep,
    VisibleSessionDep,
    patient_of,
    visible_session,
)
from web.routes.pages import (
    exercise_names,
    load_exercise,
    range_charts,
    render,
    targets_progress,
)
from web.routes.videos import has_video

router = APIRouter()
# A rep's smoothness against the session's usual rep (messages: the reader's language).
SMOOTHER = psay("smoothness", "smoother")
USUAL = psay("smoothness", "usual")
LESS_SMOOTH = psay("smoothness", "less smooth")


def _comparison(
    row: ExerciseSession, frames: SessionFrames, base: str | None
) -> list[dict[str, Any]]:
    """Per rep: the peak of the reported measure on each side (from the stored frames)."""
    if base is None:
        return []
    left = frames.measures.get(f"{base}_left")
    right = frames.measures.get(f"{base}_right")
    if left is None or right is None or not len(frames.t):
        return []
    out = []
    for rep in row.reps:
        sel = (frames.t >= rep.start_s) & (frames.t <= rep.end_s)
        lv, rv = left[sel], right[sel]
        lp = float(np.nanmax(lv)) if np.isfinite(lv).any() else None
        rp = float(np.nanmax(rv)) if np.isfinite(rv).any() else None
        measured = rep.peak_deg is not None  # a rep not measured shows no side's number
        out.append({"index": rep.index, "left": lp, "right": rp, "measured": measured,
                    "si": symmetry_index(lp, rp) if measured else None})  # fmt: skip
    return out


def _csv(text: str, filename: str) -> PlainTextResponse:
    return PlainTextResponse(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post("/sessions/{session_id}/reference", include_in_schema=False)
@audited("reference.set")
def use_as_reference(
    session_id: str, who: TherapistDep, row: VisibleSessionDep, store: StoreDep
) -> RedirectResponse:
    """The therapist makes this session's reps the patient's reference for its exercise;
    back to the session page, saying so or why not."""
    try:
        set_reference_from_session(store, patient_of(row), session_id, created_by=who.user_id)
    except ReferenceRefused as exc:
        query = f"reference_error={quote(str(exc))}"
    else:
        query = "reference=set"
    return RedirectResponse(f"/sessions/{session_id}?{query}#reference", status_code=303)


def _measure_of(exercise: Any) -> str | None:
    """The measure the angle plot shows: the reported angle of a rep, a hold's first one, a
    jump's knee angle."""
    if exercise is not None and exercise.rep is not None:
        return str(exercise.rep.report or exercise.rep.measure)
    if exercise is not None and exercise.hold is not None and exercise.hold.conditions:
        return str(exercise.hold.conditions[0].measure)
    jump = getattr(exercise, "jump", None)
    return str(jump.report) if jump is not None else None


def _no_angle_words(stored: int, measured: bool, words: Reader) -> str:
    """Why the angle chart has no line: no frames, an exercise without an angle (a targets
    task), or an angle no frame could measure."""
    if not stored:
        return words.gettext("No frames stored")
    if not measured:
        return words.ngettext(
            "No angle is measured for this exercise ({n} frame stored)",
            "No angle is measured for this exercise ({n} frames stored)",
            stored,
        )
    return words.ngettext(
        "Not measured in the {n} frame stored (a view that cannot measure it, or the joints "
        "not seen)",
        "Not measured in any of the {n} frames stored (a view that cannot measure it, or the "
        "joints not seen)",
        stored,
    )


def _angle_plot(
    store: Store, row: ExerciseSession, exercise: Any, frames: SessionFrames, words: Reader
) -> str:
    """The measure over time, with the patient's range limit (the reported angle's) when the
    plotted measure is that angle."""
    base = _measure_of(exercise)
    series = {
        side: frames.measures[f"{base}_{side}"]
        for side in ("left", "right")
        if base and f"{base}_{side}" in frames.measures
    }
    if not series and base in frames.measures:
        series = {base: frames.measures[base]}
    degrees = bool(base) and "height" not in str(base) and "lift" not in str(base)
    item = store.program_item(patient_of(row), row.exercise_id)
    reported = exercise is not None and exercise.rep is not None
    limit = item.max_rom_deg if item is not None and reported and degrees else None
    stored = len(frames.t)
    return time_plot(
        words.gettext("{measure} over time", measure=(base or "measure").replace("_", " ")),
        frames.t,
        series,
        spans=[(rep.start_s, rep.end_s, str(rep.index)) for rep in row.reps],
        marks=[(f.t_s, words.say(f.message) if f.message else f.fault_id) for f in row.faults],
        unit="°" if degrees else "",
        lines={"limit": limit},
        empty=_no_angle_words(stored, measured=bool(base), words=words),
        words=chart_words(words),
    )


@router.get("/sessions/{session_id}", include_in_schema=False)
@audited("session.view")
def session_page(
    request: Request,
    session_id: str,
    who: IdentityDep,
    row: VisibleSessionDep,
    store: StoreDep,
    reference: str = "",
    reference_error: str = "",
) -> HTMLResponse:
    words = reader_of(request, who)
    patient = store.patient(patient_of(row))
    exercise = load_exercise(row.exercise_id)
    frames = store.session_frames(session_id)
    comp = _comparison(row, frames, _measure_of(exercise))
    lefts = [c["left"] for c in comp if c["left"] is not None and c["measured"]]
    rights = [c["right"] for c in comp if c["right"] is not None and c["measured"]]
    overall_si = symmetry_index(
        float(np.mean(lefts)) if lefts else None, float(np.mean(rights)) if rights else None
    )
    return render(
        request,
        "session.html",
        who,
        s=row,
        patient=patient,
        exercise_name=words.say(Say(_name(row, exercise))),
        reps=exports.rep_rows(row),
        plot=_angle_plot(store, row, exercise, frames, words),
        comparison=comp if lefts and rights else [],  # a one-side view: no empty table
        overall_si=overall_si,
        smooth={k: words.say(v) for k, v in _smoothness_words(exports.rep_rows(row)).items()},
        fault_words={f.id: f.message for f in getattr(exercise, "faults", [])},
        frames=len(frames.t),
        current_reference=store.reference_row(patient_of(row), row.exercise_id),
        reference_set=reference == "set",
        reference_error=reference_error[:300],
        measured_reps=sum(1 for rep in row.reps if rep.profile),
        min_reference_reps=MIN_REFERENCE_REPS,
        accuracy=_accuracy(row, exercise, frames),
        not_measured=NOT_MEASURED_WORDS,
        unchecked=UNCHECKED_WORDS,
        video=who.is_therapist and has_video(row),
        landings=_landings(row),
    )


def _name(row: ExerciseSession, exercise: Any) -> str:
    """The exercise's or targets task's name (a task has no exercise definition)."""
    if exercise is not None:
        return str(exercise.name)
    return exercise_names().get(row.exercise_id, row.exercise_id)


def _landings(row: ExerciseSession) -> list[dict[str, Any]]:
    """A jump session's landings (review/_landings.html), one per rep that has one."""
    return [
        {"index": rep.index, "numbers": numbers}
        for rep in row.reps
        if (numbers := stored_landing(rep.extra))
    ]


def _accuracy(row: ExerciseSession, exercise: Any, frames: SessionFrames) -> list[Say]:
    """The accuracy card's lines for this session's exercise and camera view."""
    name = exercise.name if exercise else row.exercise_id
    size = (row.image_w or 0, row.image_h or 0)
    return accuracy.session_lines(exercise, row.exercise_id, name, frames.landmarks, size)


@router.get("/sessions/{session_id}/report", include_in_schema=False)
@audited("session.report")
def session_report(
    request: Request, who: IdentityDep, row: VisibleSessionDep, store: StoreDep
) -> HTMLResponse:
    words = reader_of(request, who)
    patient = store.patient(patient_of(row))
    exercise = load_exercise(row.exercise_id)
    program = [p for p in store.program(patient_of(row)) if p.exercise_id == row.exercise_id]
    scores = [r.score for r in row.reps if r.score is not None]
    roms = [r.rom_deg for r in row.reps if r.rom_deg is not None]
    return render(
        request,
        "report.html",
        who,
        s=row,
        patient=patient,
        exercise_name=words.say(Say(_name(row, exercise))),
        reps=exports.rep_rows(row),
        prescribed=program[0] if program else None,
        mean_score=sum(scores) / len(scores) if scores else None,
        best_rom=max(roms) if roms else None,
        over_limit_count=sum(1 for r in row.reps if r.over_limit),
        printed=datetime.now(timezone.utc),
        fault_words={f.id: f.message for f in getattr(exercise, "faults", [])},
        trend=_trend(store, row, words),
        targets=_targets_weeks(store, row, words),
        ratings=session_ratings(store, row.id),
        checkin=checkin_of_week(store, patient_of(row), aware(row.started_at).date()),
        accuracy=_accuracy(row, exercise, store.session_frames(row.id)),
        not_measured=NOT_MEASURED_WORDS,
        unchecked=UNCHECKED_WORDS,
    )


def _smoothness_words(reps: list[dict[str, Any]]) -> dict[int, Say]:
    """Each rep's smoothness (SPARC, negative; nearer 0 is smoother) in three steps against
    this session's median rep: a comparison within the session, not a clinical norm."""
    values = [float(r["sparc"]) for r in reps if r.get("sparc") is not None]
    if len(values) < 2:
        return {}
    median = float(np.median(values))
    margin = max(0.1, abs(median) * 0.1)
    out = {}
    for r in reps:
        v = r.get("sparc")
        if v is None:
            continue
        out[r["index"]] = (
            SMOOTHER if v > median + margin else LESS_SMOOTH if v < median - margin else USUAL
        )
    return out


def _so_far(store: Store, row: Any) -> list[Any]:
    """The patient's sessions of this exercise (or targets task) up to this one."""
    return [
        s
        for s in store.sessions_of(row.patient_id)
        if s.exercise_id == row.exercise_id and aware(s.started_at) <= aware(row.started_at)
    ]


def _trend(store: Store, row: Any, words: Reader) -> str:
    """The report's chart: this exercise's peak range per session up to this one, with the
    prescribed target and limit."""
    charts = range_charts(_so_far(store, row), store.program(row.patient_id), words)
    return charts[0] if charts else ""


def _targets_weeks(store: Store, row: Any, words: Reader) -> list[dict[str, Any]]:
    """A targets session's report: its task's weeks up to this session (none otherwise)."""
    if not (row.summary or {}).get("targets"):
        return []
    sessions = _so_far(store, row)
    first = min(aware(s.started_at).date() for s in sessions)
    return targets_progress(sessions, first, today=aware(row.started_at).date(), words=words)


@router.get("/sessions/{session_id}/reps.csv", include_in_schema=False)
@audited("session.export.reps")
def reps_csv(session_id: str, row: VisibleSessionDep) -> PlainTextResponse:
    return _csv(exports.reps_csv(row), f"session-{session_id}-reps.csv")


@router.get(
    "/sessions/{session_id}/frames.csv",
    include_in_schema=False,
    dependencies=[Depends(visible_session)],
)
@audited("session.export.frames")
def frames_csv(session_id: str, store: StoreDep) -> PlainTextResponse:
    return _csv(
        exports.frames_csv(store.session_frames(session_id)), f"session-{session_id}-frames.csv"
    )


@router.get("/sessions/{session_id}/session.json")
@audited("session.export.json")
def session_json(session_id: str, row: VisibleSessionDep, store: StoreDep) -> JSONResponse:
    patient = store.patient(patient_of(row))
    return JSONResponse(
        exports.session_json(
            row,
            patient.name if patient else None,
            [r.to_json() for r in session_ratings(store, session_id)],
        ),
        headers={"Content-Disposition": f'attachment; filename="session-{session_id}.json"'},
    )


@router.get("/sessions/{session_id}/replay.json")
@audited("session.replay")
def replay(
    session_id: str, row: VisibleSessionDep, store: StoreDep, max_fps: float = 15.0
) -> dict[str, Any]:
    """The stored skeleton, thinned to `max_fps`, for the replay canvas."""
    frames = store.session_frames(session_id)
    t, lm = frames.t, frames.landmarks
    keep: list[int] = []
    last = -1e9
    for i, ti in enumerate(t):
        if ti - last >= 1.0 / max(1.0, max_fps) - 1e-6:
            keep.append(i)
            last = ti
    out_frames: list[list[list[float]] | None] = []
    for i in keep:
        row_lm = lm[i]
        if not np.isfinite(row_lm[:, :2]).all():
            out_frames.append(None)
            continue
        out_frames.append(
            [[round(float(x), 4), round(float(y), 4), round(float(v), 2)] for x, y, _, v in row_lm]
        )
    return {
        "session": session_id,
        "aspect": (row.image_w / row.image_h) if row.image_w and row.image_h else 4 / 3,
        "t": [round(float(t[i]), 3) for i in keep],
        "frames": out_frames,
        "reps": [[rep.start_s, rep.end_s, rep.index] for rep in row.reps],
    }
