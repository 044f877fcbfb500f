"""The clinical tests' results (`coach protocol --save`) to and from FHIR: one Observation
each, coded in LOINC where a checked code exists (the 30-second chair stand: 66247-8) and in
ours always; the headline value in its unit (none, with a reason, for a test not completed),
the interpretation, the published range it was compared with (referenceRange, where it is a
range), the source and warnings; a range-of-motion test's peak per side, with its joint.

Every number the test recorded (per side, per stage, event times), the reference values and the
patient data it used also travel as JSON text in components, so a result comes back whole.
"""

from __future__ import annotations

import json
from typing import Any

from coach.review.fhir import method
from coach.review.fhir.refs import Context, parse_when, ref, when
from coach.review.fhir.sessions import joint_of
from coach.review.fhir.terms import (
    AROM,
    TEST_LOINC,
    Q,
    absent,
    category,
    component,
    components,
    concept,
    our_code,
    quantity,
    read_value,
    value_field,
)

_JSON = {"measured": "test-measured", "reference": "test-reference", "patient": "test-patient"}


def _side_peaks(result: dict[str, Any]) -> list[dict[str, Any]]:
    """A range-of-motion test's peak per side (coded in LOINC where a checked code names its
    joint, movement and side)."""
    found = result.get("measured")
    measured: dict[str, Any] = found if isinstance(found, dict) else {}
    joint = joint_of(str(measured.get("movement") or ""))
    out = []
    for side, data in (measured.get("sides") or {}).items():
        if side not in ("left", "right") or not isinstance(data, dict):
            continue
        loinc = AROM.get((*joint, side)) if joint else None
        text = f"{side} {' '.join(joint) if joint else 'peak'}"
        c = component(f"test-peak-{side}", Q(data.get("peak_deg"), "deg"), loinc=loinc, text=text)
        if data.get("peak_deg") is None:
            c["dataAbsentReason"] = absent(str(data.get("status") or "not measured"))
        out.append(c)
    return out


def test_observation(row: Any, ctx: Context) -> dict[str, Any]:
    result = row.result if isinstance(row.result, dict) else {}
    unit = str(result.get("unit") or "1")
    value = result.get("value")
    comps = [component("test-variant", str(result.get("protocol") or row.protocol))]
    if value is None:
        comps.append(component("test-unit", unit))
    comps += _side_peaks(result)
    comps += [component("test-warning", str(w)) for w in result.get("warnings") or []]
    if result.get("source"):
        comps.append(component("test-source", str(result["source"])))
    comps += [
        component(code, json.dumps(result[key], ensure_ascii=False))
        for key, code in _JSON.items()
        if key in result
    ]
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": category("exam"),
        "code": concept(
            f"test-{row.protocol}",
            text=str(result.get("name") or row.protocol),
            loinc=TEST_LOINC.get(row.protocol),
        ),
        "subject": ref(ctx.patient),
        "effectiveDateTime": when(row.created_at),
    }
    if row.session_id in ctx.sessions:
        obs["partOf"] = [ref(ctx.sessions[row.session_id])]
    obs |= value_field(Q(value, unit))
    if value is None:
        obs["dataAbsentReason"] = absent("not completed")
    if result.get("interpretation"):
        obs["interpretation"] = [{"text": str(result["interpretation"])}]
    normal = (result.get("reference") or {}).get("normal_range")
    if (
        isinstance(normal, list)
        and len(normal) == 2
        and all(isinstance(v, int | float) for v in normal)
    ):
        obs["referenceRange"] = [
            {
                "low": quantity(normal[0], unit),
                "high": quantity(normal[1], unit),
                "text": str(result["reference"].get("band") or "normal range"),
            }
        ]
    obs |= {"component": comps, "device": ref(ctx.device), "method": method.method(None)}
    if result.get("source"):
        obs["note"] = [{"text": f"Source: {result['source']}"}]
    return method.with_test(obs, row.protocol)


def is_test(obs: dict[str, Any]) -> bool:
    return (our_code(obs.get("code")) or "").startswith("test-")


def read_test(obs: dict[str, Any]) -> dict[str, Any]:
    """protocol (the `coach protocol` id), result (its JSON), when, and the session's
    Procedure fullUrl (or None)."""
    values: dict[str, Any] = {}
    warnings = []
    for code, c in components(obs):
        if code == "test-warning":
            warnings.append(read_value(c))
        elif code is not None:
            values[code] = read_value(c)
    quantity_ = obs.get("valueQuantity") or {}
    result: dict[str, Any] = {
        "protocol": values.get("test-variant"),
        "name": (obs.get("code") or {}).get("text"),
        "value": quantity_.get("value"),
        "unit": quantity_.get("unit") or values.get("test-unit"),
    }
    result |= {key: json.loads(values[code]) for key, code in _JSON.items() if code in values}
    result["source"] = values.get("test-source") or ""
    result["interpretation"] = ((obs.get("interpretation") or [{}])[0]).get("text") or ""
    result["warnings"] = warnings
    order = [
        "protocol",
        "name",
        "value",
        "unit",
        "measured",
        "reference",
        "source",
        "interpretation",
        "warnings",
        "patient",
    ]
    parts = obs.get("partOf") or [{}]
    return {
        "protocol": (our_code(obs.get("code")) or "test-")[len("test-") :],
        "result": {k: result[k] for k in order if k in result},
        "created_at": parse_when(obs.get("effectiveDateTime")),
        "procedure": parts[0].get("reference"),
    }
