"""Pain and effort the patient reports about a stored set: recording them (the live page's
prompts, web/static/ratings.js), reading them back, and the CSV exports.

Only the patient rates their own pain: a therapist may read ratings but not write them. The
set must be visible to whoever asks (web/routes/deps.visible_session: 404 otherwise).
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from coach.i18n import Reader, reader
from coach.review.exports import ratings_csv
from coach.review.pain import FARRAR_SOURCE, daily_pain, pain_flags, weekly_pain
from coach.store.ratings import (
    RatingError,
    RatingRow,
    patient_ratings,
    record_rating,
    session_ratings,
)
from coach.store.store import Store
from web.audit import audited
from web.body_limits import body_limit
from web.charts import chart_words, line_chart
from web.routes.deps import IdentityDep, StoreDep, TherapistsPatientDep, VisibleSessionDep

router = APIRouter()

MAX_BODY = 1024  # a rating is a few dozen bytes of JSON


def _csv(text: str, filename: str) -> PlainTextResponse:
    return PlainTextResponse(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()  # at most MAX_BODY bytes: `rate` is marked with body_limit
    if len(raw) > MAX_BODY:
        raise HTTPException(413, "A rating is a small JSON object.")
    try:
        data = orjson.loads(raw)  # strict: no NaN, no lone surrogate ("\ud800") to store
    except orjson.JSONDecodeError:
        raise HTTPException(422, 'Send JSON: {"kind": "pain_before", "value": 3}') from None
    if not isinstance(data, dict):
        raise HTTPException(422, "Send a JSON object with `kind` and `value`.")
    return data


@router.post("/sessions/{session_id}/ratings", status_code=201)
@body_limit(MAX_BODY)
@audited("rating.record")
async def rate(
    request: Request, session_id: str, who: IdentityDep, row: VisibleSessionDep, store: StoreDep
) -> dict[str, Any]:
    """Record pain (0-10 NRS) before or after the set, or effort (Borg CR10) after it.

    Body: {"kind": "pain_before" | "pain_after" | "effort", "value": 0-10, "area": "knee",
    "set": 1} (`set` for effort only, default 1). A second rating of the same kind (and set)
    replaces the first.
    """
    if who.patient_id is None or who.patient_id != row.patient_id:
        raise HTTPException(403, "Only the patient rates their own pain and effort.")
    data = await _body(request)
    unknown = set(data) - {"kind", "value", "area", "set"}
    if unknown:
        raise HTTPException(422, f"unknown field(s): {', '.join(sorted(unknown))}")
    try:
        saved = record_rating(
            store,
            session_id,
            data.get("kind"),
            data.get("value"),
            data.get("area", ""),
            data.get("set"),
        )
    except RatingError as exc:
        raise HTTPException(422, str(exc)) from None
    return saved.to_json()


@router.get("/sessions/{session_id}/ratings")
@audited("session.ratings")
def ratings_of_session(session_id: str, row: VisibleSessionDep, store: StoreDep) -> JSONResponse:
    return JSONResponse([r.to_json() for r in session_ratings(store, session_id)])


@router.get("/sessions/{session_id}/ratings.csv", include_in_schema=False)
@audited("session.export.ratings")
def session_ratings_csv(
    session_id: str, row: VisibleSessionDep, store: StoreDep
) -> PlainTextResponse:
    rows = [
        RatingRow(**{**r.__dict__, "exercise_id": row.exercise_id, "started_at": row.started_at})
        for r in session_ratings(store, session_id)
    ]
    return _csv(ratings_csv(rows), f"session-{session_id}-ratings.csv")


@router.get("/patients/{patient_id}/ratings.csv", include_in_schema=False)
@audited("patient.export.ratings")
def patient_ratings_csv(patient: TherapistsPatientDep, store: StoreDep) -> PlainTextResponse:
    """Every pain and effort rating of one of the therapist's patients."""
    rows = patient_ratings(store, patient.id)
    return _csv(ratings_csv(rows), f"patient-{patient.id}-ratings.csv")


def pain_context(store: Store, patient_id: int, words: Reader | None = None) -> dict[str, Any]:
    """What the pain partial (review/_pain.html) shows: the weekly chart, the flags (for the
    therapist) and their source."""
    ratings = patient_ratings(store, patient_id)
    days = daily_pain(ratings)
    weeks = weekly_pain(ratings, since=days[0].day if days else None)
    words = words or reader("en")
    labels = [words.short_day(w.start) for w in weeks]
    chart = line_chart(
        words.gettext("Pain (0-10) and effort (Borg CR10) per week"),
        labels,
        {
            "pain before": [w.before for w in weeks],
            "pain after": [w.after for w in weeks],
            "effort": [w.effort for w in weeks],
        },
        words=chart_words(words),
    )
    return {
        "chart": chart,
        "flags": list(reversed(pain_flags(ratings))),
        "rated": bool(ratings),
        "source": FARRAR_SOURCE,
        # The patient's page says it in words: the last weeks that have a rating, newest first.
        "recent_weeks": [
            w for w in reversed(weeks) if (w.before, w.after, w.effort) != (None, None, None)
        ][:4],
    }
