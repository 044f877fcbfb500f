"""The stored side of the app: sign-in, the therapist's review pages, the patient's own pages,
exports and video uploads.

Server-rendered Jinja2 pages with SVG charts (web/charts.py); a little JavaScript only for the
skeleton replay and the upload progress. Every route that returns patient data goes through
`access.patient_for` (their therapist, or the patient), and tests/web/test_access.py proves
another user is refused on each.
"""

from __future__ import annotations

import math
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import numpy as np
from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from fastapi.templating import Jinja2Templates

from coach.errors import ReferenceRefused
from coach.review import exports
from coach.review.progress import adherence, symmetry_index, weekly_progress
from coach.review.references import limit_lines, set_reference_from_session
from coach.store import Store
from coach.store.accounts import AccountError, Identity
from coach.store.store import LINK_LOGIN_TTL, LOGIN_TTL, aware
from web import access
from web.charts import line_chart, time_plot
from web.uploads import (
    AnalysisJobs,
    UploadRefused,
    check_decodable,
    check_name,
    max_upload_bytes,
    save_stream,
)

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates" / "review"))


def _fmt(v: Any, digits: int = 0) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    return f"{v:.{digits}f}"


TEMPLATES.env.filters["num"] = _fmt
TEMPLATES.env.filters["when"] = lambda d: aware(d).strftime("%Y-%m-%d %H:%M") if d else "–"


def _exercise_names() -> dict[str, str]:
    from exercises import list_exercises

    return {e.id: e.name for e in list_exercises()}


def _load_exercise(exercise_id: str) -> Any | None:
    from exercises import load_exercise

    try:
        return load_exercise(exercise_id)
    except KeyError:
        return None


def _int(value: str, name: str, lo: float, hi: float, *, optional: bool = False) -> Any:
    value = (value or "").strip()
    if not value:
        if optional:
            return None
        raise HTTPException(400, f"{name} is required.")
    try:
        number = float(value)
    except ValueError:
        raise HTTPException(400, f"{name} must be a number, not {value!r}.") from None
    if not lo <= number <= hi:
        raise HTTPException(400, f"{name} must be between {lo:g} and {hi:g}.")
    return number


def build_router(store: Store, jobs: AnalysisJobs, limiter: access.LoginLimiter) -> APIRouter:
    r = APIRouter()

    def render(request: Request, name: str, who: Identity | None, **ctx: Any) -> HTMLResponse:
        return TEMPLATES.TemplateResponse(request, name, {"who": who, **ctx})

    def session_for(who: Identity, session_id: str) -> Any:
        row = store.session(session_id)
        if row is None or row.patient_id is None:
            raise HTTPException(404, "No such session.")
        access.patient_for(store, who, row.patient_id)
        return row

    # ---- sign-in ---------------------------------------------------------------------------
    @r.get("/login", include_in_schema=False)
    def login_page(request: Request, next: str = "") -> HTMLResponse:
        return render(request, "login.html", None, error=None, next=next)

    @r.post("/login", include_in_schema=False, response_model=None)
    def login(
        request: Request,
        username: str = Form(""),
        password: str = Form(""),
        next: str = Form(""),
    ) -> Response:
        keys = (f"ip:{request.client.host if request.client else '?'}", f"user:{username}")
        wait = limiter.retry_after(*keys)
        if wait > 0:
            resp = render(
                request,
                "login.html",
                None,
                error=f"Too many failed attempts. Try again in {math.ceil(wait / 60)} min.",
                next=next,
            )
            resp.status_code = 429
            resp.headers["Retry-After"] = str(math.ceil(wait))
            return resp
        user = store.authenticate(username, password)
        if user is None:
            limiter.failed(*keys)
            resp = render(
                request, "login.html", None, error="Wrong username or password.", next=next
            )
            resp.status_code = 401
            return resp
        token = store.start_login(user_id=user.id)
        home = "/therapist" if user.role == "therapist" else "/me"
        target = next if next.startswith("/") and not next.startswith("//") else home
        resp = RedirectResponse(target, status_code=303)
        access.set_login_cookie(resp, request, token, int(LOGIN_TTL.total_seconds()))
        return resp

    @r.post("/logout", include_in_schema=False)
    def logout(request: Request) -> RedirectResponse:
        token = request.cookies.get(access.COOKIE)
        if token:
            store.end_login(token)
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(access.COOKIE, path="/")
        return resp

    @r.get("/p/{token}", include_in_schema=False, response_model=None)
    def personal_link(request: Request, token: str) -> Response:
        link = store.resolve_link(token)
        if link is None:
            return HTMLResponse(
                "<h1>This link no longer works</h1><p>Ask your therapist for a new one.</p>",
                status_code=404,
            )
        login_token = store.start_login(patient_id=link.patient_id, link_id=link.id)
        resp = RedirectResponse("/me", status_code=303)
        access.set_login_cookie(resp, request, login_token, int(LINK_LOGIN_TTL.total_seconds()))
        return resp

    # ---- therapist: patients ---------------------------------------------------------------
    @r.get("/therapist", include_in_schema=False)
    def therapist_home(request: Request) -> HTMLResponse:
        who = access.require_therapist(store, request)
        patients = store.patients_of(who.user_id or -1)
        rows = []
        for p in patients:
            sessions = store.sessions_of(p.id, limit=50)
            last = sessions[0].started_at if sessions else None
            rows.append({"patient": p, "sessions": len(sessions), "last": last})
        return render(request, "therapist.html", who, rows=rows, error=None)

    @r.post("/therapist/patients", include_in_schema=False)
    def add_patient(
        request: Request,
        name: str = Form(""),
        birth_year: str = Form(""),
        sex: str = Form(""),
        notes: str = Form(""),
        username: str = Form(""),
        password: str = Form(""),
    ) -> RedirectResponse:
        who = access.require_therapist(store, request)
        year = _int(birth_year, "Birth year", 1900, datetime.now(timezone.utc).year, optional=True)
        try:
            patient = store.create_patient(
                who.user_id or -1,
                name,
                birth_year=int(year) if year is not None else None,
                sex=sex or None,
                notes=notes,
                username=username.strip() or None,
                password=password,
            )
        except AccountError as exc:
            raise HTTPException(400, str(exc)) from None
        return RedirectResponse(f"/patients/{patient.id}", status_code=303)

    def progress_charts(patient_id: int, sessions: list[Any]) -> dict[str, str]:
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
            "score": line_chart(
                "Mean form score", labels, {"score": [w.mean_score for w in weeks]}
            ),
            "hold": line_chart(
                "Best hold time", labels, {"hold": [w.best_hold_s for w in weeks]}, "s"
            ),
            "tests": line_chart("Clinical test results", test_labels, test_series),
        }

    def references_of(patient_id: int) -> list[dict[str, Any]]:
        """The patient's references with their limits in words, for the patient page."""
        from scoring.reference import PersonalReference

        out = []
        for row in store.references_of(patient_id):
            ref = PersonalReference.from_json(row.reference)
            out.append({"row": row, "lines": limit_lines(ref, _load_exercise(row.exercise_id))})
        return out

    def patient_context(patient: Any) -> dict[str, Any]:
        sessions = store.sessions_of(patient.id)
        program = store.program(patient.id)
        per_week = max([item.days_per_week for item in program] or [0])
        return {
            "patient": patient,
            "program": program,
            "sessions": sessions,
            "names": _exercise_names(),
            "charts": progress_charts(patient.id, sessions),
            "adherence": adherence(sessions, per_week),
            "tests": store.protocol_results(patient.id),
        }

    @r.get("/patients/{patient_id}", include_in_schema=False)
    def patient_page(request: Request, patient_id: int, new_link: str = "") -> HTMLResponse:
        who = access.require_therapist(store, request)
        patient = access.patient_for(store, who, patient_id)
        ctx = patient_context(patient)
        return render(
            request,
            "patient.html",
            who,
            **ctx,
            links=store.links_of(patient.id),
            new_link=new_link,
            jobs=store.jobs_of(patient.id),
            references=references_of(patient.id),
            base_url=str(request.base_url).rstrip("/"),
        )

    @r.post("/patients/{patient_id}/program", include_in_schema=False)
    async def edit_program(request: Request, patient_id: int) -> RedirectResponse:
        who = access.require_therapist(store, request)
        access.patient_for(store, who, patient_id)
        form = await request.form()
        known = _exercise_names()
        items = []
        for i in range(int(_int(str(form.get("rows", "0")), "rows", 0, 100))):
            ex = str(form.get(f"exercise_{i}", "")).strip()
            if not ex or form.get(f"delete_{i}"):
                continue
            if ex not in known:
                raise HTTPException(400, f"Unknown exercise {ex!r}.")

            def field(name: str, label: str, lo: float, hi: float, default: str, i: int = i) -> Any:
                raw = str(form.get(f"{name}_{i}", default))
                return _int(raw, f"{label} (row {i + 1})", lo, hi, optional=True)

            target = field("target_rom_deg", "Target range", 0, 360, "")
            limit = field("max_rom_deg", "Range limit", 0, 360, "")
            if target is not None and limit is not None and target > limit:
                raise HTTPException(400, f"Row {i + 1}: the target range is above the limit.")
            items.append(
                {
                    "exercise_id": ex,
                    "sets": int(field("sets", "Sets", 1, 20, "3") or 3),
                    "reps": int(field("reps", "Reps", 0, 200, "10") or 0),
                    "hold_s": float(field("hold_s", "Hold", 0, 600, "0") or 0),
                    "days_per_week": int(field("days_per_week", "Days a week", 1, 7, "5") or 5),
                    "target_rom_deg": target,
                    "max_rom_deg": limit,
                    "notes": str(form.get(f"notes_{i}", ""))[:1000],
                }
            )
        store.set_program(patient_id, items)
        return RedirectResponse(f"/patients/{patient_id}#program", status_code=303)

    @r.post("/patients/{patient_id}/links", include_in_schema=False)
    def new_link(request: Request, patient_id: int) -> RedirectResponse:
        who = access.require_therapist(store, request)
        access.patient_for(store, who, patient_id)
        _, token = store.create_link(patient_id)
        return RedirectResponse(
            f"/patients/{patient_id}?new_link={quote(token)}#links", status_code=303
        )

    @r.post("/patients/{patient_id}/links/{link_id}/revoke", include_in_schema=False)
    def revoke_link(request: Request, patient_id: int, link_id: int) -> RedirectResponse:
        who = access.require_therapist(store, request)
        access.patient_for(store, who, patient_id)
        if not store.revoke_link(patient_id, link_id):
            raise HTTPException(404, "No such link.")
        return RedirectResponse(f"/patients/{patient_id}#links", status_code=303)

    @r.post("/patients/{patient_id}/references/{exercise_id}/remove", include_in_schema=False)
    def remove_reference(request: Request, patient_id: int, exercise_id: str) -> RedirectResponse:
        who = access.require_therapist(store, request)
        access.patient_for(store, who, patient_id)
        if not store.remove_reference(patient_id, exercise_id):
            raise HTTPException(404, "No such reference.")
        return RedirectResponse(f"/patients/{patient_id}#references", status_code=303)

    # ---- uploads -------------------------------------------------------------------------
    @r.post("/patients/{patient_id}/uploads", include_in_schema=False, response_model=None)
    def upload(
        request: Request,
        patient_id: int,
        exercise_id: str = Form(""),
        keep_video: str = Form(""),
        video: Annotated[UploadFile | None, File()] = None,
    ) -> Response:
        who = access.require_therapist(store, request)
        access.patient_for(store, who, patient_id)
        try:
            exercise = _load_exercise(exercise_id)
            if exercise is None:
                raise UploadRefused(f"Choose an exercise (unknown: {exercise_id!r}).")
            if video is None:
                raise UploadRefused("Choose a video file to upload.")
            name = check_name(video.filename)
            dest = jobs.upload_dir / f"{secrets.token_hex(8)}{Path(name).suffix.lower()}"
            save_stream(video.file, dest, max_upload_bytes())
            try:
                check_decodable(dest)
            except UploadRefused:
                dest.unlink(missing_ok=True)
                raise
        except UploadRefused as exc:
            return JSONResponse({"error": "upload_refused", "message": str(exc)}, 400)
        job_id = jobs.submit(patient_id, exercise, name, dest, keep=bool(keep_video))
        if "application/json" in request.headers.get("accept", ""):
            return JSONResponse({"job": job_id}, 202)
        return RedirectResponse(f"/patients/{patient_id}?job={job_id}#uploads", status_code=303)

    @r.get("/api/jobs/{job_id}")
    def job_status(request: Request, job_id: str) -> dict[str, Any]:
        who = access.require_identity(store, request)
        job = store.job(job_id)
        if job is None:
            raise HTTPException(404, "No such job.")
        access.patient_for(store, who, job.patient_id)
        return {
            "id": job.id,
            "status": job.status,
            "progress": job.progress,
            "error": job.error,
            "session": job.session_id if job.status == "done" else None,
            "filename": job.filename,
        }

    # ---- the patient's own pages -------------------------------------------------------------
    @r.get("/me", include_in_schema=False)
    def me(request: Request) -> HTMLResponse:
        who = access.require_identity(store, request)
        if who.patient_id is None:
            return RedirectResponse("/therapist", status_code=303)  # type: ignore[return-value]
        patient = access.patient_for(store, who, who.patient_id)
        ctx = patient_context(patient)
        today = datetime.now(timezone.utc).date()
        done_today = {s.exercise_id for s in ctx["sessions"] if aware(s.started_at).date() == today}
        # The patient should know when their reps are compared with their own good ones.
        referenced = {row.exercise_id: row for row in store.references_of(patient.id)}
        return render(request, "me.html", who, **ctx, done_today=done_today, referenced=referenced)

    # ---- sessions ----------------------------------------------------------------------------
    def comparison(row: Any, frames: Any, base: str | None) -> list[dict[str, Any]]:
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
            out.append({"index": rep.index, "left": lp, "right": rp, "si": symmetry_index(lp, rp)})
        return out

    @r.post("/sessions/{session_id}/reference", include_in_schema=False)
    def use_as_reference(request: Request, session_id: str) -> RedirectResponse:
        """The therapist makes this session's reps the patient's reference for its exercise;
        back to the session page, saying so or why not."""
        who = access.require_therapist(store, request)
        row = session_for(who, session_id)
        try:
            set_reference_from_session(
                store, row.patient_id, session_id, created_by=who.user_id
            )
        except ReferenceRefused as exc:
            query = f"reference_error={quote(str(exc))}"
        else:
            query = "reference=set"
        return RedirectResponse(f"/sessions/{session_id}?{query}#reference", status_code=303)

    @r.get("/sessions/{session_id}", include_in_schema=False)
    def session_page(
        request: Request, session_id: str, reference: str = "", reference_error: str = ""
    ) -> HTMLResponse:
        who = access.require_identity(store, request)
        row = session_for(who, session_id)
        patient = store.patient(row.patient_id)
        exercise = _load_exercise(row.exercise_id)
        frames = store.session_frames(session_id)
        base = None
        if exercise is not None and exercise.rep is not None:
            base = exercise.rep.report or exercise.rep.measure
        elif exercise is not None and exercise.hold is not None:
            base = exercise.hold.conditions[0].measure if exercise.hold.conditions else None
        series = {
            side: frames.measures[f"{base}_{side}"]
            for side in ("left", "right")
            if base and f"{base}_{side}" in frames.measures
        }
        if not series and base in frames.measures:
            series = {base: frames.measures[base]}
        plot = time_plot(
            f"{(base or 'measure').replace('_', ' ')} over time",
            frames.t,
            series,
            spans=[(rep.start_s, rep.end_s, str(rep.index)) for rep in row.reps],
            marks=[(f.t_s, f.message or f.fault_id) for f in row.faults],
            unit="°" if base and "height" not in base and "lift" not in base else "",
        )
        comp = comparison(row, frames, base)
        lefts = [c["left"] for c in comp if c["left"] is not None]
        rights = [c["right"] for c in comp if c["right"] is not None]
        overall_si = symmetry_index(
            float(np.mean(lefts)) if lefts else None, float(np.mean(rights)) if rights else None
        )
        return render(
            request,
            "session.html",
            who,
            s=row,
            patient=patient,
            exercise_name=exercise.name if exercise else row.exercise_id,
            reps=exports.rep_rows(row),
            plot=plot,
            comparison=comp,
            overall_si=overall_si,
            frames=len(frames.t),
            current_reference=store.reference_row(row.patient_id, row.exercise_id),
            reference_set=reference == "set",
            reference_error=reference_error[:300],
            measured_reps=sum(1 for rep in row.reps if rep.profile),
        )

    @r.get("/sessions/{session_id}/report", include_in_schema=False)
    def session_report(request: Request, session_id: str) -> HTMLResponse:
        who = access.require_identity(store, request)
        row = session_for(who, session_id)
        patient = store.patient(row.patient_id)
        exercise = _load_exercise(row.exercise_id)
        program = [p for p in store.program(row.patient_id) if p.exercise_id == row.exercise_id]
        scores = [r.score for r in row.reps if r.score is not None]
        roms = [r.rom_deg for r in row.reps if r.rom_deg is not None]
        return render(
            request,
            "report.html",
            who,
            s=row,
            patient=patient,
            exercise_name=exercise.name if exercise else row.exercise_id,
            reps=exports.rep_rows(row),
            prescribed=program[0] if program else None,
            mean_score=sum(scores) / len(scores) if scores else None,
            best_rom=max(roms) if roms else None,
            printed=datetime.now(timezone.utc),
        )

    @r.get("/sessions/{session_id}/reps.csv", include_in_schema=False)
    def reps_csv(request: Request, session_id: str) -> PlainTextResponse:
        who = access.require_identity(store, request)
        row = session_for(who, session_id)
        return _csv(exports.reps_csv(row), f"session-{session_id}-reps.csv")

    @r.get("/sessions/{session_id}/frames.csv", include_in_schema=False)
    def frames_csv(request: Request, session_id: str) -> PlainTextResponse:
        who = access.require_identity(store, request)
        session_for(who, session_id)
        return _csv(
            exports.frames_csv(store.session_frames(session_id)), f"session-{session_id}-frames.csv"
        )

    @r.get("/sessions/{session_id}/session.json")
    def session_json(request: Request, session_id: str) -> JSONResponse:
        who = access.require_identity(store, request)
        row = session_for(who, session_id)
        patient = store.patient(row.patient_id)
        return JSONResponse(
            exports.session_json(row, patient.name if patient else None),
            headers={"Content-Disposition": f'attachment; filename="session-{session_id}.json"'},
        )

    @r.get("/sessions/{session_id}/replay.json")
    def replay(request: Request, session_id: str, max_fps: float = 15.0) -> dict[str, Any]:
        """The stored skeleton, thinned to `max_fps`, for the replay canvas."""
        who = access.require_identity(store, request)
        row = session_for(who, session_id)
        frames = store.session_frames(session_id)
        t, lm = frames.t, frames.landmarks
        keep: list[int] = []
        last = -1e9
        for i, ti in enumerate(t):
            if ti - last >= 1.0 / max(1.0, max_fps) - 1e-6:
                keep.append(i)
                last = ti
        out_frames = []
        for i in keep:
            row_lm = lm[i]
            if not np.isfinite(row_lm[:, :2]).all():
                out_frames.append(None)
                continue
            out_frames.append(
                [
                    [round(float(x), 4), round(float(y), 4), round(float(v), 2)]
                    for x, y, _, v in row_lm
                ]
            )
        return {
            "session": session_id,
            "aspect": (row.image_w / row.image_h) if row.image_w and row.image_h else 4 / 3,
            "t": [round(float(t[i]), 3) for i in keep],
            "frames": out_frames,
            "reps": [[rep.start_s, rep.end_s, rep.index] for rep in row.reps],
        }

    return r


def _csv(text: str, filename: str) -> PlainTextResponse:
    return PlainTextResponse(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
