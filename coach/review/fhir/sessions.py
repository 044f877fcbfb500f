"""A stored session to and from FHIR: a Procedure (the exercise done, when, how it ended) and
the Observations that are part of it: the repetitions counted, each repetition (range, peak
angle with its joint and side, form score, tempo, smoothness, faults), each hold and each fault
the coach named. A hand-eye targets run is targets.py's.

Every camera Observation carries its method (the view the session was filmed from, the pose
model), points at the Device, and carries the accuracy the card measured for it. A repetition
whose angle was not measured carries a dataAbsentReason instead of a value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from coach.review.fhir import method
from coach.review.fhir.refs import Context, parse_when, ref, when
from coach.review.fhir.terms import (
    AROM,
    EXERCISES,
    SESSION_ID,
    Q,
    absent,
    category,
    component,
    components,
    concept,
    extension,
    extension_values,
    our_code,
    read_value,
    value_field,
)

# Coach's session status -> (Procedure.status, our reason code)
STATUS = {
    "completed": ("completed", None),
    "interrupted": ("stopped", "interrupted"),
    "failed": ("stopped", "failed"),
    "recording": ("in-progress", None),
    "paused": ("on-hold", None),
}
_STATUS_BACK = {v: k for k, v in STATUS.items()}
# A measure (without `_2d`) that is a joint's movement: (joint, movement)
JOINTS = {
    "knee_flexion": ("knee", "flexion"),
    "hip_flexion": ("hip", "flexion"),
    "elbow_flexion": ("elbow", "flexion"),
    "shoulder_flexion": ("shoulder", "flexion"),
    "shoulder_abduction": ("shoulder", "abduction"),
    "hip_abduction": ("hip", "abduction"),
}
# A rep's `extra` number -> (our code, unit; None: the counted measure's unit)
EXTRA = {
    "duration_s": ("rep-duration", "s"),
    "up_s": ("tempo-up", "s"),
    "down_s": ("tempo-down", "s"),
    "sparc": ("smoothness", "1"),
    "rom_left": ("rep-range-left", None),
    "rom_right": ("rep-range-right", None),
}
_EXTRA_BY_CODE = {code: name for name, (code, _) in EXTRA.items()}
# How well a rep's angle was seen (reps' columns from revision 0006 on; read when present):
# column -> (our code, unit; None: text)
SEEN = {
    "confidence": ("angle-confidence", "1"),
    "confidence_reason": ("angle-not-measured", None),
    "limit_check": ("limit-check", None),
}
_SEEN_BY_CODE = {code: name for name, (code, _) in SEEN.items()}


def unit_of(measure: str | None) -> str:
    """A measure's unit (scoring.measures); "1" for none or an unknown one."""
    from scoring.measures import find

    m = find(measure) if measure else None
    return m.unit if m is not None else "1"


def joint_of(measure: str | None) -> tuple[str, str] | None:
    """(joint, movement) of a joint-angle measure, else None."""
    return JOINTS.get((measure or "").removesuffix("_2d"))


@dataclass
class SessionInfo:
    """What every resource of one session shares."""

    session: Any
    name: str  # the exercise's name
    view: str | None  # filmed from (None: not known)
    reported: str | None = None  # the measure a rep reports (range, peak)
    counted: str | None = None  # the measure reps are counted on (per-side ranges)
    url: str = ""  # the Procedure's fullUrl

    @classmethod
    def of(cls, session: Any, exercise: Any, view: str | None, url: str) -> SessionInfo:
        rep = getattr(exercise, "rep", None)
        name = exercise.name if exercise is not None else session.exercise_id
        reported = (rep.report or rep.measure) if rep is not None else None
        return cls(session, name, view, reported, rep.measure if rep else None, url)

    @property
    def status(self) -> str:
        return "preliminary" if self.session.status in ("recording", "paused") else "final"

    def observation(self, ctx: Context, code: dict[str, Any], **more: Any) -> dict[str, Any]:
        return {
            "resourceType": "Observation",
            "status": self.status,
            "category": category("therapy"),
            "code": code,
            "subject": ref(ctx.patient),
            "partOf": [ref(self.url)],
            **more,
            "device": ref(ctx.device),
            "method": method.method(self.view),
        }

    def at(self, seconds: float) -> str | None:
        return when(self.session.started_at, seconds)

    def period(self, start_s: float, end_s: float) -> dict[str, Any]:
        return {"start": self.at(start_s), "end": self.at(end_s)}


def _plain(value: Any, unit: str) -> Any:
    """A stored number as a component value: whole numbers and booleans as they are."""
    return value if isinstance(value, bool | int) else Q(value, unit)


# ---- to FHIR -------------------------------------------------------------------------------
def procedure(info: SessionInfo, ctx: Context) -> dict[str, Any]:
    s = info.session
    status, reason = STATUS.get(s.status, ("unknown", None))
    summary = s.summary if isinstance(s.summary, dict) else {}
    optional = {
        "video-fps": Q(s.fps, "fps") if s.fps else None,
        "image-width": s.image_w,
        "image-height": s.image_h,
        "video-name": s.video_name,
        "failure-kind": summary.get("error") if reason == "failed" else None,
    }
    exts = [
        extension("session-source", s.source),
        extension("session-duration", Q(float(s.duration_s or 0.0), "s")),
        *(extension(name, value) for name, value in optional.items() if value is not None),
    ]
    period = {"start": when(s.started_at)} | ({"end": when(s.ended_at)} if s.ended_at else {})
    out: dict[str, Any] = {
        "resourceType": "Procedure",
        "extension": exts,
        "identifier": [{"system": SESSION_ID, "value": s.id}],
        "status": status,
        "category": concept("exercise-session"),
        "code": {
            "coding": [{"system": EXERCISES, "code": s.exercise_id, "display": info.name}],
            "text": info.name,
        },
        "subject": ref(ctx.patient),
        "performedPeriod": period,
    }
    if reason:
        out["statusReason"] = concept(
            reason, text=summary.get("message") if reason == "failed" else None
        )
    if ctx.careplan:
        out["basedOn"] = [ref(ctx.careplan)]
    if summary.get("warnings"):
        out["note"] = [{"text": str(w)} for w in summary["warnings"]]
    return out


def rep_count(info: SessionInfo, ctx: Context) -> dict[str, Any]:
    """The repetitions counted (and per side, for one-sided or alternating exercises)."""
    s = info.session
    sides = [r.side for r in s.reps]
    obs = info.observation(
        ctx,
        concept("rep-count", text=f"{info.name}: repetitions"),
        effectivePeriod={"start": when(s.started_at)}
        | ({"end": when(s.ended_at)} if s.ended_at else {}),
        valueInteger=len(s.reps),
    )
    per_side = [component(f"reps-{x}", sides.count(x)) for x in ("left", "right") if x in sides]
    if per_side:
        obs["component"] = per_side
    return method.with_counting(obs, s.exercise_id, info.name)


def rep_observation(rep: Any, info: SessionInfo, ctx: Context) -> dict[str, Any]:
    """One repetition: its number, side, times, range and peak of the reported measure (the
    peak coded in LOINC where a checked code names its joint, movement and side), per-side
    ranges, score, tempo, smoothness, the range limit and the faults."""
    unit, counted_unit = unit_of(info.reported), unit_of(info.counted)
    joint = joint_of(info.reported)
    side = rep.side if rep.side in ("left", "right") else ""
    loinc = AROM.get((*joint, side)) if joint and side else None
    reason = getattr(rep, "confidence_reason", "") or ""
    comps = [component("rep-index", int(rep.index))]
    if side:
        comps.append(component("rep-side", concept(side)))
    comps += [component("rep-start", Q(rep.start_s, "s")), component("rep-end", Q(rep.end_s, "s"))]
    for code, value, lo in (("rep-range", rep.rom_deg, None), ("rep-peak", rep.peak_deg, loinc)):
        c = component(code, Q(value, unit), loinc=lo)
        if value is None:  # the angle was not measured: no value, and why
            c["dataAbsentReason"] = absent(f"not measured{f' ({reason})' if reason else ''}")
        comps.append(c)
    if rep.score is not None:
        comps.append(component("form-score", Q(rep.score, "score")))
    for key, value in (rep.extra or {}).items():
        code, u = EXTRA.get(key, ("rep-measure", "1"))
        text = key if code == "rep-measure" else None
        comps.append(component(code, _plain(value, u or counted_unit), text=text))
    comps.append(component("over-range-limit", bool(rep.over_limit)))
    for name, (code, u) in SEEN.items():
        value = getattr(rep, name, None)
        if value not in (None, ""):
            comps.append(component(code, Q(value, u) if u else str(value)))
    comps += [component("rep-fault", str(f)) for f in rep.faults or []]
    obs = info.observation(
        ctx,
        concept("exercise-rep", text=f"{info.name}: repetition {rep.index}"),
        effectivePeriod=info.period(rep.start_s, rep.end_s),
        component=comps,
    )
    if joint:
        obs["bodySite"] = {"text": f"{side} {joint[0]}".strip()}
    return method.with_angle(obs, info.reported, info.view)


def hold_observation(hold: Any, info: SessionInfo, ctx: Context) -> dict[str, Any]:
    comps = [
        component("hold-start", Q(hold.start_s, "s")),
        component("hold-end", Q(hold.end_s, "s")),
        component("touch-downs", int(hold.touch_downs or 0)),
    ]
    if hold.sway is not None:
        comps.append(component("sway", Q(hold.sway, "body heights")))
    obs = info.observation(
        ctx,
        concept("hold", text=f"{info.name}: hold"),
        effectivePeriod=info.period(hold.start_s, hold.end_s),
        **value_field(Q(hold.duration_s, "s")),
        component=comps,
    )
    return method.with_hold(obs, info.session.exercise_id)


def fault_observation(fault: Any, info: SessionInfo, ctx: Context) -> dict[str, Any]:
    comps = [component("fault-id", fault.fault_id), component("fault-time", Q(fault.t_s, "s"))]
    if fault.rep is not None:
        comps.append(component("rep-index", int(fault.rep)))
    return info.observation(
        ctx,
        concept("fault-flagged", text=f"{info.name}: fault"),
        effectiveDateTime=info.at(fault.t_s),
        **value_field(fault.message or ""),
        component=comps,
    )


# ---- from FHIR -----------------------------------------------------------------------------
@dataclass
class SessionRows:
    """What a Procedure and its Observations give the store: the session's columns and its
    reps, holds and faults (as column dicts)."""

    columns: dict[str, Any]
    reps: list[dict[str, Any]] = field(default_factory=list)
    holds: list[dict[str, Any]] = field(default_factory=list)
    faults: list[dict[str, Any]] = field(default_factory=list)


def _number(c: dict[str, Any]) -> Any:
    return None if c.get("dataAbsentReason") else read_value(c)


def read_procedure(proc: dict[str, Any]) -> dict[str, Any]:
    """The session's columns (and summary) from its Procedure."""
    ext = extension_values(proc)
    reason = our_code(proc.get("statusReason"))
    status = _STATUS_BACK.get((str(proc.get("status")), reason), "completed")
    summary: dict[str, Any] = {}
    if status == "failed":
        summary = {"error": ext.get("failure-kind"), "message": proc["statusReason"].get("text")}
    warnings = [n.get("text", "") for n in proc.get("note") or []]
    if warnings:
        summary["warnings"] = warnings
    ident = next(
        (i.get("value") for i in proc.get("identifier") or [] if i.get("system") == SESSION_ID),
        None,
    )
    if not ident:
        raise ValueError("a Procedure has no Coach session id")
    period = proc.get("performedPeriod") or {}
    return {
        "id": ident,
        "exercise_id": our_code(proc.get("code"), EXERCISES),
        "source": ext.get("session-source") or "upload",
        "status": status,
        "started_at": parse_when(period.get("start")),
        "ended_at": parse_when(period.get("end")),
        "duration_s": float(ext.get("session-duration") or 0.0),
        "fps": ext.get("video-fps"),
        "image_w": ext.get("image-width"),
        "image_h": ext.get("image-height"),
        "video_name": ext.get("video-name"),
        "summary": summary,
    }


def read_rep(obs: dict[str, Any]) -> dict[str, Any]:
    rep: dict[str, Any] = {
        "side": "",
        "faults": [],
        "extra": {},
        "score": None,
        "rom_deg": None,
        "peak_deg": None,
        "over_limit": False,
    }
    columns = {
        "rep-index": "index",
        "rep-start": "start_s",
        "rep-end": "end_s",
        "rep-range": "rom_deg",
        "rep-peak": "peak_deg",
        "form-score": "score",
        "over-range-limit": "over_limit",
    }
    for code, c in components(obs):
        if code in columns:
            rep[columns[code]] = _number(c)
        elif code == "rep-side":
            rep["side"] = read_value(c) or ""
        elif code == "rep-fault":
            rep["faults"].append(read_value(c))
        elif code in _EXTRA_BY_CODE:
            rep["extra"][_EXTRA_BY_CODE[code]] = read_value(c)
        elif code == "rep-measure":
            rep["extra"][c["code"].get("text", "")] = read_value(c)
        elif code in _SEEN_BY_CODE:
            rep[_SEEN_BY_CODE[code]] = read_value(c)
    return rep


def read_hold(obs: dict[str, Any]) -> dict[str, Any]:
    v = {code: _number(c) for code, c in components(obs)}
    return {
        "start_s": v.get("hold-start"),
        "end_s": v.get("hold-end"),
        "duration_s": read_value(obs),
        "sway": v.get("sway"),
        "touch_downs": v.get("touch-downs") or 0,
    }


def read_fault(obs: dict[str, Any]) -> dict[str, Any]:
    v = {code: read_value(c) for code, c in components(obs)}
    return {
        "fault_id": v.get("fault-id") or "",
        "t_s": v.get("fault-time"),
        "rep": v.get("rep-index"),
        "message": read_value(obs) or "",
    }
