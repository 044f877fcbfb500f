"""The patient's ratings to and from FHIR: one Observation per rating, part of its session.

Pain before and after a session is LOINC 72514-3 (pain severity, 0-10 numeric rating scale,
reported), with our narrower code saying which; effort after a set is LOINC 82289-0 (rating of
perceived exertion, 0-10), with ours saying it is Borg CR10 and a component for the set.
The body area rated is the bodySite's text.
"""

from __future__ import annotations

from typing import Any

from coach.review.fhir import method
from coach.review.fhir.refs import Context, parse_when, ref, when
from coach.review.fhir.terms import (
    CONCEPTS,
    EXERTION,
    PAIN_NRS,
    category,
    component,
    component_values,
    concept,
    our_code,
)

KINDS = {  # Coach's kind -> (our code, LOINC)
    "pain_before": ("pain-before-session", PAIN_NRS),
    "pain_after": ("pain-after-session", PAIN_NRS),
    "effort": ("effort-borg-cr10", EXERTION),
}
_KIND_BY_CODE = {code: kind for kind, (code, _) in KINDS.items()}


def rating_observation(r: Any, ctx: Context) -> dict[str, Any]:
    code, loinc = KINDS[r.kind]
    out: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": category("survey"),
        "code": concept(code, loinc=loinc, text=CONCEPTS[code][0]),
        "subject": ref(ctx.patient),
        "effectiveDateTime": when(r.created_at),
        "valueInteger": int(r.value),
        "method": method.self_report(),
    }
    if r.session_id in ctx.sessions:
        out["partOf"] = [ref(ctx.sessions[r.session_id])]
    if r.area:
        out["bodySite"] = {"text": r.area}
    if r.kind == "effort":
        out["component"] = [component("set-number", int(r.set_number))]
    return out


def is_rating(obs: dict[str, Any]) -> bool:
    return our_code(obs.get("code")) in _KIND_BY_CODE


def read_rating(obs: dict[str, Any]) -> dict[str, Any]:
    """kind, value, area, set, when and the session's Procedure fullUrl."""
    parts = obs.get("partOf") or [{}]
    return {
        "kind": _KIND_BY_CODE[our_code(obs.get("code")) or ""],
        "value": obs.get("valueInteger"),
        "area": (obs.get("bodySite") or {}).get("text") or "",
        "set_number": component_values(obs).get("set-number") or 0,
        "created_at": parse_when(obs.get("effectiveDateTime")),
        "procedure": parts[0].get("reference"),
    }
