"""What several `coach` commands share: reading the exercise, checking a video path,
opening the store, and the one-line failure message."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from coach.errors import UsageError
from coach.store import Store, StoreError, open_store
from exercises import DefinitionError, UnknownExercise, load_exercise, load_file
from scoring.definition import Exercise


def fail(message: str, code: int) -> int:
    """Say what went wrong on one line of stderr; return the exit status."""
    print(f"coach: {message}", file=sys.stderr)
    return code


def resolve_exercise(spec: str) -> Exercise:
    """An exercise id from the library, or a path to a definition file."""
    if spec.endswith(".toml") or "/" in spec or Path(spec).is_file():
        try:
            return load_file(spec)
        except DefinitionError as exc:
            raise UsageError(f"invalid exercise definition: {exc}") from None
    try:
        return load_exercise(spec)
    except UnknownExercise as exc:
        raise UsageError(str(exc)) from None


def video_path(video: str) -> Path:
    """The path of an existing video file, or a UsageError that says what is wrong with it."""
    path = Path(video)
    if not path.exists():
        raise UsageError(f"no such file: {path}")
    if path.is_dir():
        raise UsageError(f"{path} is a folder, not a video file")
    return path


def store_or_usage_error() -> Store:
    """The configured store; a database that can't be opened is bad input (one line)."""
    try:
        return open_store()
    except StoreError as exc:
        raise UsageError(str(exc)) from None


def progress_printer(quiet: bool) -> Callable[[str], None] | None:
    """Progress lines on stderr unless --quiet."""
    if quiet:
        return None
    return lambda msg: print(msg, file=sys.stderr, flush=True)
