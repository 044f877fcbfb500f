"""How a number was measured, and how far it can be trusted: every Observation's method (the
camera view it was filmed from, the pose model), the Device that measured, and the accuracy
the card (coach/accuracy.json, coach/review/accuracy.py) measured for it.

The card's figures go into an `accuracy` extension (the sentence, and the numbers behind it)
and into the Observation's note, so a reader that ignores our extensions still sees them. No
figure is invented: a measure the card has not measured carries none.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

from coach.review import accuracy
from coach.review.fhir.terms import Q, concept, ext_url, quantity

POSE_MODEL = "MediaPipe Pose"
VIEWS = ("side", "front", "oblique")
_VIEW_WORDS = {
    "side": "filmed from the side",
    "front": "filmed from the front",
    "oblique": "filmed in a three-quarter view",
}


def method(view: str | None) -> dict[str, Any]:
    """The method of a camera measure: one camera, the view (None: not recorded), the model.
    The model's variant (lite, full, heavy) is not stored with a session, so it is not said."""
    view = view if view in VIEWS else None
    where = _VIEW_WORDS[view] if view else "camera view not known"
    text = f"Pose estimation on one camera's video, {where}; pose model {POSE_MODEL}"
    return concept(f"camera-{view or 'unknown'}", text=text)


def self_report() -> dict[str, Any]:
    return concept("self-report", text="Reported by the patient on Coach's page")


def device() -> dict[str, Any]:
    """The Device every camera measure points at: Coach, with its pose model."""
    try:
        version = metadata.version("coach-rehab")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return {
        "resourceType": "Device",
        "deviceName": [
            {"name": "Coach", "type": "user-friendly-name"},
            {"name": POSE_MODEL, "type": "model-name"},
        ],
        "type": {"text": "Camera-based exercise coach: pose estimation software"},
        "version": [{"value": version}],
    }


def _accuracy(statement: str, **numbers: Any) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"url": "statement", "valueString": statement}]
    for name, value in numbers.items():
        if value is None:
            continue
        if isinstance(value, Q):
            parts.append({"url": name, "valueQuantity": quantity(value.value, value.unit)})
        elif isinstance(value, tuple):  # (exact, of recordings)
            parts.append(
                {
                    "url": name,
                    "valueRatio": {
                        "numerator": {"value": value[0]},
                        "denominator": {"value": value[1]},
                    },
                }
            )
        else:
            parts.append({"url": name, "valueInteger": int(value)})
    return {"url": ext_url("accuracy"), "extension": parts}


def _with(resource: dict[str, Any], found: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The resource with each (sentence, extension) found added."""
    if not found:
        return resource
    resource.setdefault("extension", []).extend(ext for _, ext in found)
    resource.setdefault("note", []).extend({"text": line} for line, _ in found)
    return resource


def with_counting(resource: dict[str, Any], exercise_id: str, name: str) -> dict[str, Any]:
    line = accuracy.counting_line(exercise_id, name)
    f = accuracy.card().get("counting", {}).get(exercise_id) or {}
    if line is None:
        return resource
    ext = _accuracy(
        line,
        recordings=f.get("recordings"),
        exactOn=(f["exact"], f["recordings"]) if "exact" in f else None,
        meanAbsoluteError=Q(f["mae_reps"], "{reps}") if "mae_reps" in f else None,
    )
    return _with(resource, [(line, ext)])


def with_hold(resource: dict[str, Any], exercise_id: str) -> dict[str, Any]:
    line = accuracy.hold_line(exercise_id)
    f = accuracy.card().get("holds", {}).get(exercise_id) or {}
    if line is None:
        return resource
    ext = _accuracy(
        line,
        recordings=f.get("recordings"),
        meanAbsoluteError=Q(f["mae_s"], "s") if "mae_s" in f else None,
    )
    return _with(resource, [(line, ext)])


def with_angle(resource: dict[str, Any], measure: str | None, view: str | None) -> dict[str, Any]:
    """An angle's accuracy in the view it was filmed from, when the card has that view."""
    line = accuracy.angle_line(measure, view or "unknown")
    if line is None:
        return resource
    key = accuracy.angle_measure(measure) or ""
    f = accuracy.card().get("angles", {}).get(key, {}).get(view or "", {})
    within = f.get("within_deg") if f.get("status") == "measured" else None
    ext = _accuracy(line, meanAbsoluteError=Q(within, "deg") if within is not None else None)
    return _with(resource, [(line, ext)])


def with_test(resource: dict[str, Any], protocol_id: str) -> dict[str, Any]:
    """A clinical test's lines: stands counted exactly on k of n recordings (chair stand), the
    time's average error, each stand's average error; a range-of-motion test the angle's."""
    f = accuracy.card().get("protocols", {}).get(protocol_id) or {}
    stands = f.get("stands") or {}
    found: list[tuple[str, dict[str, Any]]] = []
    for line in accuracy.protocol_lines(protocol_id):
        numbers: dict[str, Any] = {}
        if line.startswith("Stands counted"):
            numbers = {"recordings": f["recordings"], "exactOn": (f["exact"], f["recordings"])}
        elif line.startswith("Each stand"):
            numbers = {"recordings": stands.get("n"), "meanAbsoluteError": Q(stands["mae_s"], "s")}
        elif "mae_s" in f and "hand-labelled time" in line:
            numbers = {"recordings": f.get("recordings"), "meanAbsoluteError": Q(f["mae_s"], "s")}
        found.append((line, _accuracy(line, **numbers)))
    return _with(resource, found)
