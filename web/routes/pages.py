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

from coach.i18n import ENGLISH, Reader, reader
from coach.review.progress import exercise_trends, record_start, weekly_progress
from coach.review.targets_progress import weekly_targets
from coach.review.volume import daily_plans, weekly_done
from coach.store import Store
from coach.store.accounts import Identity
from coach.store.models import ExerciseSession, Patient
from coach.store.store import aware
from scoring.words import Say
from web.charts import ChartWords, chart_words, line_chart
from web.i18n import VARY_BY_READER, language_of, templates_at
from web.routes.ratings import pain_context

ENGLISH_WORDS = reader("en")  # the pages not translated yet
TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates" / "review"


def _fmt(v: Any, digits: int = 0) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    return f"{v:.{digits}f}"


def clinic_time(d: Any) -> str:
    """A stored (UTC) time in the clinic's time zone with its name: `COACH_TIMEZONE` (an IANA
    name such as Europe/Paris), else the server's own zone. Pages and the printed report show
    local time, never bare UTC."""
    if not d:
        return "–"
    import os
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = os.environ.get("COACH_TIMEZONE", "").strip()
    try:
        local = aware(d).astimezone(ZoneInfo(name)) if name else aware(d).astimezone()
    except (ZoneInfoNotFoundError, ValueError):
        local = aware(d).astimezone()
    return local.strftime("%Y-%m-%d %H:%M %Z").strip()


def review_templates() -> Jinja2Templates:
    """The review pages' templates, in the reader's language (web/i18n.py), with their number
    and date filters (one per app)."""
    templates = templates_at(str(TEMPLATE_DIR))
    templates.env.filters["num"] = _fmt
    templates.env.filters["when"] = clinic_time
    return templates


# The review pages whose every word comes from the catalogs (docs/I18N.md): shown in the
# reader's language. The others (the therapist's pages, not translated yet) stay English, and
# say so in their <html lang>.
TRANSLATED_PAGES = frozenset(
    {
        "me.html",
        "consent.html",
        "login.html",
        "link_ended.html",
        "handout.html",
        "therapist.html",
        "patient.html",
        "session.html",
        "protocols.html",
        "erase.html",
        "confirm.html",
        "login_code.html",
        "second_factor.html",
        "recovery_codes.html",
        "report.html",
        "audit.html",
        "form_error.html",
    }
)


def render(request: Request, name: str, who: Identity | None, **ctx: Any) -> HTMLResponse:
    """A review page; every template gets `who` for its header."""
    templates: Jinja2Templates = request.app.state.templates
    if name in TRANSLATED_PAGES:
        language_of(request, who)  # or the language the route chose (a patient's handout)
    else:
        request.state.language = ENGLISH
    response = templates.TemplateResponse(request, name, {"who": who, **ctx})
    if name in TRANSLATED_PAGES:
        response.headers["Vary"] = VARY_BY_READER
    return response


def exercise_names() -> dict[str, str]:
    from exercises import list_exercises, list_tasks

    return {e.id: e.name for e in list_exercises()} | {t.id: t.name for t in list_tasks()}


def load_exercise(exercise_id: str) -> Any | None:
    """The exercise, or None for an id no longer (or never) known."""
    from exercises import load_exercise

    try:
        return load_exercise(exercise_id)
    except KeyError:
        return None


def range_charts(
    sessions: list[ExerciseSession], program: list[Any], words: Reader = ENGLISH_WORDS
) -> list[str]:
    """One chart per exercise: peak range per session and side, the prescribed target and
    limit as lines (never mixing exercises: a shoulder session is not a squat's range)."""
    names = exercise_names()
    out = []
    for trend in exercise_trends(sessions, program):
        labels = [words.short_day(d) for d in trend.dates]
        name = words.say(Say(names.get(trend.exercise_id, trend.exercise_id)))
        out.append(
            line_chart(
                words.gettext("{exercise}: peak range per session", exercise=name),
                labels,
                trend.peaks,
                "°",
                lines={"target": trend.target_deg, "limit": trend.limit_deg},
                words=chart_words(words),
            )
        )
    return out


def targets_progress(
    sessions: list[ExerciseSession],
    since: Any = None,
    today: Any = None,
    words: Reader = ENGLISH_WORDS,
) -> list[dict[str, Any]]:
    """Per hand-eye targets task: the weekly share touched and reaction time (left and right
    as two series; a follow task's tracking error too), the weeks with targets as rows, and
    the coarsest timing for the caveat."""
    from exercises import list_tasks

    names = {task.id: task.name for task in list_tasks()}
    said = chart_words(words)
    out = []
    for trend in weekly_targets(sessions, since=since, today=today):
        name = words.say(Say(names.get(trend.task, trend.task)))
        labels = [words.short_day(w.start) for w in trend.weeks]
        charts = [
            line_chart(
                words.gettext("{task}: targets touched per week", task=name),
                labels,
                trend.series("share", 100.0),
                "%",
                bounds=(0.0, 100.0),
                words=said,
            ),
            line_chart(
                words.gettext("{task}: reaction time per week", task=name),
                labels,
                trend.series("reaction_s", 1000.0),
                " ms",
                min_span=200.0,
                words=said,
            ),
        ]
        if trend.follow:
            charts.append(
                line_chart(
                    words.gettext("{task}: tracking error per week (% of arm length)", task=name),
                    labels,
                    trend.series("tracking_error", 100.0),
                    "%",
                    min_span=20.0,
                    words=said,
                )
            )
        out.append(
            {
                "name": name,
                "trend": trend,
                "charts": charts,
                "rows": [w for w in reversed(trend.weeks) if w.hands][:6],
            }
        )
    return out


def _progress_charts(
    store: Store,
    patient: Patient,
    sessions: list[ExerciseSession],
    program: list[Any],
    words: Reader,
) -> dict[str, Any]:
    patient_id = patient.id
    weeks = weekly_progress(sessions, since=record_start(patient, sessions))
    labels = [words.short_day(w.start) for w in weeks]
    tests = store.protocol_results(patient_id)
    test_series: dict[str, list[float | None]] = {}
    test_labels: list[str] = []
    for i, res in enumerate(tests):
        value = (res.result or {}).get("value")
        test_labels.append(words.short_day(aware(res.created_at).date()))
        for name in {res.protocol for res in tests}:
            test_series.setdefault(name, [None] * len(tests))
        if isinstance(value, int | float):
            test_series[res.protocol][i] = float(value)
    said = chart_words(words)
    test_names = {
        res.protocol: words.say(Say(str((res.result or {}).get("name") or res.protocol)))
        for res in tests
    }
    return {
        "rom": range_charts(sessions, program, words),
        # No session yet: no point at 0 (nothing was missed before the first session).
        "reps": line_chart(
            words.gettext("Reps completed"),
            labels,
            {"reps": [w.reps if sessions else None for w in weeks]},
            words=said,
        ),
        "score": line_chart(
            words.gettext("Mean form score"),
            labels,
            {"score": [w.mean_score for w in weeks]},
            words=said,
        ),
        "hold": line_chart(
            words.gettext("Best hold time"),
            labels,
            {"hold": [w.best_hold_s for w in weeks]},
            "s",
            words=said,
        ),
        "tests": line_chart(
            words.gettext("Clinical test results"),
            test_labels,
            test_series,
            words=ChartWords({**said.names, **test_names}, said.empty),
        ),
    }


def patient_context(
    store: Store, patient: Patient, words: Reader = ENGLISH_WORDS
) -> dict[str, Any]:
    """Programme, sessions, progress charts, adherence and tests: both patient pages show them."""
    sessions = store.sessions_of(patient.id)
    program = store.program(patient.id)
    return {
        "patient": patient,
        "program": program,
        "sessions": sessions,
        "names": {k: words.say(Say(v)) for k, v in exercise_names().items()},
        "charts": _progress_charts(store, patient, sessions, program, words),
        # The same "done" as the patient's own page (coach.review.volume): the whole day's
        # program, every kind of exercise.
        "adherence": weekly_done(
            sessions, daily_plans(program), weeks=6, since=record_start(patient, sessions)
        ),
        "tests": store.protocol_results(patient.id),
        "pain": pain_context(store, patient.id, words),
        "targets": targets_progress(sessions, record_start(patient, sessions), words=words),
    }
