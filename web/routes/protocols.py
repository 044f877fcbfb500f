"""The clinical tests for therapists: every protocol's reference values with their sources
(/protocols), and one patient's stored results against them (/patients/ID/protocols).

Results are stored by `coach protocol NAME VIDEO --save --patient ID` (coach/cli/protocol.py);
the values and citations come from exercises/norms/*.toml, never from this module."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from coach.errors import NoPersonFound
from coach.i18n import Reader, reader
from coach.offline import protocols as p
from coach.offline.jobs import without_paths
from coach.review.accuracy import protocol_lines
from coach.review.tests_progress import weekly_tests
from coach.store.models import Patient
from exercises.norms import load_norms, norm_ids
from scoring.protocols import NormError, Norms, ProtocolResult
from scoring.words import Say, psay, say
from web.audit import audited
from web.body_limits import STREAMED, body_limit
from web.charts import ChartWords, chart_words, line_chart
from web.i18n import reader_of
from web.routes.deps import JobsDep, StoreDep, TherapistDep, TherapistsPatientDep
from web.routes.pages import render
from web.routes.rights import RecordablePatientDep
from web.routes.uploads import _refused, checked_video, receive_video  # refused as uploads are
from web.uploads.receiving import UploadRefused

router = APIRouter()

# The command-line id of each norms file's test (`coach protocol list`).
COMMANDS = {
    "chair_stand_30s": "chair-stand",
    "five_times_sit_to_stand": "five-times-sit-to-stand",
    "single_leg_stance": "single-leg-stance",
    "four_stage_balance": "four-stage-balance",
    "range_of_motion": "rom",
    "timed_up_and_go": "tug",
    "gait": "gait",
}


# The norms files' keys as the page names them (messages: the reader's language); a key not
# here is shown as it is written.
NORM_WORDS = {
    "high": psay("norms", "high"),
    "low": psay("norms", "low"),
    "mean": psay("norms", "mean"),
    "ci_high": psay("norms", "ci high"),
    "ci_low": psay("norms", "ci low"),
    "cadence_high": psay("norms", "cadence high"),
    "cadence_low": psay("norms", "cadence low"),
    "duration_s": psay("norms", "duration s"),
    "stands": psay("norms", "stands"),
    "fall_risk_s": psay("norms", "fall risk s"),
    "fall_risk_min_age": psay("norms", "fall risk min age"),
    "hold_s": psay("norms", "hold s"),
    "fall_risk_below_stage": psay("norms", "fall risk below stage"),
    "speed_fastest_mean_m_s": psay("norms", "speed fastest mean m s"),
    "speed_slowest_mean_m_s": psay("norms", "speed slowest mean m s"),
    "leg_share_of_height": psay("norms", "leg share of height"),
    "max_s": psay("norms", "max s"),
    "walk_m": psay("norms", "walk m"),
    "active mean": psay("norms", "active mean"),
    "passive mean": psay("norms", "passive mean"),
    "end range": psay("norms", "end range"),
    "shoulder_flexion": psay("norms", "shoulder flexion"),
    "shoulder_abduction": psay("norms", "shoulder abduction"),
    "knee_flexion": psay("norms", "knee flexion"),
}
# What each test measures (coach.offline.protocols.PROTOCOLS' words, for the page).
WHAT = {
    "chair-stand": say("30-second chair stand: full stands in 30 s"),
    "five-times-sit-to-stand": say("time to the fifth full stand"),
    "single-leg-stance": say("time on one leg until touch-down, max 45 s"),
    "four-stage-balance": say("feet together, semi-tandem, tandem, one leg: 10 s each"),
    "rom": say("peak shoulder or knee angle per side vs published values"),
    "tug": say("Timed Up and Go: seconds from rising to sitting again, its phases and steps"),
    "gait": say("cadence, step time and its asymmetry, stride-time variability, speed"),
}


def _norm_word(key: str, words: Reader) -> str:
    found = NORM_WORDS.get(key)
    return words.say(found) if found is not None else key.replace("_", " ")


def _band_label(band: Any, words: Reader) -> str:
    """An age band as the page names it ("women 60-64"), in the reader's words."""
    ages = {"low": str(band.age_min), "high": str(band.age_max)}
    if band.sex == "female":
        return words.gettext("women {low}-{high}", **ages)
    if band.sex == "male":
        return words.gettext("men {low}-{high}", **ages)
    return words.gettext("adults {low}-{high}", **ages)


def _table(norms: Norms, words: Reader) -> dict[str, Any]:
    """A norms file as rows for the page: age bands (with sex) and their values."""
    keys = sorted({k for b in norms.bands for k in b.values})
    rows = [
        {"label": _band_label(b, words), "values": [b.values.get(k) for k in keys]}
        for b in norms.bands
    ]
    return {"columns": [_norm_word(k, words) for k in keys], "rows": rows}


def norms_overview(words: Reader | None = None) -> list[dict[str, Any]]:
    words = words or reader("en")
    out = []
    for norm_id in norm_ids():
        norms = load_norms(norm_id)
        command = COMMANDS.get(norm_id, "")
        out.append(
            {
                "id": norm_id,
                "norms": norms,
                "table": _table(norms, words),
                "constants": {_norm_word(k, words): v for k, v in norms.constants.items()},
                "stages": norms.extra.get("stages", []),
                "movements": norms.extra.get("movements", []),
                "command": command,
                "what": words.say(WHAT[command]) if command in WHAT else "",
                "accuracy": protocol_lines(command),
            }
        )
    return out


@router.get("/protocols", include_in_schema=False)
def protocols_page(request: Request, who: TherapistDep) -> HTMLResponse:
    words = reader_of(request, who)
    return render(request, "protocols.html", who, **_norms(words), patient=None, results=[])


def _norms(words: Reader) -> dict[str, Any]:
    """What both test pages show of the norms, in the reader's words."""
    return {
        "tests": norms_overview(words),
        "norm_words": {k: words.say(v) for k, v in NORM_WORDS.items()},
    }


def _age(patient: Patient) -> int | None:
    return date.today().year - patient.birth_year if patient.birth_year else None


# The tests one video can score on the web (the four-stage balance from one continuous
# recording; one video per stage is `coach protocol four-stage-balance` on the command line).
WEB_TESTS = (
    "single-leg-stance",
    "five-times-sit-to-stand",
    "chair-stand",
    "rom",
    "tug",
    "gait",
    "four-stage-balance",
)
# Walked across a room, where an examiner is often in view: the model is kept on the patient
# (coach.pipeline.guarded), as `coach protocol tug|gait` runs it.
GUARDED = ("tug", "gait")


def _height(fields: dict[str, str]) -> float | None:
    """The height typed in the form (cm), None when left empty; UploadRefused if impossible."""
    text = fields.get("height_cm", "").strip()
    if not text:
        return None
    try:
        height = float(text)
    except ValueError:
        raise UploadRefused(
            f"Gait: the height must be a number of centimetres, not {text!r}."
        ) from None
    if not 50 <= height <= 250:
        raise UploadRefused(f"Gait: the height must be 50-250 cm, not {height:g}.")
    return height


def web_runner(name: str, fields: dict[str, str], patient: Patient) -> Callable[[Any], Any]:
    """The run function for a test chosen in the form; UploadRefused says what is missing."""
    age, sex = _age(patient), patient.sex
    if name == "tug":
        return lambda track: p.run_tug(track, age=age)
    if name == "gait":
        height = _height(fields)
        return lambda track: p.run_gait(track, height_cm=height, sex=sex)
    if name == "four-stage-balance":
        return lambda track: p.run_four_stage_balance([track])
    if name == "single-leg-stance":
        side = fields.get("side", "")
        if side not in ("left", "right"):
            raise UploadRefused(say("Single-leg stance: choose the leg stood on (left or right)."))
        return lambda track: p.run_single_leg_stance(track, side=side, age=age)
    if name == "five-times-sit-to-stand":
        return lambda track: p.run_five_times_sit_to_stand(track, age=age)
    if name == "chair-stand":
        try:
            load_norms("chair_stand_30s").band(age, sex)
        except NormError as exc:
            raise UploadRefused(f"{exc} (fill it in on the patient's record).") from None
        return lambda track: p.run_chair_stand(track, age=age or 0, sex=sex or "")
    if name == "rom":
        joint, movement = fields.get("joint", ""), fields.get("movement", "flexion")
        if (joint, movement) not in p.ROM_MOVEMENTS:
            raise UploadRefused(
                say("Range of motion: choose shoulder flexion, abduction or knee flexion.")
            )
        return lambda track: p.run_rom(track, joint=joint, movement=movement, sex=sex)
    raise UploadRefused(f"Choose a test ({', '.join(WEB_TESTS)}).")


def _score(
    path: Path, shown: str, runner: Callable[[Any], Any], guard: bool = False
) -> ProtocolResult:
    """Pose over the whole video (kept on the patient with `guard`), then the test's
    scoring; the upload is removed either way."""
    from pose.sources import SourceError

    try:
        return runner(p.track_from_video(path, guard=guard))
    except (SourceError, NoPersonFound, NormError, ValueError) as exc:
        raise UploadRefused(without_paths(str(exc), path, shown)) from None
    finally:
        path.unlink(missing_ok=True)


@router.post("/patients/{patient_id}/protocols/run", include_in_schema=False)
@body_limit(STREAMED)  # an upload: receive_upload's own limits
@audited("test.run")
async def run_protocol(
    request: Request,
    who: TherapistDep,
    patient: RecordablePatientDep,  # 409 when the patient declined or withdrew consent
    store: StoreDep,
    jobs: JobsDep,
) -> Response:
    """Run a clinical test on an uploaded video and store the result (checked like any
    upload; scored on the analysis thread, so the page waits for the result)."""
    received = await receive_video(request, jobs)
    if isinstance(received, Response):
        return received
    dest = received.path
    try:
        name = received.fields.get("protocol", "")
        runner = web_runner(name, received.fields, patient)
        dest, shown = await checked_video(received)
        guard = name in GUARDED
        result = await asyncio.wrap_future(jobs.run_exclusive(_score, dest, shown, runner, guard))
    except UploadRefused as exc:
        if dest is not None:
            dest.unlink(missing_ok=True)
        if "text/html" in request.headers.get("accept", ""):
            page = _results_page(request, who, patient, store, error=str(exc))
            page.status_code = exc.status
            return page
        return _refused(exc)
    except BaseException:
        if dest is not None:
            dest.unlink(missing_ok=True)
        raise
    row = store.add_protocol_result(patient.id, name, result.to_json())
    return RedirectResponse(f"/patients/{patient.id}/protocols#result-{row.id}", status_code=303)


def charts_by_test(rows: list[Any], words: Reader | None = None) -> list[str]:
    """One chart per test over weeks (coach.review.tests_progress), in the test's unit."""
    words = words or reader("en")
    charts = []
    for trend in weekly_tests(rows):
        shown_unit = f" {words.say(Say(trend.unit))}" if trend.unit else ""
        unit = {"s": " s", "deg": "°"}.get(trend.unit, shown_unit)
        name = words.say(Say(trend.name))
        base = chart_words(words)
        named = ChartWords(
            names={
                **base.names,
                trend.name: name,
                f"{trend.name}, recorded": words.gettext("{test}, recorded", test=name),
                f"{trend.name}, live": words.gettext("{test}, live", test=name),
                **{k: words.say(Say(k)) for k in trend.lines},
            },
            empty=base.empty,
        )
        charts.append(
            line_chart(
                words.gettext(
                    "{test} ({unit}), by week",
                    test=name,
                    unit=words.say(Say(trend.unit)) if trend.unit else words.gettext("result"),
                ),
                [words.short_day(w) for w in trend.weeks],
                _series(trend.name, trend.values, trend.live),
                unit,
                lines=trend.lines,
                words=named,
            )
        )
    return charts


def _series(
    name: str, values: list[float | None], live: list[bool]
) -> dict[str, list[float | None]]:
    """One series, or two when some weeks' results were taken live (the live page's test):
    "recorded" and "live", each with its own marker."""
    if not any(live):
        return {name: values}
    recorded = [None if on else v for v, on in zip(values, live, strict=True)]
    taken = [v if on else None for v, on in zip(values, live, strict=True)]
    return {f"{name}, recorded": recorded, f"{name}, live": taken}


def _last_height(rows: list[Any]) -> float | None:
    """The height the patient's last gait test used (the form offers it again)."""
    for row in sorted(rows, key=lambda r: r.created_at, reverse=True):
        height = ((row.result or {}).get("patient") or {}).get("height_cm")
        if row.protocol == "gait" and isinstance(height, int | float):
            return float(height)
    return None


def said_result(result: dict[str, Any]) -> dict[str, Any]:
    """A stored result whose interpretation and warnings the scoring wrote as messages (its
    `say`): those words as their messages, for the page to say in its reader's language. An
    older result (no `say`, or one that cannot be read) keeps its stored English words."""
    said = result.get("say")
    if not isinstance(said, dict):
        return result
    out = dict(result)
    try:
        if "interpretation" in said:
            out["interpretation"] = Say.from_json(said["interpretation"])
        warnings = said.get("warnings")
        if isinstance(warnings, list) and len(warnings) == len(result.get("warnings") or []):
            out["warnings"] = [Say.from_json(w) for w in warnings]
    except (KeyError, TypeError, AttributeError, ValueError):
        return result
    return out


def _results_page(
    request: Request, who: Any, patient: Patient, store: Any, error: str | None = None
) -> HTMLResponse:
    words = reader_of(request, who)
    rows = store.protocol_results(patient.id)
    results = [
        {"row": r, "result": said_result(r.result or {})}
        for r in sorted(rows, key=lambda r: r.created_at, reverse=True)
    ]
    return render(
        request,
        "protocols.html",
        who,
        **_norms(words),
        patient=patient,
        age=_age(patient),
        results=results,
        web_tests=WEB_TESTS,
        error=error,
        charts_by_test=charts_by_test(rows, words),
        height_cm=_last_height(rows),
    )


@router.get("/patients/{patient_id}/protocols", include_in_schema=False)
@audited("tests.view")
def patient_protocols(
    request: Request, who: TherapistDep, patient: TherapistsPatientDep, store: StoreDep
) -> HTMLResponse:
    return _results_page(request, who, patient, store)
