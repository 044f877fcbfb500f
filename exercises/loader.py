"""Finds, parses and validates exercise definition files (TOML).

Errors name the file, the field path and the reason. One bad file never stops the rest of
the library from loading: `load_library` collects errors beside the good definitions.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from scoring.definition import FILE_REQUIRED_FIELDS, Exercise, TargetTask

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

LIBRARY_DIR = Path(__file__).resolve().parent / "library"
USER_DIR_ENV = "COACH_EXERCISES_DIR"  # a therapist's own definitions, os.pathsep-separated


class DefinitionError(ValueError):
    """A definition file that cannot be used; the message says where and why."""

    def __init__(self, path: Path, field_path: str, reason: str) -> None:
        self.path = path
        self.field_path = field_path
        self.reason = reason
        where = f"{path}: {field_path}: " if field_path else f"{path}: "
        super().__init__(where + reason)


class UnknownExercise(KeyError):
    def __init__(self, exercise_id: str, known: list[str]) -> None:
        self.exercise_id = exercise_id
        self.known = known
        super().__init__(exercise_id)

    def __str__(self) -> str:
        return f"unknown exercise {self.exercise_id!r}; known: {', '.join(self.known)}"


def _field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_definition(path: str | Path) -> Exercise | TargetTask:
    """Parse and validate one file, an exercise or (kind "targets") a hand-eye task; raises
    DefinitionError."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DefinitionError(path, "", f"cannot read: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise DefinitionError(path, "", "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        where = _syntax_error_field(raw.decode("utf-8"), str(exc))
        raise DefinitionError(path, where, f"TOML syntax error: {exc}") from None
    model: type[Exercise] | type[TargetTask] = Exercise
    if data.get("kind") == "targets":
        model = TargetTask
    else:
        for group in FILE_REQUIRED_FIELDS:
            if not any(name in data for name in group):
                raise DefinitionError(
                    path,
                    group[0],
                    "Field required: say which camera view the exercise needs "
                    "('front', 'side' or 'any'), or the views it is counted in "
                    '(views = ["front", "side"])',
                )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        reason = err["msg"].removeprefix("Value error, ")
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        raise DefinitionError(path, _field_path(tuple(err["loc"])), reason + more) from None


def load_file(path: str | Path) -> Exercise:
    """Parse and validate one exercise definition; raises DefinitionError (a targets task
    is not an exercise: it has no reps or holds to count)."""
    definition = load_definition(path)
    if isinstance(definition, TargetTask):
        raise DefinitionError(
            Path(path), "kind", "a hand-eye targets task, not an exercise to count"
        )
    return definition


_TABLE = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-]+)\s*\]\]?")
_HEADER_START = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\-]+)")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+)\s*=")


def _syntax_error_field(text: str, message: str) -> str:
    """The field a TOML syntax error sits in (table path and key), from its line number."""
    match = re.search(r"line (\d+)", message)
    if match is None:
        return ""
    lineno = int(match.group(1))
    lines = text.splitlines()
    table = ""
    counts: dict[str, int] = {}
    for line in lines[: lineno - 1]:
        m = _TABLE.match(line)
        if m:
            name = m.group(2)
            if m.group(1) == "[[":
                counts[name] = counts.get(name, -1) + 1
                table = f"{name}[{counts[name]}]"
            else:
                table = name
    m = _HEADER_START.match(lines[lineno - 1]) if lineno <= len(lines) else None
    if m:  # a broken table header: the table it names
        return m.group(1)
    m = _KEY.match(lines[lineno - 1]) if lineno <= len(lines) else None
    key = m.group(1) if m else ""
    return ".".join(p for p in (table, key) if p)


@dataclass
class Library:
    exercises: dict[str, Exercise] = field(default_factory=dict)
    sources: dict[str, Path] = field(default_factory=dict)
    errors: list[DefinitionError] = field(default_factory=list)
    tasks: dict[str, TargetTask] = field(default_factory=dict)  # hand-eye tasks by id


def search_dirs() -> list[Path]:
    dirs = [LIBRARY_DIR]
    extra = os.environ.get(USER_DIR_ENV, "")
    dirs += [Path(p) for p in extra.split(os.pathsep) if p]
    return dirs


def load_library(dirs: list[Path] | None = None) -> Library:
    """Every valid definition in `dirs` (default: built-in library, then the user folder)."""
    lib = Library()
    for folder in dirs if dirs is not None else search_dirs():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                ex = load_definition(path)
            except DefinitionError as exc:
                lib.errors.append(exc)
                continue
            if ex.id in lib.exercises or ex.id in lib.tasks:
                lib.errors.append(
                    DefinitionError(
                        path, "id", f"duplicate id {ex.id!r} (also in {lib.sources[ex.id]})"
                    )
                )
                continue
            if isinstance(ex, TargetTask):
                lib.tasks[ex.id] = ex
            else:
                lib.exercises[ex.id] = ex
            lib.sources[ex.id] = path
    return lib


@lru_cache(maxsize=4)
def _cached_library(key: str) -> Library:
    return load_library()


def default_library() -> Library:
    """The library for the current search path, parsed once per process."""
    return _cached_library(os.environ.get(USER_DIR_ENV, ""))


def list_exercises() -> list[Exercise]:
    return sorted(default_library().exercises.values(), key=lambda e: e.id)


def list_tasks() -> list[TargetTask]:
    """The hand-eye coordination tasks (kind "targets"), by id."""
    return sorted(default_library().tasks.values(), key=lambda t: t.id)


def load_task(task_id: str) -> TargetTask:
    """The targets task with this id, or UnknownExercise listing the known task ids."""
    lib = default_library()
    try:
        return lib.tasks[task_id]
    except KeyError:
        raise UnknownExercise(task_id, sorted(lib.tasks)) from None


def load_exercise(exercise_id: str) -> Exercise:
    """The definition with this id, or UnknownExercise listing the known ids."""
    lib = default_library()
    try:
        return lib.exercises[exercise_id]
    except KeyError:
        raise UnknownExercise(exercise_id, sorted(lib.exercises)) from None


def load_any(definition_id: str) -> Exercise | TargetTask:
    """An exercise or a hand-eye targets task by id (what a live session or a stored one
    may be), or UnknownExercise listing both kinds of id."""
    lib = default_library()
    found = lib.exercises.get(definition_id) or lib.tasks.get(definition_id)
    if found is None:
        raise UnknownExercise(definition_id, sorted([*lib.exercises, *lib.tasks]))
    return found
