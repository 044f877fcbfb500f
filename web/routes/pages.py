"""What several routers share: the review templates, rendering a page, exercise look-ups, and
the patient's programme-and-progress context (the therapist's patient page and the patient's
own page show the same charts)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from coach.review.progress import adherence, weekly_progress
from coach.store import Store
from coach.store.accounts import Identity
from coach.store.models import ExerciseSession, Patient
from coach.store.store import aware
from web.charts import line_chart
from web.routes.ratings import pain_context

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates" / "review"


def _fmt(v: Any, digits: int = 0) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    return f"{v:.{digits}f}"


def review_templates() -> Jinja2Templates:
    """The review pages' templates with their number and date filters (one per app)."""
    templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
    templates.env.filters["num"] = _fmt
    templates.env.filters["when"] = lambda d: aware(d).strftime("%Y-%m-%d %H:%M") if d else "–"
    return templates


def render(request: Request, name: str, who: Identity | None, **ctx: Any) -> HTMLResponse:
    """A review page; every template gets `who` for its header."""
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, {"who": who, **ctx})


def exercise_names() -> dict[str, str]:
    from exercises import list_exercises

    return {e.id: e.name for e in list_exercises()}


def load_exercise(exercise_id: str) -> Any | None:
    """The exercise, or None for an id no longer (or never) known."""
    from exercises import load_exercise

    try:
        return load_exercise(exercise_id)
    except KeyError:
        return None


def _progress_charts(
    store: Store, patient_id: int, sessions: list[ExerciseSession]
) -> dict[str, str]:
    weeks = weekly_progress(sessions)
    labels = [w.start.strftime("%d %b") for w in weeks]
    sides = sorted({s for w in weeks for s in w.peak_rom})
    tests = store.protocol_results(patient_id)
    test_series: dict[str, list[float | None]] = {}
    test_labels: list[str] = []
    for i, res in enumerate(tests):
        value = (res.result or {}).get("value")
        test_labels.append(aware(res.created_at).strftime("%d %b"))
        for name in {res.protocol for res in tests}:
            test_series.setdefault(name, [None] * len(tests))
        if isinstance(value, int | float):
            test_series[res.protocol][i] = float(value)
    return {
        "rom": line_chart(
            "Peak range of motion per side",
            labels,
            {s: [w.peak_rom.get(s) for w in weeks] for s in sides} or {"both": []},
            "°",
        ),
        "reps": line_chart("Reps completed", labels, {"reps": [w.reps for w in weeks]}),
        "score": line_chart("Mean form score", labels, {"score": [w.mean_score for w in weeks]}),
        "hold": line_chart("Best hold time", labels, {"hold": [w.best_hold_s for w in weeks]}, "s"),
        "tests": line_chart("Clinical test results", test_labels, test_series),
    }


def patient_context(store: Store, patient: Patient) -> dict[str, Any]:
    """Programme, sessions, progress charts, adherence and tests: both patient pages show them."""
    sessions = store.sessions_of(patient.id)
    program = store.program(patient.id)
    per_week = max([item.days_per_week for item in program] or [0])
    return {
        "patient": patient,
        "program": program,
        "sessions": sessions,
        "names": exercise_names(),
        "charts": _progress_charts(store, patient.id, sessions),
        "adherence": adherence(sessions, per_week),
        "tests": store.protocol_results(patient.id),
        "pain": pain_context(store, patient.id),
    }
