"""What the accuracy card says about a number on a page, in plain words for the therapist.

The card (coach/accuracy.json, written with docs/ACCURACY.md by benchmarks/accuracy_card.py)
holds figures measured on real recordings against labels: how often an exercise is counted
exactly, how close hold times and clinical-test times come to hand-labelled ones, and how far a
joint angle is from a reference in each camera view. Each function here returns one sentence,
or nothing where the card has no figure: a page never shows an accuracy it has not measured.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from coach.review.camera_view import filmed_from
from scoring.words import Say, nsay, say

CARD_FILE: Path | None = None  # None: the card shipped in the package (tests point elsewhere)

# Each line is a message (scoring.words): its text the English, rendered in the reader's
# language at the page (docs/I18N.md).
PROTOCOL_TIMES = {
    "five-times-sit-to-stand": say("Time to the fifth stand"),
    "single-leg-stance": say("Time on one leg"),
    "tug": say("Total time"),
}
VIEW_WORDS = {
    "side": say("from the side"),
    "front": say("from the front"),
    "oblique": say("in a three-quarter view"),
}
JOINT_WORDS = {"knee": say("Knee"), "hip": say("Hip"), "elbow": say("Elbow")}


@lru_cache(maxsize=1)
def card() -> dict[str, Any]:
    """The card ({} when the package has none, e.g. before it was first generated)."""
    try:
        text = (
            CARD_FILE.read_text()
            if CARD_FILE is not None
            else resources.files("coach").joinpath("accuracy.json").read_text()
        )
    except (FileNotFoundError, OSError):
        return {}
    data = json.loads(text)
    return data if isinstance(data, dict) else {}


def _recordings(n: int) -> Say:
    return nsay("{n} test recording", "{n} test recordings", n)


def _about_seconds(mae: float) -> str:
    """A seconds error rounded up to a tenth: 0.04 -> "0.1 s"."""
    return f"{max(math.ceil(mae * 10 - 1e-9), 1) / 10:g} s"


def counting_line(exercise_id: str, name: str) -> Say | None:
    """ "Counting Squat: exact on 7 of 7 test recordings." """
    f = card().get("counting", {}).get(exercise_id)
    if not f or not f.get("recordings"):
        return None
    n, exact, within = f["recordings"], f["exact"], f["within_one"]
    if exact < n:
        return say(
            "Counting {exercise}: exact on {exact} of {recordings}, within one rep on {within} "
            "of {n}.",
            exercise=Say(name),
            exact=exact,
            recordings=_recordings(n),
            within=within,
            n=n,
        )
    return say(
        "Counting {exercise}: exact on {exact} of {recordings}.",
        exercise=Say(name),
        exact=exact,
        recordings=_recordings(n),
    )


def hold_line(exercise_id: str) -> Say | None:
    f = card().get("holds", {}).get(exercise_id)
    if not f or not f.get("recordings"):
        return None
    return say(
        "Hold time: within about {error} of hand-labelled times ({recordings}).",
        error=_about_seconds(f["mae_s"]),
        recordings=_recordings(f["recordings"]),
    )


def angle_measure(measure: str | None) -> str | None:
    """The card's key for a charted measure: knee_flexion_2d and knee_flexion are both the
    knee's flexion (the card says which formula each view reports)."""
    if not measure:
        return None
    return measure[: -len("_2d")] if measure.endswith("_2d") else measure


def angle_line(measure: str | None, view: str) -> Say | None:
    """ "Knee angle from the side: measured within about 5° (average error against a
    4-camera triangulated reference)." """
    key = angle_measure(measure)
    f = card().get("angles", {}).get(key or "", {}).get(view)
    if not f or view not in VIEW_WORDS or key is None:
        return None
    joint = key.split("_")[0]
    what = say(
        "{joint} angle {view}",
        joint=JOINT_WORDS.get(joint, joint.capitalize()),
        view=VIEW_WORDS[view],
    )
    if f.get("status") == "not_measured":
        return say(
            "{what}: no validated accuracy in this view; read it as a rough guide.", what=what
        )
    if f.get("status") != "measured":
        return None
    return say(
        "{what}: measured within about {degrees}° (average error against a {reference}).",
        what=what,
        degrees=f["within_deg"],
        reference=str(f["reference"]),
    )


def protocol_lines(protocol_id: str) -> list[Say]:
    """The card's lines for one clinical test (`coach protocol` id)."""
    f = card().get("protocols", {}).get(protocol_id)
    if protocol_id == "rom":
        return [
            line for view in VIEW_WORDS if (line := angle_line("knee_flexion", view)) is not None
        ]
    if not f:
        return []
    if protocol_id == "gait":
        return [
            say(
                "Cadence: within about {steps} steps a minute of hand-labelled heel strikes "
                "({recordings}).",
                steps=math.ceil(f["cadence_mae_spm"]),
                recordings=_recordings(f["recordings"]),
            )
        ]
    if protocol_id == "chair-stand":
        return [_stands_counted(f)]
    lines = []
    if f.get("recordings"):
        lines.append(
            say(
                "{what}: within about {error} of the hand-labelled time ({recordings}).",
                what=PROTOCOL_TIMES.get(protocol_id, say("Time")),
                error=_about_seconds(f["mae_s"]),
                recordings=_recordings(f["recordings"]),
            )
        )
    stands = f.get("stands")
    if stands and stands.get("n"):
        params: dict[str, Any] = {"error": _about_seconds(stands["mae_s"]), "n": stands["n"]}
        if stands.get("missed"):
            lines.append(
                say(
                    "Each stand found within about {error} of the hand-labelled moment ({n} "
                    "stands, {missed} missed).",
                    missed=stands["missed"],
                    **params,
                )
            )
        else:
            lines.append(
                say(
                    "Each stand found within about {error} of the hand-labelled moment ({n} "
                    "stands).",
                    **params,
                )
            )
    return lines


def _stands_counted(f: dict[str, Any]) -> Say:
    n = f["recordings"]
    if f["exact"] < n:
        return say(
            "Stands counted exactly on {exact} of {recordings}, within one on {within} of {n}.",
            exact=f["exact"],
            recordings=_recordings(n),
            within=f["within_one"],
            n=n,
        )
    return say(
        "Stands counted exactly on {exact} of {recordings}.",
        exact=f["exact"],
        recordings=_recordings(n),
    )


def reported_measure(exercise: Any) -> str | None:
    """The measure a session's chart and table show: the rep's reported measure, else the one
    it counts on, else a hold's first condition."""
    if exercise is None:
        return None
    if exercise.rep is not None:
        return exercise.rep.report or exercise.rep.measure
    if exercise.hold is not None and exercise.hold.conditions:
        return exercise.hold.conditions[0].measure
    return None


def session_lines(
    exercise: Any, exercise_id: str, name: str, landmarks: Any, image_size: tuple[int, int]
) -> list[Say]:
    """The lines for a stored session: how well its exercise is counted (or its hold timed),
    and how far the angle shown can be trusted from the view the session was filmed from."""
    lines = [counting_line(exercise_id, name), hold_line(exercise_id)]
    measure = reported_measure(exercise)
    if angle_measure(measure) in card().get("angles", {}):
        w, h = image_size
        lines.append(angle_line(measure, filmed_from(landmarks, w / h if w and h else 1.0)))
    return [line for line in lines if line]
