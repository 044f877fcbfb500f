"""`coach exercises list|show|validate|schema`: the library of definitions, and checking a
therapist's own file before it is used."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from coach.cli.common import fail
from coach.errors import EXIT_BAD_INPUT, EXIT_OK, UsageError
from exercises import (
    DefinitionError,
    UnknownExercise,
    list_exercises,
    list_tasks,
    load_definition,
    load_exercise,
    load_task,
)
from exercises.loader import default_library
from scoring.definition import Exercise, TargetTask, definition_json_schema


def run(args: argparse.Namespace) -> int:
    if args.action == "list":
        for ex in list_exercises():
            views = "+".join(ex.views)
            print(f"{ex.id:28s} {ex.kind:5s} {views:10s} {ex.category:16s} {ex.name}")
        for task in list_tasks():
            levels = len(task.targets.levels)
            print(
                f"{task.id:28s} {task.kind:7s} {task.view:8s} {task.category:16s} "
                f"{task.name} ({task.targets.layout}, {levels} levels)"
            )
        for err in default_library().errors:
            print(f"coach: skipped {err}", file=sys.stderr)
        return EXIT_OK
    if args.action == "show":
        if not args.target:
            raise UsageError("exercises show needs an exercise id")
        definition: Exercise | TargetTask
        try:
            definition = load_exercise(args.target)
        except UnknownExercise as exc:
            try:
                definition = load_task(args.target)
            except UnknownExercise:
                raise UsageError(str(exc)) from None
        print(json.dumps(definition.model_dump(mode="json", exclude_none=True), indent=2))
        return EXIT_OK
    if args.action == "validate":
        if not args.target:
            raise UsageError("exercises validate needs a file")
        try:
            definition = load_definition(args.target)
        except DefinitionError as exc:
            return fail(str(exc), EXIT_BAD_INPUT)
        print(f"{args.target}: ok ({definition.id}, {definition.kind})")
        return EXIT_OK
    print(json.dumps(definition_json_schema(), indent=2))  # argparse allows only "schema" here
    return EXIT_OK


def add_parser(sub: Any) -> None:
    x = sub.add_parser("exercises", help="list, show or validate exercise definitions")
    x.add_argument("action", choices=["list", "show", "validate", "schema"])
    x.add_argument("target", nargs="?", help="exercise id (show) or file (validate)")
    x.set_defaults(func=run)
