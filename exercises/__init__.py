"""Exercise definitions: the schema, the loader, and the library of data files."""

from exercises.loader import (
    DefinitionError,
    Library,
    UnknownExercise,
    list_exercises,
    list_tasks,
    load_any,
    load_definition,
    load_exercise,
    load_file,
    load_library,
    load_task,
)
from scoring.definition import Condition, Exercise, FaultRule, HoldRule, RepRule, TargetTask

__all__ = [
    "Condition",
    "DefinitionError",
    "Exercise",
    "FaultRule",
    "HoldRule",
    "Library",
    "RepRule",
    "TargetTask",
    "UnknownExercise",
    "list_exercises",
    "list_tasks",
    "load_any",
    "load_definition",
    "load_exercise",
    "load_file",
    "load_library",
    "load_task",
]
