"""Definition files for the loader tests: the exercises the library must have, a minimal valid
definition to edit, and writing one into a folder."""

from __future__ import annotations

from pathlib import Path

REQUIRED_IDS = {
    "squat",
    "lunge",
    "bicep_curl",
    "elbow_flexion",
    "shoulder_abduction",
    "heel_raise",
    "sit_to_stand",
    "single_leg_stance",
    "wall_sit",
    "any",
}


MINIMAL = """\
id = "{id}"
name = "{name}"
kind = "reps"
category = "range_of_motion"
view = "any"
instructions = "Bend and straighten your knee."

[rep]
measure = "knee_flexion"
enter = 60
exit = 30
target = 90
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def edited(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)
