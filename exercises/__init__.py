"""Exercise definitions: the schema, the loader, and the library of data files."""

from exercises.loader import (
    DefinitionError,
    Library,
    UnknownExercise,
    list_exercises,
    load_exercise,
    load_file,
    load_library,
)
from scoring.definition import Condition, Exercise, FaultRule, HoldRule, RepRule

__all__ = [
    "Condition",
    "DefinitionError",
    "Exercise",
    "FaultRule",
    "HoldRule",
    "Library",
    "RepRule",
    "UnknownExercise",
    "list_exercises",
    "load_exercise",
    "load_file",
    "load_library",
]
