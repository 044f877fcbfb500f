"""What a live session asks of the patient: sets, reps (or holds), hold time, rest, range limit.

A signed-in patient's session follows the therapist's program row for the exercise; an
anonymous one (or an exercise not in the program) follows the definition's defaults. The
program's values were checked when it was saved (`check_program`, below: the store calls it
before it writes a program), but a session must not trust a database either: every value is
clamped to what a set can mean here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from exercises import Exercise, TargetTask

MAX_SETS, MAX_REPS, MAX_SECONDS = 20, 200, 600.0


class ProgramRow(Protocol):
    """A prescribed exercise as the store keeps it (coach.store.models.ProgramItem)."""

    sets: int
    reps: int
    hold_s: float
    rest_s: float | None
    max_rom_deg: float | None


@dataclass(frozen=True)
class Prescription:
    """One session's dose. `reps` is per set (for a hold exercise: holds per set, 0 meaning
    one); 0 for a rep exercise means open-ended (one set, never complete). `hold_s` is the
    target of each hold; `rest_s` the rest between sets; `limit_deg` the patient's range limit
    (None: none). `source`: "program" or "default"."""

    sets: int
    reps: int
    hold_s: float
    rest_s: float
    limit_deg: float | None = None
    source: str = "default"

    @classmethod
    def defaults(cls, exercise: Exercise | TargetTask) -> Prescription:
        """The definition's own dose (what an anonymous session gets)."""
        defaults = getattr(exercise, "defaults", None)
        hold = getattr(exercise, "hold", None)
        hold_s = getattr(defaults, "hold_s", 0.0) or getattr(hold, "target_s", 0.0) or 0.0
        return cls(
            sets=_count(getattr(defaults, "sets", 1), 1, MAX_SETS, 1),
            reps=_count(getattr(defaults, "reps", 0), 0, MAX_REPS, 0),
            hold_s=_seconds(hold_s, 0.0),
            rest_s=_seconds(getattr(defaults, "rest_s", 0.0), 0.0),
        )

    @classmethod
    def from_program(cls, exercise: Exercise, row: ProgramRow) -> Prescription:
        """The program row's dose; what it leaves open (no hold time, no rest) the
        definition's."""
        base = cls.defaults(exercise)
        hold_s = _seconds(row.hold_s, 0.0)
        limit = row.max_rom_deg
        if limit is not None and not (math.isfinite(float(limit)) and 0 <= float(limit) <= 180):
            limit = None  # refused when saved; a corrupted row must not break the session
        return cls(
            sets=_count(row.sets, 1, MAX_SETS, base.sets),
            reps=_count(row.reps, 0, MAX_REPS, base.reps),
            hold_s=hold_s if hold_s > 0 else base.hold_s,
            rest_s=base.rest_s if row.rest_s is None else _seconds(row.rest_s, base.rest_s),
            limit_deg=None if limit is None else float(limit),
            source="program",
        )

    def to_message(self) -> dict[str, Any]:
        return {
            "sets": self.sets,
            "reps": self.reps,
            "hold_s": self.hold_s,
            "rest_s": self.rest_s,
            "limit_deg": self.limit_deg,
            "source": self.source,
        }


def _count(value: Any, lo: int, hi: int, default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return default
    return max(lo, min(hi, number))


def _seconds(value: Any, default: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, min(MAX_SECONDS, number)) if math.isfinite(number) else default


class ProgramError(ValueError):
    """A program row that can't be prescribed; the program is left as it was."""


def check_program(items: list[dict[str, Any]]) -> None:
    """Refuse, with the row and the reason, a range limit outside 0-180 degrees (or not a
    number), a rest outside 0-600 seconds, a target range above the limit, and a row without
    reps (none, or 0, and no hold time). A row that does not state `reps` gets the default;
    one without `rest_s` rests as its exercise definition says."""
    for n, item in enumerate(items, start=1):
        what = f"Row {n} ({item.get('exercise_id') or 'no exercise'})"
        limit = _bounded(item.get("max_rom_deg"), 180, f"{what}: the range limit", "degrees")
        _bounded(item.get("rest_s"), 600, f"{what}: the rest", "seconds")
        target = item.get("target_rom_deg")
        if target is not None and limit is not None and float(target) > limit:
            raise ProgramError(f"{what}: the target range is above the limit.")
        if "reps" in item and not (item["reps"] or 0) >= 1 and not (item.get("hold_s") or 0) > 0:
            raise ProgramError(
                f"{what}: no reps. Prescribe at least 1 rep (or, for a hold, a hold time)."
            )


def _bounded(value: Any, hi: float, what: str, unit: str) -> float | None:
    """`value` as a number from 0 to `hi` (None stays None), else ProgramError saying so."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ProgramError(f"{what} must be a number of {unit}.") from None
    if not (math.isfinite(number) and 0 <= number <= hi):
        raise ProgramError(f"{what} must be between 0 and {hi:g} {unit}, not {number:g}.")
    return number
