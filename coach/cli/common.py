"""What several `coach` commands share: reading the exercise, checking a video path,
opening the store, picking the pose model, and the one-line failure message."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coach.errors import UsageError
from exercises import DefinitionError, UnknownExercise, load_exercise, load_file
from pose.estimator import POSE_MODELS, PoseEstimator
from scoring.definition import Exercise

if TYPE_CHECKING:
    from coach.store import Store
    from coach.store.models import Patient


def fail(message: str, code: int) -> int:
    """Say what went wrong on one line of stderr; return the exit status."""
    print(f"coach: {message}", file=sys.stderr)
    return code


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    try:
        value = int(text.strip(), 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


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
    from coach.store import StoreError, open_store  # the database layer, only when needed

    try:
        return open_store()
    except StoreError as exc:
        raise UsageError(str(exc)) from None


def audit_cli(
    store: Store,
    action: str,
    *,
    patient_id: int | None = None,
    patient_ref: str | None = None,
    session_id: str | None = None,
    subject: str = "",
    outcome: str = "ok",
) -> None:
    """The command's entry in the audit trail (coach/store/audit.py): the person at this
    machine's login, from `local`, about the patient (by id, or by their reference when
    they are about to be erased) and session."""
    from coach.store.audit import AuditEvent, cli_actor, session_ref  # the database layer

    store.audit(
        AuditEvent(
            action=action,
            actor=cli_actor(),
            outcome=outcome,
            address="local",
            patient_ref=patient_ref or store.audit_ref(patient_id),
            session_ref=session_ref(session_id) if session_id else None,
            subject=subject,
        )
    )


def patient_to_record(store: Store, patient_id: int) -> Patient:
    """The patient a `--save` stores a result for; UsageError when there is no such patient,
    or when they declined or withdrew consent (coach/store/consent.py): nothing new is kept."""
    patient = store.patient(patient_id)
    if patient is None:
        raise UsageError(f"no patient with id {patient_id}")
    refusal = store.recording_refusal(patient_id)
    if refusal is not None:
        raise UsageError(f"not saved: {refusal}")
    return patient


def progress_printer(quiet: bool) -> Callable[[str], None] | None:
    """Progress lines on stderr unless --quiet."""
    if quiet:
        return None
    return lambda msg: print(msg, file=sys.stderr, flush=True)


MODELS = POSE_MODELS


def add_model_option(parser: Any) -> None:
    parser.add_argument(
        "--model",
        choices=MODELS,
        default="full",
        help="pose model: lite (fastest), full (default, ships with mediapipe) or heavy (most "
        "accurate, slowest); lite and heavy come with `coach assets fetch`",
    )


def model_estimator(model: str) -> Callable[[], PoseEstimator | None]:
    """A maker of one estimator per video for `--model` (None: the default one). Checks up front
    that the model is installed: UsageError, one line, when it is not."""
    if model == "full":
        return lambda: None
    from pose.estimator import configured_backend, create_estimator
    from pose.mediapipe_backend import (
        MODEL_COMPLEXITY,
        ModelUnavailableError,
        check_model_available,
    )

    if configured_backend() != "mediapipe":
        raise UsageError(f"--model {model} is for the mediapipe pose backend")
    complexity = MODEL_COMPLEXITY[model]
    try:
        check_model_available(complexity)
    except ModelUnavailableError:
        raise UsageError(
            f"the {model} pose model is not installed: run `coach assets fetch` (it installs "
            "the lite and heavy models), or use --model full"
        ) from None
    from coach.pipeline import guarded

    return lambda: guarded(create_estimator("mediapipe", model_complexity=complexity))
