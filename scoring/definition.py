"""The exercise definition format: what a data file may say, validated with field paths.

A definition names the measures it scores (see scoring.measures), how reps are counted
(two thresholds with hysteresis), how holds start and end, which faults to flag from which
camera view, and what to tell the patient. Adding an exercise is adding a file, not code.
"""

from __future__ import annotations

from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from pose.landmarks import Landmark
from scoring.measures import (
    REGISTRY,
    measure_names,
    measure_view,
    per_frame,
    reported_measure,
    reported_variants,
)
from scoring.view import View, view_satisfies

SideMode = Literal["both", "max", "left", "right", "each"]
BodyPart = Literal["full", "lower", "upper", "arms", "legs"]
# Where the patient finds the exercise in the picker (one group each); "other" comes last.
Area = Literal["legs", "arms", "balance", "posture", "whole_body", "other"]


_KNOWN = frozenset(measure_names())


def _any_view() -> list[View]:
    return ["any"]


def _front_view() -> list[Literal["front"]]:
    return ["front"]


def _check_measure(name: str) -> str:
    if name in _KNOWN:
        return name
    raise ValueError(f"unknown measure {name!r}; known: {', '.join(sorted(REGISTRY))}")


class _Strict(BaseModel):
    # No NaN or infinity in any number of a definition: TOML has them, and a NaN threshold
    # would pass every check and never fire (found by tests/exercises/test_loader_fuzz.py).
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Defaults(_Strict):
    sets: int = Field(3, ge=1, le=20)
    reps: int = Field(10, ge=0, le=200)
    hold_s: float = Field(0.0, ge=0, le=600)
    rest_s: float = Field(60.0, ge=0, le=600)


class RepRule(_Strict):
    """Count a rep when `measure` passes `enter` and comes back past `exit` (hysteresis)."""

    measure: str
    side: SideMode = "both"
    direction: Literal["increase", "decrease"] = "increase"
    enter: float  # the working phase starts past this value
    exit: float  # ... and the rep completes when the value returns past this one
    target: float  # the value a full-range rep reaches (score, range gauge)
    min_rom: float = Field(20.0, gt=0)  # smaller movements are not reps
    min_duration_s: float = Field(0.4, ge=0)
    max_duration_s: float = Field(20.0, gt=0)
    # The angle reported as the rep's range of motion and peak, when the counted signal is
    # not an angle (e.g. count squats on hip height, report knee flexion in degrees).
    report: str | None = None
    # Count the measure from its resting value in this session instead of from 0: `enter`,
    # `exit` and `target` are then distances from rest (scoring.resting; for a measure whose
    # zero depends on the view, such as heel lift seen from behind).
    from_rest: bool = False

    @field_validator("measure", "report")
    @classmethod
    def _known(cls, v: str | None) -> str | None:
        return None if v is None else _check_measure(v)

    @model_validator(mode="after")
    def _order(self) -> RepRule:
        sign = 1 if self.direction == "increase" else -1
        if sign * (self.enter - self.exit) <= 0:
            raise ValueError(
                f"enter ({self.enter}) must be beyond exit ({self.exit}) in the {self.direction} "
                "direction: the two thresholds make the hysteresis band"
            )
        if sign * (self.target - self.enter) < 0:
            raise ValueError(f"target ({self.target}) must be at or beyond enter ({self.enter})")
        if self.max_duration_s <= self.min_duration_s:
            raise ValueError("max_duration_s must be greater than min_duration_s")
        return self


class Condition(_Strict):
    """`measure` (side-combined) lies between `above` and `below` (either may be omitted)."""

    measure: str
    side: SideMode = "both"
    above: float | None = None
    below: float | None = None

    @field_validator("measure")
    @classmethod
    def _known(cls, v: str) -> str:
        return _check_measure(v)

    @model_validator(mode="after")
    def _bounds(self) -> Condition:
        if self.above is None and self.below is None:
            raise ValueError("a condition needs `above`, `below` or both")
        if self.above is not None and self.below is not None and self.below <= self.above:
            raise ValueError(f"below ({self.below}) must be greater than above ({self.above})")
        return self


class HoldRule(_Strict):
    """A hold lasts while every condition is true; short lapses are touch-downs."""

    conditions: list[Condition] = Field(min_length=1)
    min_start_s: float = Field(0.3, ge=0)  # conditions must hold this long to start
    touchdown_max_s: float = Field(1.0, ge=0)  # a lapse shorter than this is a touch-down
    min_hold_s: float = Field(1.0, ge=0)  # shorter holds are not reported
    target_s: float = Field(10.0, gt=0)


class FaultRule(_Strict):
    """A movement fault: a sustained threshold, or a per-rep check."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: Literal["threshold", "rep_peak_short", "rep_too_fast", "side_difference"] = "threshold"
    measure: str | None = None
    side: SideMode = "each"
    above: float | None = None
    below: float | None = None
    view: View = "any"
    phase: Literal["working", "rest", "any", "hold"] = "working"
    min_duration_s: float = Field(0.2, ge=0)
    message: str = Field(min_length=3)
    cue: str = Field(min_length=3)
    priority: int = Field(2, ge=1, le=5)
    penalty: float = Field(15.0, ge=0, le=100)
    joints: list[str] = Field(default_factory=list)  # landmark names to draw in red

    @field_validator("measure")
    @classmethod
    def _known(cls, v: str | None) -> str | None:
        return None if v is None else _check_measure(v)

    @field_validator("joints")
    @classmethod
    def _known_joints(cls, v: list[str]) -> list[str]:
        bad = [name for name in v if name.upper() not in Landmark.__members__]
        if bad:
            raise ValueError(
                f"unknown landmark {bad[0]!r}; known: "
                f"{', '.join(n.lower() for n in Landmark.__members__)}"
            )
        return v

    @model_validator(mode="after")
    def _complete(self) -> FaultRule:
        if self.kind in ("threshold", "side_difference"):
            if self.measure is None:
                raise ValueError(f"a {self.kind} fault needs `measure`")
            if self.above is None and self.below is None:
                raise ValueError(f"a {self.kind} fault needs `above` or `below`")
        if self.kind == "rep_peak_short" and self.below is None:
            raise ValueError(
                "a rep_peak_short fault needs `below` (a fraction of the target range)"
            )
        if self.kind == "rep_too_fast" and self.below is None:
            raise ValueError("a rep_too_fast fault needs `below` (seconds)")
        if self.above is not None and self.below is not None and self.kind == "threshold":
            raise ValueError("a threshold fault takes `above` or `below`, not both")
        return self


class JumpRule(_Strict):
    """Jumps counted from the feet leaving the floor and landing (scoring.jumps), each landing
    judged from contact to its deepest point: the `report` angle at contact and at its peak,
    and the definition's fault rules (phase "working" is the landing)."""

    # The feet must rise this far above the floor, in leg lengths, for a flight (a heel raise,
    # a stumble or the feet's landmarks wavering are not a jump): 11 cm for a 90 cm leg.
    rise: float = Field(0.12, gt=0, le=1)
    min_flight_s: float = Field(0.1, gt=0)
    max_flight_s: float = Field(1.5, gt=0)
    # A landing ends at its deepest point: the hips back up by `rebound` leg lengths, or
    # `landing_max_s` after contact.
    rebound: float = Field(0.05, gt=0, le=1)
    landing_max_s: float = Field(1.0, gt=0, le=5)
    # A drop jump starts on a box: the drop's landing is judged, and the jump counted at the
    # rebound's landing if it comes within `contact_max_s` (else the drop alone counts).
    from_box: bool = False
    contact_max_s: float = Field(1.0, gt=0, le=5)
    report: str = "knee_flexion"

    @field_validator("report")
    @classmethod
    def _known(cls, v: str) -> str:
        return _check_measure(v)

    @model_validator(mode="after")
    def _flight(self) -> JumpRule:
        if self.max_flight_s <= self.min_flight_s:
            raise ValueError("max_flight_s must be greater than min_flight_s")
        return self


class GenericRule(_Strict):
    """Counting by periodicity of the landmark trajectories, for movements with no definition."""

    min_period_s: float = Field(0.6, gt=0)
    max_period_s: float = Field(8.0, gt=0)
    # Hysteresis band, as a fraction of the main component's 5-95 % range.
    min_prominence: float = Field(0.35, gt=0, lt=1)


class Exercise(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    kind: Literal["reps", "hold", "any", "jump"]
    category: Literal["strength", "range_of_motion", "balance", "posture", "coordination"]
    instructions: str = Field(min_length=1)
    # The camera views counting works in; `view` is the first (the preferred one) and a file
    # may give either: `view = "side"` stands for `views = ["side"]`.
    view: View = "any"
    views: list[View] = Field(default_factory=_any_view, min_length=1)
    body: BodyPart = "full"  # what must be in view for the setup check
    area: Area = "other"  # the picker's group, for the patient (not what the camera must see)
    defaults: Defaults = Defaults()
    rep: RepRule | None = Field(None, validate_default=True)
    hold: HoldRule | None = Field(None, validate_default=True)
    generic: GenericRule | None = None
    jump: JumpRule | None = Field(None, validate_default=True)
    faults: list[FaultRule] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _one_view_or_a_list(cls, data: object) -> object:
        """`view` alone -> `views = [view]`; `views` alone -> `view = views[0]`."""
        if not isinstance(data, dict):
            return data
        has_view, has_views = "view" in data, "views" in data
        if has_view and not has_views:
            return {**data, "views": [data["view"]]}
        if has_views and not has_view and isinstance(data["views"], list) and data["views"]:
            return {**data, "view": data["views"][0]}
        return data

    @field_validator("views")
    @classmethod
    def _views_list(cls, v: list[str], info: ValidationInfo) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("a view is listed twice")
        if "any" in v and len(v) > 1:
            raise ValueError('"any" already means every view: list it alone')
        view = info.data.get("view")
        if view is not None and view not in v:
            raise ValueError(f"view {view!r} is not among views {v}: give one or the other")
        return v

    # Field validators (not one model check) so that errors carry the field path: `rep`, ...
    @field_validator("rep")
    @classmethod
    def _rep_for_reps(cls, v: RepRule | None, info: ValidationInfo) -> RepRule | None:
        if v is None and info.data.get("kind") == "reps":
            raise ValueError("kind 'reps' needs a [rep] table")
        return v

    @field_validator("hold")
    @classmethod
    def _hold_for_holds(cls, v: HoldRule | None, info: ValidationInfo) -> HoldRule | None:
        if v is None and info.data.get("kind") == "hold":
            raise ValueError("kind 'hold' needs a [hold] table")
        return v

    @field_validator("jump")
    @classmethod
    def _jump_for_jumps(cls, v: JumpRule | None, info: ValidationInfo) -> JumpRule | None:
        kind = info.data.get("kind")
        if v is None and kind == "jump":
            raise ValueError("kind 'jump' needs a [jump] table")
        if v is not None and kind != "jump":
            raise ValueError(f'a [jump] table goes with kind = "jump", not {kind!r}')
        return v

    @field_validator("rep", "hold")
    @classmethod
    def _measured_from_this_view(
        cls, v: RepRule | HoldRule | None, info: ValidationInfo
    ) -> RepRule | HoldRule | None:
        views = info.data.get("views") or [info.data.get("view", "any")]
        if isinstance(v, RepRule):
            measures = [v.measure]
        elif isinstance(v, HoldRule):
            measures = [c.measure for c in v.conditions]
        else:
            measures = []
        for name in measures:
            needed = measure_view(name)
            wrong = [view for view in views if needed != "any" and view != needed]
            if wrong and len(views) == 1:
                raise ValueError(
                    f"{name!r} is only measured from the {needed}, but the exercise's view is "
                    f'{wrong[0]!r}: set view = "{needed}"'
                )
            if wrong:
                raise ValueError(
                    f"{name!r} is only measured from the {needed}, but the exercise's views "
                    f'include {wrong[0]!r}: set views = ["{needed}"]'
                )
        return v

    @field_validator("faults")
    @classmethod
    def _unique_fault_ids(cls, v: list[FaultRule]) -> list[FaultRule]:
        ids = [f.id for f in v]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ValueError(f"duplicate fault ids: {', '.join(sorted(dup))}")
        for f in v:
            needed = measure_view(f.measure) if f.measure else "any"
            if needed not in ("any", f.view):
                raise ValueError(
                    f"fault {f.id!r}: {f.measure!r} is only measured from the {needed}: "
                    f'set its view = "{needed}"'
                )
        return v

    @model_validator(mode="after")
    def _generic_default(self) -> Exercise:
        if self.kind == "any" and self.generic is None:
            object.__setattr__(self, "generic", GenericRule())
        return self

    def counts_in(self, detected: str) -> bool:
        """Whether counting works in the `detected` view (oblique and unknown never block)."""
        return any(view_satisfies(detected, v) for v in self.views)

    def measures_needed(self, view: str | None = None) -> list[str]:
        """The per-frame measures the engine must compute for this exercise.

        With a `view`, leave out what that view cannot use: fault rules that need another
        view are skipped anyway; a joint angle reported by view (scoring.measures) needs its
        variant from that view (none where it is not measured). Without one, every variant.
        """
        named = self._named(view)
        # The reported angle itself is never read, only its variant (a rule may read it too).
        bases = self._named(view, report=False)
        for base in named:
            if view is None:
                bases.extend(reported_variants(base))
            elif (variant := reported_measure(base, view, self.views)) is not None:
                bases.append(variant)
        return sorted({name for base in bases for name in per_frame(base)})

    def measures_named(self) -> list[str]:
        """The per-frame measures this definition names (counted, reported, held, checked),
        each once and without the variants behind them: what is kept per frame, as reported
        (scoring.reported: a joint angle only from the views that can measure it)."""
        return sorted({name for base in self._named(None) for name in per_frame(base)})

    def _named(self, view: str | None, report: bool = True) -> list[str]:
        """The measures the rules name (`report`: with the rep's reported angle), those of
        fault rules for another view left out."""
        bases: list[str] = []
        if self.rep:
            bases.append(self.rep.measure)
            if self.rep.report and report:
                bases.append(self.rep.report)
        if self.hold:
            bases.extend(c.measure for c in self.hold.conditions)
        if self.jump:
            # The feet (seen or not), the reported knee angle in this view's variant (none
            # where it is not measured) and, from the front, the knee's frontal-plane angle.
            knee = self.jump.report
            variants = [reported_measure(knee, view)] if view else reported_variants(knee)
            bases.extend(v for v in variants if v)
            bases.append("heel_y")
            if view is None or view_satisfies(view, "front"):
                bases.append("knee_valgus")
        bases.extend(
            f.measure
            for f in self.faults
            if f.measure and (view is None or view_satisfies(view, f.view))
        )
        return bases


# Fields a definition *file* must state although the Python model has a default: the camera
# view decides where the patient puts the laptop, so a therapist's file must choose it, as
# `view` (one) or `views` (those counting works in): one of each group.
FILE_REQUIRED_FIELDS = (("view", "views"),)


def definition_json_schema() -> dict[str, object]:
    """The JSON Schema of a definition file (`coach exercises schema`)."""
    schema = Exercise.model_json_schema()
    schema["allOf"] = [
        {"anyOf": [{"required": [name]} for name in group]} for group in FILE_REQUIRED_FIELDS
    ]
    return schema


# -- hand-eye coordination tasks (kind "targets") -------------------------------------------
# Targets appear over the mirrored camera image and the patient touches them with the named
# hand. Sizes and distances are in the patient's own arm lengths (shoulder-elbow-wrist), so a
# level means the same reach for a tall and a short person and at any camera distance.

TargetLayout = Literal["reach", "cross_body", "follow"]


class TargetLevel(_Strict):
    """One difficulty level: smaller targets, further away, moving faster."""

    level: int = Field(ge=1, le=20)
    radius: float = Field(gt=0.02, le=0.5)  # target radius, arm lengths
    distance: float = Field(ge=0.2, le=1.1)  # from the reach's origin, arm lengths
    speed: float = Field(0.0, ge=0, le=1.0)  # moving targets only, arm lengths per second


class TargetRule(_Strict):
    """Where targets appear, for which hand, and how long each one waits."""

    layout: TargetLayout
    hands: Literal["left", "right", "both"] = "both"  # both: left and right alternate
    point: Literal["wrist", "index"] = "wrist"  # the landmark that touches
    count: int = Field(6, ge=1, le=40)  # targets per hand
    # Where around the origin targets may appear: degrees up from the horizontal, outward
    # (reach: away from the body; cross_body: across the midline; follow: the swept arc).
    angle_min: float = Field(-20.0, ge=-80, le=90)
    angle_max: float = Field(60.0, ge=-80, le=90)
    timeout_s: float = Field(6.0, ge=1, le=60)  # a target not touched by then is a miss
    dwell_s: float = Field(0.0, ge=0, le=3)  # how long the hand must stay on the target
    foreperiod_min_s: float = Field(1.0, ge=0.2, le=10)  # random wait before a target ...
    foreperiod_max_s: float = Field(2.5, ge=0.2, le=10)  # ... so it cannot be anticipated
    follow_s: float = Field(12.0, ge=3, le=120)  # how long a moving target moves
    levels: list[TargetLevel] = Field(min_length=1)

    @field_validator("levels")
    @classmethod
    def _numbered(cls, v: list[TargetLevel], info: ValidationInfo) -> list[TargetLevel]:
        numbers = [lv.level for lv in v]
        if numbers != list(range(1, len(v) + 1)):
            raise ValueError(f"levels must be numbered 1, 2, 3 ... in order; got {numbers}")
        moving = info.data.get("layout") == "follow"
        for lv in v:
            if moving and lv.speed <= 0:
                raise ValueError(f"level {lv.level}: a follow task needs speed > 0")
            if not moving and lv.speed > 0:
                raise ValueError(f"level {lv.level}: speed applies to follow tasks only")
        return v

    @model_validator(mode="after")
    def _ranges(self) -> TargetRule:
        if self.angle_max <= self.angle_min:
            raise ValueError(
                f"angle_max ({self.angle_max}) must be greater than angle_min ({self.angle_min})"
            )
        if self.foreperiod_max_s < self.foreperiod_min_s:
            raise ValueError("foreperiod_max_s must be at least foreperiod_min_s")
        return self


class TargetTask(_Strict):
    """A hand-eye coordination task: data like an exercise, scored by scoring.targets."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    kind: Literal["targets"]
    category: Literal["coordination"] = "coordination"
    instructions: str = Field(min_length=1)
    # Targets are drawn over a front view (the patient faces the screen).
    view: Literal["front"] = "front"
    views: list[Literal["front"]] = Field(default_factory=_front_view, min_length=1)
    body: Literal["upper"] = "upper"
    position: Literal["seated", "standing"] = "seated"
    defaults: Defaults = Defaults(sets=2, reps=0, rest_s=30.0)
    targets: TargetRule
    tags: list[str] = Field(default_factory=list)

    def measures_needed(self, view: str | None = None) -> list[str]:
        """No per-frame measures: a task is scored on the hand's landmarks (scoring.targets)."""
        return []

    def measures_named(self) -> list[str]:
        return []

    # What the engine's frame loop asks of any definition (setup, view, faults): a task has
    # no rep, hold or generic rule and no faults, and is done facing the camera.
    @property
    def rep(self) -> None:
        return None

    @property
    def hold(self) -> None:
        return None

    @property
    def generic(self) -> None:
        return None

    @property
    def jump(self) -> None:
        return None

    @property
    def faults(self) -> list[FaultRule]:
        return []

    def counts_in(self, detected: str) -> bool:
        """Whether the task can be scored in the `detected` view (as Exercise.counts_in)."""
        return any(view_satisfies(detected, v) for v in self.views)

    def level(self, number: int) -> TargetLevel:
        """The level with this number, or a ValueError naming the levels there are."""
        for lv in self.targets.levels:
            if lv.level == number:
                return lv
        known = ", ".join(str(lv.level) for lv in self.targets.levels)
        raise ValueError(f"level {number} is not defined for {self.id!r}; levels: {known}")


def target_task_json_schema() -> dict[str, object]:
    """The JSON Schema of a `kind = "targets"` file (`coach exercises schema`)."""
    return TargetTask.model_json_schema()
