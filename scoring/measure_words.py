"""The measures and camera views in words, as messages (scoring.words): what the engine's
warnings and tips name ("the hip height", "for knee checks", "from the side"). A measure not
listed here (a new row of scoring.measures) is named by its id with spaces, untranslated."""

from __future__ import annotations

from scoring.words import Say, psay

# What a measure measures (`_2d` variants read the same), as the view warning names it.
_MEASURES: dict[str, Say] = {
    "knee_flexion": psay("measure", "knee flexion"),
    "hip_flexion": psay("measure", "hip flexion"),
    "elbow_flexion": psay("measure", "elbow flexion"),
    "shoulder_flexion": psay("measure", "shoulder flexion"),
    "shoulder_abduction": psay("measure", "shoulder abduction"),
    "shoulder_elevation": psay("measure", "shoulder elevation"),
    "knee_valgus": psay("measure", "knee valgus"),
    "heel_lift": psay("measure", "heel lift"),
    "foot_lift": psay("measure", "foot lift"),
    "hip_abduction": psay("measure", "hip abduction"),
    "knee_lift": psay("measure", "knee lift"),
    "reach": psay("measure", "reach"),
    "arm_trunk_angle": psay("measure", "arm trunk angle"),
    "upper_arm_elevation": psay("measure", "upper arm elevation"),
    "front_knee_past_toe": psay("measure", "front knee past toe"),
    "trunk_lean": psay("measure", "trunk lean"),
    "trunk_lean_forward": psay("measure", "trunk lean forward"),
    "trunk_lean_lateral": psay("measure", "trunk lean lateral"),
    "trunk_lean_image": psay("measure", "trunk lean image"),
    "hip_height": psay("measure", "hip height"),
    "feet_separation": psay("measure", "feet separation"),
    "stance_width": psay("measure", "stance width"),
    "head_forward": psay("measure", "head forward"),
    "thigh_drop": psay("measure", "thigh drop"),
    "movement": psay("measure", "movement"),
    "feet": psay("measure", "feet"),  # a jump's
}

# The first word of a fault's measure, as the better-view tip names a group of checks.
_CHECKS: dict[str, Say] = {
    "arm": psay("checks", "arm"),
    "elbow": psay("checks", "elbow"),
    "feet": psay("checks", "feet"),
    "foot": psay("checks", "foot"),
    "front": psay("checks", "front"),
    "head": psay("checks", "head"),
    "heel": psay("checks", "heel"),
    "hip": psay("checks", "hip"),
    "knee": psay("checks", "knee"),
    "leg": psay("checks", "leg"),
    "reach": psay("checks", "reach"),
    "shoulder": psay("checks", "shoulder"),
    "stance": psay("checks", "stance"),
    "thigh": psay("checks", "thigh"),
    "trunk": psay("checks", "trunk"),
    "upper": psay("checks", "upper"),
}

# A camera view ("front", "side", "oblique"), as the view warnings name it.
_VIEWS: dict[str, Say] = {
    "front": psay("camera view", "front"),
    "side": psay("camera view", "side"),
    "oblique": psay("camera view", "oblique"),
    "any": psay("camera view", "any view"),
}


def measure_words(name: str) -> Say:
    """What `name` measures ("hip height"), without its `_2d` suffix."""
    base = name.removesuffix("_2d")
    return _MEASURES.get(base) or Say(base.replace("_", " "))


def check_words(prefix: str) -> Say:
    """A group of checks by the first word of their measure ("knee")."""
    return _CHECKS.get(prefix) or Say(prefix)


def view_words(view: str) -> Say:
    """A camera view ("front", "side", "oblique")."""
    return _VIEWS.get(view) or Say(view)
