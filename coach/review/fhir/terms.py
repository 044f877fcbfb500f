"""The words of Coach's FHIR records: code systems, our own codes, the LOINC codes we checked,
units, and the small builders and readers of codings, quantities and components.

One table per kind of word, so docs/FHIR.md and the published CodeSystems say the same thing
as the records. LOINC is used only where a term's meaning was checked (docs/FHIR.md says where);
everything else is coded in our own CodeSystem, published in every bundle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from coach.store.models import aware

# Our canonical base. `.invalid` never resolves (RFC 2606): these URLs name Coach's code
# systems and extensions; they are not addresses to fetch.
BASE = "https://coach-rehab.invalid/fhir"
CODES = f"{BASE}/CodeSystem/coach"
EXERCISES = f"{BASE}/CodeSystem/exercises"
PATIENT_ID = f"{BASE}/patient-id"
SESSION_ID = f"{BASE}/session-id"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"


def ext_url(name: str) -> str:
    """The URL of one of Coach's extensions."""
    return f"{BASE}/StructureDefinition/{name}"


@dataclass(frozen=True)
class Loinc:
    code: str
    display: str  # the term's long common name


# Checked against a LOINC directory entry (name and ACTIVE status); docs/FHIR.md gives where.
PAIN_NRS = Loinc("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported")
EXERTION = Loinc("82289-0", "Rating of perceived exertion [Score]")
CHAIR_STAND_30S = Loinc("66247-8", "Sit to stand frequency in 30 seconds")
# Active range of motion of one joint, movement and side; only the codes we could check.
# The rest are coded as ours (docs/FHIR.md lists the candidates we could not check).
AROM: dict[tuple[str, str, str], Loinc] = {
    ("shoulder", "abduction", "left"): Loinc(
        "41299-9", "Shoulder - left Abduction Active Range of Motion Quantitative"
    ),
}
TUG = Loinc(
    "89423-8",
    "Time to rise from chair, walk 10 feet and back, and return to sitting [TUG]",
)
TEST_LOINC = {"chair-stand": CHAIR_STAND_30S, "tug": TUG}  # clinical tests (`coach protocol` ids)

# Our CodeSystem: (code, display, definition).
_CONCEPTS: tuple[tuple[str, str, str], ...] = (
    # what a resource is
    ("exercise-session", "Exercise session", "One set of one prescribed exercise, filmed."),
    ("rep-count", "Repetitions completed", "Repetitions the coach counted in a session."),
    ("reps-left", "Repetitions, left side", "Repetitions of the left side in a session."),
    ("reps-right", "Repetitions, right side", "Repetitions of the right side in a session."),
    ("exercise-rep", "One repetition", "One counted repetition and what was measured of it."),
    ("hold", "Hold", "One hold of a position (balance, posture), timed."),
    ("fault-flagged", "Fault flagged", "A movement fault the coach saw and named."),
    ("targets-run", "Hand-eye targets run", "A session of a hand-eye targets task."),
    ("target-result", "Target result", "One target of a hand-eye targets task."),
    ("pain-before-session", "Pain before the session", "Pain (0-10 NRS) just before."),
    ("pain-after-session", "Pain after the session", "Pain (0-10 NRS) just after."),
    ("effort-borg-cr10", "Effort after a set (Borg CR10)", "Perceived effort, Borg CR10."),
    ("self-report", "Reported by the patient", "Said by the patient on Coach's page."),
    # how a measure was taken: one camera, filmed from ...
    ("camera-side", "One camera, side view", "Pose estimation on video filmed side-on."),
    ("camera-front", "One camera, front view", "Pose estimation on video filmed face-on."),
    ("camera-oblique", "One camera, three-quarter view", "Filmed between side and front."),
    ("camera-unknown", "One camera, view not known", "Pose estimation on video."),
    # session states other than done
    ("interrupted", "Interrupted", "The server stopped during the session; its reps stay."),
    ("failed", "Analysis failed", "The video could not be analysed."),
    ("left", "Left", "The left side of the body."),
    ("right", "Right", "The right side of the body."),
    # a repetition's parts
    ("rep-index", "Repetition number", "1-based number of the repetition in its session."),
    ("rep-side", "Side", "The side that moved, for one-sided and alternating exercises."),
    ("rep-start", "Start", "Seconds from the session's start to the repetition's start."),
    ("rep-end", "End", "Seconds from the session's start to the repetition's end."),
    ("rep-range", "Range within the repetition", "Largest minus smallest reported value."),
    ("rep-peak", "Value at the deepest point", "The reported measure at the deepest point."),
    ("rep-range-left", "Range, left side", "Range of the counted measure on the left side."),
    ("rep-range-right", "Range, right side", "Range of the counted measure on the right."),
    ("form-score", "Form score", "0-100: range reached minus the faults' penalties."),
    ("rep-duration", "Duration", "Seconds from start to end of the repetition."),
    ("tempo-up", "Time to the peak", "Seconds from the start to the deepest point."),
    ("tempo-down", "Time back", "Seconds from the deepest point back to rest."),
    ("smoothness", "Smoothness (SPARC)", "Spectral arc length; nearer 0 is smoother."),
    ("over-range-limit", "Past the range limit", "Went past the prescribed range limit."),
    ("rep-fault", "Fault in the repetition", "A fault rule of the exercise that fired."),
    ("rep-measure", "Other measure", "Another number the engine kept (its name as text)."),
    ("angle-confidence", "Angle confidence", "How well the reported angle was seen, 0-1."),
    ("angle-not-measured", "Why the angle was not measured", "An id: view, hidden, jitter."),
    ("limit-check", "Range limit verdict", "within, over, or unchecked (not measured)."),
    # a hold's parts
    ("hold-start", "Start", "Seconds from the session's start to the hold's start."),
    ("hold-end", "End", "Seconds from the session's start to the hold's end."),
    ("sway", "Sway", "RMS excursion of the mid-hip over the body's height."),
    ("touch-downs", "Touch-downs", "Times the lifted foot touched down."),
    # a flagged fault's parts
    ("fault-id", "Fault rule", "The exercise's fault rule that fired."),
    ("fault-time", "Time", "Seconds from the session's start."),
    # targets
    ("targets-layout", "Layout", "How the task places its targets."),
    ("targets-level", "Level", "The task's difficulty level."),
    ("targets-seed", "Schedule seed", "The seed that drew the targets' schedule."),
    ("targets-frame-interval", "Frame interval", "The time resolution of every time."),
    ("targets-latency", "Loop latency", "The live page's measured loop latency."),
    ("targets-shown-left", "Targets, left hand", "Targets for the left hand."),
    ("targets-shown-right", "Targets, right hand", "Targets for the right hand."),
    ("targets-hit-left", "Reached, left hand", "Targets the left hand reached."),
    ("targets-hit-right", "Reached, right hand", "Targets the right hand reached."),
    ("target-index", "Target number", "1-based number of the target."),
    ("target-hand", "Hand", "The hand that should touch the target."),
    ("target-status", "Status", "hit, miss, hand_not_seen or outside_image."),
    ("target-message", "Message", "What the page said."),
    ("target-t", "Result time", "Seconds from the start to the target's result."),
    ("target-shown-at", "Shown at", "Seconds from the start to the target appearing."),
    ("target-reaction-time", "Reaction time", "Shown to the hand setting off."),
    ("target-movement-time", "Movement time", "Setting off to on the target."),
    ("target-straightness", "Straightness", "Straight distance over path length."),
    ("target-smoothness", "Smoothness (SPARC)", "Of the hand's speed."),
    ("target-overshoot", "Overshoot", "Furthest past the target centre, arm lengths."),
    ("target-tracking-error", "Tracking error", "Moving target: RMS distance, arm lengths."),
    ("target-on-target", "Time on target", "Moving target: share of the time on it."),
    ("target-distance", "Distance", "Target centre from the reach's origin, arm lengths."),
    ("target-radius", "Radius", "The target's radius, arm lengths."),
    ("target-resolution", "Time resolution", "The frame interval of its times."),
    ("target-latency", "Latency", "The loop latency of its times."),
    ("target-x", "Position x", "Where it was drawn, normalised image width."),
    ("target-y", "Position y", "Where it was drawn, normalised image height."),
    # ratings
    ("set-number", "Set", "The set the effort was rated after."),
    # the weekly check-in (coach.store.checkins)
    ("weekly-checkin", "Weekly check-in", "The patient's answers about one week (Monday-Sunday)."),
    ("checkin-skipped", "Skipped", "The patient chose not to answer that week."),
    (
        "checkin-sleep-quality",
        "Sleep quality",
        "How well they slept that week: 0 very badly, 10 very well.",
    ),
    ("checkin-stress", "Stress", "How stressed they felt that week: 0 not at all, 10 extremely."),
    (
        "checkin-headaches",
        "Headaches",
        "How bad their headaches were that week: 0 none, 10 the worst.",
    ),
    ("checkin-energy", "Energy", "How much energy they had that week: 0 none, 10 full of energy."),
    (
        "psfs-activity",
        "PSFS activity score",
        "Patient-Specific Functional Scale (Stratford 1995): one activity, 0 unable, 10 as before.",
    ),
    ("psfs-activity-name", "Activity", "The activity, in the patient's words."),
    ("psfs-position", "Activity number", "1-3: the order the patient named it in."),
    # clinical tests (`coach protocol`)
    ("test-chair-stand", "30-second chair stand", "Full stands in 30 s, from video."),
    ("test-five-times-sit-to-stand", "Five-times sit-to-stand", "Time to the fifth stand."),
    ("test-single-leg-stance", "Single-leg stance", "Time on one leg until touch-down."),
    ("test-four-stage-balance", "Four-stage balance test", "Last stage held 10 s."),
    ("test-rom", "Range of motion", "Peak angle per side of one movement."),
    ("test-tug", "Timed Up and Go", "Seconds from rising to sitting again, from video."),
    ("test-gait", "Gait from video", "Cadence, step time, asymmetry, variability, speed."),
    ("test-variant", "Test variant", "The scoring function's own name of the test."),
    ("test-unit", "Unit", "The unit of a test that gave no value."),
    ("test-warning", "Warning", "What may make the result less reliable."),
    ("test-measured", "Measured (JSON)", "Every number the test recorded, as JSON text."),
    ("test-reference", "Reference (JSON)", "The values compared against, as JSON text."),
    ("test-patient", "Patient data used (JSON)", "Age and sex used, as JSON text."),
    ("test-peak-left", "Peak angle, left side", "Peak of the movement's angle, left side."),
    ("test-peak-right", "Peak angle, right side", "Peak of the movement's angle, right side."),
    ("test-source", "Source", "The publication the reference values come from."),
)
CONCEPTS: dict[str, tuple[str, str]] = {c: (d, text) for c, d, text in _CONCEPTS}

# Units: Coach's label (kept as the Quantity's unit) -> UCUM code.
UNITS: dict[str, str] = {
    "s": "s",
    "deg": "deg",
    "score": "{score}",
    "stands": "{#}/(30.s)",
    "stage": "{stage}",
    "fps": "/s",
    "{reps}": "{reps}",
}  # anything else (leg lengths, arm lengths, body heights, ...) is a ratio: UCUM "1"


# ---- builders ------------------------------------------------------------------------------
def coding(code: str, system: str = CODES, display: str | None = None) -> dict[str, Any]:
    if display is None and system == CODES:
        display = CONCEPTS.get(code, (code, ""))[0]
    out = {"system": system, "code": code}
    return out | ({"display": display} if display else {})


def concept(
    code: str | None = None, *, text: str | None = None, loinc: Loinc | None = None
) -> dict[str, Any]:
    """A CodeableConcept: the LOINC coding first (when there is one), then ours."""
    codings = [coding(loinc.code, LOINC, loinc.display)] if loinc else []
    if code is not None:
        codings.append(coding(code))
    return ({"coding": codings} if codings else {}) | ({"text": text} if text else {})


def category(code: str) -> list[dict[str, Any]]:
    """An Observation's category (exam, survey, therapy) in HL7's code system."""
    return [{"coding": [{"system": CATEGORY, "code": code}]}]


def finite(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


@dataclass(frozen=True)
class Q:
    """A number with its unit (a key of UNITS, or any label: then UCUM "1")."""

    value: Any
    unit: str = "1"


def quantity(value: Any, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": UNITS.get(unit, "1")}


def absent(text: str | None = None, code: str = "unknown") -> dict[str, Any]:
    return {"coding": [{"system": ABSENT, "code": code}]} | ({"text": text} if text else {})


def value_field(value: Any) -> dict[str, Any]:
    """`value[x]` of an Observation or component; None (or a non-finite number) becomes a
    dataAbsentReason."""
    if isinstance(value, Q):
        return (
            {"valueQuantity": quantity(value.value, value.unit)}
            if finite(value.value)
            else {"dataAbsentReason": absent()}
        )
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, datetime):
        return {"valueDateTime": aware(value).isoformat()}
    if isinstance(value, int):
        return {"valueInteger": value}
    if isinstance(value, str):
        return {"valueString": value}
    if isinstance(value, dict):  # a CodeableConcept
        return {"valueCodeableConcept": value}
    return {"dataAbsentReason": absent()}


def component(
    code: str, value: Any, *, text: str | None = None, loinc: Loinc | None = None
) -> dict[str, Any]:
    return {"code": concept(code, text=text, loinc=loinc)} | value_field(value)


def extension(name: str, value: Any) -> dict[str, Any]:
    """One of our simple extensions (value as for `value_field`)."""
    return {"url": ext_url(name)} | value_field(value)


# ---- readers -------------------------------------------------------------------------------
def our_code(cc: dict[str, Any] | None, system: str = CODES) -> str | None:
    """The code of `system` in a CodeableConcept, if any."""
    for c in (cc or {}).get("coding") or []:
        if c.get("system") == system:
            return c.get("code")
    return None


def read_value(element: dict[str, Any]) -> Any:
    """The Python value of an element with `value[x]`: a Quantity's number, an integer, a
    boolean, a string, a CodeableConcept's own code; None when absent."""
    if "valueQuantity" in element:
        return element["valueQuantity"].get("value")
    for key in (
        "valueInteger",
        "valueBoolean",
        "valueString",
        "valueDecimal",
        "valueDateTime",
        "valuePositiveInt",
        "valueUnsignedInt",
        "valueCode",
    ):
        if key in element:
            return element[key]
    if "valueCodeableConcept" in element:
        return our_code(element["valueCodeableConcept"])
    return None


def components(resource: dict[str, Any]) -> list[tuple[str | None, dict[str, Any]]]:
    """(our code, component) for every component, in order."""
    return [(our_code(c.get("code")), c) for c in resource.get("component") or []]


def component_values(resource: dict[str, Any]) -> dict[str, Any]:
    """Our code -> value, for components that appear once."""
    return {code: read_value(c) for code, c in components(resource) if code is not None}


def extension_values(resource: dict[str, Any]) -> dict[str, Any]:
    """Our extension name -> value, for simple extensions."""
    prefix = ext_url("")
    return {
        e["url"][len(prefix) :]: read_value(e)
        for e in resource.get("extension") or []
        if str(e.get("url", "")).startswith(prefix)
    }


def code_systems(exercises: dict[str, str], tests: set[str]) -> list[dict[str, Any]]:
    """Our two CodeSystems as published in a bundle: the observation codes (with a test code
    for each clinical test in `tests` we have no concept for), and the exercises (id -> name)."""
    concepts = dict(CONCEPTS)
    for test in sorted(tests):
        concepts.setdefault(f"test-{test}", (test, "A clinical test of Coach."))
    ours = [{"code": c, "display": d, "definition": text} for c, (d, text) in concepts.items()]
    library = [{"code": i, "display": n} for i, n in sorted(exercises.items())]
    common = {
        "resourceType": "CodeSystem",
        "status": "active",
        "content": "complete",
        "caseSensitive": True,
        "publisher": "Coach",
        "version": "1",
    }
    return [
        common
        | {
            "url": CODES,
            "name": "CoachCodes",
            "title": "Coach: what was measured and how",
            "count": len(ours),
            "concept": ours,
        },
        common
        | {
            "url": EXERCISES,
            "name": "CoachExercises",
            "title": "Coach: exercises and tasks",
            "count": len(library),
            "concept": library,
        },
    ]
